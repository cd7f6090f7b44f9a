#!/usr/bin/env bash
# make bench-signaling: BENCH_CLIENTS (1000) WebSocket clients in friend pairs exchange chat.msg through the
# local gateway (Release), with DynamoDB on the :4566 endpoint and the project's Postgres (both started by
# the Lilium.Testing fixtures when absent). Writes bench/results/signaling.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build bench/signaling/Lilium.Bench.Signaling -c Release --nologo -v q >&2
dotnet bench/signaling/Lilium.Bench.Signaling/bin/Release/net10.0/Lilium.Bench.Signaling.dll \
  --clients "${BENCH_CLIENTS:-1000}" --seconds "${BENCH_SECONDS:-10}" --rate "${BENCH_RATE:-5000}" --warmup "${BENCH_WARMUP:-10}" --out "$ROOT/bench/results/signaling.json"
