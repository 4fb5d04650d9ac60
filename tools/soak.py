#!/usr/bin/env python3
"""Soak test: N sequential invocations of the release bootstrap as Lambda would drive it, through
local-alb's Invoke API (which, like Lambda and unlike AWS's Runtime Interface Emulator, gives
every invocation a new request id and a new X-Ray trace id), cycling over every public site file
x encodings (identity, gzip, br) x both header modes, plus HEADs, 304s, ranges, dotfiles,
traversal attempts and malformed events.

Every response must be an ALB response (never a function error), valid (exactly the five
fields, the request's header field, no null), and byte for byte the same as the first answer
to the same event.
The function process's VmRSS / VmHWM are sampled at 1k, 10k, 20k, 100k, 1M (and every 100k)
invocations; the run fails if peak RSS (VmHWM) grows past --max-growth-kib after 20k.

Requests are strictly sequential, one instance, as one warm Lambda instance sees them.

usage: tools/soak.py [--n 1000000] [--bootstrap target/release/bootstrap]
                     [--local-alb target/release/local-alb] [--site site]
"""

import argparse
import collections
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVOKE = "/2015-03-31/functions/function/invocations"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/6d0ecf831eec9f09"
CHECKPOINTS = {1_000, 10_000, 20_000, 100_000, 1_000_000}
BASELINE = 20_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def public_paths(site):
    """URL paths of every file build.rs embeds (no dotfiles but .well-known/, no _headers or
    _redirects), percent-encoded as ALB passes them."""
    out = []
    for dirpath, dirnames, filenames in os.walk(site):
        rel_dir = os.path.relpath(dirpath, site)
        top = rel_dir == "."
        dirnames[:] = [d for d in dirnames if not d.startswith(".") or (top and d == ".well-known")]
        for f in filenames:
            if f.startswith("."):
                continue
            if top and f in ("_headers", "_redirects"):
                continue
            rel = f if top else os.path.join(rel_dir, f)
            out.append("/" + urllib.parse.quote(rel.replace(os.sep, "/")))
    return sorted(out)


