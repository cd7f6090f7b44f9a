#!/usr/bin/env bash
# Coverage-guided fuzzing of our parsers (docs/fuzzing.md): SharpFuzz-instrumented assemblies driven
# by libFuzzer through fuzz/driver/libfuzzer-dotnet.c, one run per target, results as JSON.
#
#   fuzz/run.sh [--runs N | --seconds S] [--targets "stun rtp ..."] [--out FILE] [--crash-dir DIR]
#               [--jobs J] [--no-build] [--config Release] [--work DIR]
#
# Defaults: FUZZ_RUNS=1000000 executions per target (or FUZZ_SECONDS per target, when set), every
# target, FUZZ_JOBS=1 target at a time, out bench/results/fuzz.json, crashes fuzz/crashes/<target>/.
# FUZZ_MAX_SECONDS (1800): a target that has not reached its runs by then stops there (the JSON says so).
# FUZZ_TIMEOUT (10 s): an input running longer is a hang. FUZZ_NICE (19): the niceness of the run.
# --work (FUZZ_WORK, default .local/fuzz/run): the instrumented copy, the growing corpora, logs.
# FUZZ_MERGE=1: keep the other targets' results already in the output file (to re-run some targets).
# A crash or hang stops libFuzzer; the run is restarted for what remains, so each is counted and saved.
# Installs what it lacks: clang and libclang-rt-dev (apt-get), the sharpfuzz tool (.local/fuzz/tools).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

RUNS="${FUZZ_RUNS:-1000000}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-}"
TARGETS="${FUZZ_TARGETS:-stun dtls rtp rtcp srtp sctp sdp input signaling}"
OUT="${FUZZ_OUT:-bench/results/fuzz.json}"
CRASH_DIR="${FUZZ_CRASH_DIR:-fuzz/crashes}"
JOBS="${FUZZ_JOBS:-1}"
MAX_SECONDS="${FUZZ_MAX_SECONDS:-1800}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
NICE="${FUZZ_NICE:-19}"
CONFIG="${CONFIG:-Release}"
WORK="${FUZZ_WORK:-$ROOT/.local/fuzz/run}"
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; SECONDS_PER_TARGET=""; shift 2 ;;
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --targets) TARGETS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --crash-dir) CRASH_DIR="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --config) CONFIG="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
  esac
done

TOOLS="$ROOT/.local/fuzz"
mkdir -p "$WORK" "$TOOLS" "$(dirname "$OUT")"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. Tools: clang + libFuzzer's runtime (Debian: clang, libclang-rt-dev), SharpFuzz's instrumenter.
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: apt packages: clang libclang-rt-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-dev >/dev/null
fi
SHARPFUZZ="$TOOLS/tools/sharpfuzz"
if [ ! -x "$SHARPFUZZ" ]; then
  dotnet tool install --tool-path "$TOOLS/tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# 2. The driver (not instrumented itself: libFuzzer sees only the target's edges).
DRIVER="$TOOLS/libfuzzer-dotnet"
if [ ! -x "$DRIVER" ] || [ fuzz/driver/libfuzzer-dotnet.c -nt "$DRIVER" ]; then
  clang -O2 -Wall -Wextra -Werror -c fuzz/driver/libfuzzer-dotnet.c -o "$WORK/libfuzzer-dotnet.o"
  clang -fsanitize=fuzzer "$WORK/libfuzzer-dotnet.o" -o "$WORK/libfuzzer-dotnet"
  mv -f "$WORK/libfuzzer-dotnet" "$DRIVER" # atomic: another run may be using it
fi

# 3. The harness, copied and instrumented: our assemblies only (not the harness, SharpFuzz, BouncyCastle or System.*).
HARNESS_OUT="fuzz/Lilium.Fuzz/bin/$CONFIG/net10.0"
if [ "$BUILD" = 1 ]; then
  dotnet build fuzz/Lilium.Fuzz/Lilium.Fuzz.csproj -c "$CONFIG" --nologo -v quiet >/dev/null
fi
[ -f "$HARNESS_OUT/Lilium.Fuzz.dll" ] || { echo "fuzz: $HARNESS_OUT/Lilium.Fuzz.dll missing (build fuzz/Lilium.Fuzz)" >&2; exit 1; }
BIN="$WORK/bin.$$"
rm -rf "$BIN"; cp -r "$HARNESS_OUT" "$BIN"
trap 'rm -rf "$BIN"' EXIT
for dll in Lilium.WebRtc.dll Lilium.Input.dll bootstrap.dll; do
  "$SHARPFUZZ" "$BIN/$dll" >/dev/null
done

max_len() { case "$1" in sdp) echo 16384 ;; signaling) echo 8192 ;; *) echo 2048 ;; esac; }

