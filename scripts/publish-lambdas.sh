#!/usr/bin/env bash
# Publishes each Lambda as a provided.al2023 custom-runtime bundle: a self-contained, trimmed,
# ReadyToRun executable named `bootstrap`. Skips functions whose project does not exist yet.
# Composite ReadyToRun (framework and app compiled as one version bubble) precompiles the generic instantiations
# across assemblies that per-assembly R2R leaves to the JIT: 1,731 -> 448 methods jitted at a cold start
# (docs/lambda.md, "Init time").
# The apphost is renamed to `bootstrap` after publishing (it finds its .dll by the name baked in
# at build time); a global -p:AssemblyName=bootstrap would rename every project of the graph and
# restore fails with "Ambiguous project name 'bootstrap'".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/artifacts/lambda}"
cd "$ROOT"
for fn in api:functions/Lilium.Api signaling:functions/Lilium.Signaling; do
  name="${fn%%:*}"; proj="${fn#*:}"; asm="$(basename "$proj")"
  [ -f "$proj/$asm.csproj" ] || continue
  rm -rf "$OUT/$name"
  dotnet publish "$proj" -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
    -o "$OUT/$name" --nologo -v q
  if [ -f "$OUT/$name/$asm" ]; then mv -f "$OUT/$name/$asm" "$OUT/$name/bootstrap"; fi
  [ -x "$OUT/$name/bootstrap" ] || { echo "publish-lambdas: no bootstrap for $name" >&2; exit 1; }
done
