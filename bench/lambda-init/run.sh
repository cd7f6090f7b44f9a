#!/usr/bin/env bash
# Lambda init time of the API function: published bootstrap process start -> first response
# (GET /health through the Runtime API, real Postgres), median of 10 cold starts (RUNS).
#   run.sh       the bootstrap of `make lambdas` (Native AOT): prints the median in ms as the last line.
#   run.sh ab    the Native AOT and the ReadyToRun bootstraps interleaved round by round (ab.py; fairer on a shared
#                machine): prints {"aot": {...}, "r2r": {...}, ...} as the last line. The R2R bundle is published to
#                artifacts/lambda-r2r (LAMBDA_BUILD=r2r) when absent.
# Uses artifacts/lambda/api/bootstrap (make lambdas); LILIUM_LAMBDA_ARTIFACTS / LILIUM_LAMBDA_R2R_ARTIFACTS point
# elsewhere. bench/api/run.sh reads the last line.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ARTIFACTS="${LILIUM_LAMBDA_ARTIFACTS:-$ROOT/artifacts/lambda}"
R2R_ARTIFACTS="${LILIUM_LAMBDA_R2R_ARTIFACTS:-$ROOT/artifacts/lambda-r2r}"
BOOTSTRAP="$ARTIFACTS/api/bootstrap"
[ -x "$BOOTSTRAP" ] || bash "$ROOT/scripts/publish-lambdas.sh" "$ARTIFACTS" >&2
export DATABASE_URL="${DATABASE_URL:-$(bash "$ROOT/scripts/pg.sh" ensure | tail -n1)}"
"$BOOTSTRAP" migrate >&2 </dev/null
export TOKEN_KEYS="${TOKEN_KEYS:-$(python3 -c 'import base64,json,os; k=lambda: base64.b64encode(os.urandom(32)).decode(); print(json.dumps({"accessKey":k(),"refreshKey":k(),"relayKey":k()}))')}"
if [ "${1:-}" = ab ]; then
  R2R="$R2R_ARTIFACTS/api/bootstrap"
  [ -x "$R2R" ] || LAMBDA_BUILD=r2r bash "$ROOT/scripts/publish-lambdas.sh" "$R2R_ARTIFACTS" >&2
  out="$(mktemp)"; trap 'rm -f "$out"' EXIT
  python3 "$ROOT/bench/lambda-init/ab.py" "$BOOTSTRAP" "$R2R" -n "${RUNS:-10}" --json "$out" >&2
  python3 - "$out" "$BOOTSTRAP" "$R2R" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"aot": r[sys.argv[2]], "r2r": r[sys.argv[3]], "rounds": r["rounds"], "loadavg": r["loadavg"]}))
PY
else
  python3 "$ROOT/bench/lambda-init/measure.py" "$BOOTSTRAP" "${RUNS:-10}"
fi