def event(method, path, headers, multi, query=None):
    e = {"requestContext": {"elb": {"targetGroupArn": TG}}, "httpMethod": method, "path": path,
         "body": "", "isBase64Encoded": False}
    if multi:
        mv = {}
        for k, v in headers:
            mv.setdefault(k, []).append(v)
        e["multiValueHeaders"] = mv
        e["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
    else:
        e["headers"] = dict(headers)
        e["queryStringParameters"] = dict(query or {})
    return e


# Valid JSON only: the Lambda Invoke API refuses a payload that is not JSON before any function
# runs (the RIE does not, and lambda_runtime then reports a deserialization error).
BAD_EVENTS = [
    ("[]", None, 400),
    ("{}", False, 400),
    ('{"path":"/"}', False, 400),
    ('{"httpMethod":"GET"}', False, 400),
    ('{"httpMethod":1,"path":"/"}', False, 400),
    ('{"httpMethod":"GET","path":"/","multiValueHeaders":{"a":"b"}}', True, 400),
    ('{"httpMethod":"GET","path":"/","headers":{},"body":"%%%","isBase64Encoded":true}', False, 400),
    ('{"httpMethod":"GET","path":"/\\u0000"}', False, 400),
]


def build_events(site):
    """(name, payload, multi or None, expected status or None) for every case."""
    paths = public_paths(site) + ["/", "/about", "/blog/", "/docs/guide", "/health", "/home",
                                  "/old-home", "/.env", "/_headers", "/_redirects", "/nope",
                                  "/%2e%2e/Cargo.toml", "/a%00b", "/%ff", "//evil.example"]
    cases = []
    for p in paths:
        for multi in (False, True):
            for enc in ("", "gzip", "br"):
                hs = [("accept-encoding", enc)] if enc else []
                cases.append((f"GET {p} {enc or 'identity'} {'multi' if multi else 'single'}",
                              json.dumps(event("GET", p, hs, multi)), multi, None))
            cases.append((f"HEAD {p} {'multi' if multi else 'single'}",
                          json.dumps(event("HEAD", p, [("accept-encoding", "gzip, br")], multi)),
                          multi, None))
            cases.append((f"RANGE {p} {'multi' if multi else 'single'}", json.dumps(event("GET", p, [("range", "bytes=0-9")], multi)),
                          multi, None))
    for multi in (False, True):
        mode = "multi" if multi else "single"
        cases.append((f"POST / {mode}", json.dumps(event("POST", "/", [], multi)), multi, 405))
        cases.append((f"folder redirect with query {mode}",
                      json.dumps(event("GET", "/docs/guide", [], multi, {"q": "a%20b"})), multi, 308))
    for payload, multi, st in BAD_EVENTS:
        cases.append((f"bad event {payload!r}", payload, multi, st))
    names = [c[0] for c in cases]
    assert len(set(names)) == len(names), "every case has a name of its own"
    return cases


class Lambda:
    """local-alb running one instance of bootstrap, driven through its Invoke API."""

    def __init__(self, local_alb, bootstrap):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_LAMBDA_") and k != "RUST_LOG"}
        # The function logs one line per request; at 1M requests keep them out of the pipe.
        env["AWS_LAMBDA_LOG_LEVEL"] = "WARN"
        self.log = collections.deque(maxlen=200)
        self.proc = subprocess.Popen(
            [local_alb, "--listen", "127.0.0.1:0", "--instances", "1",
             "--invoke-api", f"127.0.0.1:{self.port}", "--", bootstrap],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        threading.Thread(target=lambda: self.log.extend(self.proc.stdout), daemon=True).start()
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    sys.exit("local-alb did not start:\n" + self.log_text())
                time.sleep(0.01)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def invoke(self, payload):
        body = payload.encode()
        for attempt in (1, 2):
            try:
                self.conn.request("POST", INVOKE, body=body,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                if attempt == 2:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def log_text(self):
        return b"".join(list(self.log)[-40:]).decode("utf-8", "replace")

    def function_pid(self):
        """local-alb's child process running bootstrap."""
        pids = []
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/children") as f:
                    pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
        return pids[0] if pids else None

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def memory(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def check(name, code, raw, multi, expected):
    """Validates one invocation result; returns (status, body length, etag)."""
    if code != 200:
        raise AssertionError(f"{name}: the Invoke API answered HTTP {code}: {raw[:300]!r}")
    r = json.loads(raw)
    if not isinstance(r, dict) or "errorType" in r:
        raise AssertionError(f"{name}: a function error, not a response: {raw[:300]!r}")
    if set(r) - {"headers", "multiValueHeaders"} != {"statusCode", "statusDescription", "body",
                                                     "isBase64Encoded"} or len(r) != 5:
        raise AssertionError(f"{name}: fields {sorted(r)}")
    if multi is not None and ("multiValueHeaders" in r) != multi:
        raise AssertionError(f"{name}: answered in the wrong header mode")
    h = r.get("headers", r.get("multiValueHeaders"))
    if not isinstance(h, dict) or None in r.values() or any(
            v is None or (isinstance(v, list) and (not v or None in v)) for v in h.values()):
        raise AssertionError(f"{name}: headers / null: {raw[:300]!r}")
    if not isinstance(r["body"], str) or not isinstance(r["isBase64Encoded"], bool):
        raise AssertionError(f"{name}: body / isBase64Encoded types")
    st = r["statusCode"]
    if expected is not None and st != expected:
        raise AssertionError(f"{name}: status {st}, expected {expected}")
    etag = h.get("ETag")
    if isinstance(etag, list):
        etag = etag[0]
    return st, len(r["body"]), etag


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--bootstrap", default=os.path.join(ROOT, "target/release/bootstrap"))
    ap.add_argument("--local-alb", default=os.path.join(ROOT, "target/release/local-alb"))
    ap.add_argument("--site", default=os.path.join(ROOT, "site"))
    ap.add_argument("--max-growth-kib", type=int, default=2048,
                    help="allowed peak RSS (VmHWM) growth from 20k invocations to the end")
    args = ap.parse_args()

    cases = build_events(args.site)
    fn = Lambda(args.local_alb, args.bootstrap)
    try:
        pid = None
        deadline = time.time() + 10
        # The function starts on the first invocation; prime every case once, learning what
        # each gets, and make a 304 case from each ETag.
        known = {}
        extra = []
        for name, payload, multi, expected in cases:
            code, raw = fn.invoke(payload)
            st, blen, etag = check(name, code, raw, multi, expected)
            known[name] = raw
            if etag and st == 200 and payload.startswith("{") and '"GET"' in payload:
                e = json.loads(payload)
                key = "multiValueHeaders" if multi else "headers"
                if multi:
                    e[key]["if-none-match"] = [etag]
                else:
                    e[key]["if-none-match"] = etag
                extra.append((f"304 {name}", json.dumps(e), multi, 304))
        for name, payload, multi, expected in extra:
            code, raw = fn.invoke(payload)
            check(name, code, raw, multi, expected)
            known[name] = raw
        cases += extra
        while pid is None and time.time() < deadline:
            pid = fn.function_pid()
        if pid is None:
            raise AssertionError("cannot find the function process")
        print(f"soak: {len(cases)} distinct cases ({len(extra)} of them 304s); function pid {pid}; "
              f"{args.n} invocations", flush=True)
        samples = {}
        statuses = {}
        started = time.time()
        n_cases = len(cases)
        for i in range(1, args.n + 1):
            name, payload, multi, expected = cases[i % n_cases]
            code, raw = fn.invoke(payload)
            got = check(name, code, raw, multi, expected)
            if raw != known[name]:
                raise AssertionError(f"{name}: invocation {i} answered\n{raw[:300]!r}\n"
                                     f"where the first answered\n{known[name][:300]!r}")
            statuses[got[0]] = statuses.get(got[0], 0) + 1
            if i in CHECKPOINTS or i % 100_000 == 0 or i == args.n:
                m = memory(pid)
                samples[i] = m
                rate = i / (time.time() - started)
                print(f"soak: {i:>9} invocations  VmRSS {m['VmRSS']:>6} KiB  VmHWM "
                      f"{m['VmHWM']:>6} KiB  {rate:7.0f}/s", flush=True)
        if fn.proc.poll() is not None or fn.function_pid() != pid:
            raise AssertionError("the function process restarted during the soak")
        base_at = BASELINE if BASELINE in samples else min(samples)
        growth = samples[args.n]["VmHWM"] - samples[base_at]["VmHWM"]
        print(f"soak: statuses {dict(sorted(statuses.items()))}")
        print(f"soak: peak RSS (VmHWM) growth from {base_at} to {args.n} invocations: {growth} KiB "
              f"(allowed {args.max_growth_kib}); {time.time() - started:.0f} s; no errors")
        if growth > args.max_growth_kib:
            raise AssertionError(f"peak RSS grew by {growth} KiB")
    except AssertionError:
        print("local-alb output (last lines):\n" + fn.log_text(), file=sys.stderr)
        raise
    finally:
        fn.stop()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        sys.exit(f"soak FAILED: {e}")
