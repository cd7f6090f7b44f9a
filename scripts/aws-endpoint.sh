#!/usr/bin/env bash
# The LocalStack-compatible AWS endpoint. Uses LOCALSTACK_ENDPOINT (default http://localhost:4566)
# when something already answers there (LocalStack or moto); otherwise starts moto_server on it, through
# scripts/moto_local.py, which adds the CloudFormation models moto lacks for `make deploy-local`.
#   scripts/aws-endpoint.sh ensure | status | stop | url
# moto runs in a session of its own (setsid), so a Ctrl-C meant for a command that started it does not reach it;
# `stop` ends the one this checkout started.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENDPOINT="${LOCALSTACK_ENDPOINT:-http://localhost:4566}"
HOSTPORT="${ENDPOINT#*://}"; HOSTPORT="${HOSTPORT%%/*}"
PORT="${HOSTPORT##*:}"
LOG="$ROOT/.local/moto.log"

up() { curl -s -o /dev/null --max-time 2 "$ENDPOINT/moto-api/" || curl -s -o /dev/null --max-time 2 "$ENDPOINT/_localstack/health"; }

case "${1:-ensure}" in
  ensure)
    if up; then echo "$ENDPOINT"; exit 0; fi
    command -v moto_server >/dev/null || { echo "aws-endpoint.sh: moto_server not found (bash scripts/install-deps.sh installs it)" >&2; exit 1; }
    mkdir -p "$ROOT/.local"
    if python3 -c 'import moto.server' 2>/dev/null; then
      setsid python3 "$ROOT/scripts/moto_local.py" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 < /dev/null &
    else
      setsid moto_server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 < /dev/null &
    fi
    echo $! > "$ROOT/.local/moto.pid"
    for _ in $(seq 1 120); do up && break; sleep 0.25; done
    up || { echo "aws-endpoint.sh: moto_server did not start; see $LOG" >&2; exit 1; }
    echo "$ENDPOINT" ;;
  status) if up; then echo "answering at $ENDPOINT"; else echo "not answering at $ENDPOINT"; exit 3; fi ;;
  stop)
    if [ -f "$ROOT/.local/moto.pid" ]; then
      pid="$(cat "$ROOT/.local/moto.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$ROOT/.local/moto.pid" ;;
  url) echo "$ENDPOINT" ;;
  *) echo "usage: $0 ensure|status|stop|url" >&2; exit 2 ;;
esac
