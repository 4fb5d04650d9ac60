"""Builds the bootstrap binary for a fixture site and asks it questions through `bootstrap invoke -`.

A fixture is a folder `tests/sites/<fixture>/` holding the site in `site/` and its settings
variants as `*.toml` next to it (not inside `site/`: build.rs serves every file of SITE_DIR, so a
settings file there would be served as /site.toml). Large files are generated at test time into
a copy of the site under `target/sites/gen/`, never committed.

Every build goes through one shared target dir, debug profile, so dependencies compile once:
`target/bare-target`, the one `make test-bare` and `make test-panic` compile into (a bare `cargo
test`), so that the dependencies this build shares with theirs are not compiled again. After each
build the binary is copied to `target/sites/bin/<build-name>` before the next site is built.
"""

import base64
import gzip
import json
import os
import random
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "tests" / "sites"
CARGO_TARGET = REPO / "target" / "bare-target"
GEN = REPO / "target" / "sites" / "gen"
BIN = REPO / "target" / "sites" / "bin"
# A settings path that never exists: the build uses the default settings.
NO_SETTINGS = GEN / "no-settings.toml"

# local-alb's `reply::parse` behind a command line: the one "would ALB accept this" check.
# Built in the test profile (Cargo.toml's test-release), like every test binary.
CHECK_RESPONSE = REPO / "target" / "test-release" / "examples" / "check_response"
MAX_RANGE = 720_000
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/6d0ecf831eec9f09"


@dataclass
class Build:
    name: str
    ok: bool
    output: str  # cargo's stderr (warnings, the build script's error)
    binary: Path | None
    seconds: float
    # The largest resident set of any process of the build (cargo, the build script, rustc,
    # the linker), in KiB: getrusage(RUSAGE_CHILDREN) of a process that ran only this cargo.
    peak_rss_kb: int = 0


# Runs argv, then prints the children's max RSS on its own stdout line, and exits as argv did.
MEASURED = ("import resource, subprocess, sys\n"
            "r = subprocess.run(sys.argv[1:])\n"
            "print('peak-rss-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(r.returncode)\n")


def cargo_build(name, site_dir, settings=None, env=None):
    """Builds the debug bootstrap for one site; on success copies it to target/sites/bin/<name>."""
    GEN.mkdir(parents=True, exist_ok=True)
    BIN.mkdir(parents=True, exist_ok=True)
    e = {k: v for k, v in os.environ.items()
         if k not in ("SITE_DIR", "SITE_CONFIG", "SOURCE_DATE_EPOCH", "CARGO_TARGET_DIR")}
    e["SITE_DIR"] = str(site_dir)
    e["SITE_CONFIG"] = str(settings or NO_SETTINGS)
    e.update(env or {})
    started = time.monotonic()
    p = subprocess.run(
        ["python3", "-c", MEASURED, "cargo", "build", "--locked",
         "--bin", "bootstrap", "--target-dir", str(CARGO_TARGET)],
        cwd=REPO, env=e, capture_output=True, text=True)
    seconds = time.monotonic() - started
    peak = [int(line.split()[1]) for line in p.stdout.splitlines()
            if line.startswith("peak-rss-kb ")]
    binary = None
    if p.returncode == 0:
        binary = BIN / name
        shutil.copy2(CARGO_TARGET / "debug" / "bootstrap", binary)
    return Build(name, p.returncode == 0, p.stderr, binary, seconds, peak[-1] if peak else 0)


def generated_site(name, base, files=None):
    """A fresh copy of `base` under target/sites/gen/<name>, plus `files` {relative path: bytes|str}."""
    out = GEN / name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out)
    for rel, data in (files or {}).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        path.write_bytes(data)
    return out


def write_settings(name, text):
    path = GEN / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def blob_caches():
    """The build script's content-hash caches (OUT_DIR/blobs) in the shared target dir."""
    return list((CARGO_TARGET / "debug" / "build").glob("alb-static-site-*/out/blobs"))


# --- generated content ------------------------------------------------------------------------

