#!/usr/bin/env bash
# make bench-web: the web app's gzipped size and the viewer's join -> first decoded frame (median of 10, loopback,
# headless Chromium) -> bench/results/web.json. The measurement is the browser test JoinTimingTests (tests/Lilium.Web.Tests).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
mkdir -p bench/results
bash scripts/build-web.sh
bash scripts/pg.sh ensure >/dev/null
bash scripts/aws-endpoint.sh ensure >/dev/null
rm -f "$ROOT/bench/results/web.json"
LILIUM_BENCH_WEB_OUT="$ROOT/bench/results/web.json" dotnet test tests/Lilium.Web.Tests -c Release --nologo \
  --filter "FullyQualifiedName~JoinTimingTests" --logger "console;verbosity=normal"
if [ ! -s "$ROOT/bench/results/web.json" ]; then
  echo "bench-web: no figure written — JoinTimingTests is skipped as unfinished (docs/web.md, Figures)" >&2
  exit 1
fi
