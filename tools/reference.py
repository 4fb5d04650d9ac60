#!/usr/bin/env python3
"""Writes docs/reference/deploy-settings.md from deploy/settings.env, so the page says what the
file says.

usage: tools/reference.py [--check] [--unused] [--settings FILE] [--page FILE]

  (none)     write the page
  --check    write nothing; exit 1 naming the page when it differs from what the file gives
  --unused   list the settings no deploy script (deploy/*.sh) nor the Makefile (mk/*.mk) reads;
             exit 1 when there are any

Either way, exit 1 with `settings.env:LINE: reason` when the file breaks its own conventions:

  # --- Title                 a section; comment lines right after it that start in lowercase
                              continue its title
  NAME=${NAME-default} # ...  a setting, its default and its meaning; comment lines right after
                              it that start in lowercase or are indented continue the meaning
  # a comment                 (other comment lines) the meaning, or the start of it, of the
                              setting on the next line
  # NAME (where): meaning     a setting read from the environment or the command line that the
                              file gives no default: listed too, with its meaning

A setting without a meaning, or a comment that belongs to no setting, is an error. The comment
lines at the top, before the first section, are the page's introduction.

Plain Python (no packages): it runs in the lint group, before the project's virtualenv exists.
"""

import argparse
import difflib
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETTINGS = REPO / "deploy" / "settings.env"
PAGE = REPO / "docs" / "reference" / "deploy-settings.md"
# Where a setting is read: the deploy scripts and the make files (settings.env itself aside).
READERS = [*sorted((REPO / "deploy").glob("*.sh")), REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]

SECTION = re.compile(r"^# --- (.+)$")
SETTING = re.compile(r"^([A-Z][A-Z0-9_]*)=\$\{\1-")
COMMENT_ONLY = re.compile(r"^#\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{2,}[A-Z0-9_]*)\s*(?:\(([^)]*)\))?:\s+(.+)$")
NAME = re.compile(r"^[A-Z][A-Z0-9_]*=")


class Problems(Exception):
    pass


class Setting:
    def __init__(self, name, line, default=None, where=None, meaning=""):
        self.name, self.line, self.default, self.where = name, line, default, where
        self.meaning = meaning

    def extend(self, text):
        self.meaning = f"{self.meaning} {text}".strip()


class Section:
    def __init__(self, title, line):
        self.title, self.line, self.settings = title, line, []

    def extend(self, text):
        self.title = f"{self.title} {text}"


