"""PLAN=1: print what deploy would create, change or leave alone, and change nothing."""

from conftest import DEPLOY, everything, imported_certificate


def test_plan_on_an_empty_account_lists_what_it_would_create_and_changes_nothing(aws):
    before = everything(aws)
    r = aws.run(DEPLOY, PLAN="1")
    assert r.returncode == 0, r.stdout
    assert everything(aws) == before
    for what in ("create IAM role static-site-role", "create internet-facing load balancer static-site-alb",
                 "create Lambda function static-site", "create target group static-site-tg",
                 "create listener HTTP :80"):
        assert f"PLAN: would {what}" in r.stdout, what
    assert "Nothing was changed (PLAN=1)" in r.stdout


def test_plan_after_a_deploy_lists_only_the_changed_settings_and_changes_nothing(aws):
    aws.deploy()
    before = everything(aws)
    cert = imported_certificate(aws)
    before = everything(aws)
    r = aws.run(DEPLOY, PLAN="1", MEMORY_SIZE="256", CERTIFICATE_ARN=cert)
    assert r.returncode == 0, r.stdout
    assert everything(aws) == before
    assert "PLAN: would change function configuration" in r.stdout
    assert "PLAN: would create listener HTTPS :443" in r.stdout
    assert "PLAN: would change listener HTTP :80 -> 301 to https" in r.stdout
    assert "PLAN: would create Lambda function" not in r.stdout
    assert "PLAN: would create target group" not in r.stdout


def test_plan_after_a_deploy_with_the_same_settings_has_nothing_to_do(aws):
    aws.deploy()
    r = aws.run(DEPLOY, PLAN="1")
    assert r.returncode == 0, r.stdout
    assert "Plan: 0 to create, 0 to change, 0 to delete" in r.stdout
