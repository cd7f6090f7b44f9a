#!/usr/bin/env bash
# UNVERIFIED: not yet run to completion here (issue #26 left it for lack of build time; AOT/trim warnings from
# System.CommandLine or Spectre.Console may fail it under TreatWarningsAsErrors).
# Publishes the lilium command as a single native executable (Native AOT): users need no .NET runtime.
# Usage: publish-cli.sh [OUT] (default artifacts/cli); CLI_RID: linux-x64 (default), linux-arm64, osx-arm64, ...
# (Native AOT compiles for the host OS only: a macOS or Windows binary is built on that OS.)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/artifacts/cli}"
RID="${CLI_RID:-linux-x64}"
rm -rf "$OUT"
dotnet publish "$ROOT/client-sdk/Lilium.Cli" -c Release -r "$RID" -p:PublishAot=true -o "$OUT" --nologo -v q
rm -f "$OUT"/*.dbg
[ -x "$OUT/lilium" ] || { echo "publish-cli: no $OUT/lilium" >&2; exit 1; }
echo "publish-cli: $OUT/lilium ($RID) $(du -h "$OUT/lilium" | cut -f1)" >&2
