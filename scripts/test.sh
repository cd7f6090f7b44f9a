#!/usr/bin/env bash
# Runs the whole test suite against the local topology (private Postgres, the :4566 AWS
# endpoint) and prints one closing line: "tests: N passed, N failed, N skipped".
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p .local
bash scripts/pg.sh ensure >/dev/null || exit 1
bash scripts/aws-endpoint.sh ensure >/dev/null || exit 1
log=.local/test.log
dotnet test Infra.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
awk '/(Passed|Failed)!/ { for (i=1;i<=NF;i++) { if ($i=="Failed:") f+=$(i+1); if ($i=="Passed:") p+=$(i+1); if ($i=="Skipped:") s+=$(i+1) } }
     END { gsub(",","",p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $rc
