#!/usr/bin/env bash
# cdk bootstrap + deploy (or destroy) against the LocalStack-compatible endpoint (LocalStack if it answers on
# LOCALSTACK_ENDPOINT, else moto_server started here). Dummy credentials; the aws-cdk CLI's SDK calls are redirected
# by scripts/cdk-local-endpoint.cjs. Usage: scripts/deploy-local.sh deploy|destroy [STACK_NAME]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
action="${1:-deploy}"
stack="${2:-${LILIUM_STACK:-LiliumShare}}"
export LOCALSTACK_ENDPOINT="${LOCALSTACK_ENDPOINT:-http://localhost:4566}"
bash scripts/aws-endpoint.sh ensure >/dev/null
# A plain moto_server lacks the CloudFormation models the stack needs (scripts/moto_local.py adds them): say so
# up front instead of failing half-way through the deploy.
if ! curl -sf -o /dev/null "$LOCALSTACK_ENDPOINT/_localstack/health"; then
  port="${LOCALSTACK_ENDPOINT##*:}"; port="${port%%/*}"
  pid="$(pgrep -f "moto_local.py .*-p $port" | head -n 1 || true)"
  if [ -z "$pid" ]; then
    echo "deploy-local.sh: $LOCALSTACK_ENDPOINT is neither LocalStack nor scripts/moto_local.py (a plain moto_server?)." >&2
    echo "  Stop it (e.g. pkill -f moto_server) and rerun: scripts/aws-endpoint.sh will start moto_local.py there." >&2
    exit 3
  fi
  # moto_local.py's fixes take effect when moto starts: say so when the running one serves other or older code.
  script="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -m1 'moto_local.py$' || true)"
  started="$(date -d "$(ps -o lstart= -p "$pid")" +%s 2>/dev/null || echo 0)"
  if [ -n "$script" ] && { ! cmp -s "$script" scripts/moto_local.py || [ "$(stat -c %Y "$script" 2>/dev/null || echo 0)" -gt "$started" ]; }; then
    echo "deploy-local.sh: warning: the moto on $LOCALSTACK_ENDPOINT (pid $pid, $script) was started before scripts/moto_local.py" \
      "took its current form; the deploy may meet moto bugs fixed since. Restart it when nothing else uses it:" \
      "bash scripts/aws-endpoint.sh stop (in the checkout that started it), then rerun." >&2
  fi
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export AWS_ENDPOINT_URL="$LOCALSTACK_ENDPOINT"   # for our own clients (Lilium.Ops) and the aws CLI
export NODE_OPTIONS="--require $ROOT/scripts/cdk-local-endpoint.cjs ${NODE_OPTIONS:-}"
export CDK_DISABLE_VERSION_CHECK=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
account="$(aws sts get-caller-identity --query Account --output text)"
[ -d node_modules/aws-cdk ] || npm ci --no-audit --no-fund >/dev/null
# LILIUM_MODE (active | paused | minimal; default active) is the stack's cost mode, as `make pause/resume` set it.
cdk=(npx --no-install cdk --no-notices --no-version-reporting --context "stackName=$stack" --context localEndpoint=true --context "mode=${LILIUM_MODE:-active}")
case "$action" in
  deploy)
    [ -f artifacts/lambda/api/bootstrap ] && [ -f artifacts/lambda/signaling/bootstrap ] || bash scripts/publish-lambdas.sh artifacts/lambda >&2
    "${cdk[@]}" bootstrap "aws://$account/$AWS_REGION" >&2
    outputs=".local/deploy-local-$stack.json"
    "${cdk[@]}" deploy "$stack" --require-approval never --outputs-file "$outputs" >&2
    cat "$outputs" ;;
  destroy)
    "${cdk[@]}" destroy "$stack" --force >&2 ;;
  *) echo "usage: $0 deploy|destroy [STACK_NAME]" >&2; exit 2 ;;
esac
