#!/usr/bin/env python3
"""Runs `make test`'s groups, some at the same time, and says where the time went.

usage: tools/test-groups.py [--keep-going] [--jobs N] [--prepare TARGETS] [--no-tools A,B...]
                            [--apart A,B...]... [--log-dir DIR] GROUP...

Each GROUP is a make target (lint, test-rust, test-deploy, ...), run as its own `make GROUP`.
`--prepare` runs one make of the TARGETS the groups need installed (apt packages, the virtualenv,
the emulator), once: installers must not run twice at once. It takes one of the N places; the
groups named in `--no-tools` (they need none of it) may start beside it, the others start once
it has succeeded. Up to N groups run at the same time, started in the order given; groups named
together in one `--apart` list (they write the same build directory) never run at the same time.

Why at the same time: many groups keep less than the machine's cores busy for much of their
time (a fat-LTO link is one thread, a server or a browser waits, qemu runs one thread), and the
next group fills the idle core. Each group's wall time then includes the CPU it shared.

Output: with one job, each group's output as it comes; with more, each line prefixed with its
group's name. Every group's output is also kept in DIR/GROUP.log (default target/test-logs),
each line after the seconds since the group started, to see which step the time went to.

At the end a table gives each group's start, wall time, the cores it kept busy (CPU time over
wall time) and the tests it ran (passed / failed / skipped, read from the closing lines of cargo
test, pytest and node's test runner), then one closing line `total: N passed, N failed`.

When a group fails, no new group starts (unless --keep-going), and the last lines name the
group, the command that reruns just it, the first failing test (or the first error, for a
build), and the log. Nobody should have to scroll 20,000 lines to find out what broke.

Plain Python (no packages): it runs before the project's virtualenv exists.
"""

import argparse
import os
import queue
import re
import subprocess
import sys
import threading
import time

# Closing lines of the test runners the project uses.
CARGO = re.compile(r"^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored")
PYTEST_SUMMARY = re.compile(r"^=*\s*(?:\d+ \w+(?:, )?)+ in [\d.]+s")
PYTEST_PART = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
NODE = re.compile(r"^# (pass|fail|skipped) (\d+)$")
# The first failing test, per runner; then a build's first error.
FIRST_FAILURE = [
    re.compile(r"^test (\S+) \.\.\. FAILED$"),  # cargo test
    re.compile(r"^(?:FAILED|ERROR) (\S+)"),  # pytest -q's short summary
    re.compile(r"^not ok \d+ - (.+)$"),  # node --test (TAP)
    re.compile(r"^(error(?:\[E\d+\])?: .+)$"),  # rustc / cargo
    re.compile(r"^(make(?:\[\d+\])?: \*\*\* .+)$"),
]


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.seen = False

    def read(self, line):
        """Adds the counts of one closing line, if it is one."""
        m = CARGO.match(line)
        if m:
            self.passed += int(m[1])
            self.failed += int(m[2])
            self.skipped += int(m[3])
            self.seen = True
            return
        if PYTEST_SUMMARY.match(line) or re.match(r"^\d+ (passed|failed)", line):
            for n, kind in PYTEST_PART.findall(line):
                if kind == "passed":
                    self.passed += int(n)
                elif kind in ("failed", "error", "errors"):
                    self.failed += int(n)
                elif kind == "skipped":
                    self.skipped += int(n)
            self.seen = True
            return
        m = NODE.match(line)
        if m:
            n = int(m[2])
            if m[1] == "pass":
                self.passed += n
            elif m[1] == "fail":
                self.failed += n
            else:
                self.skipped += n
            self.seen = True


def first_failure(log_lines):
    for pattern in FIRST_FAILURE:
        for line in log_lines:
            m = pattern.match(line)
            if m:
                return m[1]
    return None


class Result:
    """One group's run: what `make GROUP` exited with, when it started (seconds after the whole
    run began), how long it took, the CPU time it and everything it started used, its counts."""

    def __init__(self, group, began, log_path):
        self.group = group
        self.began = began
        self.log_path = log_path
        self.code = None
        self.seconds = 0.0
        self.cpu = 0.0
        self.counts = Counts()
        self.lines = []


