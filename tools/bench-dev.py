#!/usr/bin/env python3
"""Measures the `make dev` editing loop (stdlib only).

usage: bench-dev.py --tool target/dev/release/site-dev [--runs N] [--edits N] [--cold-runs N]
                    [--pages N ...] [--no-sample]

For each site (the 16-file sample, copied to a scratch folder, and generated sites of --pages
pages each through tools/gen-site.py: N pages and 3 other files):
- start-up to first page: from starting `make dev` (its cargo up-to-date check included) to
  the first 200 for `/`; and from starting `site-dev serve` itself, with the encode cache warm
  (target/dev-cache, as every `make dev` after the first) and cold (an empty cache: every file
  encoded, brotli 11 included; --cold-runs 0 leaves it out, an hour of CPU at 100,000 pages);
- an edit seen in the browser: from writing a page to (a) the reload event on the page's
  /_dev/events stream and (b) the page's new text fetched again, as the reloading tab does;
  and how many files the re-plan read (the tool's log: one, the page edited).
Prints a Markdown table; medians and the worst run.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(tool, site, config, cache, make=False):
    if make:
        cmd = ["make", "-s", "--no-print-directory", "dev", "PORT=0", f"SITE_DIR={site}",
               f"SITE_CONFIG={config}"]
    else:
        cmd = [tool, "serve", "--listen", "127.0.0.1:0", "--site", site, "--config", config,
               "--cache", cache]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=REPO, start_new_session=True)
    port = None
    for line in proc.stderr:
        m = re.search(r" at http://127\.0\.0\.1:(\d+)/", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        raise SystemExit("site-dev did not start")
    proc.log = []
    threading.Thread(target=lambda: [proc.log.append(line) for line in proc.stderr],
                     daemon=True).start()
    while True:
        status, _ = get(port, "/")
        if status == 200:
            return proc, port, time.perf_counter() - t0
        time.sleep(0.002)


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Accept-Encoding": "identity"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


class Events:
    """The page's /_dev/events stream, read line by line."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"GET /_dev/events HTTP/1.1\r\nHost: x\r\n\r\n")
        self.file = self.sock.makefile("rb")
        while self.file.readline() not in (b"\r\n", b""):
            pass

    def next_data(self):
        while True:
            line = self.file.readline()
            if not line:
                raise SystemExit("events stream ended")
            if line.startswith(b"data: "):
                return line[6:].strip()


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()


def startup(tool, site, config, runs, cold_runs):
    warm_cache = os.path.join(REPO, "target", "dev-cache")
    # One run first so the warm cache holds this site.
    proc, _, _ = start(tool, site, config, warm_cache)
    stop(proc)
    warm, cold, make = [], [], []
    for _ in range(max(runs, cold_runs)):
        if len(make) < runs:
            proc, _, s = start(tool, site, config, warm_cache, make=True)
            stop(proc)
            make.append(s)
            proc, _, s = start(tool, site, config, warm_cache)
            stop(proc)
            warm.append(s)
        if len(cold) < cold_runs:
            empty = tempfile.mkdtemp(prefix="bench-dev-cache-")
            proc, _, s = start(tool, site, config, empty)
            stop(proc)
            shutil.rmtree(empty)
            cold.append(s)
    return make, warm, cold


def edits(tool, site, config, page, url, count):
    proc, port, _ = start(tool, site, config, os.path.join(REPO, "target", "dev-cache"))
    events = Events(port)
    events.next_data()
    to_event, to_page, reads = [], [], []
    path = os.path.join(site, page)
    original = open(path, encoding="utf-8").read()
    try:
        for i in range(count):
            marker = f"<!-- bench edit {i} {time.time()} -->"
            time.sleep(0.3)  # the last re-plan is over and the site is still
            t0 = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace("</body>", marker + "</body>") if "</body>" in original
                        else original + marker)
            events.next_data()
            t1 = time.perf_counter()
            _, body = get(port, url)
            t2 = time.perf_counter()
            if marker.encode() not in body:
                raise SystemExit(f"the edit {i} was not served after the reload event")
            to_event.append(t1 - t0)
            to_page.append(t2 - t0)
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        stop(proc)
    for line in proc.log:
        m = re.search(r"re-planned .*? files(?: \((\d+) read)?", line)
        if m:
            reads.append(m.group(1) or "all")
    return to_event, to_page, reads


def ms(values):
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:,.0f} ms (worst {max(values) * 1000:,.0f})"


def files_read(reads):
    """The files each re-plan read: `1` when every one read one file."""
    counts = sorted(set(reads), key=str)
    return ", ".join(counts) if counts else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--cold-runs", type=int, default=1,
                    help="cold start-ups per generated site (the sample site gets --runs)")
    ap.add_argument("--pages", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--no-sample", action="store_true", help="generated sites only")
    args = ap.parse_args()
    tool = os.path.abspath(args.tool)
    scratch = tempfile.mkdtemp(prefix="bench-dev-")
    rows = []
    try:
        config = os.path.join(scratch, "site.toml")
        open(config, "w").write("# defaults\n")
        sample = os.path.join(scratch, "sample")
        shutil.copytree(os.path.join(REPO, "site"), sample)
        sites = [] if args.no_sample else [("sample site (16 files)", sample, "about.html",
                                             "/about")]
        for n in args.pages:
            out = os.path.join(scratch, f"gen{n}")
            subprocess.run([sys.executable, os.path.join(REPO, "tools", "gen-site.py"), out,
                            "--pages", str(n), "--js-kb", "200", "--png-kb", "500",
                            "--filler", "words"], check=True, stdout=subprocess.DEVNULL)
            sites.append((f"generated, {n:,} pages", out, "index.html", "/"))
        for name, site, page, url in sites:
            make, warm, cold = startup(tool, site, config, args.runs,
                                       args.runs if site == sample else args.cold_runs)
            to_event, to_page, reads = edits(tool, site, config, page, url, args.edits)
            rows.append((name, ms(make), ms(warm), ms(cold), ms(to_event), ms(to_page),
                         files_read(reads)))
            print(f"{name}: done", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("| site | `make dev` to first page | site-dev to first page, cache warm | cache cold "
          "| edit → reload event | edit → new page fetched | files read per edit |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\n{args.runs} start-ups ({args.cold_runs} cold for the generated sites) and "
          f"{args.edits} edits per site; median (worst). Load average at the end: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")


if __name__ == "__main__":
    main()
