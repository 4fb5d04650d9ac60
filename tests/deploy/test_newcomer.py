"""A newcomer's first commands, in the README's own words, on a clean clone.

The `make` commands of README.md's shell blocks are taken in order and run in a fresh `git clone`
of this repository (its committed HEAD), with the reader's own site at `../my-site` as the README
says: a server (`make local`, `make dev`) is started, must answer its first page, and is stopped;
`make deploy` runs against moto, this suite's local AWS stand-in. `make test` is skipped: it is the
suite this test is part of.

What the README asks the reader to fill in (a certificate's ARN, the SSM name of a client secret)
is made in moto and put in its place; nothing else of the command changes.

The clone builds with the release profile mk/dev.mk gives the dev tool (no fat LTO: behaviour
does not depend on it, and the shipped binary's own build is tested by test-package), into this
checkout's target/dev, so what `make dev-tool` compiled is not compiled again.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(not os.environ.get("NEWCOMER_TEST"),
                                reason="builds the project in a fresh clone (minutes): make test-docs runs it")
FIRST = 5  # the README's first five commands
SERVERS = {"local", "dev"}


def readme_blocks(info):
    """The bodies of README.md's fenced blocks of one kind (```sh, ```toml), in order."""
    text = (REPO / "README.md").read_text()
    return re.findall(rf"^```{info}[^\n]*\n(.*?)^```", text, re.M | re.S)


def readme_make_commands():
    """Each `make ...` command line of README.md's ```sh blocks, in order, as words."""
    out = []
    for block in readme_blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            i = 0
            while i < len(words) and re.match(r"^[A-Z][A-Z0-9_]*=", words[i]):
                i += 1
            if i < len(words) and words[i] == "make":
                out.append(words)
    return out


# The release profile as mk/dev.mk builds the dev tool (no fat LTO, 16 codegen units, not
# stripped), so the clone's builds reuse what `make dev-tool` compiled in target/dev.
DEV_PROFILE = dict(CARGO_PROFILE_RELEASE_LTO="false", CARGO_PROFILE_RELEASE_CODEGEN_UNITS="16",
                   CARGO_PROFILE_RELEASE_STRIP="false")


def share_build_cache(checkout):
    """The clone's target/release and target/dev are this checkout's target/dev (its release
    profile is DEV_PROFILE): the crates from crates.io are compiled once, and only the clone's own
    crates again (cargo names them by their path, so the two checkouts' builds sit side by side).
    The clone's `make dev` does put its site-dev (built from HEAD) at target/dev/release/site-dev."""
    shared = REPO / "target" / "dev"
    (shared / "release").mkdir(parents=True, exist_ok=True)
    (checkout / "target").mkdir()
    (checkout / "target" / "dev").symlink_to(shared)
    (checkout / "target" / "release").symlink_to(shared / "release")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return r.status, r.read().decode("utf-8", "replace")


def serve_and_fetch(words, cwd, env, log):
    """Starts a server command, waits (through its build) for its first page, stops it."""
    port = free_port()
    proc = subprocess.Popen(words, cwd=cwd, env=dict(env, PORT=str(port)), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 1500
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(f"{shlex.join(words)} stopped (exit {proc.returncode}) before serving:\n"
                            + Path(log.name).read_text()[-4000:])
            try:
                return get(f"http://127.0.0.1:{port}/")
            except OSError:
                time.sleep(1)
        pytest.fail(f"{shlex.join(words)}: no answer on :{port} in 25 minutes")
    finally:
        stop(proc)


def stop(proc):
    """Stops a server and everything it started (make, cargo, the server itself)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=30)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


def fill_in(words, aws):
    """The reader's own values where the README shows a placeholder, made in moto."""
    out = []
    for w in words:
        name, eq, value = w.partition("=")
        if eq and name == "CERTIFICATE_ARN":
            w = f"{name}={aws.certificate()}"
        elif eq and name == "OIDC_CLIENT_SECRET_SSM":
            aws.client("ssm").put_parameter(Name=value, Value="a-client-secret", Type="SecureString", Overwrite=True)
        elif eq and name in ("SUBNET_IDS", "VPC_ID"):
            w = f"{name}={default_network(aws)[name]}"
        out.append(w)
    return out


def default_network(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return {"VPC_ID": vpc, "SUBNET_IDS": ",".join(s["SubnetId"] for s in subnets[:2])}


def make_my_site(path):
    (path / "assets").mkdir(parents=True)
    (path / "index.html").write_text("<!doctype html><title>My site</title><h1>Hello from my site</h1>\n")
    (path / "about.html").write_text("<!doctype html><title>About</title><p>About me</p>\n")
    (path / "assets" / "style.css").write_text("body { font-family: sans-serif }\n")


def test_the_readme_first_five_commands_succeed_on_a_clean_clone(aws, tmp_path):
    commands = [w for w in readme_make_commands() if w[w.index("make") + 1:][:1] != ["test"]][:FIRST]
    assert len(commands) == FIRST, f"README.md has {len(commands)} make commands besides `make test`"
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(checkout)], check=True)
    share_build_cache(checkout)
    make_my_site(tmp_path / "my-site")
    for toml in readme_blocks("toml"):  # "write the login's settings in a file beside the site"
        (tmp_path / "my-site.toml").write_text(toml)
    cargo = Path(shutil.which("cargo")).parent
    home = Path.home()  # aws.env's HOME is the test's own folder: rustup and cargo keep theirs
    env = dict(aws.env, PATH=f"{aws.env['PATH'].split(':')[0]}:{cargo}:/usr/local/bin:/usr/bin:/bin",
               RUSTUP_HOME=os.environ.get("RUSTUP_HOME", str(home / ".rustup")),
               CARGO_HOME=os.environ.get("CARGO_HOME", str(home / ".cargo")),
               **DEV_PROFILE)
    for inherited in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # a newcomer's shell runs no make
        env.pop(inherited, None)
    for words in commands:
        words = fill_in(words, aws)
        log_path = tmp_path / f"{len(list(tmp_path.glob('*.log')))}.log"
        with open(log_path, "w") as log:
            print(f"$ {shlex.join(words)}", flush=True)
            target = words[words.index("make") + 1] if len(words) > words.index("make") + 1 else ""
            if target in SERVERS:
                status, page = serve_and_fetch(words, checkout, env, log)
                assert status == 200, f"{shlex.join(words)}: / answered {status}"
                if any(w.startswith("SITE_DIR=../my-site") for w in words):
                    assert "Hello from my site" in page, page[:500]
            else:
                r = subprocess.run(words, cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, timeout=1800)
                assert r.returncode == 0, f"{shlex.join(words)} exited {r.returncode}:\n" + log_path.read_text()[-4000:]
