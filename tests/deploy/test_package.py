"""The real package `make build` makes: deterministic, and deployable as it is."""

import json
import os
import zipfile
from pathlib import Path

import pytest

BOOTSTRAP = os.environ.get("DEPLOY_TEST_BOOTSTRAP")
pytestmark = pytest.mark.skipif(not BOOTSTRAP or not (Path(BOOTSTRAP).parent / "bootstrap.zip").exists(),
                                reason="needs the built package (DEPLOY_TEST_BOOTSTRAP): make test-deploy sets it")


def package():
    return Path(BOOTSTRAP).parent / "bootstrap.zip"


def test_the_zip_holds_one_executable_bootstrap_with_a_fixed_time_so_the_same_binary_gives_the_same_bytes():
    with zipfile.ZipFile(package()) as z:
        [entry] = z.infolist()
    assert entry.filename == "bootstrap"
    assert entry.date_time == (1980, 1, 1, 0, 0, 0)
    assert (entry.external_attr >> 16) & 0o777 == 0o755
    assert not entry.extra  # zip -X: no extra fields (they would carry the file's times and owner)


def test_the_real_package_deploys_and_its_second_deploy_changes_nothing(aws):
    aws.zip = package()
    out = aws.deploy()
    facts = json.loads(Path(BOOTSTRAP).read_bytes().split(b"alb-static-site-deploy-info ", 1)[1].split(b"\n", 1)[0])
    params = aws.parameters()
    assert params["HealthPath"] == facts["health_path"]
    assert params["MultiValueHeaders"] == ("true" if facts["most_set_cookies"] > 1 else "false")
    assert "live: static-site version 1" in out
    assert "no changes" in aws.deploy()
    assert aws.versions() == ["1"]
