"""What needs a real build of the binary: build failures (a bad `_redirects`, `_headers` or
settings file, a file too large for ALB) with cargo's output, `SOURCE_DATE_EPOCH`, and
reproducible builds. Behaviour that only depends on a site's files or settings is tested on
sites planned in memory, in `tests/sites.rs`.

Each test builds (once per session) the bootstrap binary for a fixture site and asks it through
`bootstrap invoke -`; expected build failures are asserted on cargo's output.
"""

import hashlib
import os
import subprocess

import pytest

import harness
from conftest import BIG_BIN
from harness import header, invoke

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# 1. An incompressible file bigger than one response -------------------------------------------

def test_incompressible_big_file_fails_the_build_with_too_large_fail_naming_path_and_sizes(builds):
    b = builds.get("large-fail")
    assert not b.ok, "the build should fail"
    out = b.output
    assert "cannot be served within ALB's 1 MB response limit" in out, out[-3000:]
    assert f"/blob.bin (identity {BIG_BIN} bytes)" in out, out[-3000:]
    assert "/big.js" not in out  # gzip and br fit, so it is kept
    # The way out is named: each of the other modes.
    assert 'limits.too_large = "s3", "skip" or "redirect"' in out, out[-3000:]


# 2. Build errors: _redirects, _headers, settings ----------------------------------------------

REDIRECT_ERRORS = {
    "unknown-status": ("/teapot  /  418", "status 418 is not supported"),
    "undefined-placeholder": ("/blog/:slug  /posts/:id  301", "target uses :id"),
    "rewrite-to-missing-page": ("/old  /no-such-page  200",
                                "the 200 rewrite target /no-such-page is not a page of the site"),
}


@pytest.mark.parametrize("case", sorted(REDIRECT_ERRORS))
def test_bad_redirects_line_fails_the_build_naming_file_line_and_reason(builds, case):
    line, reason = REDIRECT_ERRORS[case]
    text = "# comment\n/home  /  301\n" + line + "\n/after  /  302\n"
    site = harness.generated_site(f"redirects-{case}", harness.SITES / "spa" / "site",
                                  {"_redirects": text})
    b = builds.custom(f"redirects-{case}", site)
    assert not b.ok, "the build should fail"
    assert f"_redirects:3: {reason}" in b.output, b.output[-3000:]


def test_bad_headers_line_fails_the_build_naming_file_line_and_reason(builds):
    text = "/assets/*\n  Cache-Control: public, max-age=60\n  X-Broken header\n"
    site = harness.generated_site("headers-bad", harness.SITES / "spa" / "site",
                                  {"_headers": text})
    b = builds.custom("headers-bad", site)
    assert not b.ok, "the build should fail"
    assert "_headers:3: expected 'Name: value' or '! Name'" in b.output, b.output[-3000:]


SETTINGS_ERRORS = {
    "unknown-variant": ('trailing_slash = "sometimes"\n', ["trailing_slash", "sometimes"]),
    "bad-redirect-status": ("redirect_status = 305\n",
                            ["redirect_status = 305: must be one of 301, 302, 303, 307, 308"]),
    "redirect-without-prefix": ('[limits]\ntoo_large = "redirect"\n',
                                ['limits.too_large = "redirect" needs limits.external_prefix']),
    "unknown-key": ('[compression]\nzstd = true\n', ["zstd"]),
}


@pytest.mark.parametrize("case", sorted(SETTINGS_ERRORS))
def test_bad_settings_value_fails_the_build_naming_the_key(builds, case):
    text, needles = SETTINGS_ERRORS[case]
    settings = harness.write_settings(f"settings-{case}", text)
    b = builds.custom(f"settings-{case}", harness.SITES / "spa" / "site", settings)
    assert not b.ok, "the build should fail"
    assert str(settings) in b.output, b.output[-3000:]
    for n in needles:
        assert n in b.output, b.output[-3000:]


# 3. SOURCE_DATE_EPOCH and reproducible builds -------------------------------------------------

def spa_requests():
    """Every file of the spa site in every encoding, plus a fallback and a 404."""
    out = []
    for f in sorted((harness.SITES / "spa" / "site").rglob("*")):
        if f.is_file():
            path = "/" + f.relative_to(harness.SITES / "spa" / "site").as_posix()
            path = "/" if path == "/index.html" else path
            for ae in (None, "gzip", "br"):
                out.append((path, {"accept-encoding": ae} if ae else {}))
    out += [("/app/settings", HTML), ("/nope.js", {})]
    return out


def test_source_date_epoch_sets_last_modified_on_every_file(builds):
    b = builds.ok("spa")
    for path, headers in spa_requests()[:-1]:
        r = invoke(b, "GET", path, headers)
        assert r["statusCode"] == 200, path
        assert header(r, "last-modified") == "Tue, 14 Nov 2023 22:13:20 GMT", path


def test_two_builds_give_identical_responses(builds):
    first = builds.ok("spa")
    # Another folder, new mtimes, an empty blob cache: everything is encoded again.
    site = harness.generated_site("spa-again", harness.SITES / "spa" / "site")
    hashes = {hashlib.sha256(f.read_bytes()).hexdigest()
              for f in (harness.SITES / "spa" / "site").rglob("*") if f.is_file()}
    removed = 0
    for cache in harness.blob_caches():
        for blob in cache.iterdir():
            if blob.name.split(".")[0] in hashes:
                blob.unlink()
                removed += 1
    assert removed >= len(hashes)
    b = builds.custom("spa-again", site, harness.SITES / "spa" / "site.toml",
                      {"SOURCE_DATE_EPOCH": "1700000000"})
    assert b.ok, b.output[-3000:]
    for path, headers in spa_requests():
        ev = harness.event("GET", path, headers)
        assert harness.invoke_raw(first, ev) == harness.invoke_raw(b.binary, ev), path


# 5. Scale: the build's memory follows the site's bytes, not its number of files --------------

SCALE_FILES = 30_000
SCALE_PEAK_RSS_KB = 2 * 1024 * 1024


def test_a_30000_file_site_builds_within_2_gb_peak_rss_of_any_build_process(builds):
    """A guard against a return to per-file Rust code, which cost rustc about 20 GB at 10,000
    files. The site is small in bytes (about 1 KB a page) so the build is quick."""
    site = harness.GEN / "scale-30k"
    if not (site / "p" / f"{(SCALE_FILES - 5) // 100:04d}" / f"{SCALE_FILES - 5:06d}.html").exists():
        subprocess.run(["python3", str(harness.REPO / "tools" / "gen-site.py"), str(site),
                        "--pages", str(SCALE_FILES - 3), "--js-kb", "4", "--png-kb", "4"],
                       check=True)
    files = sum(len(f) for _, _, f in os.walk(site))
    assert files >= SCALE_FILES, files
    b = builds.custom("scale-30k", site)
    assert b.ok, b.output[-3000:]
    assert 0 < b.peak_rss_kb <= SCALE_PEAK_RSS_KB, (
        f"peak RSS of the build {b.peak_rss_kb / 1024:.0f} MiB, over "
        f"{SCALE_PEAK_RSS_KB / 1024:.0f} MiB")
    r = invoke(b.binary, "GET", f"/p/0123/{12345:06d}", HTML)
    assert r["statusCode"] == 200, r["statusCode"]
    assert "Page 12345" in harness.decoded_body(r).decode()
