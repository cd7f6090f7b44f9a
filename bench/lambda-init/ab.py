#!/usr/bin/env python3
"""Interleaved A/B of Lambda cold starts: ab.py BOOTSTRAP_A BOOTSTRAP_B [...] [-n ROUNDS] [--json OUT].

Each round starts every bootstrap once, in turn (the order rotates per round), against the same
Runtime API emulator as measure.py (one GET /health event). On a shared machine the load drifts
within seconds, so alternating runs and comparing medians is fairer than two back-to-back series.
Reports per bootstrap the median wall time to the response, to the first poll, and the process's
CPU time (user+system from wait4's rusage, which the kernel keeps exact, not tick-sampled).
Run it with the same environment as run.sh (DATABASE_URL, TOKEN_KEYS, ...). --json writes
{bootstrap: {"wall_ms_median", "first_poll_ms_median", "cpu_ms_median"}, "loadavg": [min, max], "rounds"}.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402


def one_run(bootstrap, env):
    R = measure.Runtime
    R.served.clear()
    R.answered.clear()
    server = measure.Server(("127.0.0.1", 0), R)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    start = time.perf_counter()
    proc = subprocess.Popen([os.path.abspath(bootstrap), *os.environ.get("BENCH_ARGS", "").split()], env=env,
                            cwd=os.path.dirname(os.path.abspath(bootstrap)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not R.answered.wait(60):
            raise SystemExit("ab: no response within 60 s from " + bootstrap)
        elapsed = (time.perf_counter() - start) * 1000
    finally:
        proc.kill()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9
        server.shutdown()
        server.server_close()
    expect = os.environ.get("BENCH_EXPECT", '"statusCode":200').encode()
    if b"/response" not in R.answer or expect not in R.answer:
        raise SystemExit("ab: unexpected answer: " + R.answer[:300].decode(errors="replace"))
    return elapsed, (R.polled_at - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    args = sys.argv[1:]
    rounds = 20
    out = None
    if "--json" in args:
        i = args.index("--json")
        out = args[i + 1]
        del args[i:i + 2]
    if "-n" in args:
        i = args.index("-n")
        rounds = int(args[i + 1])
        del args[i:i + 2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}
    env.update(AWS_LAMBDA_FUNCTION_NAME="bench", AWS_REGION=env.get("AWS_REGION", "us-east-1"))
    results = {b: [] for b in args}
    for b in args:
        one_run(b, env)  # page cache
    loads = []
    for r in range(rounds):
        order = args[r % len(args):] + args[:r % len(args)]
        for b in order:
            results[b].append(one_run(b, env))
        loads.append(os.getloadavg()[0])
    print(f"{rounds} interleaved rounds; load average {min(loads):.2f}..{max(loads):.2f} on {os.cpu_count()} CPUs")
    summary = {"rounds": rounds, "loadavg": [round(min(loads), 2), round(max(loads), 2)]}
    for b in args:
        wall, poll, cpu = zip(*results[b])
        print(f"{b}: wall median {statistics.median(wall):.0f} ms (min {min(wall):.0f}), first poll {statistics.median(poll):.0f} ms, "
              f"CPU median {statistics.median(cpu):.0f} ms (min {min(cpu):.0f})")
        summary[b] = {"wall_ms_median": round(statistics.median(wall), 1), "first_poll_ms_median": round(statistics.median(poll), 1),
                      "cpu_ms_median": round(statistics.median(cpu), 1)}
    if out:
        with open(out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
