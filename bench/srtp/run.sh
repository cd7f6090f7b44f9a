#!/usr/bin/env bash
# make bench-srtp: SRTP protect / unprotect cost per packet and profile, one thread (a few seconds).
# Writes bench/results/srtp.json. BENCH_SRTP_PACKETS, BENCH_SRTP_ROUNDS override the defaults.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
dotnet build bench/srtp/Lilium.Bench.Srtp -c Release --nologo -v q >&2
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin=(taskset -c 1); fi
"${pin[@]}" dotnet bench/srtp/Lilium.Bench.Srtp/bin/Release/net10.0/Lilium.Bench.Srtp.dll \
  --packets "${BENCH_SRTP_PACKETS:-20000}" --rounds "${BENCH_SRTP_ROUNDS:-9}" --out "$ROOT/bench/results/srtp.json" >/dev/null
