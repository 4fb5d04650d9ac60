"""tools/check-docs.py, the docs' checker: each kind of rot it exists to catch is caught."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECKER = REPO / "tools" / "check-docs.py"
DEV_TOOL = REPO / "target" / "dev" / "release" / "site-dev"
needs_dev_tool = pytest.mark.skipif(not os.access(DEV_TOOL, os.X_OK),
                                    reason="needs the dev tool (make dev-tool): make test-docs builds it")


def check(tmp_path, text, *flags, name="page.md"):
    page = tmp_path / name
    page.write_text(text)
    return subprocess.run([sys.executable, str(CHECKER), *flags, str(page)], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)


def fence(info, body):
    return f"```{info}\n{body}\n```\n"


def test_a_page_with_real_targets_settings_links_and_tests_passes(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## What can go wrong\n")
    r = check(tmp_path, "# Page\n\nSee [it](other.md#what-can-go-wrong) and `"
              + _a_real_rust_test() + "`.\n\n" + fence("sh", "make deploy SITE_DIR=../x MEMORY_SIZE=256  # a comment"),
              "--static")
    assert r.returncode == 0, r.stdout


def test_a_task_page_that_does_not_open_with_commands_fails(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = check(docs, "# Task\n\nProse first.\n\n## Part\n\n" + fence("sh", "make check") + "\n## What can go wrong\n",
              "--static")
    assert r.returncode == 1 and "a task page opens with its commands" in r.stdout


def test_a_task_page_that_does_not_end_with_what_can_go_wrong_fails(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = check(docs, "# Task\n\n" + fence("sh", "make check") + "\n## What can go wrong\n\n## Later\n", "--static")
    assert r.returncode == 1 and 'ends with a section "What can go wrong"' in r.stdout


def test_a_task_page_with_commands_first_and_what_can_go_wrong_last_passes(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    r = check(docs, "# Task\n\n" + fence("sh", "make check") + "\n## Part\n\n## What can go wrong\n", "--static")
    assert r.returncode == 0, r.stdout


def test_a_link_to_a_missing_file_fails(tmp_path):
    r = check(tmp_path, "# Page\n\n[gone](missing.md)\n", "--static")
    assert r.returncode == 1 and "link to missing.md: no such file" in r.stdout


def test_a_link_to_a_heading_that_does_not_exist_fails(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n")
    r = check(tmp_path, "# Page\n\n[x](other.md#no-such-part)\n", "--static")
    assert r.returncode == 1 and "no heading makes #no-such-part" in r.stdout


def test_a_make_target_that_does_not_exist_fails(tmp_path):
    r = check(tmp_path, fence("sh", "make deploy-everything"), "--static")
    assert r.returncode == 1 and "`make deploy-everything`: no such target" in r.stdout


def test_a_setting_nothing_reads_fails(tmp_path):
    r = check(tmp_path, fence("sh", "make deploy MEMORY=256"), "--static")
    assert r.returncode == 1 and "`MEMORY=` is no setting" in r.stdout


def test_a_cargo_example_that_does_not_exist_fails(tmp_path):
    r = check(tmp_path, fence("sh", "cargo run -q -p local-alb --example check_everything < out.json"), "--static")
    assert r.returncode == 1 and "`cargo ... --example check_everything`: no such example in local-alb" in r.stdout


def test_a_cargo_example_that_exists_passes(tmp_path):
    r = check(tmp_path, fence("sh", "cargo run -q -p local-alb --example check_response < out.json"), "--static")
    assert r.returncode == 0, r.stdout


def test_a_named_test_that_does_not_exist_fails(tmp_path):
    r = check(tmp_path, "Held by `tests/handler/main.rs::no_such_test_anywhere`.\n", "--static")
    assert r.returncode == 1 and "tests/handler/main.rs::no_such_test_anywhere, which does not exist" in r.stdout


def test_yaml_that_does_not_parse_fails(tmp_path):
    pytest.importorskip("yaml", reason="PyYAML comes with the project's .venv")
    r = check(tmp_path, fence("yaml", "on: [push\njobs: {"), "--static")
    assert r.returncode == 1 and "not valid YAML" in r.stdout


def test_a_run_block_that_fails_fails_the_check(tmp_path):
    r = check(tmp_path, fence("sh run", "true\nfalse"), "--dev-tool", "/bin/true")
    assert r.returncode == 1 and "the block exited 1" in r.stdout


def test_a_run_block_is_run_from_the_repo_root(tmp_path):
    r = check(tmp_path, fence("sh run", "test -f Makefile && echo ran-at-the-root"), "--dev-tool", "/bin/true")
    assert r.returncode == 0 and "ran-at-the-root" in r.stdout


@needs_dev_tool
def test_a_site_toml_block_with_a_wrong_key_fails(tmp_path):
    r = check(tmp_path, fence("toml", 'spa = "auto"\nclean_url = true'))
    assert r.returncode == 1 and "clean_url" in r.stdout


@needs_dev_tool
def test_a_site_toml_block_with_real_keys_passes(tmp_path):
    r = check(tmp_path, fence("toml", '[cache]\nhtml = "no-cache"'))
    assert r.returncode == 0, r.stdout


@needs_dev_tool
def test_a_redirects_block_with_a_bad_status_fails(tmp_path):
    r = check(tmp_path, fence("_redirects", "/old /new 299"))
    assert r.returncode == 1 and "site-dev check refuses this _redirects block" in r.stdout


@needs_dev_tool
def test_a_headers_block_with_a_header_line_outside_a_path_fails(tmp_path):
    r = check(tmp_path, fence("_headers", "  X-Frame-Options: DENY"))
    assert r.returncode == 1 and "site-dev check refuses this _headers block" in r.stdout


def _a_real_rust_test():
    """`path::name` of a real test: the first in the handler's test modules (tests/handler/)."""
    import re
    for path in sorted((REPO / "tests" / "handler").glob("*.rs")):
        text = path.read_text()
        if "#[test]" in text:
            name = re.search(r"fn (\w+)\(", text.split("#[test]", 1)[1])[1]
            return f"{path.relative_to(REPO)}::{name}"
    raise AssertionError("no #[test] in tests/handler/")
