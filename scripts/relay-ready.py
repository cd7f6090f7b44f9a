#!/usr/bin/env python3
"""The relay's start time: process start -> first 200 from GET /health, median of --runs cold starts.

Usage: relay-ready.py EXECUTABLE [--runs N]. Runs the published relay (Native AOT or self-contained JIT) on free
loopback ports with a fresh RELAY_KEY and RELAY_PUBLIC_IP set (no STUN lookup), polls /health every 2 ms over a new
TCP connection, stops the process, and prints {"median_ms": ..., "runs_ms": [...]} on stdout.
"""
import argparse, base64, http.client, json, os, socket, statistics, subprocess, sys, time


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once(exe):
    port = free_port(socket.SOCK_STREAM)
    env = dict(os.environ, ASPNETCORE_URLS=f"http://127.0.0.1:{port}", RELAY_KEY=base64.b64encode(os.urandom(32)).decode(),
               RELAY_MEDIA_PORT=str(free_port(socket.SOCK_DGRAM)), RELAY_BIND_ADDRESS="127.0.0.1", RELAY_PUBLIC_IP="127.0.0.1")
    start = time.perf_counter()
    proc = subprocess.Popen([exe], env=env, cwd=os.path.dirname(exe), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                sys.exit(f"relay-ready: {exe} exited {proc.returncode} before it was ready: {proc.stderr.read().decode()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return (time.perf_counter() - start) * 1000
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.002)
        sys.exit(f"relay-ready: {exe} did not answer /health within 30 s")
    finally:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("executable")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = os.path.abspath(args.executable)
    once(exe)  # warm-up: page cache
    runs = [round(once(exe), 1) for _ in range(args.runs)]
    print(json.dumps({"median_ms": round(statistics.median(runs), 1), "runs_ms": runs}))


if __name__ == "__main__":
    main()
