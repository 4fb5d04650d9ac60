#!/usr/bin/env python3
"""Keeps the docs true: every command, setting, config fragment, link and test they name.

usage: tools/check-docs.py [--static] [--dev-tool PATH] [FILE.md ...]

Reads README.md, docs/**/*.md, SECURITY.md, ARCHITECTURE.md and BENCHMARKS.md (or the files given) and checks,
by the fence's info string:

  ```sh          each `make TARGET` is a target of the Makefile or mk/*.mk, each NAME=value
                 on a make line is a variable the Makefile, mk/*.mk or the deploy scripts read,
                 and each `cargo ... --example NAME` names an example of its package
  ```sh run      the same, then the block is run (bash -euo pipefail, from the repo root, in
                 order): the commands marked safe offline and quick
  ```toml        a site.toml of its own (every key is optional), validated by `site-dev check`
  ```_headers    a `_headers` file, and
  ```_redirects  a `_redirects` file, each validated by `site-dev check` on a one-page site
  ```yaml        parses as YAML

A task page (docs/*.md, but for the notes in NOT_TASK_PAGES) opens with its commands (a ```sh
block before the first section) and ends with a section "What can go wrong".

And, everywhere: relative links resolve (files, and #anchors as GitHub makes them from
headings), and each test a page names as `path::name` exists (a Rust `fn name`, a pytest
`def name`, or a node test titled "name"): SECURITY.md's guarantees point at their tests.

--static checks all but what needs the dev tool or runs commands (the lint group's quick pass).
Exits 1 with `file:line: reason` for each failure.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
TEST_REF = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.(?:rs|py|mjs))::(\"[^\"]+\"|[\w]+)`")
MAKE_FILES = [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]
SETTING_FILES = [*MAKE_FILES, *sorted((REPO / "deploy").glob("*.sh")), REPO / "deploy" / "settings.env"]
# Pages under docs/ that are notes rather than a task's guide.
NOT_TASK_PAGES = {"upstream-lambda-runtime-leak.md"}
# Variables every make or shell knows, which no file of the project defines.
AMBIENT = {"PATH", "HOME", "CI", "AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"}


class Failures:
    def __init__(self):
        self.items = []

    def add(self, path, line, reason):
        self.items.append(f"{shown(path)}:{line}: {reason}")


def shown(path):
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def blocks(text):
    """(info word, the rest of the info string, first body line number, body) of each fence."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, marker, word, rest = m.groups()
        start, body = i + 2, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(marker):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        out.append((word, rest.strip(), start, "\n".join(body) + "\n"))
        i += 1
    return out


def outside_fences(text):
    """The lines not inside a fence, with their numbers (links and headings live there)."""
    inside, marker = False, None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m and (not inside or line.strip().startswith(marker)):
            inside, marker = (not inside), m.group(2)
            continue
        if not inside:
            yield n, line


def make_targets():
    targets = set()
    rule = re.compile(r"^([A-Za-z0-9_./$()%-]+(?:\s+[A-Za-z0-9_./$()%-]+)*)\s*:(?!=)")
    for f in MAKE_FILES:
        for line in f.read_text().splitlines():
            m = rule.match(line)
            if m and not line.startswith("\t"):
                targets.update(m.group(1).split())
    return targets


def known_variables():
    names = set(AMBIENT)
    for f in SETTING_FILES:
        names.update(re.findall(r"\b[A-Z][A-Z0-9_]{1,}\b", f.read_text()))
    return names


def commands(body):
    """Each command line of a shell block, continuation lines joined, comments dropped."""
    joined, pending = [], ""
    for raw in body.splitlines():
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        joined.append(line)
    out = []
    for line in joined:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = line.split()
        if words:
            out.append(words)
    return out


def check_shell(path, start, body, targets, variables, failures):
    for words in commands(body):
        # NAME=value before the command are environment; after `make`, make's own variables.
        i = 0
        while i < len(words) and re.match(r"^[A-Z][A-Z0-9_]*=", words[i]):
            i += 1
        if i < len(words) and words[i] == "cargo":
            check_cargo(path, start, words[i:], failures)
            continue
        if i >= len(words) or words[i] != "make":
            continue
        for w in words[:i] + words[i + 1:]:
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=", w)
            if m:
                if m.group(1) not in variables:
                    failures.add(path, start, f"`{m.group(1)}=` is no setting the Makefile or deploy scripts read")
            elif not w.startswith("-") and w not in targets:
                failures.add(path, start, f"`make {w}`: no such target in the Makefile or mk/*.mk")


# Where each package's examples live.
PACKAGE_DIRS = {"alb-static-site": ".", "local-alb": "local-alb", "site-dev": "dev", "site-core": "site-core"}


def check_cargo(path, start, words, failures):
    """A `cargo run --example NAME` names an example of the package it picks."""
    if "--example" not in words:
        return
    name = words[words.index("--example") + 1] if words.index("--example") + 1 < len(words) else ""
    package = words[words.index("-p") + 1] if "-p" in words and words.index("-p") + 1 < len(words) else "alb-static-site"
    folder = PACKAGE_DIRS.get(package)
    if folder is None:
        failures.add(path, start, f"`cargo ... -p {package}`: no such package in the workspace")
    elif not (REPO / folder / "examples" / f"{name}.rs").exists():
        failures.add(path, start, f"`cargo ... --example {name}`: no such example in {package}")


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"`|\*\*|__", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen, out = {}, set()
    for _, line in outside_fences(path.read_text()):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else f"{s}-{n}")
    return out


