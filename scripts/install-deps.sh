#!/usr/bin/env bash
# Installs what the build, the tests and `make run` need on a fresh Debian machine. Idempotent:
# each step checks first and does nothing when the thing is already there.
# `install-deps.sh bench` adds what only the benchmarks use (Janus, the peer of make bench-relay).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

need_apt=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
[ -f /usr/lib/python3/dist-packages/aiortc/__init__.py ] || need_apt+=(python3-aiortc)
command -v curl >/dev/null || need_apt+=(curl)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
# The relay image (scripts/relay-image.sh) and its test: OCI layout and push, running it without Docker, a registry.
command -v umoci >/dev/null || need_apt+=(umoci)
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
# The host (docs/host.md): X11 capture and XTest injection, codecs by P/Invoke, and what the Desktop tests drive.
command -v Xvfb >/dev/null || need_apt+=(xvfb)
command -v xdotool >/dev/null || need_apt+=(xdotool)
command -v pulseaudio >/dev/null || need_apt+=(pulseaudio)
command -v parec >/dev/null || need_apt+=(pulseaudio-utils)
for pair in libX11.so.6:libx11-6 libXext.so.6:libxext6 libXfixes.so.3:libxfixes3 libXrandr.so.2:libxrandr2 \
            libXtst.so.6:libxtst6 libvpx.so.7:libvpx7 libx264.so.164:libx264-164 libopus.so.0:libopus0; do
  ldconfig -p | grep -q "${pair%%:*} " || need_apt+=("${pair##*:}")
done
if [ "${1:-}" = bench ]; then
  [ -x /usr/bin/janus ] || need_apt+=(janus)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Under systemd the package starts a registry service on :5000; the tests run their own on a free port.
  if [[ " ${need_apt[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi

if ! command -v moto_server >/dev/null 2>&1; then
  # scripts/moto_local.py patches moto's CloudFormation models and is written against 5.2.1.
  echo "install-deps: pip moto[server]==5.2.1"
  python3 -m pip install -q 'moto[server]==5.2.1' || python3 -m pip install -q 'moto[server]'
fi
if ! command -v aws >/dev/null 2>&1; then
  python3 -m pip install -q awscli
fi
if ! command -v cfn-lint >/dev/null 2>&1; then
  python3 -m pip install -q cfn-lint
fi

if [ -f "$ROOT/package.json" ] && [ ! -x "$ROOT/node_modules/.bin/cdk" ]; then
  echo "install-deps: npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "install-deps: ok"
