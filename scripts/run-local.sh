#!/usr/bin/env bash
# make run: the whole LiliumShare stack on this machine, on embedded defaults.
#   Postgres (private cluster, scripts/pg.sh)  the :4566 AWS endpoint (LocalStack or moto)
#   REST API + the web app on :5080            WebSocket gateway + signaling on :5081 (when built)
#   media relays under the local supervisor (media-relay/Lilium.RelaySupervisor): its load balancer on :8080 is the one
#   relay URL; it runs as many relays as the ECS service lilium-local/relay on the AWS endpoint desires (0 at first:
#   the control plane raises it when a session needs a relay), relay N on HTTP 18080+N and UDP 7882+N.
# API_PORT, GATEWAY_PORT, RELAY_HTTP_PORT (the load balancer), RELAY_UDP_PORT (the relays' UDP base),
# RELAY_HTTP_PORT_BASE, LILIUM_PG_PORT and LOCALSTACK_ENDPOINT move them; RELAY_COMMAND picks the relay build (default
# the JIT build's Lilium.Relay.dll; artifacts/relay-aot/Lilium.Relay for the Native AOT one), RELAY_DESIRED starts
# with that many relays.
# Ctrl-C (or SIGTERM) stops every process it started: each component runs in a process group of its own, which
# is signalled whole; the database and the AWS endpoint are stopped too when this run started them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p .local/logs
API_PORT="${API_PORT:-5080}"
GATEWAY_PORT="${GATEWAY_PORT:-5081}"
RELAY_HTTP_PORT="${RELAY_HTTP_PORT:-8080}"
RELAY_UDP_PORT="${RELAY_UDP_PORT:-7882}"
RELAY_HTTP_PORT_BASE="${RELAY_HTTP_PORT_BASE:-18080}"
# No build server or MSBuild node outlives the build below, so nothing of this run lingers after it stops.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "run-local: $*" >&2; exit 1; }

pgids=()            # the process groups of the components
stop_db=0; stop_aws=0
cleanup() {
  local rc=$?
  trap - INT TERM EXIT
  step "stopping"
  for g in "${pgids[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for _ in $(seq 1 40); do
    local alive=0
    for g in "${pgids[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  [ "$stop_aws" = 1 ] && bash scripts/aws-endpoint.sh stop || true
  [ "$stop_db" = 1 ] && bash scripts/pg.sh stop || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "database"
if [ -z "${DATABASE_URL:-}" ]; then
  bash scripts/pg.sh status >/dev/null 2>&1 || stop_db=1
  DATABASE_URL="$(bash scripts/pg.sh ensure)" || die "the database did not start (messages above)"
fi
export DATABASE_URL
step "AWS endpoint"
if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  bash scripts/aws-endpoint.sh status >/dev/null 2>&1 || stop_aws=1
  AWS_ENDPOINT_URL="$(bash scripts/aws-endpoint.sh ensure)" || die "the AWS endpoint did not start (messages above)"
fi
export AWS_ENDPOINT_URL
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"

# Signing keys persist across runs, so tokens and grants survive a restart.
KEYS=.local/token-keys.json
if [ ! -s "$KEYS" ]; then
  python3 -c 'import base64, json, os; print(json.dumps({k: base64.b64encode(os.urandom(32)).decode() for k in ("accessKey", "refreshKey", "relayKey")}))' > "$KEYS"
  chmod 600 "$KEYS"
fi
TOKEN_KEYS="$(cat "$KEYS")"
export TOKEN_KEYS
export RELAY_PUBLIC_URL="http://127.0.0.1:$RELAY_HTTP_PORT"
export RELAY_URL="$RELAY_PUBLIC_URL/"
export CONNECTIONS_TABLE="${CONNECTIONS_TABLE:-lilium-connections}"
# The relay fleet (docs/relay.md, "The fleet"): the ECS service the control plane scales and the supervisor follows.
export RELAY_CLUSTER="${RELAY_CLUSTER:-lilium-local}" RELAY_SERVICE="${RELAY_SERVICE:-relay}"
export RELAY_START_ESTIMATE_S="${RELAY_START_ESTIMATE_S:-5}"

step "build"
dotnet build Infra.sln -c Release --nologo -v q -clp:ErrorsOnly || die "the build failed (errors above)"
bin() { echo "$ROOT/$1/bin/Release/net10.0/$(basename "$1").dll"; }

step "migrate"
dotnet "$(bin functions/Lilium.Api)" migrate || die "the migrations failed against $DATABASE_URL (messages above)"

pids=()
start() { # name, command... — in a new session, so its process group is its own and Ctrl-C reaches it only through cleanup
  local name="$1" log=".local/logs/$1.log"; shift
  setsid "$@" > "$log" 2>&1 < /dev/null &
  pids+=($!); pgids+=($!)
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
# The relays get the relay key alone (never the keys that sign users' tokens; docs/security.md): the supervisor passes
# its environment on to each relay it starts.
RELAY_KEY="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["relayKey"])' "$KEYS")" \
RELAY_CONTROL_PLANE_URL="http://127.0.0.1:$API_PORT/" RELAY_ALLOWED_ORIGINS="$APP_URL" \
RELAY_COMMAND="${RELAY_COMMAND:-$(bin media-relay/Lilium.Relay)}" SUPERVISOR_PORT="$RELAY_HTTP_PORT" \
SUPERVISOR_HTTP_PORT_BASE="$RELAY_HTTP_PORT_BASE" SUPERVISOR_UDP_PORT_BASE="$RELAY_UDP_PORT" SUPERVISOR_LOG_DIR="$ROOT/.local/logs" \
SUPERVISOR_INITIAL_DESIRED="${RELAY_DESIRED:-}" \
  start relays dotnet "$(bin media-relay/Lilium.RelaySupervisor)"
HAS_GATEWAY=0
if [ -f functions/Lilium.LocalGateway/Lilium.LocalGateway.csproj ]; then
  HAS_GATEWAY=1
  # The sweep runs the fleet tick (placement, failover, idle scale-in) every second here.
  LOCAL_GATEWAY_PORT="$GATEWAY_PORT" SWEEP_INTERVAL_SECONDS="${SWEEP_INTERVAL_SECONDS:-1}" start gateway dotnet "$(bin functions/Lilium.LocalGateway)"
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
wait_http relays "http://127.0.0.1:$RELAY_HTTP_PORT/_supervisor/status"

cat <<TXT

LiliumShare is running.
  Web app       $APP_URL/        (open it in Chromium, Chrome, Edge or Firefox)
  REST API      http://127.0.0.1:$API_PORT        (OpenAPI: /openapi/v1.json)
  WebSocket     $( [ "$HAS_GATEWAY" = 1 ] && echo "ws://127.0.0.1:$GATEWAY_PORT/local?token=<access token>  (API Gateway-compatible local gateway)" || echo "(signaling not built yet)")
  Media relays  http://127.0.0.1:$RELAY_HTTP_PORT  (WHIP /whip/{session}, WHEP /whep/{session}: the supervisor's load balancer;
                relays start on demand, ECS service $RELAY_CLUSTER/$RELAY_SERVICE; list: /_supervisor/status)
  Postgres      $DATABASE_URL
  AWS endpoint  $AWS_ENDPOINT_URL

Try it: curl http://127.0.0.1:$API_PORT/health ; curl http://127.0.0.1:$RELAY_HTTP_PORT/_supervisor/status
Logs are in .local/logs/. Ctrl-C stops the stack.
TXT
set +e
wait -n "${pids[@]}"
echo "a component exited; see .local/logs/" >&2
exit 1
