#!/usr/bin/env bash
# make bench-signaling: BENCH_CLIENTS (1000) WebSocket clients in friend pairs exchange chat.msg through the
# local gateway (Release), with DynamoDB on a fresh moto of its own and the project's Postgres (started by the
# Lilium.Testing fixture when absent). The same clients and schedule first run against a floor relay without the
# handler (--floor 0 skips it), and the JSON reports the gateway's p50/p99 over it. Writes bench/results/signaling.json.
# The endpoint is fresh per run on a free port, and stopped afterwards: a moto that served earlier runs holds
# gigabytes of deep-copied tables and moves the tail (docs/signaling.md). BENCH_AWS_ENDPOINT=URL uses that
# endpoint instead (LocalStack, say).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build bench/signaling/Lilium.Bench.Signaling -c Release --nologo -v q >&2
if [ -n "${BENCH_AWS_ENDPOINT:-}" ]; then
  export LOCALSTACK_ENDPOINT="$BENCH_AWS_ENDPOINT"
else
  command -v moto_server >/dev/null || bash scripts/install-deps.sh >&2
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  mkdir -p .local
  python3 scripts/moto_local.py -H 127.0.0.1 -p "$port" >.local/moto-bench.log 2>&1 &
  moto=$!
  trap 'kill $moto 2>/dev/null && wait $moto 2>/dev/null || true' EXIT
  export LOCALSTACK_ENDPOINT="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do curl -s -o /dev/null --max-time 2 "$LOCALSTACK_ENDPOINT/moto-api/" && break; sleep 0.25; done
  curl -s -o /dev/null --max-time 2 "$LOCALSTACK_ENDPOINT/moto-api/" || { echo "bench-signaling: moto did not start; see .local/moto-bench.log" >&2; exit 1; }
  echo "bench-signaling: fresh moto at $LOCALSTACK_ENDPOINT" >&2
fi
# A 64 MB gen0 budget for the process that hosts the gateway, the handler and the clients: with the default budget
# it allocated ~15 KB per message and paused for gen0 37 times a second (~0.7 s of 10 s stopped); with 64 MB, 11
# collections and ~50 ms in 10 s, and less CPU (docs/decisions.md, D4). Override with DOTNET_GCgen0size.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x4000000}"
dotnet bench/signaling/Lilium.Bench.Signaling/bin/Release/net10.0/Lilium.Bench.Signaling.dll \
  --clients "${BENCH_CLIENTS:-1000}" --seconds "${BENCH_SECONDS:-10}" --rate "${BENCH_RATE:-5000}" --warmup "${BENCH_WARMUP:-10}" --out "$ROOT/bench/results/signaling.json" "$@"
