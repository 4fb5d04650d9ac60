"""Safe rollouts: a published version is checked (health check and GET /, 200 and a response ALB
accepts) before the alias moves; rollback, status, logs, log retention and pruning.

moto runs no code, so the check's invocation is answered by a STAND-IN (PRE_TRAFFIC_INVOKER =
tests/deploy/standin_invoke.sh): it finds the package the version runs by its CodeSha256 and
answers as that package would, running the real bootstrap locally where it is one."""

import os
import time
from pathlib import Path

import pytest

from conftest import DEPLOY, REPO

STACK = "static-site"
ROLLBACK = REPO / "deploy" / "rollback.sh"
STATUS = REPO / "deploy" / "status.sh"
LOGS = REPO / "deploy" / "logs.sh"


def live(aws):
    return aws.client("lambda").get_alias(FunctionName=STACK, Name="live")["FunctionVersion"]


def versions(aws):
    return [v["Version"] for v in aws.client("lambda").list_versions_by_function(FunctionName=STACK)["Versions"]
            if v["Version"] != "$LATEST"]


# --------------------------------------------------------------------------- one shared deploy (read-only tests)

@pytest.fixture(scope="module")
def deployed(module_aws):
    module_aws.deploy(LOG_RETENTION_DAYS="14")
    return module_aws


def test_log_retention_is_set_from_the_setting(deployed):
    [g] = deployed.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{STACK}")["logGroups"]
    assert g["retentionInDays"] == 14


def test_status_shows_live_version_url_and_target_health(deployed):
    r = deployed.run(STATUS)
    assert r.returncode == 0, r.stdout
    dns = deployed.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["DNSName"]
    assert "live: version 1 of static-site" in r.stdout
    assert f"url: http://{dns}/" in r.stdout
    assert "target: arn:aws:lambda:us-east-1:123456789012:function:static-site:live: healthy" in r.stdout
    assert "kept 14 days" in r.stdout


def test_logs_prints_the_functions_log_events(deployed):
    logs = deployed.client("logs")
    group = f"/aws/lambda/{STACK}"
    logs.create_log_stream(logGroupName=group, logStreamName="2026/11/30/[1]abc")
    logs.put_log_events(logGroupName=group, logStreamName="2026/11/30/[1]abc",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "GET /index.html 200"}])
    r = deployed.run(LOGS, LOGS_FOLLOW="false")
    assert r.returncode == 0, r.stdout
    assert "GET /index.html 200" in r.stdout


# --------------------------------------------------------------------------- fresh account each


def test_standin_check_passes_and_the_alias_moves_to_the_new_version(aws):
    aws.deploy()
    aws.zip = aws.make_zip("v2")
    out = aws.deploy()
    assert live(aws) == "2"
    assert "GET /health -> 200, a response ALB accepts" in out
    assert "GET / -> 200, a response ALB accepts" in out


def test_standin_check_failing_keeps_the_alias_on_the_previous_version(aws):
    aws.deploy()
    aws.zip = aws.make_zip("broken", status=500)
    r = aws.run(DEPLOY)
    assert r.returncode != 0
    assert "version 2 failed the pre-traffic check: GET /health answered 500, not 200" in r.stdout
    assert "the alias live stays on version 1" in r.stdout
    assert live(aws) == "1"


def test_standin_check_failing_on_the_first_deploy_puts_nothing_live(aws):
    aws.zip = aws.make_zip("broken", status=502)
    r = aws.run(DEPLOY)
    assert r.returncode != 0
    assert "failed the pre-traffic check" in r.stdout
    assert aws.client("lambda").list_aliases(FunctionName=STACK)["Aliases"] == []
    assert aws.client("elbv2").describe_target_groups()["TargetGroups"] == [], "stopped before the target group"


def test_standin_check_rejects_a_response_alb_would_not_accept(aws):
    aws.deploy()
    # a 200 whose body is a number, not a string: ALB would answer 502 for it
    aws.zip = aws.make_zip("bad-body", answer={"statusCode": 200, "statusDescription": "200 OK", "body": 17,
                                               "isBase64Encoded": False})
    r = aws.run(DEPLOY)
    assert r.returncode != 0
    assert "ALB would not accept the response" in r.stdout
    assert live(aws) == "1"


@pytest.mark.skipif(not os.environ.get("DEPLOY_TEST_ZIP"), reason="needs the real package (make test-deploy passes DEPLOY_TEST_ZIP)")
def test_real_package_run_locally_by_the_standin_passes_the_real_validator(aws):
    """The real dist/bootstrap.zip, answered by running its bootstrap on this machine (the stand-in
    for invoking the version), checked by local-alb's check_response (the real validator)."""
    real = Path(os.environ["DEPLOY_TEST_ZIP"])
    aws.zip = aws.tmp / "real.zip"
    aws.zip.write_bytes(real.read_bytes())
    out = aws.deploy(RESPONSE_VALIDATOR=os.environ["DEPLOY_TEST_VALIDATOR"])
    assert live(aws) == "1"
    assert "GET / -> 200, a response ALB accepts" in out
    assert "multi-value headers true (a response of the site sends 2 Set-Cookie headers)" in out


def test_rollback_goes_back_to_the_previous_version_and_again_undoes_it(aws):
    aws.deploy()
    aws.zip = aws.make_zip("v2")
    aws.deploy()
    r = aws.run(ROLLBACK)
    assert r.returncode == 0, r.stdout
    assert live(aws) == "1"
    assert "Live: version 1 (was 2)" in r.stdout
    r = aws.run(ROLLBACK)
    assert r.returncode == 0, r.stdout
    assert live(aws) == "2"


def test_rollback_to_a_given_version(aws):
    aws.deploy()
    aws.zip = aws.make_zip("v2")
    aws.deploy()
    lam = aws.client("lambda")  # version 3: published, never live
    lam.update_function_code(FunctionName=STACK, ZipFile=aws.make_zip("v3").read_bytes())
    lam.publish_version(FunctionName=STACK)
    r = aws.run(ROLLBACK, VERSION="3")
    assert r.returncode == 0, r.stdout
    assert live(aws) == "3", "the given version, not the previous one (1)"


def test_rollback_to_a_version_that_does_not_exist_changes_nothing(aws):
    aws.deploy()
    r = aws.run(ROLLBACK, VERSION="9")
    assert r.returncode != 0
    assert "version 9 of static-site does not exist" in r.stdout
    assert live(aws) == "1"


def test_old_versions_are_pruned_keeping_the_newest_and_the_previous_live(aws):
    aws.deploy()  # version 1, live
    lam = aws.client("lambda")
    for v in ("x2", "x3", "x4"):  # published but never live
        lam.update_function_code(FunctionName=STACK, ZipFile=aws.make_zip(v).read_bytes())
        lam.publish_version(FunctionName=STACK)
    aws.zip = aws.make_zip("v5")
    out = aws.deploy(KEEP_VERSIONS="2")
    assert live(aws) == "5"
    assert versions(aws) == ["1", "4", "5"], "the 2 newest, and 1: live before, for make rollback"
    assert "deleted old version(s) 2 3" in out
