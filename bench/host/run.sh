#!/usr/bin/env bash
# make bench-host: capture-to-send latency and host CPU at 1920x1080, 30 fps, H.264 then VP8, on an Xvfb
# screen with moving content, publishing to a relay process on loopback; then H.264 with the 720p preset (scaled).
# Bounded: about 3 x (warm-up + 8 s).
# Writes bench/results/host.json (and host-scaler.json: the preset scaler against libswscale). BENCH_HOST_SECONDS
# overrides the measured window.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
command -v Xvfb >/dev/null || { echo "bench-host: Xvfb is missing (bash scripts/install-deps.sh)" >&2; exit 2; }
dotnet build media-relay/Lilium.Relay -c Release --nologo -v q >&2
dotnet build bench/host/Lilium.Bench.Host -c Release --nologo -v q >&2
timeout 120 dotnet bench/host/Lilium.Bench.Host/bin/Release/net10.0/Lilium.Bench.Host.dll \
  --seconds "${BENCH_HOST_SECONDS:-8}" --out "$ROOT/bench/results/host.json"
# The preset scaler against libswscale (docs/decisions.md D25): 1080p BGRA to 720p I420, 75 rounds, a few seconds.
timeout 60 dotnet bench/host/Lilium.Bench.Host/bin/Release/net10.0/Lilium.Bench.Host.dll \
  --scalers --out "$ROOT/bench/results/host-scaler.json"
