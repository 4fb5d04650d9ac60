"""Preflight: the package and the settings are checked before any change, from the package's
bytes (the ELF header and the deploy-info line the build writes); a failure says what to do."""

import pytest

from conftest import DEPLOY, everything


def stopped_before_any_change(aws, r, empty):
    assert r.returncode != 0
    assert "error in step [1/15]" in r.stdout
    assert "stopped before changing anything" in r.stdout
    assert everything(aws) == empty


@pytest.fixture
def empty(aws):
    return everything(aws)


def test_arm64_binary_for_an_x86_64_function_stops_before_any_change(aws, empty):
    aws.zip = aws.make_zip("arm", arch="arm64")
    r = aws.run(DEPLOY)
    stopped_before_any_change(aws, r, empty)
    assert "built for arm64, but ARCHITECTURE=x86_64: the function would answer every request with a 502" in r.stdout


def test_x86_64_binary_for_an_arm64_function_stops_before_any_change(aws, empty):
    r = aws.run(DEPLOY, ARCHITECTURE="arm64")
    stopped_before_any_change(aws, r, empty)
    assert "built for x86_64, but ARCHITECTURE=arm64" in r.stdout


def test_arch_setting_sets_the_architecture_the_binary_is_checked_against(aws):
    aws.zip = aws.make_zip("arm", arch="arm64")
    r = aws.run(DEPLOY, ARCH="arm64", PLAN="1")
    assert r.returncode == 0, r.stdout
    assert "arm64" in r.stdout and "Lambda function static-site (provided.al2023, arm64" in r.stdout


def test_package_unzipping_over_lambdas_limit_stops_before_any_change(aws, empty):
    r = aws.run(DEPLOY, UNZIPPED_LIMIT="200")
    stopped_before_any_change(aws, r, empty)
    assert "over Lambda's limit of 200 bytes" in r.stdout


def test_health_path_other_than_the_binarys_stops_before_any_change(aws, empty):
    r = aws.run(DEPLOY, HEALTH_PATH="/healthz")
    stopped_before_any_change(aws, r, empty)
    assert "HEALTH_PATH=/healthz, but the package answers health checks on /health" in r.stdout


def test_health_path_defaults_to_the_one_the_binary_answers(aws):
    aws.zip = aws.make_zip("ping", health_path="/ping")
    r = aws.run(DEPLOY, PLAN="1")  # (a real deploy with such a package: test_redeploy_updates_... in test_deploy.py)
    assert r.returncode == 0, r.stdout
    assert "health checks on /ping" in r.stdout


def test_several_set_cookie_with_single_value_headers_stops_before_any_change(aws, empty):
    aws.zip = aws.make_zip("cookies", most_set_cookies=3)
    r = aws.run(DEPLOY, MULTI_VALUE_HEADERS="false")
    stopped_before_any_change(aws, r, empty)
    assert "sends 3 Set-Cookie headers" in r.stdout and "set MULTI_VALUE_HEADERS=true" in r.stdout


def test_several_set_cookie_turn_multi_value_headers_on_by_default(aws):
    aws.zip = aws.make_zip("cookies", most_set_cookies=2)
    r = aws.run(DEPLOY, PLAN="1")
    assert r.returncode == 0, r.stdout
    assert "multi-value headers true (a response of the site sends 2 Set-Cookie headers)" in r.stdout
    assert "target group static-site-tg (lambda, multi-value headers true" in r.stdout


@pytest.mark.parametrize("kind, make, expected", [
    ("not an ELF", dict(raw=b"#!/bin/sh\necho hi\n"), "is not a Linux executable (ELF)"),
    ("no bootstrap at the root", dict(entry="dist/bootstrap"), "has no 'bootstrap' at its root"),
    ("not executable", dict(mode=0o644), "is not executable"),
])
def test_malformed_package_stops_before_any_change(aws, empty, kind, make, expected):
    aws.zip = aws.make_zip("bad", **make)
    r = aws.run(DEPLOY)
    stopped_before_any_change(aws, r, empty)
    assert expected in r.stdout


def test_site_dir_and_file_count_are_printed_with_a_warning_for_the_sample_site(aws):
    r = aws.run(DEPLOY, PLAN="1")
    assert "SITE_DIR=site (SITE_CONFIG=site.toml), 3 files embedded" in r.stdout
    assert "SITE_DIR is the sample site" in r.stdout
    r = aws.run(DEPLOY, PLAN="1", SITE_DIR="examples/my-site")
    assert "SITE_DIR=examples/my-site" in r.stdout
    assert "sample site" not in r.stdout


def test_env_file_can_carry_site_dir_and_arch(aws, tmp_path):
    env_file = tmp_path / "prod.env"
    env_file.write_text("SITE_DIR=sites/prod\nARCH=arm64\n")
    aws.zip = aws.make_zip("arm", arch="arm64")
    r = aws.run(DEPLOY, PLAN="1", DEPLOY_ENV_FILE=str(env_file))
    assert r.returncode == 0, r.stdout
    assert "SITE_DIR=sites/prod" in r.stdout
    assert "Lambda function static-site (provided.al2023, arm64" in r.stdout, "ARCH from the file sets ARCHITECTURE"
