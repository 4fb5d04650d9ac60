"""Fixtures: a moto server on a free 127.0.0.1 port, and a runner for the real deploy scripts.

The scripts run with the real AWS CLI from the test virtualenv, dummy credentials, the endpoint
in AWS_ENDPOINT_URL, and proxy variables pointing at a dead port so that any call that would leave
for real AWS fails fast instead.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "deploy.sh"
DESTROY = REPO / "deploy" / "destroy.sh"
BIN = Path(sys.executable).parent  # the venv's bin: aws, moto_server
REGION = "us-east-1"
TAG_KEY = "alb-static-site:stack"

# Settings the scripts read; never inherit them from the developer's shell.
SETTINGS = [
    "FUNCTION_NAME", "STACK_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "ZIP",
    "ARCHITECTURE", "MEMORY_SIZE", "TIMEOUT", "LOG_FORMAT", "ROLE_ARN", "ALIAS_NAME", "DEPLOY_BUCKET",
    "DIRECT_UPLOAD_LIMIT", "MULTI_VALUE_HEADERS", "HEALTH_PATH", "HEALTH_CHECK_INTERVAL", "LISTENER_ARN",
    "RULE_PATH_PATTERNS", "RULE_HOST_HEADERS", "RULE_PRIORITY", "CURL_CHECK", "DEPLOY_ENV_FILE",
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory):
    exe = BIN / "moto_server"
    assert exe.exists(), f"{exe} missing: run the tests with the venv's python (make test-deploy)"
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        for _ in range(100):
            try:
                opener.open(url + "/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("moto_server exited; see its log")
                time.sleep(0.1)
        else:
            raise RuntimeError("moto_server did not start in 10 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Aws:
    """The test's view of the mock: boto3 clients and a runner for the scripts."""

    def __init__(self, url, tmp_path):
        self.url = url
        self.tmp = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in SETTINGS}
        self.env.update(
            PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            HOME=str(tmp_path),
            AWS_CONFIG_FILE=str(tmp_path / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_ENDPOINT_URL=url,
            HTTPS_PROXY="http://127.0.0.1:9",
            HTTP_PROXY="http://127.0.0.1:9",
            https_proxy="http://127.0.0.1:9",
            http_proxy="http://127.0.0.1:9",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            AWS_EC2_METADATA_DISABLED="true",  # no credential lookup on 169.254.169.254
            CURL_CHECK="never",
        )
        self.zip = self.make_zip("v1")

    def client(self, service):
        return boto3.client(
            service, region_name=REGION, endpoint_url=self.url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def make_zip(self, content, name=None):
        """A small stand-in for dist/bootstrap.zip (moto never runs it)."""
        path = self.tmp / (name or f"bootstrap-{content}.zip")
        with zipfile.ZipFile(path, "w") as z:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            z.writestr(info, f"#!/bin/sh\necho {content}\n")
        return path

    def run(self, script, env_override=None, **settings):
        env = dict(self.env, ZIP=str(self.zip))
        env.update({k: str(v) for k, v in settings.items()})
        for k, v in (env_override or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return subprocess.run(
            [str(script)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=300,
        )

    def deploy(self, **settings):
        r = self.run(DEPLOY, **settings)
        assert r.returncode == 0, r.stdout
        return r.stdout

    def destroy(self, **settings):
        r = self.run(DESTROY, **settings)
        assert r.returncode == 0, r.stdout
        return r.stdout


@pytest.fixture
def aws(moto_url, tmp_path):
    """A fresh, empty mock account for each test."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10)
    return Aws(moto_url, tmp_path)
