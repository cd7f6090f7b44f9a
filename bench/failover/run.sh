#!/usr/bin/env bash
# make bench-failover: the relay fleet on this machine — first frame from zero relays and recovery after kill -9 of a
# session's relay (10 kills) -> bench/results/failover.json. Needs Postgres (scripts/pg.sh) and the :4566 endpoint
# (scripts/aws-endpoint.sh), which the program starts when missing. BENCH_FAILOVER_KILLS overrides the 10 kills.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build bench/failover/Lilium.Bench.Failover -c Release --nologo -v q >&2
timeout 900 dotnet bench/failover/Lilium.Bench.Failover/bin/Release/net10.0/Lilium.Bench.Failover.dll \
  --kills "${BENCH_FAILOVER_KILLS:-10}" --out "$ROOT/bench/results/failover.json"