def expansion(text, start):
    """The end (after the closing brace) of the `${...}` that opens at `start`."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth, i = depth + 1, i + 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def continues(text):
    """Does this comment text carry on the line before it (lowercase start, or aligned)?"""
    return text.startswith("  ") or text.strip()[:1].islower()


def parse(path):
    """(introduction, sections) of a settings file; raises Problems listing every fault."""
    lines = path.read_text().splitlines()
    defined = {m[1] for line in lines if (m := SETTING.match(line))}
    intro, sections, pending, last, problems = [], [], [], None, []

    def fault(n, reason):
        problems.append(f"{path.name}:{n}: {reason}")

    def orphans(n):
        if pending:
            fault(pending[0][0], f"comment belongs to no setting (the next line, {n}, is not one)")
            pending.clear()

    for n, line in enumerate(lines, 1):
        line = line.rstrip()
        if line.startswith("# shellcheck") or (not line and not sections):
            continue
        if not line:
            orphans(n)
            last = None
        elif m := SECTION.match(line):
            orphans(n)
            sections.append(Section(m[1].strip(), n))
            last = sections[-1]
        elif line.startswith("#"):
            text = line[1:]
            if not sections:
                intro.append(text.strip())
            elif last is not None and not pending and continues(text):
                last.extend(text.strip())
            elif (m := COMMENT_ONLY.match(line)) and m[1] not in defined:
                orphans(n)
                sections[-1].settings.append(Setting(m[1], n, where=m[2], meaning=m[3].strip()))
                last = sections[-1].settings[-1]
            else:
                pending.append((n, text.strip()))
                last = None
        elif m := SETTING.match(line):
            if not sections:
                fault(n, f"{m[1]} comes before the first `# --- Section` line")
                continue
            start = len(m[1]) + 1
            end = expansion(line, start)
            if end is None:
                fault(n, f"{m[1]}: unbalanced braces")
                continue
            default = line[start + len(m[1]) + 3 : end - 1]
            rest = line[end:].strip()
            if rest and not rest.startswith("#"):
                fault(n, f"{m[1]}: unexpected {rest!r} after the value")
            comment = rest[1:].strip()
            setting = Setting(m[1], n, default=default, meaning=" ".join([t for _, t in pending] + [comment]).strip())
            pending.clear()
            sections[-1].settings.append(setting)
            last = setting if comment else None
        elif NAME.match(line):
            fault(n, f"write it as {line.split('=')[0]}=${{{line.split('=')[0]}-default}} # meaning")
        else:
            fault(n, f"not a setting, a comment or a section: {line!r}")
    orphans(len(lines) + 1)
    for section in sections:
        for s in section.settings:
            if not s.meaning:
                fault(s.line, f"{s.name} has no meaning: add `# what it is` after it (or a comment line before it)")
    if problems:
        raise Problems("\n".join(problems))
    return intro, sections


def shown_default(text):
    """A default as the page shows it: a value, or which variable it comes from."""
    if text == "":
        return "empty"
    if text.startswith("${") and expansion(text, 0) == len(text):
        inner = text[2:-1]
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(:?-)?(.*)$", inner, re.S)
        if m:
            name, op, rest = m[1], m[2], m[3]
            if op is None and rest == "":
                return f"the value of `{name}`"
            if op == "-":
                return f"`{name}` if set, else {shown_default(rest)}"
            if op == ":-":
                return f"`{name}` if not empty, else {shown_default(rest)}"
    return f"`{text}`"


def prose(text, names):
    """Comment text as Markdown: its `code` kept, setting names (and NAME=value) made code, the
    rest escaped."""
    out = []
    for k, part in enumerate(re.split(r"(`[^`]*`)", text)):
        out.append(part.replace("|", "\\|") if k % 2 else names_as_code(part, names))
    return "".join(out)


def names_as_code(text, names):
    out, i = [], 0
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9_$])({alternatives})(=[^\s,;)`]*)?(?![A-Za-z0-9_])")
    for m in pattern.finditer(text):
        out.append(escape(text[i : m.start()]))
        code = m[0].rstrip(".:")
        out.append(f"`{code}`" + m[0][len(code) :])
        i = m.end()
    out.append(escape(text[i:]))
    return "".join(out)


def escape(text):
    for ch in "\\*<>|[]_`":
        text = text.replace(ch, "\\" + ch)
    return text


def render(intro, sections, source):
    names = {s.name for section in sections for s in section.settings}
    out = [
        f"_Generated from `{source}` (each setting's default and comment, under its `# ---` section) "
        "by `make reference` (`tools/reference.py`). Do not edit: `tools/reference.py --check`, "
        "in `make lint`, fails when this page and the file differ._",
        "",
        "# Deploy settings",
        "",
        prose(" ".join(intro), names),
    ]
    for section in sections:
        out += ["", f"## {prose(section.title, names)}", ""]
        out += ["| Setting | Default | Meaning |", "|---|---|---|"]
        for s in section.settings:
            if s.default is None:
                default = "not set"
                meaning = f"_{escape(s.where)}:_ {prose(s.meaning, names)}" if s.where else prose(s.meaning, names)
            else:
                default = shown_default(s.default).replace("|", "\\|")
                meaning = prose(s.meaning, names)
            out.append(f"| `{s.name}` | {default} | {meaning} |")
    return "\n".join(out) + "\n"


def unused(sections, settings_path):
    """Settings nothing reads: not the deploy scripts, not the make files, nor another's default."""
    code = []
    for f in READERS:
        if f.exists() and f.resolve() != settings_path.resolve():
            code += [line for line in f.read_text().splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(code)
    defaults = " ".join(s.default or "" for section in sections for s in section.settings)
    found = []
    for section in sections:
        for s in section.settings:
            word = re.compile(rf"(?<![A-Za-z0-9_]){s.name}(?![A-Za-z0-9_])")
            if not word.search(text) and not word.search(defaults):
                found.append(s)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    parser.add_argument("--unused", action="store_true", help="list the settings nothing reads")
    parser.add_argument("--settings", type=Path, default=SETTINGS)
    parser.add_argument("--page", type=Path, default=PAGE)
    args = parser.parse_args()
    try:
        intro, sections = parse(args.settings)
    except Problems as e:
        print(e, file=sys.stderr)
        return 1
    source = args.settings.resolve().relative_to(REPO) if args.settings.resolve().is_relative_to(REPO) else args.settings
    page = render(intro, sections, source)
    shown = args.page.resolve().relative_to(REPO) if args.page.resolve().is_relative_to(REPO) else args.page
    if args.unused:
        found = unused(sections, args.settings)
        for s in found:
            print(f"{args.settings.name}:{s.line}: {s.name} is read by no deploy script (deploy/*.sh) nor make file")
        return 1 if found else 0
    if args.check:
        current = args.page.read_text() if args.page.exists() else ""
        if current != page:
            diff = difflib.unified_diff(current.splitlines(), page.splitlines(), str(shown), "expected", lineterm="", n=0)
            print("\n".join(list(diff)[:12]), file=sys.stderr)
            print(f"{shown} is out of date: run `make reference`", file=sys.stderr)
            return 1
        return 0
    args.page.parent.mkdir(parents=True, exist_ok=True)
    args.page.write_text(page)
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
