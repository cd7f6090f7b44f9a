#!/usr/bin/env bash
# Publishes the media relay for linux-x64 as the relay image's /app (scripts/relay-image.sh) and the tests' external
# relay process (docs/relay.md, "Native AOT").
# Usage: publish-relay.sh [OUT] (default artifacts/relay-$RELAY_BUILD)
# RELAY_BUILD selects the build:
#   aot (default)  Native AOT: one native executable (Lilium.Relay) and no runtime.
#   jit            self-contained, JIT-compiled (the image's build before Native AOT), kept
#                  for comparison.
# The executable is OUT/Lilium.Relay either way.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${RELAY_BUILD:-aot}"
OUT="${1:-$ROOT/artifacts/relay-$BUILD}"
case "$BUILD" in
  aot) props=(-p:PublishAot=true) ;;
  jit) props=(-p:PublishAot=false --self-contained true) ;;
  *) echo "publish-relay: RELAY_BUILD must be aot or jit, not '$BUILD'" >&2; exit 2 ;;
esac
rm -rf "$OUT"
dotnet publish "$ROOT/media-relay/Lilium.Relay" -c Release -r linux-x64 "${props[@]}" -o "$OUT" --nologo -v q -clp:ErrorsOnly >&2
if [ "$BUILD" = aot ]; then rm -f "$OUT"/*.dbg "$OUT"/*.pdb "$OUT"/*.xml; fi
[ -x "$OUT/Lilium.Relay" ] || { echo "publish-relay: no $OUT/Lilium.Relay" >&2; exit 1; }
echo "publish-relay: $OUT ($BUILD) $(du -sh "$OUT" | cut -f1)" >&2
