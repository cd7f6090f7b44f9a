#!/usr/bin/env bash
# Installs what the build, the tests, `make run` and `make demo` need on a fresh Debian machine.
# `make run`, `make test` and `make demo` call it first, so the README's two commands are the whole set-up.
# Idempotent and quick when everything is there: one dpkg-query and a few `command -v` checks decide; apt-get,
# pip and npm run only for what is missing.
#   install-deps.sh          everything the tests and the local stack use
#   install-deps.sh bench    also what only the benchmarks use (Janus, the peer of make bench-relay)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
trap 'rc=$?; echo "install-deps: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit $rc' ERR
die() { echo "install-deps: $*" >&2; exit 1; }

# Debian packages, each with what needs it.
APT=(
  postgresql postgresql-client            # the private cluster (scripts/pg.sh) and psql
  curl                                    # scripts' readiness probes
  ffmpeg                                  # the SDK's test-pattern and screen sources (make demo, Client.Tests)
  python3-aiortc python3-pylibsrtp libsrtp2-1   # the WebRTC and SRTP reference peers in tests/interop
  umoci skopeo bubblewrap docker-registry # the relay image: OCI layout, push, running it without Docker, a registry
  chromium xvfb xdotool x11-utils         # browser and desktop tests: Chromium, a virtual X display, synthetic input
  pulseaudio pulseaudio-utils             # a virtual audio device for capture tests
  libvpx7 libx264-164 libopus0 libxtst6   # codecs and XTest for the desktop host (docs/host.md)
  libx11-6 libxext6 libxfixes3 libxrandr2 # X11 capture: XShm, the cursor (XFixes), monitors (RandR)
  libavcodec59 libavutil57                # hardware H.264 (NVENC, VAAPI, QSV) through libavcodec (docs/host.md, D30)
  clang zlib1g-dev libclang-rt-14-dev     # Native AOT publishing (make lambdas) and the libFuzzer driver (make fuzz)
  fonts-dejavu-core                       # text in screenshots
  iproute2 iptables                       # network namespace tests: ip, tc (tbf/netem shaping), the ICE-TCP test's UDP filter
  lld gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross # Native AOT for linux-arm64 (the relay image)
  libcap2-bin qemu-user                   # the relay image: setcap (port 443 as non-root), the arm64 relay's start check
  tshark                                  # Wireshark's decoder, an independent reader of our transport-cc feedback
)
[ "${1:-}" = bench ] && APT+=(janus)

command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH; install the SDK named in global.json first"
command -v dpkg-query >/dev/null || die "this script installs Debian packages and needs dpkg/apt-get (Debian or Ubuntu)"

installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${APT[@]}" 2>/dev/null || true)"
need_apt=()
for p in "${APT[@]}"; do
  grep -qx "ii  $p" <<<"$installed" || need_apt+=("$p")
done
command -v npm >/dev/null || need_apt+=(nodejs npm)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-deps: apt packages: ${need_apt[*]}"
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=300 || die "apt-get update failed (is a Debian mirror reachable?)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
    "${need_apt[@]}" >/dev/null || die "apt-get install ${need_apt[*]} failed; see the messages above"
  # Under systemd the package starts a registry service on :5000; the tests run their own on a free port.
  if [[ " ${need_apt[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi

# Shaped links in the network namespace tests (tests/Lilium.Testing/Netns): tc's tbf and netem. Built in on some kernels,
# modules on others (Ubuntu ships sch_netem in linux-modules-extra); load them when they exist, say so when they do not.
if [ "$(id -u)" = 0 ] && command -v modprobe >/dev/null 2>&1 && [ -d "/lib/modules/$(uname -r)" ]; then
  for m in sch_tbf sch_netem; do
    modprobe -q "$m" 2>/dev/null || echo "install-deps: kernel module $m is not available (network namespace tests that shape links with it will fail)"
  done
fi

# Python tools on the PATH's python3: the AWS endpoint (moto), the AWS CLI, cfn-lint; boto3 comes with moto.
pip_install() { python3 -m pip install -q "$@" || die "pip install $* failed"; }
if ! command -v moto_server >/dev/null 2>&1; then
  # scripts/moto_local.py patches moto's CloudFormation models and is written against 5.2.1.
  echo "install-deps: pip moto[server]==5.2.1"
  python3 -m pip install -q 'moto[server]==5.2.1' || pip_install 'moto[server]'
fi
if ! command -v aws >/dev/null 2>&1; then echo "install-deps: pip awscli"; pip_install awscli; fi
if ! command -v cfn-lint >/dev/null 2>&1; then echo "install-deps: pip cfn-lint"; pip_install cfn-lint; fi

# npm packages: the pinned aws-cdk CLI at the root, and the JavaScript SDK's dev dependencies when it has any.
# `npm ci` runs when node_modules is missing or older than the lock file.
npm_ci() { # folder
  local dir="$1"
  [ -f "$dir/package.json" ] || return 0
  if [ ! -f "$dir/package-lock.json" ] && ! grep -qE '"(dev)?[dD]ependencies"' "$dir/package.json"; then return 0; fi
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return 0
  fi
  local where="${dir#"$ROOT"}"; where="${where#/}"
  echo "install-deps: npm ${where:-at the root (the aws-cdk CLI)}"
  local cmd=ci; [ -f "$dir/package-lock.json" ] || cmd=install
  (cd "$dir" && npm "$cmd" --no-audit --no-fund --loglevel=error) || die "npm $cmd in $dir failed"
}
npm_ci "$ROOT"
[ -x "$ROOT/node_modules/.bin/cdk" ] || [ ! -f "$ROOT/package.json" ] || die "npm ci did not install the cdk CLI"
npm_ci "$ROOT/client-sdk/js"
echo "install-deps: ok"