def run_group(group, targets, log_dir, began, prefix, out_lock):
    """Runs `make TARGETS...` for GROUP, echoing (each line after `prefix`) and logging its
    output, and returns its Result. The CPU time is the make's own rusage, which includes every
    process it started and waited for (cargo, rustc, the tests)."""
    result = Result(group, began, os.path.join(log_dir, f"{group}.log"))
    start = time.monotonic()
    with open(result.log_path, "w", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", *targets],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        for raw in proc.stdout:
            text = raw.decode("utf-8", errors="replace")
            with out_lock:
                sys.stdout.write(prefix + text)
                sys.stdout.flush()
            log.write(f"[{time.monotonic() - start:7.1f}] {text}")
            line = text.rstrip("\n")
            result.lines.append(line)
            result.counts.read(line.strip())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    result.code = proc.returncode
    result.seconds = time.monotonic() - start
    result.cpu = usage.ru_utime + usage.ru_stime
    return result


def minutes(seconds):
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def cores(cpu, seconds):
    """How many cores the group kept busy on average (CPU time over wall time): well under the
    machine's count means it mostly waited (a single-threaded link, a server, a browser)."""
    return f"{cpu / seconds:.2f}" if seconds else "-"


def table(results, total_seconds):
    rows = [("group", "start", "time", "cores", "passed", "failed", "skipped")]
    passed = failed = skipped = 0
    total_cpu = 0.0
    for r in results:
        total_cpu += r.cpu
        mark = "" if r.code == 0 else " (FAILED)"
        if r.counts.seen:
            nums = (str(r.counts.passed), str(r.counts.failed), str(r.counts.skipped))
        else:
            nums = ("-", "-", "-")
        rows.append((r.group + mark, minutes(r.began), minutes(r.seconds), cores(r.cpu, r.seconds), *nums))
        passed += r.counts.passed
        failed += r.counts.failed
        skipped += r.counts.skipped
    rows.append(("all", minutes(0), minutes(total_seconds), cores(total_cpu, total_seconds),
                 str(passed), str(failed), str(skipped)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        out.append("| " + " | ".join(cells) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out), passed, failed, skipped


class Scheduler:
    """Starts the groups in order, up to `jobs` at once, never two of one `--apart` list
    together; each runs on a thread of its own, which reports its Result on a queue."""

    def __init__(self, groups, jobs, apart, keep_going, log_dir, t0, prepare=(), no_tools=()):
        self.pending = list(groups)
        self.prepare = list(prepare)
        self.no_tools = set(no_tools)
        self.prepared = not self.prepare
        self.jobs = jobs
        self.apart = apart
        self.keep_going = keep_going
        self.log_dir = log_dir
        self.t0 = t0
        self.running = set()
        self.results = []
        self.done = queue.Queue()
        self.out_lock = threading.Lock()
        self.stopped = False

    def clashes(self, group):
        return any(group in s and self.running & s for s in self.apart)

    def ready(self, group):
        return (self.prepared or group in self.no_tools) and not self.clashes(group)

    def start(self, group, targets=None):
        self.running.add(group)
        began = time.monotonic() - self.t0
        prefix = f"[{group}] " if self.jobs > 1 else ""
        with self.out_lock:
            print(f"\n===== {group} ({minutes(began)}) =====", flush=True)

        def work():
            try:
                self.done.put(run_group(group, targets or [group], self.log_dir, began, prefix, self.out_lock))
            except Exception as e:  # reported as the group's failure, never a hang
                r = Result(group, began, os.path.join(self.log_dir, f"{group}.log"))
                r.code, r.lines = 1, [f"error: test-groups.py could not run it: {e}"]
                self.done.put(r)

        threading.Thread(target=work, name=group, daemon=True).start()

    def run(self):
        if self.prepare:
            self.start("prepare", self.prepare)
        while self.pending or self.running:
            while not self.stopped and len(self.running) < self.jobs:
                ready = [g for g in self.pending if self.ready(g)]
                if not ready:
                    break
                self.pending.remove(ready[0])
                self.start(ready[0])
            if not self.running:
                break
            r = self.done.get()
            self.running.discard(r.group)
            self.results.append(r)
            with self.out_lock:
                state = "ok" if r.code == 0 else f"FAILED (exit {r.code})"
                print(f"===== {r.group}: {state} after {minutes(r.seconds)} =====", flush=True)
            if r.group == "prepare":
                self.prepared = r.code == 0
                self.stopped |= r.code != 0  # nothing needing the tools can run
            elif r.code != 0 and not self.keep_going:
                self.stopped = True
        return self.results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("groups", nargs="+")
    ap.add_argument("--keep-going", action="store_true", help="run the other groups after a failure")
    ap.add_argument("--jobs", type=int, default=1, help="groups run at the same time (default 1)")
    ap.add_argument("--prepare", default="", help="make targets run once before any group (installers)")
    ap.add_argument("--no-tools", default="", metavar="A,B,...",
                    help="groups that need nothing --prepare installs: they may start while it runs")
    ap.add_argument("--apart", action="append", default=[], metavar="A,B,...",
                    help="groups that never run at the same time (repeatable)")
    ap.add_argument("--log-dir", default="target/test-logs")
    args = ap.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    apart = [set(a.split(",")) for a in args.apart]

    t0 = time.monotonic()
    scheduler = Scheduler(args.groups, max(1, args.jobs), apart, args.keep_going, args.log_dir, t0,
                          prepare=args.prepare.split(), no_tools=[g for g in args.no_tools.split(",") if g])
    results = scheduler.run()
    total = time.monotonic() - t0
    # In the order they were given, each after its start.
    order = {g: i for i, g in enumerate(["prepare", *args.groups])}
    results.sort(key=lambda r: order[r.group])

    text, passed, failed, skipped = table(results, total)
    print(f"\n===== make test: time per group ({max(1, args.jobs)} at a time) =====")
    print(text)
    ran = {r.group for r in results}
    not_run = [g for g in args.groups if g not in ran]
    if not_run:
        print(f"not run after the failure: {' '.join(not_run)}")
    failures = [r for r in results if r.code != 0]
    for r in failures:
        print(f"\nFAILED: {r.group} (exit {r.code}) after {minutes(r.seconds)}")
        print(f"  rerun just it:  make {r.group if r.group != 'prepare' else args.prepare}")
        print(f"  first failure:  {first_failure(r.lines) or '(none recognised: see the log)'}")
        print(f"  full log:       {r.log_path}")
    # The closing line test reports read: every test of every group, in one line.
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failures or not_run else 0)


if __name__ == "__main__":
    main()
