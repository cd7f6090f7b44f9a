#!/usr/bin/env bash
# Builds the web app (client-sdk/web -> client-sdk/web/dist): npm ci when node_modules is missing or older than
# the lock file, then esbuild (which also bundles the TypeScript SDK from client-sdk/js/src). Used by make run,
# make test and make web; works on a fresh clone (needs node >= 20 and the npm registry).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/client-sdk/web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