# 4. One target: libFuzzer until the runs (or seconds) are used up, restarted after each crash or hang.
fuzz_target() {
  local t="$1" corpus="$WORK/corpus/$1" crashes="$CRASH_DIR/$1" stats="$WORK/$1.stats.json" log="$WORK/$1.log"
  mkdir -p "$corpus" "$crashes"
  local execs=0 edges=0 crash=0 hang=0 segments=0 start end budget rc e c before_c before_h
  start=$(date +%s.%N)
  : > "$log"
  while [ $segments -lt 50 ]; do
    if [ -n "$SECONDS_PER_TARGET" ]; then
      budget=$(python3 -c "import time; print(int($SECONDS_PER_TARGET - (time.time() - $start)))")
      [ "$budget" -ge 1 ] || break
      limit=(-max_total_time="$budget")
    else
      budget=$((RUNS - execs))
      cap=$(python3 -c "import time; print(int($MAX_SECONDS - (time.time() - $start)))")
      [ "$budget" -ge 1 ] && [ "$cap" -ge 1 ] || break
      limit=(-runs="$budget" -max_total_time="$cap")
    fi
    segments=$((segments + 1))
    before_c=$(find "$crashes" -name 'crash-*' | wc -l)
    before_h=$(find "$crashes" -name 'timeout-*' | wc -l)
    rm -f "$stats"
    set +e
    nice -n "$NICE" "$DRIVER" "${limit[@]}" -timeout="$TIMEOUT" -max_len="$(max_len "$t")" -print_final_stats=1 \
      -artifact_prefix="$crashes/" --stats_file="$stats" \
      --target_path=dotnet --target_arg="$BIN/Lilium.Fuzz.dll" --target_arg="$t" "$corpus" "fuzz/corpus/$t" >>"$log" 2>&1
    rc=$?
    set -e
    read -r e c < <(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['executions'], d['coverage_edges'])" "$stats" 2>/dev/null || echo "0 0")
    execs=$((execs + e)); [ "$c" -gt "$edges" ] && edges=$c
    crash=$((crash + $(find "$crashes" -name 'crash-*' | wc -l) - before_c))
    hang=$((hang + $(find "$crashes" -name 'timeout-*' | wc -l) - before_h))
    if [ $rc -eq 0 ]; then
      [ -n "$SECONDS_PER_TARGET" ] || break
      continue
    fi
    if [ $((crash + hang)) -eq 0 ] || [ "$e" -eq 0 ]; then
      echo "fuzz: $t: libFuzzer failed (exit $rc) without a crash or hang; see $log" >&2
      tail -20 "$log" >&2
      return 1
    fi
  done
  end=$(date +%s.%N)
  if [ "$execs" -eq 0 ]; then
    echo "fuzz: $t: no input ran; see $log" >&2
    tail -20 "$log" >&2
    return 1
  fi
  python3 - "$WORK/result.$t.json" "$t" "$execs" "$crash" "$hang" "$edges" "$start" "$end" "$segments" <<'PY'
import json, sys
path, t, execs, crash, hang, edges, start, end, segments = sys.argv[1:]
seconds = float(end) - float(start)
json.dump({"executions": int(execs), "crashes": int(crash), "hangs": int(hang), "coverage_edges": int(edges),
           "seconds": round(seconds, 1), "execs_per_second": round(int(execs) / seconds) if seconds > 0 else 0,
           "libfuzzer_runs": int(segments)}, open(path, "w"))
PY
  echo "fuzz: $t: $(cat "$WORK/result.$t.json")"
}

# 5. The targets, JOBS at a time, then one JSON.
rm -f "$WORK"/result.*.json
failed=0
running=0
for t in $TARGETS; do
  fuzz_target "$t" &
  running=$((running + 1))
  if [ $running -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ $running -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done

python3 - "$OUT" "$WORK" "$TARGETS" "$RUNS" "$SECONDS_PER_TARGET" "$TIMEOUT" "$JOBS" "$MAX_SECONDS" "${FUZZ_MERGE:-0}" <<'PY'
import datetime, json, os, sys
out, work, targets, runs, seconds, timeout, jobs, cap, merge = sys.argv[1:]
results = json.load(open(out))["targets"] if merge == "1" and os.path.exists(out) else {}
for t in targets.split():
    p = os.path.join(work, f"result.{t}.json")
    if os.path.exists(p):
        results[t] = json.load(open(p))
doc = {
    "engine": "libFuzzer (clang 14) + SharpFuzz 2.3.0 instrumentation, fuzz/driver/libfuzzer-dotnet.c",
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "budget": {"seconds_per_target": int(seconds)} if seconds else {"executions_per_target": int(runs), "max_seconds_per_target": int(cap)},
    "hang_timeout_seconds": int(timeout),
    "jobs": int(jobs),
    "cpus": os.cpu_count(),
    "targets": results,
}
json.dump(doc, open(out, "w"), indent=2)
print(f"fuzz: wrote {out}")
PY
total_crashes=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(d['targets'][t]['crashes']+d['targets'][t]['hangs'] for t in sys.argv[2].split() if t in d['targets']))" "$OUT" "$TARGETS")
missing=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(' '.join(t for t in sys.argv[2].split() if t not in d['targets']))" "$OUT" "$TARGETS")
if [ -n "$missing" ]; then echo "fuzz: no result for: $missing" >&2; exit 1; fi
if [ "$failed" != 0 ]; then exit 1; fi
if [ "$total_crashes" != 0 ]; then echo "fuzz: $total_crashes crash(es)/hang(s); inputs under $CRASH_DIR/" >&2; exit 3; fi
