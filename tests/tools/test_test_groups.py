"""tools/test-groups.py, the runner behind `make test`: which groups run together, what the end
of the output says, and the exit status. Each test runs it on a Makefile of its own whose groups
record when they start and end."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "tools" / "test-groups.py"

# Each group writes "<name> start <t>" and "<name> end <t>" to times.txt around its work.
MAKEFILE = """\
stamp = echo "$@ $(1) $$(date +%s.%N)" >> times.txt
quick-a:
\t@$(call stamp,start); sleep 0.6; echo "test result: ok. 3 passed; 0 failed; 1 ignored"; $(call stamp,end)
quick-b:
\t@$(call stamp,start); sleep 0.6; echo "2 passed, 1 skipped in 0.10s"; $(call stamp,end)
quick-c:
\t@$(call stamp,start); sleep 0.6; $(call stamp,end)
broken:
\t@$(call stamp,start); echo "test it_works ... FAILED"; $(call stamp,end); exit 2
tools:
\t@$(call stamp,start); sleep 0.6; $(call stamp,end)
broken-tools:
\t@$(call stamp,start); exit 3
"""


def run(tmp_path, *args):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    p = subprocess.run([sys.executable, str(RUNNER), "--log-dir", str(tmp_path / "logs"), *args],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    times = {}
    if (tmp_path / "times.txt").exists():
        for line in (tmp_path / "times.txt").read_text().splitlines():
            name, what, t = line.split()
            times.setdefault(name, {})[what] = float(t)
    return p, times


def overlap(times, a, b):
    return times[a]["start"] < times[b]["end"] and times[b]["start"] < times[a]["end"]


def test_two_jobs_run_two_groups_at_the_same_time(tmp_path):
    p, times = run(tmp_path, "--jobs", "2", "quick-a", "quick-b")
    assert p.returncode == 0, p.stdout + p.stderr
    assert overlap(times, "quick-a", "quick-b")


def test_one_job_runs_the_groups_one_after_another_in_order(tmp_path):
    p, times = run(tmp_path, "--jobs", "1", "quick-a", "quick-b", "quick-c")
    assert p.returncode == 0, p.stdout + p.stderr
    assert times["quick-a"]["end"] <= times["quick-b"]["start"] <= times["quick-b"]["end"] <= times["quick-c"]["start"]


def test_groups_of_one_apart_list_never_run_together(tmp_path):
    p, times = run(tmp_path, "--jobs", "3", "--apart", "quick-a,quick-b", "quick-a", "quick-b", "quick-c")
    assert p.returncode == 0, p.stdout + p.stderr
    assert not overlap(times, "quick-a", "quick-b")
    assert overlap(times, "quick-a", "quick-c")


def test_the_prepare_targets_run_before_any_group(tmp_path):
    p, times = run(tmp_path, "--jobs", "2", "--prepare", "tools", "quick-a", "quick-b")
    assert p.returncode == 0, p.stdout + p.stderr
    assert times["tools"]["end"] <= min(times["quick-a"]["start"], times["quick-b"]["start"])


def test_a_group_that_needs_no_tools_runs_while_they_install(tmp_path):
    p, times = run(tmp_path, "--jobs", "2", "--prepare", "tools", "--no-tools", "quick-b", "quick-a", "quick-b")
    assert p.returncode == 0, p.stdout + p.stderr
    assert overlap(times, "tools", "quick-b")
    assert times["tools"]["end"] <= times["quick-a"]["start"]


def test_a_failed_prepare_runs_no_group_and_fails(tmp_path):
    p, times = run(tmp_path, "--jobs", "2", "--prepare", "broken-tools", "quick-a")
    assert p.returncode == 1
    assert "quick-a" not in times
    assert "FAILED: prepare" in p.stdout
    assert "rerun just it:  make broken-tools" in p.stdout


def test_a_failure_names_the_group_the_rerun_command_and_the_first_failing_test(tmp_path):
    p, _ = run(tmp_path, "--jobs", "1", "broken")
    assert p.returncode == 1
    tail = p.stdout[p.stdout.rindex("FAILED: broken"):]
    assert "rerun just it:  make broken" in tail
    assert "first failure:  it_works" in tail
    assert "logs/broken.log" in tail


def test_after_a_failure_no_new_group_starts(tmp_path):
    p, times = run(tmp_path, "--jobs", "1", "broken", "quick-a")
    assert p.returncode == 1
    assert "quick-a" not in times
    assert "not run after the failure: quick-a" in p.stdout


def test_keep_going_runs_the_other_groups_after_a_failure_and_still_fails(tmp_path):
    p, times = run(tmp_path, "--jobs", "1", "--keep-going", "broken", "quick-a")
    assert p.returncode == 1
    assert "quick-a" in times


def test_the_table_counts_each_groups_tests_and_the_closing_line_adds_them(tmp_path):
    p, _ = run(tmp_path, "--jobs", "2", "quick-a", "quick-b")
    assert p.returncode == 0, p.stdout + p.stderr
    rows = {m[1]: [c.strip() for c in m[2].split("|")] for m in re.finditer(r"^\| (\S+) +\|(.*)\|$", p.stdout, re.M)}
    assert rows["group"] == ["start", "time", "cores", "passed", "failed", "skipped"]
    assert rows["quick-a"][3:] == ["3", "0", "1"]
    assert rows["quick-b"][3:] == ["2", "0", "1"]
    assert p.stdout.rstrip().endswith("total: 5 passed, 0 failed, 2 skipped")


def test_with_two_jobs_each_line_is_shown_after_its_groups_name(tmp_path):
    p, _ = run(tmp_path, "--jobs", "2", "quick-a", "quick-b")
    assert "[quick-a] test result: ok. 3 passed" in p.stdout
    assert "[quick-b] 2 passed, 1 skipped" in p.stdout
    log = (tmp_path / "logs" / "quick-a.log").read_text()
    assert re.search(r"^\[ *[\d.]+\] test result: ok\. 3 passed", log, re.M), log
