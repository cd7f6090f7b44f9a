#!/usr/bin/env bash
# Runs the whole test suite against the local topology (private Postgres, the :4566 AWS
# endpoint) and closes with the failed tests (name and first lines of the error, so a CI log
# tail names them) and one line: "tests: N passed, N failed, N skipped".
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p .local
bash scripts/pg.sh ensure >/dev/null || exit 1
bash scripts/aws-endpoint.sh ensure >/dev/null || exit 1
log=.local/test.log
dotnet test Infra.sln -c Release --nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# dotnet test's console logger prints "  Failed <test> [time]" then "  Error Message:" lines.
awk '/^  Failed [^!]/ { n++; show=8; print "FAILED:" substr($0, 9); next }
     show > 0 && !/^  Stack Trace:/ { print "  " $0; show--; next }
     /^  Stack Trace:/ { show=0 }
     END { if (n) printf "%d failed test(s) listed above\n", n }' "$log"
awk '/(Passed|Failed)!/ { for (i=1;i<=NF;i++) { if ($i=="Failed:") f+=$(i+1); if ($i=="Passed:") p+=$(i+1); if ($i=="Skipped:") s+=$(i+1) } }
     END { gsub(",","",p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $rc
