#!/usr/bin/env bash
# Runs the tests and closes with the failed tests (name and first lines of the error, so a CI log tail names
# them) and one line: "tests: N passed, N failed, N skipped".
#   scripts/test.sh                      everything: the format check, every xunit test against the local topology
#                                        (private Postgres, the :4566 AWS endpoint, real peers), and the JavaScript
#                                        SDK's tests (client-sdk/js) when that package exists
#   scripts/test.sh --category Unit      only the xunit classes tagged [Trait("Category", "Unit")] (also Integration,
#                                        Interop, Browser, Desktop); no services are started for Unit
# Further arguments go to `dotnet test`.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p .local
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

category=""
if [ "${1:-}" = --category ]; then category="${2:?--category needs a name}"; shift 2; fi
started=$SECONDS
problems=()

# 1. Formatting (whole runs only): whitespace as .editorconfig says; code-style rules are enforced by the build.
if [ -z "$category" ]; then
  if ! dotnet format whitespace --folder . --verify-no-changes --exclude node_modules artifacts cdk.out .local \
      > .local/format.log 2>&1; then
    grep -E 'error WHITESPACE|error FINALNEWLINE|error CHARSET|error ENDOFLINE' .local/format.log | sed 's/^/  /' | head -n 20
    echo "format: the files above break .editorconfig; \`make format\` rewrites them"
    problems+=("format")
  fi
fi

# 2. Services the tests use (none for unit tests).
if [ "$category" != Unit ]; then
  bash scripts/pg.sh ensure >/dev/null || { echo "test: the private Postgres cluster did not start (see above)"; exit 1; }
  bash scripts/aws-endpoint.sh ensure >/dev/null || { echo "test: the AWS endpoint did not start (see above)"; exit 1; }
fi

# 3. xunit. A category run builds and runs only the test projects that have such classes (a solution filter).
target=Infra.sln
filter=()
if [ -n "$category" ]; then
  projects=()
  for dir in tests/*/; do
    grep -rqs --include='*.cs' "Trait(\"Category\", \"$category\")" "$dir" || continue
    for p in "$dir"*.csproj; do [ -f "$p" ] && projects+=("$p"); done
  done
  if [ ${#projects[@]} -eq 0 ]; then echo "test: no test class is tagged Category=$category"; echo "tests: 0 passed, 0 failed, 0 skipped"; exit 0; fi
  target=.local/tests-$category.slnf
  { printf '{ "solution": { "path": "../Infra.sln", "projects": ['
    sep=""; for p in "${projects[@]}"; do printf '%s"%s"' "$sep" "${p//\//\\\\}"; sep=", "; done
    printf '] } }\n'; } > "$target"
  filter=(--filter "Category=$category")
fi
log=.local/test.log
dotnet test "$target" -c Release --nologo "${filter[@]}" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || problems+=("dotnet test exited $rc")
# dotnet test's console logger prints "  Failed <test> [time]" then "  Error Message:" lines.
awk '/^  Failed [^!]/ { n++; show=8; print "FAILED:" substr($0, 9); next }
     show > 0 && !/^  Stack Trace:/ { print "  " $0; show--; next }
     /^  Stack Trace:/ { show=0 }
     END { if (n) printf "%d failed test(s) listed above\n", n }' "$log"
read -r passed failed skipped < <(awk '/(Passed|Failed)!/ { for (i=1;i<=NF;i++) { v=$(i+1); gsub(",","",v); if ($i=="Failed:") f+=v; if ($i=="Passed:") p+=v; if ($i=="Skipped:") s+=v } }
     END { printf "%d %d %d\n", p, f, s }' "$log")

# 4. The JavaScript SDK's tests (node's built-in runner), when the package exists; whole runs only.
if [ -z "$category" ] && [ -f client-sdk/js/package.json ]; then
  echo "==> client-sdk/js: npm test"
  npm --prefix client-sdk/js test 2>&1 | tee .local/test-js.log
  js_rc=${PIPESTATUS[0]}
  # node --test closes with "# pass N" / "# fail N" / "# skipped N" (TAP) or "ℹ pass N" (spec reporter).
  read -r jp jf js < <(awk '/^(# |ℹ )(pass|fail|cancelled|skipped) [0-9]+$/ { n=$NF; if ($2=="pass") p+=n; if ($2=="fail" || $2=="cancelled") f+=n; if ($2=="skipped") s+=n }
       END { printf "%d %d %d\n", p, f, s }' .local/test-js.log)
  if [ "$js_rc" != 0 ] && [ "$jf" = 0 ]; then jf=1; fi   # a crash before any count still counts as a failure
  [ "$js_rc" = 0 ] || problems+=("client-sdk/js tests exited $js_rc")
  passed=$((passed + jp)); failed=$((failed + jf)); skipped=$((skipped + js))
fi

echo "test: ${category:-all} in $((SECONDS - started)) s${problems[*]:+; problems: ${problems[*]}}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ ${#problems[@]} -eq 0 ]
