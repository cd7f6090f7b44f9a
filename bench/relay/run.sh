#!/usr/bin/env bash
# make bench-relay: the relay (Release) on CPU 0, this synthetic SRTP load generator on CPU 1; steps of WHEP
# subscribers on one ~250 packets/s publisher; then the same steps through the floor (a do-nothing forwarder)
# and Janus's VideoRoom (Debian's janus, installed here when missing) on the same core. Writes
# bench/results/relay.json. BENCH_RELAY_STEPS (comma list), BENCH_RELAY_SECONDS (per step), BENCH_RELAY_FLOOR
# (on|off) and BENCH_RELAY_JANUS (on|off|auto) override the defaults. Towards our relay the publisher sends three
# simulcast layers (BENCH_RELAY_SIMULCAST=off: the full layer alone) and the subscribers send transport-wide CC
# feedback every 50 ms (BENCH_RELAY_TWCC=off: none), so the relay chooses a layer per subscriber. BENCH_RELAY_BIN runs
# another relay build: a published executable (artifacts/relay-aot/Lilium.Relay, the Native AOT build that ships) or a dll.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
janus="${BENCH_RELAY_JANUS:-auto}"
if [ "$janus" != off ] && [ ! -x /usr/bin/janus ]; then
  bash scripts/install-deps.sh bench >&2 || echo "bench-relay: could not install janus; measuring without it" >&2
fi
dotnet build media-relay/Lilium.Relay -c Release --nologo -v q >&2
dotnet build bench/relay/Lilium.Bench.Relay -c Release --nologo -v q >&2
pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin=(taskset -c 1); fi
"${pin[@]}" dotnet bench/relay/Lilium.Bench.Relay/bin/Release/net10.0/Lilium.Bench.Relay.dll \
  --steps "${BENCH_RELAY_STEPS:-50,100,175,250,350,500,750,1000,1250,1500}" --seconds "${BENCH_RELAY_SECONDS:-5}" \
  --relay-cpu 0 --floor "${BENCH_RELAY_FLOOR:-on}" --janus "$janus" --out "$ROOT/bench/results/relay.json" \
  --relay "${BENCH_RELAY_BIN:-media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll}"
