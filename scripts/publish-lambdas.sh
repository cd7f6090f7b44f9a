#!/usr/bin/env bash
# Publishes each Lambda as a provided.al2023 custom-runtime bundle: a self-contained, trimmed,
# ReadyToRun executable named `bootstrap`. Skips functions whose project does not exist yet.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/artifacts/lambda}"
cd "$ROOT"
for fn in api:functions/Lilium.Api signaling:functions/Lilium.Signaling; do
  name="${fn%%:*}"; proj="${fn#*:}"
  [ -f "$proj/$(basename "$proj").csproj" ] || continue
  dotnet publish "$proj" -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=true -p:PublishReadyToRun=true -p:AssemblyName=bootstrap \
    -o "$OUT/$name" --nologo -v q
done
