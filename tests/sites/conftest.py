"""One build per (site, settings) for the whole session, built on first use, one at a time."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

# Generated files: just big enough to cross the 1 MB line.
BIG_JS = 1_500_000  # compressible: identity does not fit, gzip and br do
BIG_BIN = 1_200_000  # incompressible: base64 is 1.6 MB, nothing fits


_large = []


def large_site():
    """Generated once per session."""
    if not _large:
        _large.append(make_large_site())
    return _large[0]


def make_large_site():
    return harness.generated_site("large", harness.SITES / "large" / "site", {
        "big.js": harness.compressible_js(BIG_JS),
        "blob.bin": harness.random_bytes(BIG_BIN),
    })


# name -> () -> (site dir, settings path or None, extra env)
BUILDS = {
    "spa": lambda: (harness.SITES / "spa" / "site", harness.SITES / "spa" / "site.toml",
                    {"SOURCE_DATE_EPOCH": "1700000000"}),
    "large-fail": lambda: (large_site(), harness.SITES / "large" / "fail.toml", {}),
}


class Builds:
    def __init__(self):
        self.done = {}

    def get(self, name):
        if name not in self.done:
            site, settings, env = BUILDS[name]()
            self.done[name] = harness.cargo_build(name, site, settings, env)
        return self.done[name]

    def ok(self, name):
        b = self.get(name)
        assert b.ok, f"building {name} failed:\n{b.output[-4000:]}"
        return b.binary

    def custom(self, name, site, settings=None, env=None):
        """A one-off build (failure cases, reproducibility); not cached under BUILDS."""
        b = harness.cargo_build(name, site, settings, env)
        self.done[name] = b
        return b


_builds = Builds()


@pytest.fixture(scope="session")
def builds():
    return _builds


def pytest_terminal_summary(terminalreporter):
    if _builds.done:
        terminalreporter.write_line("site builds (debug, target/bare-target):")
        for name, b in _builds.done.items():
            terminalreporter.write_line(
                f"  {name:<24} {'ok    ' if b.ok else 'failed'} {b.seconds:6.1f} s"
                f"  peak RSS {b.peak_rss_kb / 1024:7.0f} MiB")
