"""A deploy killed at any step leaves the old version serving or the new one, never nothing; the
next deploy completes it."""

import os
import signal
import subprocess

import pytest

from conftest import DEPLOY, REPO


@pytest.mark.parametrize("step", [2, 3, 4, 5])
def test_a_deploy_killed_at_a_step_leaves_a_version_serving_and_the_next_deploy_completes(aws, step):
    aws.deploy()
    assert aws.alias_version() == "1"
    aws.zip = aws.make_zip("v2")
    env = dict(aws.env, ZIP=str(aws.zip))
    proc = subprocess.Popen([str(DEPLOY / "deploy.sh")], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(f"[{step}/"):
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert any(line.startswith(f"[{step}/") for line in seen), "".join(seen)
    live = aws.alias_version()
    assert live in ("1", "2")
    code = aws.client("lambda").get_function(FunctionName="static-site", Qualifier=live)["Configuration"]["CodeSha256"]
    assert code  # the alias names a published version with code
    aws.deploy()
    assert aws.alias_version() == "2"
    assert aws.versions() == ["1", "2"]
