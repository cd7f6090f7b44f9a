#!/usr/bin/env bash
# make cost: synthesize the stack in each mode (active, paused, minimal) and price the templates' billable resources
# with the dated table bench/cost/prices.json -> bench/results/cost.json and docs/costs.md. No AWS account needed.
# The Lambda bundles do not change the price: placeholders stand in for them (no `make lambdas` needed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
work=.local/cost
rm -rf "$work"; mkdir -p "$work/bundles/api" "$work/bundles/signaling"
printf '#!/bin/sh\n' > "$work/bundles/api/bootstrap"; printf '#!/bin/sh\n' > "$work/bundles/signaling/bootstrap"
[ -d node_modules/aws-cdk ] || npm ci --no-audit --no-fund >/dev/null
export CDK_DISABLE_VERSION_CHECK=1 JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
dotnet build infra/Lilium.Infra -c "${CONFIG:-Release}" --nologo -v q >&2
account="${CDK_DEFAULT_ACCOUNT:-123456789012}" region="${CDK_DEFAULT_REGION:-us-east-1}"
# The VPC asks the account for its availability zones (a context lookup, which needs AWS credentials); the price does
# not depend on their names, so the synthesis gets three from a context file of its own instead of calling AWS.
printf '{"availability-zones:account=%s:region=%s": ["%sa", "%sb", "%sc"]}\n' "$account" "$region" "$region" "$region" "$region" \
  > "$work/cdk.context.json"
(cd "$work" && CDK_DEFAULT_ACCOUNT="$account" CDK_DEFAULT_REGION="$region" \
  npx --no-install cdk synth --quiet --no-notices --no-version-reporting -o cdk.out \
  --app "dotnet $ROOT/infra/Lilium.Infra/bin/${CONFIG:-Release}/net10.0/Lilium.Infra.dll" \
  -c costModes=true -c "apiBundle=$ROOT/$work/bundles/api" -c "signalingBundle=$ROOT/$work/bundles/signaling" >&2)
dotnet run --project infra/Lilium.Ops -c "${CONFIG:-Release}" -- cost --templates "$work/cdk.out" --json bench/results/cost.json --doc docs/costs.md
