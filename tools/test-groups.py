#!/usr/bin/env python3
"""Runs `make test`'s groups one after another and says where the time went.

usage: tools/test-groups.py [--keep-going] [--log-dir DIR] GROUP...

Each GROUP is a make target (lint, test-rust, test-deploy, ...). Its output is shown as it comes
and kept in DIR/GROUP.log (default target/test-logs), each line there after the seconds since
the group started, to see which step the time went to. At the end a table gives each group's wall
time, its share of the whole, the cores it kept busy (CPU time over wall time), and the tests it ran (passed / failed / skipped, read from the
closing lines of cargo test, pytest and node's test runner), then one closing line
`total: N passed, N failed`.

When a group fails, the run stops (unless --keep-going) and the last lines name the group, the
command that reruns just it, the first failing test (or the first error, for a build), and the
log. Nobody should have to scroll 20,000 lines to find out what broke.

Plain Python (no packages): it runs before the project's virtualenv exists.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
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


def run_group(group, log_dir):
    """Runs `make GROUP`, echoing and logging its output. Returns (exit code, seconds, counts, log)."""
    log_path = os.path.join(log_dir, f"{group}.log")
    counts = Counts()
    lines = []
    start = time.monotonic()
    cpu_before = cpu_seconds()
    print(f"\n===== {group} =====", flush=True)
    with open(log_path, "w", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", group],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        for raw in proc.stdout:
            text = raw.decode("utf-8", errors="replace")
            sys.stdout.write(text)
            sys.stdout.flush()
            log.write(f"[{time.monotonic() - start:7.1f}] {text}")
            line = text.rstrip("\n")
            lines.append(line)
            counts.read(line.strip())
        code = proc.wait()
    return code, time.monotonic() - start, cpu_seconds() - cpu_before, counts, lines, log_path


def cpu_seconds():
    """User + system CPU time of every finished child process and its descendants (make, cargo,
    rustc, the tests) so far: a group's share is the difference before and after it."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def minutes(seconds):
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def cores(cpu, seconds):
    """How many cores the group kept busy on average (CPU time over wall time): well under the
    machine's count means it mostly waited (a single-threaded link, a server, a browser)."""
    return f"{cpu / seconds:.2f}" if seconds else "-"


def table(results, total_seconds):
    rows = [("group", "time", "share", "cores", "passed", "failed", "skipped")]
    passed = failed = skipped = 0
    total_cpu = 0.0
    for group, code, seconds, cpu, counts in results:
        total_cpu += cpu
        share = f"{100 * seconds / total_seconds:.0f}%" if total_seconds else "-"
        mark = "" if code == 0 else " (FAILED)"
        if counts.seen:
            nums = (str(counts.passed), str(counts.failed), str(counts.skipped))
        else:
            nums = ("-", "-", "-")
        rows.append((group + mark, minutes(seconds), share, cores(cpu, seconds), *nums))
        passed += counts.passed
        failed += counts.failed
        skipped += counts.skipped
    rows.append(("all", minutes(total_seconds), "100%", cores(total_cpu, total_seconds),
                 str(passed), str(failed), str(skipped)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        out.append("| " + " | ".join(cells) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out), passed, failed, skipped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("groups", nargs="+")
    ap.add_argument("--keep-going", action="store_true", help="run the other groups after a failure")
    ap.add_argument("--log-dir", default="target/test-logs")
    args = ap.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)

    results = []
    failures = []
    start = time.monotonic()
    for group in args.groups:
        code, seconds, cpu, counts, lines, log_path = run_group(group, args.log_dir)
        results.append((group, code, seconds, cpu, counts))
        if code != 0:
            failures.append((group, code, seconds, first_failure(lines), log_path))
            if not args.keep_going:
                break
    total = time.monotonic() - start

    text, passed, failed, skipped = table(results, total)
    print("\n===== make test: time per group =====")
    print(text)
    not_run = args.groups[len(results):]
    if not_run:
        print(f"not run after the failure: {' '.join(not_run)}")
    for group, code, seconds, first, log_path in failures:
        print(f"\nFAILED: {group} (exit {code}) after {minutes(seconds)}")
        print(f"  rerun just it:  make {group}")
        print(f"  first failure:  {first or '(none recognised: see the log)'}")
        print(f"  full log:       {log_path}")
    # The closing line test reports read: every test of every group, in one line.
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
