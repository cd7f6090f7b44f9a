#!/usr/bin/env bash
# The lilium command's size and start time: `lilium --help` wall time (process start -> exit), median of RUNS (10),
# for the Native AOT executable (make cli -> artifacts/cli/lilium) and the JIT build (dotnet lilium.dll), interleaved
# run by run so both see the same machine load, after one untimed warm-up each (page cache). Writes
# bench/results/cli.json. LILIUM_CLI_ARTIFACTS points at another AOT build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
AOT_DIR="${LILIUM_CLI_ARTIFACTS:-$ROOT/artifacts/cli}"
[ -x "$AOT_DIR/lilium" ] || bash "$ROOT/scripts/publish-cli.sh" "$AOT_DIR"
dotnet build "$ROOT/client-sdk/Lilium.Cli" -c Release --nologo -v q -clp:ErrorsOnly >&2
JIT_DLL="$ROOT/client-sdk/Lilium.Cli/bin/Release/net10.0/lilium.dll"
mkdir -p "$ROOT/bench/results"
python3 - "$AOT_DIR/lilium" "$JIT_DLL" "${RUNS:-10}" "$ROOT/bench/results/cli.json" <<'PY'
import json, os, statistics, subprocess, sys, time
aot, dll, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, NO_COLOR="1", DOTNET_CLI_TELEMETRY_OPTOUT="1")
cmds = {"aot": [aot, "--help"], "jit": ["dotnet", dll, "--help"]}
def once(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000
for cmd in cmds.values():
    once(cmd)
times = {k: [] for k in cmds}
for _ in range(runs):
    for k, cmd in cmds.items():
        times[k].append(once(cmd))
jit_files = [os.path.join(os.path.dirname(dll), f) for f in os.listdir(os.path.dirname(dll)) if f.endswith(".dll")]
result = {
    "cli_aot_mb": round(os.path.getsize(aot) / 1e6, 1),
    "cli_jit_app_mb": round(sum(os.path.getsize(f) for f in jit_files) / 1e6, 1),
    "cli_help_aot_ms_median": round(statistics.median(times["aot"]), 1),
    "cli_help_jit_ms_median": round(statistics.median(times["jit"]), 1),
    "cli_help_aot_ms": [round(t, 1) for t in times["aot"]],
    "cli_help_jit_ms": [round(t, 1) for t in times["jit"]],
    "runs": runs,
    "loadavg": round(os.getloadavg()[0], 2),
}
json.dump(result, open(out, "w"), indent=2)
PY
