#!/usr/bin/env bash
# make demo: two users registered, befriended, chatting end to end, one hosting a test pattern, the other receiving
# frames, input granted and revoked, printed as a transcript (`lilium demo`). Uses the stack of `make run` if it is up,
# else starts it for the demo and stops it afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
API="${LILIUM_API_URL:-http://127.0.0.1:5080/}"
started=""
if ! curl -fs -o /dev/null --max-time 2 "${API%/}/health"; then
  echo "==> starting the local stack (make run) for the demo; log: .local/logs/demo-stack.log"
  mkdir -p .local/logs
  setsid bash scripts/run-local.sh > .local/logs/demo-stack.log 2>&1 &
  started=$!
  trap 'kill -TERM -- -$started 2>/dev/null || true; wait $started 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do
    grep -q "LiliumShare is running" .local/logs/demo-stack.log 2>/dev/null && break
    if ! kill -0 "$started" 2>/dev/null; then cat .local/logs/demo-stack.log; echo "the stack did not start" >&2; exit 1; fi
    sleep 0.5
  done
fi
dotnet build client-sdk/Lilium.Cli -c Release --nologo -v q -clp:ErrorsOnly
echo
dotnet client-sdk/Lilium.Cli/bin/Release/net10.0/lilium.dll demo
