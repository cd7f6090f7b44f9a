#!/usr/bin/env bash
# Publishes each Lambda as a provided.al2023 custom-runtime bundle whose executable is named `bootstrap`.
# Skips functions whose project does not exist yet. Usage: publish-lambdas.sh [OUT]
#
# LAMBDA_BUILD selects the build (docs/lambda.md, "Init time"):
#   aot (default)  Native AOT: one native executable, no runtime start, no JIT.
#   r2r            self-contained, trimmed, composite ReadyToRun (framework and app compiled as one version bubble,
#                  which precompiles the cross-assembly generic instantiations that per-assembly R2R leaves to the
#                  JIT): kept for comparison (bench-api measures both).
# LAMBDA_RID: linux-x64 (default) or linux-arm64.
# The executable is renamed to `bootstrap` after publishing (the R2R apphost finds its .dll by the name baked in at
# build time); a global -p:AssemblyName=bootstrap would rename every project of the graph and restore fails with
# "Ambiguous project name 'bootstrap'".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/artifacts/lambda}"
BUILD="${LAMBDA_BUILD:-aot}"
RID="${LAMBDA_RID:-linux-x64}"
case "$BUILD" in
  aot) props=(-p:PublishAot=true) ;;
  r2r) props=(-p:PublishAot=false --self-contained true -p:PublishTrimmed=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true) ;;
  *) echo "publish-lambdas: LAMBDA_BUILD must be aot or r2r, not '$BUILD'" >&2; exit 2 ;;
esac
# Native AOT for linux-arm64 on an x64 machine is a cross-compile: the native compiler emits arm64 code itself, and
# clang links it with lld against an arm64 C library (Debian's cross packages; docs/lambda.md, "linux-arm64").
if [ "$BUILD" = aot ] && [ "$RID" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ]; then
  if ! command -v clang >/dev/null || ! command -v ld.lld >/dev/null || [ ! -f /usr/aarch64-linux-gnu/lib/crt1.o ] \
      || ! ls /usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbeginS.o >/dev/null 2>&1; then
    echo "publish-lambdas: cross-compiling Native AOT for linux-arm64 needs clang, lld and an arm64 C library:" >&2
    echo "  sudo apt-get install clang lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross" >&2
    exit 1
  fi
fi
cd "$ROOT"
# Amazon RDS's certificate authorities go into every package (DB_SSL_ROOT_CERT=/var/task/rds-ca.pem in the CDK app).
bash "$ROOT/scripts/rds-ca-bundle.sh" "$OUT/rds-ca.pem"
for fn in api:functions/Lilium.Api signaling:functions/Lilium.Signaling; do
  name="${fn%%:*}"; proj="${fn#*:}"; asm="$(basename "$proj")"
  [ -f "$proj/$asm.csproj" ] || continue
  rm -rf "$OUT/$name"
  dotnet publish "$proj" -c Release -r "$RID" "${props[@]}" -o "$OUT/$name" --nologo -v q
  if [ -f "$OUT/$name/$asm" ]; then mv -f "$OUT/$name/$asm" "$OUT/$name/bootstrap"; fi
  # Native AOT leaves the native symbols (.dbg) and the projects' .pdb files beside the executable; the bundle does not
  # need them (keep them from a separate publish to symbolicate a crash).
  if [ "$BUILD" = aot ]; then rm -f "$OUT/$name"/*.dbg "$OUT/$name"/*.pdb; fi
  [ -x "$OUT/$name/bootstrap" ] || { echo "publish-lambdas: no bootstrap for $name" >&2; exit 1; }
  cp "$OUT/rds-ca.pem" "$OUT/$name/rds-ca.pem"
  echo "publish-lambdas: $name ($BUILD, $RID) $(du -sh "$OUT/$name" | cut -f1)" >&2
done
