#!/usr/bin/env python3
"""Instructions per invocation of Lambda functions, counted by callgrind: repeatable on a noisy
machine where microseconds are not.

Each FUNCTION runs as one instance behind local-alb's Invoke API (a new request id and trace id
per invocation, as Lambda sends them), under `valgrind --tool=callgrind`. After --warmup
invocations of each event the counters are zeroed (`callgrind_control -z`); then --n invocations
of the event, a dump (`callgrind_control -d`), and the dump's total divided by --n: the
function's whole cost of one invocation in its process (Runtime API client, parsing, handling,
serializing, logging), none of the driver's.

usage: tools/instructions-per-invocation.py [--n 2000] [--warmup 200] [--log]
           [--event events/get-index.json ...] FUNCTION [FUNCTION ...]
Prints a markdown table: one row per event, one column per function.

The access line is off (AWS_LAMBDA_LOG_LEVEL=WARN) unless --log: then each invocation also
writes its line (to /dev/null). A FUNCTION of the form `VAR=value,VAR2=value@path` runs `path`
with those variables set: `--log dist/bootstrap SITE_METRICS=off@dist/bootstrap` measures what
the metrics add to the line.
"""

import argparse
import glob
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVOKE = "/2015-03-31/functions/function/invocations"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def parse_function(spec):
    """`VAR=value,...@path` or `path`: (path, {VAR: value})."""
    if "@" not in spec:
        return spec, {}
    variables, path = spec.rsplit("@", 1)
    return path, dict(v.split("=", 1) for v in variables.split(",") if v)


def measure(function, events, n, warmup, local_alb, workdir, log=False, extra_env=None):
    port = free_port()
    out = os.path.join(workdir, "callgrind.out.%p")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_LAMBDA_") and not k.startswith("SITE_METRICS")}
    env["AWS_LAMBDA_LOG_LEVEL"] = "INFO" if log else "WARN"
    env.update(extra_env or {})
    proc = subprocess.Popen(
        [local_alb, "--listen", "127.0.0.1:0", "--instances", "1", "--timeout", "120",
         "--invoke-api", f"127.0.0.1:{port}", "--",
         "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", function],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=True, cwd=workdir)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("local-alb did not start")
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def invoke(body):
            conn.request("POST", INVOKE, body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            if r.status != 200 or b'"statusCode"' not in data:
                sys.exit(f"{function}: the invocation failed: {r.status} {data[:200]!r}")

        invoke(events[0][1])
        (pid,) = children(proc.pid)
        result = {}
        for name, body in events:
            for _ in range(warmup):
                invoke(body)
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(n):
                invoke(body)
            before = set(glob.glob(os.path.join(workdir, "callgrind.out.*")))
            subprocess.run(["callgrind_control", "-d", str(pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            (dump,) = set(glob.glob(os.path.join(workdir, "callgrind.out.*"))) - before
            total = None
            with open(dump) as f:
                for line in f:
                    if line.startswith(("totals:", "summary:")):
                        total = int(line.split()[1])
            result[name] = total / n
        return result
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("functions", nargs="+")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--event", action="append",
                    help="event file (repeatable); default: get-index, asset-gzip, image, "
                         "conditional, not-found")
    ap.add_argument("--local-alb", default=os.path.join(ROOT, "target/release/local-alb"))
    ap.add_argument("--log", action="store_true",
                    help="write the access line (INFO) instead of turning it off")
    args = ap.parse_args()
    files = args.event or [os.path.join(ROOT, "events", f"{e}.json") for e in
                           ("get-index", "asset-gzip", "image", "conditional", "not-found")]
    events = [(os.path.basename(f), open(f, "rb").read()) for f in files]
    results = []
    for function in args.functions:
        with tempfile.TemporaryDirectory() as workdir:
            print(f"measuring {function} ...", file=sys.stderr, flush=True)
            path, extra_env = parse_function(function)
            results.append(measure(os.path.abspath(path), events, args.n, args.warmup,
                                   args.local_alb, workdir, args.log, extra_env))
    print("| event | " + " | ".join(args.functions) + " |")
    print("|---|" + "--:|" * len(args.functions))
    for name, _ in events:
        print(f"| {name} | " + " | ".join(f"{r[name]:,.0f}" for r in results) + " |")


if __name__ == "__main__":
    main()
