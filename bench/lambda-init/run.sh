#!/usr/bin/env bash
# Lambda init time of the API function: published bootstrap process start -> first response
# (GET /health through the Runtime API, real Postgres), median of 10 cold starts.
# Prints the median in ms as the last line. Uses artifacts/lambda/api/bootstrap (make lambdas);
# LILIUM_LAMBDA_ARTIFACTS points elsewhere. bench/api/run.sh reads the last line as lambda_init_ms_median.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ARTIFACTS="${LILIUM_LAMBDA_ARTIFACTS:-$ROOT/artifacts/lambda}"
BOOTSTRAP="$ARTIFACTS/api/bootstrap"
[ -x "$BOOTSTRAP" ] || bash "$ROOT/scripts/publish-lambdas.sh" "$ARTIFACTS" >&2
export DATABASE_URL="${DATABASE_URL:-$(bash "$ROOT/scripts/pg.sh" ensure | tail -n1)}"
"$BOOTSTRAP" migrate >&2 </dev/null
export TOKEN_KEYS="${TOKEN_KEYS:-$(python3 -c 'import base64,json,os; k=lambda: base64.b64encode(os.urandom(32)).decode(); print(json.dumps({"accessKey":k(),"refreshKey":k(),"relayKey":k()}))')}"
python3 "$ROOT/bench/lambda-init/measure.py" "$BOOTSTRAP" "${RUNS:-10}"
