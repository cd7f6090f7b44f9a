#!/usr/bin/env bash
# make bench-glass: glass-to-glass latency of a 1280x720 30 fps canvas through our relay (WHIP/WHEP), through Janus's
# VideoRoom (Debian's janus, installed here when missing) and over a direct Chromium-to-Chromium peer connection,
# read back from the viewer's pixels -> bench/results/glass.json. GLASS_SECONDS (per path and run, default 60),
# GLASS_RUNS (default 3), GLASS_WARMUP (seconds before each window, default 10), GLASS_PATHS (default
# relay,janus,direct), GLASS_CONTENT_HINT (the track's contentHint: detail by default, as a shared screen is encoded —
# set it empty for none, or motion, text) and GLASS_NOISE (off: without the sliding noise patch) override the defaults.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
if [[ ",${GLASS_PATHS:-janus}," == *,janus,* ]] && [ ! -x /usr/bin/janus ]; then
  bash scripts/install-deps.sh bench >&2 || echo "bench-glass: could not install janus; measuring without it" >&2
fi
dotnet build media-relay/Lilium.Relay -c Release --nologo -v q >&2
dotnet build bench/glass/Lilium.Bench.Glass -c Release --nologo -v q >&2
dotnet bench/glass/Lilium.Bench.Glass/bin/Release/net10.0/Lilium.Bench.Glass.dll \
  --seconds "${GLASS_SECONDS:-60}" --runs "${GLASS_RUNS:-3}" --warmup "${GLASS_WARMUP:-10}" \
  --paths "${GLASS_PATHS:-relay,janus,direct}" --content-hint "${GLASS_CONTENT_HINT-detail}" --noise "${GLASS_NOISE:-on}" \
  --pages bench/glass/pages --out "$ROOT/bench/results/glass.json"
