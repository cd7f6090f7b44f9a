#!/usr/bin/env bash
# make bench-input: the relay (Release) on CPU 0, the SDK host and viewers on CPU 1; each viewer sends 1,000 input
# events/s. Writes bench/results/input.json. BENCH_INPUT_VIEWERS (comma list), BENCH_INPUT_RATE, BENCH_INPUT_SECONDS
# override the defaults.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build media-relay/Lilium.Relay -c Release --nologo -v q >&2
dotnet build bench/input/Lilium.Bench.Input -c Release --nologo -v q >&2
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin=(taskset -c 1); fi
"${pin[@]}" dotnet bench/input/Lilium.Bench.Input/bin/Release/net10.0/Lilium.Bench.Input.dll \
  --viewers "${BENCH_INPUT_VIEWERS:-1,2,5,10}" --rate "${BENCH_INPUT_RATE:-1000}" --seconds "${BENCH_INPUT_SECONDS:-5}" \
  --relay-cpu 0 --out "$ROOT/bench/results/input.json"
