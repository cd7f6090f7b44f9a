#!/usr/bin/env bash
# make bench-api: authenticated friend-list reads (GET /v1/friends, 20 accepted friends) over real
# HTTP against the API on Kestrel in Release, with the project's Postgres cluster; then the Lambda
# init time from bench/lambda-init (the AWS side's measurement) when it can run.
# Writes bench/results/api.json: {"reads_per_s", "p99_ms", "lambda_init_ms_median" (Native AOT),
# "lambda_init_r2r_ms_median" (ReadyToRun, same run, interleaved), "bootstrap_mb", ...}.
# Knobs: BENCH_SECONDS (10), BENCH_CONCURRENCY (32), BENCH_FRIENDS (20), BENCH_WARMUP (15 s), BENCH_LAMBDA_INIT (1; 0 skips it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="$ROOT/bench/results/api.json"
RAW="$(mktemp)"
mkdir -p "$ROOT/bench/results"
cd "$ROOT"

url="$(bash scripts/pg.sh ensure | tail -n1)"
db="bench_api_$(date +%s)_$$"
PGPASSWORD="${url#*://*:}"; PGPASSWORD="${PGPASSWORD%%@*}"; export PGPASSWORD
hostport="${url#*@}"; hostport="${hostport%%/*}"
user="${url#*://}"; user="${user%%:*}"
psql -h "${hostport%:*}" -p "${hostport#*:}" -U "$user" -d postgres -qc "CREATE DATABASE $db" >/dev/null
export DATABASE_URL="${url%/*}/$db"

dotnet build functions/Lilium.Api -c Release --nologo -v q >&2
dotnet build bench/api/Lilium.Bench.Api -c Release --nologo -v q >&2
api="functions/Lilium.Api/bin/Release/net10.0/Lilium.Api.dll"
dotnet "$api" migrate >&2

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export TOKEN_KEYS="$(python3 -c 'import base64,json,os; k=lambda: base64.b64encode(os.urandom(32)).decode(); print(json.dumps({"accessKey":k(),"refreshKey":k(),"relayKey":k()}))')"
ASPNETCORE_URLS="http://127.0.0.1:$port" DOTNET_ENVIRONMENT=Production RATE_LIMIT_AUTH_PER_IP=100000 \
  dotnet "$api" > "$RAW.api.log" 2>&1 &
api_pid=$!
cleanup() {
  kill "$api_pid" 2>/dev/null || true
  wait "$api_pid" 2>/dev/null || true
  psql -h "${hostport%:*}" -p "${hostport#*:}" -U "$user" -d postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -f "$RAW" "$RAW.api.log"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { cat "$RAW.api.log" >&2; echo "bench-api: the API did not start" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
load="$(cut -d' ' -f1 /proc/loadavg)"
cpu0="$(cpu_ticks "$api_pid")"
dotnet "bench/api/Lilium.Bench.Api/bin/Release/net10.0/Lilium.Bench.Api.dll" --url "http://127.0.0.1:$port" --out "$RAW" \
  --seconds "${BENCH_SECONDS:-10}" --concurrency "${BENCH_CONCURRENCY:-32}" --friends "${BENCH_FRIENDS:-20}" --warmup "${BENCH_WARMUP:-15}" >&2
cpu1="$(cpu_ticks "$api_pid")"
kill "$api_pid" 2>/dev/null || true
# The machine is shared: record its load and the API's own CPU cost per read, which load does not inflate much.
export BENCH_LOADAVG="$load" BENCH_API_CPU_S="$(python3 -c "import os; print(($cpu1 - $cpu0) / os.sysconf('SC_CLK_TCK'))")"

# Lambda init (bootstrap start -> first response, median of 10): the Native AOT bootstrap of `make lambdas` and the
# ReadyToRun one, interleaved in the same run by bench/lambda-init (`run.sh ab`); null when it fails, with the reason.
init="null"; init_note="bench/lambda-init/run.sh is missing"
if [ "${BENCH_LAMBDA_INIT:-1}" = 0 ]; then
  init_note="skipped (BENCH_LAMBDA_INIT=0)"
elif [ -f bench/lambda-init/run.sh ]; then
  if last="$(bash bench/lambda-init/run.sh ab 2>"$RAW.init.log" | tail -n1)" && [[ "$last" == "{"* ]]; then
    init="$last"; init_note=""
  else
    init_note="bench/lambda-init/run.sh ab failed: $(tail -n1 "$RAW.init.log" 2>/dev/null | tr -d '"\\')"
  fi
  rm -f "$RAW.init.log"
fi
bootstrap="${LILIUM_LAMBDA_ARTIFACTS:-artifacts/lambda}/api/bootstrap"
export BENCH_BOOTSTRAP_BYTES="$( [ -f "$bootstrap" ] && stat -c %s "$bootstrap" || echo 0)"

python3 - "$RAW" "$OUT" "$init" "$init_note" <<'PY'
import json, sys
raw, out, init, note = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
r = json.load(open(raw))
ab = None if init == "null" else json.loads(init)
result = {"reads_per_s": r["reads_per_s"], "p99_ms": r["p99_ms"],
          "lambda_init_ms_median": ab["aot"]["wall_ms_median"] if ab else None,
          "lambda_init_r2r_ms_median": ab["r2r"]["wall_ms_median"] if ab else None}
import os
size = int(os.environ["BENCH_BOOTSTRAP_BYTES"])
result["bootstrap_mb"] = round(size / 1e6, 1) if size else None
if ab:
    result["lambda_init_cpu_ms_median"] = ab["aot"]["cpu_ms_median"]
    result["lambda_init_r2r_cpu_ms_median"] = ab["r2r"]["cpu_ms_median"]
    result["lambda_init_loadavg"] = ab["loadavg"]
result.update({k: v for k, v in r.items() if k not in result})
if note:
    result["lambda_init_note"] = note
import os
result["machine_loadavg_1m_at_start"] = float(os.environ["BENCH_LOADAVG"])
result["api_cpu_us_per_read"] = round(float(os.environ["BENCH_API_CPU_S"]) * 1e6 / r["requests_including_warmup"], 1)
json.dump(result, open(out, "w"), indent=2)
PY