def check_links(path, text, failures):
    for n, line in outside_fences(text):
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                failures.add(path, n, f"link to {target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                failures.add(path, n, f"link to {target}: no heading makes #{anchor} in {shown(dest)}")


def test_exists(file, name):
    path = REPO / file
    if not path.exists():
        return False
    text = path.read_text()
    if file.endswith(".rs"):
        return re.search(rf"\bfn {re.escape(name)}\s*\(", text) is not None
    if file.endswith(".py"):
        return re.search(rf"\bdef {re.escape(name)}\s*\(", text) is not None
    title = name.strip('"')
    return re.search(rf"\btest\(\s*([\"'`]){re.escape(title)}\1", text) is not None


def check_test_refs(path, text, failures):
    for n, line in enumerate(text.splitlines(), 1):
        for file, name in TEST_REF.findall(line):
            if not test_exists(file, name):
                failures.add(path, n, f"names the test {file}::{name}, which does not exist")


def rewrite_targets(redirects):
    """The pages a `_redirects` block's 200 and 404 rewrites serve: the reader's site has them, so
    the one-page site it is checked on gets them too."""
    pages = {}
    for line in redirects.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[2].rstrip("!") in ("200", "404") and words[1].startswith("/") \
                and ":" not in words[1] and "*" not in words[1]:
            path = words[1].lstrip("/")
            pages[path + "index.html" if not path or path.endswith("/") else path] = "<!doctype html><title>x</title>\n"
    return pages


def site_dev_check(dev_tool, site_files, config_text):
    """Runs `site-dev check` on a one-page site with these extra files and this site.toml."""
    with tempfile.TemporaryDirectory() as d:
        site = Path(d) / "site"
        site.mkdir()
        (site / "index.html").write_text("<!doctype html><title>x</title>\n")
        for name, content in site_files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(content)
        config = Path(d) / "site.toml"
        config.write_text(config_text)
        r = subprocess.run([dev_tool, "check", "--site", str(site), "--config", str(config),
                            "--cache", str(Path(d) / "cache")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        return r.returncode, r.stdout


def run_block(path, start, body, failures):
    print(f"$ {shown(path)}:{start}\n{body.rstrip()}", flush=True)
    try:
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=REPO, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        failures.add(path, start, "the block ran over 600 s")
        return
    print(r.stdout.rstrip(), flush=True)
    if r.returncode != 0:
        failures.add(path, start, f"the block exited {r.returncode}:\n{r.stdout[-2000:]}")


def is_task_page(path):
    return path.parent.name == "docs" and path.name not in NOT_TASK_PAGES


def check_task_page(path, text, failures):
    """A task page starts with the commands and ends with what can go wrong."""
    sections = [(n, line[3:].strip()) for n, line in outside_fences(text) if line.startswith("## ")]
    first_section = sections[0][0] if sections else len(text.splitlines()) + 1
    first_fence = next((n for n, line in enumerate(text.splitlines(), 1) if re.match(r"^```(sh|bash)\b", line)), None)
    if first_fence is None or first_fence > first_section:
        failures.add(path, 1, "a task page opens with its commands: a ```sh block before the first section")
    if not sections or sections[-1][1] != "What can go wrong":
        failures.add(path, sections[-1][0] if sections else 1, "a task page ends with a section \"What can go wrong\"")


def check_file(path, args, targets, variables, failures):
    text = path.read_text()
    if is_task_page(path):
        check_task_page(path, text, failures)
    check_links(path, text, failures)
    check_test_refs(path, text, failures)
    for word, rest, start, body in blocks(text):
        if word in ("sh", "bash", "shell", "console"):
            check_shell(path, start, body, targets, variables, failures)
            if rest == "run" and not args.static:
                run_block(path, start, body, failures)
        elif word == "yaml":
            try:
                import yaml
            except ImportError:
                # The lint group's quick pass runs before the project's .venv exists; the whole
                # check (make check-docs) runs with it.
                if not args.static:
                    failures.add(path, start, "cannot check YAML: PyYAML is missing (run with the project's .venv)")
                continue
            try:
                yaml.safe_load(body)
            except yaml.YAMLError as e:
                failures.add(path, start, f"not valid YAML: {e}")
        elif word in ("toml", "_headers", "_redirects") and not args.static:
            files = {} if word == "toml" else {word: body}
            if word == "_redirects":
                files.update(rewrite_targets(body))
            code, out = site_dev_check(args.dev_tool, files, body if word == "toml" else "")
            if code != 0:
                failures.add(path, start, f"site-dev check refuses this {word} block:\n{out.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--static", action="store_true", help="no dev tool, no commands run")
    parser.add_argument("--dev-tool", default=str(REPO / "target/dev/release/site-dev"))
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    files = [p.resolve() for p in args.files] or [
        REPO / "README.md", REPO / "SECURITY.md", REPO / "ARCHITECTURE.md", REPO / "BENCHMARKS.md", *sorted((REPO / "docs").rglob("*.md"))]
    if not args.static and not os.access(args.dev_tool, os.X_OK):
        sys.exit(f"check-docs: {args.dev_tool} is missing: `make dev-tool` builds it")
    targets, variables, failures = make_targets(), known_variables(), Failures()
    for f in files:
        check_file(f, args, targets, variables, failures)
    for item in failures.items:
        print(item, file=sys.stderr)
    print(f"check-docs: {len(files)} files, {len(failures.items)} problems", file=sys.stderr)
    sys.exit(1 if failures.items else 0)


if __name__ == "__main__":
    main()
