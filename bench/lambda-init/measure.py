#!/usr/bin/env python3
"""Lambda init: bootstrap process start -> first response, median of N cold starts.

Plays the Lambda Runtime API on a loopback port (one queued HTTP API 2.0 event: GET /health),
starts the published bootstrap, and times from just before the process is spawned until the
function POSTs the invocation's response. Prints one line per run to stderr and the median in
milliseconds as the last line of stdout.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

PATH = os.environ.get("BENCH_PATH", "/health")
EVENT = json.dumps({
    "version": "2.0", "routeKey": "$default", "rawPath": PATH, "rawQueryString": "",
    "headers": {"host": "bench.execute-api.us-east-1.amazonaws.com", "x-forwarded-proto": "https", "x-forwarded-port": "443"},
    "requestContext": {"http": {"method": "GET", "path": PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
                       "requestId": "bench", "stage": "$default", "timeEpoch": 0},
    "isBase64Encoded": False,
}).encode()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the killed function's parked poll resets its connection: expected


class Runtime(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    polled_at = 0.0
    served = threading.Event()
    answered = threading.Event()
    answer = b""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        if Runtime.served.is_set():  # one event per cold start; park further polls
            Runtime.answered.wait(30)
            time.sleep(30)
            return
        Runtime.served.set()
        Runtime.polled_at = time.perf_counter()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
        self.send_header("Content-Length", str(len(EVENT)))
        self.end_headers()
        self.wfile.write(EVENT)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        Runtime.answer = self.path.encode() + b" " + body
        Runtime.answered.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def one_run(bootstrap, env):
    Runtime.served.clear()
    Runtime.answered.clear()
    server = Server(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    start = time.perf_counter()
    # Lambda starts the bootstrap in its bundle's folder (/var/task); the working directory is the host's content root.
    proc = subprocess.Popen([os.path.abspath(bootstrap), *os.environ.get("BENCH_ARGS", "").split()], env=env, cwd=os.path.dirname(os.path.abspath(bootstrap)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not Runtime.answered.wait(60):
            raise SystemExit("lambda-init: no response within 60 s")
        elapsed = (time.perf_counter() - start) * 1000
        cpu = cpu_ms(proc.pid)
    finally:
        proc.kill()
        proc.wait()
        server.shutdown()
        server.server_close()
    expect = os.environ.get("BENCH_EXPECT", '"statusCode":200').encode()
    if b"/response" not in Runtime.answer or expect not in Runtime.answer:
        raise SystemExit("lambda-init: unexpected answer: " + Runtime.answer[:300].decode(errors="replace"))
    return elapsed, (Runtime.polled_at - start) * 1000, cpu


def cpu_ms(pid):
    """user+system CPU the process used so far: a load-independent companion to the wall time."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def main():
    bootstrap, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}
    env.update(AWS_LAMBDA_FUNCTION_NAME="bench", AWS_REGION=env.get("AWS_REGION", "us-east-1"))
    one_run(bootstrap, env)  # warm the page cache; not counted
    times, cpus = [], []
    for i in range(runs):
        t, init, cpu = one_run(bootstrap, env)
        times.append(t)
        cpus.append(cpu)
        print(f"run {i + 1}: {t:.1f} ms (first poll after {init:.1f} ms; {cpu:.0f} ms CPU)", file=sys.stderr)
    load = os.getloadavg()[0]
    print(f"median CPU {statistics.median(cpus):.0f} ms; load average {load:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)
    sys.stderr.flush()
    print(f"{statistics.median(times):.0f}")


if __name__ == "__main__":
    main()
