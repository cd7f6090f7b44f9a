#!/usr/bin/env bash
# make run: the whole LiliumShare stack on this machine, on embedded defaults.
#   Postgres (private cluster, .local/pg)   the :4566 AWS endpoint (LocalStack or moto)
#   REST API + the web app on :5080          WebSocket gateway + signaling on :5081 (when built)
#   media relay: HTTP :8080, UDP :7882
# Ctrl-C stops everything it started (the database and the AWS endpoint keep running; `make db-stop`).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p .local/logs
API_PORT="${API_PORT:-5080}"
GATEWAY_PORT="${GATEWAY_PORT:-5081}"
RELAY_HTTP_PORT="${RELAY_HTTP_PORT:-8080}"
RELAY_UDP_PORT="${RELAY_UDP_PORT:-7882}"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

step "database";      export DATABASE_URL="${DATABASE_URL:-$(bash scripts/pg.sh ensure)}"
step "AWS endpoint";  export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-$(bash scripts/aws-endpoint.sh ensure)}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

# Signing keys persist across runs, so tokens and grants survive a restart.
KEYS=.local/token-keys.json
if [ ! -s "$KEYS" ]; then
  python3 -c 'import base64, json, os; print(json.dumps({k: base64.b64encode(os.urandom(32)).decode() for k in ("accessKey", "refreshKey", "relayKey")}))' > "$KEYS"
  chmod 600 "$KEYS"
fi
export TOKEN_KEYS="$(cat "$KEYS")"
export RELAY_PUBLIC_URL="http://127.0.0.1:$RELAY_HTTP_PORT"
export RELAY_URL="$RELAY_PUBLIC_URL/"
export CONNECTIONS_TABLE="${CONNECTIONS_TABLE:-lilium-connections}"

step "build"
dotnet build Infra.sln -c Release --nologo -v q -clp:ErrorsOnly
bin() { echo "$ROOT/$1/bin/Release/net10.0/$(basename "$1").dll"; }

step "migrate"
dotnet "$(bin functions/Lilium.Api)" migrate

pids=()
cleanup() {
  trap - INT TERM EXIT
  step "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit 0
}
trap cleanup INT TERM EXIT

start() { # name, log, command...
  local name="$1" log=".local/logs/$1.log"; shift
  "$@" > "$log" 2>&1 &
  pids+=($!)
  echo "    $name (pid $!, log $log)"
}

step "web app"
bash scripts/build-web.sh

step "start"
# The API serves the web app and forwards /ws, /whip and /whep to the gateway and the relay: one origin, as on AWS.
APP_URL="http://127.0.0.1:$API_PORT"
ASPNETCORE_URLS="$APP_URL" WEB_ROOT="$ROOT/client-sdk/web/dist" \
  WEB_PROXY_SIGNALING="ws://127.0.0.1:$GATEWAY_PORT/local" WEB_PROXY_RELAY="http://127.0.0.1:$RELAY_HTTP_PORT/" \
  start api dotnet "$(bin functions/Lilium.Api)"
ASPNETCORE_URLS="http://127.0.0.1:$RELAY_HTTP_PORT" RELAY_MEDIA_PORT="$RELAY_UDP_PORT" RELAY_BIND_ADDRESS=127.0.0.1 RELAY_PUBLIC_IP=127.0.0.1 \
  RELAY_ALLOWED_ORIGINS="$APP_URL" start relay dotnet "$(bin media-relay/Lilium.Relay)"
HAS_GATEWAY=0
if [ -f functions/Lilium.LocalGateway/Lilium.LocalGateway.csproj ]; then
  HAS_GATEWAY=1
  LOCAL_GATEWAY_PORT="$GATEWAY_PORT" start gateway dotnet "$(bin functions/Lilium.LocalGateway)"
fi

wait_http() { # name url
  for _ in $(seq 1 120); do
    if curl -fs -o /dev/null --max-time 1 "$2"; then echo "    $1 ready"; return 0; fi
    sleep 0.25
  done
  echo "    $1 did not become ready; see .local/logs/$1.log" >&2; return 1
}
wait_http api "http://127.0.0.1:$API_PORT/health"
wait_tcp() { # name port
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then echo "    $1 ready"; return 0; fi
    sleep 0.25
  done
  echo "    $1 did not become ready; see .local/logs/$1.log" >&2; return 1
}
if [ "$HAS_GATEWAY" = 1 ]; then wait_tcp gateway "$GATEWAY_PORT"; fi
wait_http relay "http://127.0.0.1:$RELAY_HTTP_PORT/health"

cat <<TXT

LiliumShare is running.
  Web app       $APP_URL/        (open it in Chromium, Chrome, Edge or Firefox)
  REST API      http://127.0.0.1:$API_PORT        (OpenAPI: /openapi/v1.json)
  WebSocket     $( [ "$HAS_GATEWAY" = 1 ] && echo "ws://127.0.0.1:$GATEWAY_PORT/local?token=<access token>  (API Gateway-compatible local gateway)" || echo "(signaling not built yet)")
  Media relay   http://127.0.0.1:$RELAY_HTTP_PORT  (WHIP /whip/{session}, WHEP /whep/{session}; UDP $RELAY_UDP_PORT)
  Postgres      $DATABASE_URL
  AWS endpoint  $AWS_ENDPOINT_URL

Try it: curl http://127.0.0.1:$API_PORT/health ; curl http://127.0.0.1:$RELAY_HTTP_PORT/metrics
Logs are in .local/logs/. Ctrl-C stops the stack.
TXT
wait -n "${pids[@]}" || true
echo "a component exited; see .local/logs/" >&2
