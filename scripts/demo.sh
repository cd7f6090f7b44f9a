#!/usr/bin/env bash
# make demo: two users registered, befriended, chatting end to end, one hosting a test pattern, the other receiving
# frames, input granted and revoked, printed as a transcript (`lilium demo`). Uses the stack of `make run` if it is up,
# else starts it for the demo and stops it afterwards. API_PORT, GATEWAY_PORT, RELAY_HTTP_PORT and RELAY_UDP_PORT move
# the stack as they do for `make run` (or LILIUM_API_URL / LILIUM_WS_URL / LILIUM_RELAY_URL name another one).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
die() { echo "demo: $*" >&2; exit 1; }
command -v ffmpeg >/dev/null || die "ffmpeg is not installed (bash scripts/install-deps.sh installs it)"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false
export LILIUM_API_URL="${LILIUM_API_URL:-http://127.0.0.1:${API_PORT:-5080}/}"
export LILIUM_WS_URL="${LILIUM_WS_URL:-ws://127.0.0.1:${GATEWAY_PORT:-5081}/local}"
if [ -n "${RELAY_HTTP_PORT:-}" ]; then export LILIUM_RELAY_URL="${LILIUM_RELAY_URL:-http://127.0.0.1:$RELAY_HTTP_PORT/}"; fi
started=""
if ! curl -fs -o /dev/null --max-time 2 "${LILIUM_API_URL%/}/health"; then
  # Build here, in the foreground, so its progress and errors show; the stack's own build is then a no-op.
  echo "==> build"
  dotnet build Infra.sln -c Release --nologo -v q -clp:ErrorsOnly || die "the build failed (errors above)"
  echo "==> starting the local stack (make run) for the demo; log: .local/logs/demo-stack.log"
  mkdir -p .local/logs
  setsid bash scripts/run-local.sh > .local/logs/demo-stack.log 2>&1 < /dev/null &
  started=$!
  # run-local.sh stops what it started on SIGTERM; wait for that so nothing outlives the demo.
  trap 'kill -TERM -- -$started 2>/dev/null || true; wait $started 2>/dev/null || true' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for i in $(seq 1 3600); do
    grep -q "LiliumShare is running" .local/logs/demo-stack.log 2>/dev/null && break
    if ! kill -0 "$started" 2>/dev/null; then tail -n 30 .local/logs/demo-stack.log >&2; die "the stack did not start (log above)"; fi
    if [ $((i % 120)) = 0 ]; then echo "    still starting: $(grep -a '==>' .local/logs/demo-stack.log | tail -n 1 | tr -d '\033' | sed 's/\[[0-9;]*m//g')"; fi
    sleep 0.5
  done
  grep -q "LiliumShare is running" .local/logs/demo-stack.log || die "the stack did not start in 30 minutes; see .local/logs/demo-stack.log"
fi
dotnet build client-sdk/Lilium.Cli -c Release --nologo -v q -clp:ErrorsOnly || die "the CLI did not build (errors above)"
echo
dotnet client-sdk/Lilium.Cli/bin/Release/net10.0/lilium.dll demo
