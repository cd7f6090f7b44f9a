#!/usr/bin/env bash
# Publishes the lilium command as one native executable (Native AOT): users need no .NET runtime (docs/cli.md).
# Usage: publish-cli.sh [OUT] (default artifacts/cli); CLI_RID: linux-x64 (default), linux-arm64, osx-arm64, ...
# (Native AOT compiles for the host OS only: a macOS or Windows binary is built on that OS.) A first publish compiles
# for about 3-5 minutes on two busy cores; an unchanged CLI republishes in seconds (the native compile is skipped).
# Warnings are errors here as in every build: a trim or AOT warning fails the publish.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/artifacts/cli}"
RID="${CLI_RID:-linux-x64}"
rm -rf "$OUT"
dotnet publish "$ROOT/client-sdk/Lilium.Cli" -c Release -r "$RID" -p:PublishAot=true -o "$OUT" --nologo -v q -clp:ErrorsOnly
# The native symbols (.dbg) and the projects' .pdb and XML docs are not part of what users install.
rm -f "$OUT"/*.dbg "$OUT"/*.pdb "$OUT"/*.xml
[ -x "$OUT/lilium" ] || { echo "publish-cli: no $OUT/lilium" >&2; exit 1; }
echo "publish-cli: $OUT/lilium ($RID) $(du -h "$OUT/lilium" | cut -f1)" >&2
