#!/usr/bin/env bash
# make bench-NAME -> bench/NAME/run.sh, which writes bench/results/NAME.json and prints it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:?usage: bench/run.sh NAME}"
script="$ROOT/bench/$name/run.sh"
[ -f "$script" ] || { echo "bench: no benchmark named '$name' yet ($script missing)" >&2; exit 2; }
mkdir -p "$ROOT/bench/results"
bash "$script"
echo "--- bench/results/$name.json"; cat "$ROOT/bench/results/$name.json"; echo