def compressible_js(size, seed=1):
    """`size` bytes of JavaScript-like text: compresses to roughly a quarter with gzip."""
    rng = random.Random(seed)
    words = ["render", "state", "props", "element", "update", "value", "index", "handler",
             "component", "effect", "memo", "context", "dispatch", "reducer", "node", "child"]
    out, n, total = [], 0, 0
    while total < size:
        a, b, c = rng.choice(words), rng.choice(words), rng.choice(words)
        line = (f"function {a}{n}({b}, {c}) {{ const {a}_{n} = {b}.{c} + {rng.randint(0, 99999)};"
                f" if ({a}_{n} > {rng.randint(0, 999)}) {{ return {c}({a}_{n}, \"{b}-{n}\"); }}"
                f" return {b}; }}\n")
        out.append(line)
        total += len(line)
        n += 1
    return "".join(out)[:size].encode()


def random_bytes(size, seed=2):
    return random.Random(seed).randbytes(size)


# --- events and responses ---------------------------------------------------------------------

def event(method, path, headers=None, query=None):
    """A single-value-mode ALB event."""
    return {
        "requestContext": {"elb": {"targetGroupArn": TG}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": dict(query or {}),
        "headers": dict(headers or {}),
        "body": "",
        "isBase64Encoded": False,
    }


def invoke_raw(binary, ev):
    """`bootstrap invoke -` with the event on stdin; returns its stdout."""
    p = subprocess.run([str(binary), "invoke", "-"], input=json.dumps(ev).encode(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, f"invoke exited {p.returncode}: {p.stderr.decode(errors='replace')}"
    return p.stdout


def invoke(binary, method, path, headers=None, query=None):
    raw = invoke_raw(binary, event(method, path, headers, query))
    r = json.loads(raw)
    assert_valid_alb_response(r, raw)
    return r


def wire_size(r):
    """Bytes of the response as the runtime sends it (compact JSON)."""
    return len(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode())


_checker_built = False


def alb_accepts(raw, multi_value):
    """Runs local-alb's reply::parse on the response bytes; returns ALB's reason to refuse, or None.
    Builds the checker once per session (cargo does nothing when it is fresh)."""
    global _checker_built
    if not _checker_built:
        # The whole workspace with the planner, as the Makefile's TEST_SEL: the same features
        # for every crate, so the crates `make test-rust` compiled are not compiled again.
        subprocess.run(["cargo", "build", "--profile", "test-release", "--locked",
                        "--workspace", "--features", "site-core/plan", "--example", "check_response"],
                       cwd=REPO, check=True, capture_output=True)
        _checker_built = True
    args = [str(CHECK_RESPONSE)] + (["--multi-value"] if multi_value else [])
    p = subprocess.run(args, input=raw, capture_output=True, timeout=60)
    assert p.returncode in (0, 1), f"check_response exited {p.returncode}: {p.stderr!r}"
    return p.stderr.decode(errors="replace").strip() if p.returncode else None


def assert_valid_alb_response(r, raw):
    """ALB accepts the response bytes (local-alb's reply::parse), and it has the project's shape
    (the same as tests/common/mod.rs: exactly the five fields, "CODE Reason")."""
    assert isinstance(r, dict)
    assert set(r) in ({"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"},
                      {"statusCode", "statusDescription", "multiValueHeaders", "body",
                       "isBase64Encoded"}), r.keys()
    refused = alb_accepts(raw, "multiValueHeaders" in r)
    assert refused is None, refused
    code = r["statusCode"]
    assert r["statusDescription"].startswith(f"{code} ") and len(r["statusDescription"]) > 4


def header(r, name):
    for k, v in r.get("headers", {}).items():
        if k.lower() == name.lower():
            return v
    return None


def body_bytes(r):
    if r["isBase64Encoded"]:
        return base64.b64decode(r["body"])
    return r["body"].encode()


def decoded_body(r):
    raw = body_bytes(r)
    enc = header(r, "content-encoding")
    if enc is None:
        return raw
    if enc == "gzip":
        return gzip.decompress(raw)
    raise AssertionError(f"unexpected content-encoding {enc}")
