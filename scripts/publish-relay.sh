#!/usr/bin/env bash
# Publishes the media relay as the relay image's /app (scripts/relay-image.sh) and the tests' external relay process
# (docs/relay.md, "Native AOT").
# Usage: publish-relay.sh [OUT] (default artifacts/relay-$RELAY_BUILD, artifacts/relay-$RELAY_BUILD-arm64 for arm64)
# RELAY_RID: linux-x64 (default, this machine and the tests) or linux-arm64 (the stack's Graviton tasks; relay-image.sh
# sets it). Native AOT for linux-arm64 on an x64 machine is a cross-compile: the x64 native compiler emits arm64 code
# (the registry serves runtime.linux-arm64.Microsoft.DotNet.ILCompiler), clang links it with lld against Debian's arm64
# C library (scripts/install-deps.sh installs them).
# RELAY_BUILD selects the build:
#   aot (default)  Native AOT: one native executable (Lilium.Relay) and no runtime.
#   jit            self-contained, JIT-compiled (the image's build before Native AOT), kept
#                  for comparison.
# The executable is OUT/Lilium.Relay either way.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${RELAY_BUILD:-aot}"
RID="${RELAY_RID:-linux-x64}"
case "$RID" in
  linux-x64) OUT="${1:-$ROOT/artifacts/relay-$BUILD}" ;;
  linux-arm64) OUT="${1:-$ROOT/artifacts/relay-$BUILD-arm64}" ;;
  *) echo "publish-relay: RELAY_RID must be linux-x64 or linux-arm64, not '$RID'" >&2; exit 2 ;;
esac
case "$BUILD" in
  aot) props=(-p:PublishAot=true) ;;
  jit) props=(-p:PublishAot=false --self-contained true) ;;
  *) echo "publish-relay: RELAY_BUILD must be aot or jit, not '$BUILD'" >&2; exit 2 ;;
esac
if [ "$BUILD" = aot ] && [ "$RID" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ]; then
  if ! command -v clang >/dev/null || ! command -v ld.lld >/dev/null || [ ! -f /usr/aarch64-linux-gnu/lib/crt1.o ] \
      || ! ls /usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbeginS.o >/dev/null 2>&1; then
    echo "publish-relay: cross-compiling Native AOT for linux-arm64 needs clang, lld and an arm64 C library: make deps" >&2
    echo "  (apt-get install clang lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross)" >&2
    exit 1
  fi
fi
# One publish at a time (they share obj/): two test fixtures, or a test and make relay-bin, may ask at once. With
# RELAY_PUBLISH_IF_ABSENT=1 (the tests) a caller that waited finds the executable the other one published and keeps it.
mkdir -p "$ROOT/artifacts"
exec 9>"$ROOT/artifacts/.publish-relay.lock"
flock 9
if [ "${RELAY_PUBLISH_IF_ABSENT:-0}" = 1 ] && [ -x "$OUT/Lilium.Relay" ]; then
  echo "publish-relay: $OUT already published" >&2
  exit 0
fi
rm -rf "$OUT"
dotnet publish "$ROOT/media-relay/Lilium.Relay" -c Release -r "$RID" "${props[@]}" -o "$OUT" --nologo -v q -clp:ErrorsOnly >&2
if [ "$BUILD" = aot ]; then rm -f "$OUT"/*.dbg "$OUT"/*.pdb "$OUT"/*.xml; fi
[ -x "$OUT/Lilium.Relay" ] || { echo "publish-relay: no $OUT/Lilium.Relay" >&2; exit 1; }
echo "publish-relay: $OUT ($BUILD, $RID) $(du -sh "$OUT" | cut -f1)" >&2
