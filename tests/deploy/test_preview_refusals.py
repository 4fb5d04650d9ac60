"""Deploy previews: what production gives them (the wildcard certificate and record), and each bad
request refused with a clear error before any change. Through moto's CloudFormation, a fresh
account per test."""

import pytest
from moto.cloudformation.models import cloudformation_backends

from conftest import PREVIEW_DOMAIN as DOMAIN
from conftest import REGION, STACK, lint_stack_parameters, listener_rules, preview, production, stack_names


def other_sites_rule(aws, listener, priority, host):
    """A rule of another site on the listener, for `host`; returns its ARN."""
    elbv2 = aws.client("elbv2")
    if not hasattr(aws, "other_tg"):
        aws.other_tg = elbv2.create_target_group(Name="other", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    return elbv2.create_rule(ListenerArn=listener, Priority=priority, Actions=[{"Type": "forward", "TargetGroupArn": aws.other_tg}],
                             Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}])["Rules"][0]["RuleArn"]


def test_production_gets_the_wildcard_certificate_and_record_for_its_previews(aws):
    zone = aws.hosted_zone()
    wildcard = aws.certificate(f"*.{DOMAIN}")
    listener = production(aws, private=False, PREVIEW_CERTIFICATE_ARN=wildcard, DOMAIN_NAME="www.example.com", HOSTED_ZONE_ID=zone)
    certs = aws.client("elbv2").describe_listener_certificates(ListenerArn=listener)["Certificates"]
    assert wildcard in [c["CertificateArn"] for c in certs]
    rs = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    [lb] = aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert sorted((r["Name"].replace("\\052", "*").rstrip("."), r["AliasTarget"]["DNSName"]) for r in rs if r["Type"] == "A") == [
        (f"*.{DOMAIN}", lb["DNSName"]), ("www.example.com", lb["DNSName"])]
    lint_stack_parameters(aws)


@pytest.mark.parametrize("name", ["Pr-1", "-pr", "pr-", "pr_1", "pr.1", "a" * 64])
def test_a_preview_name_that_is_not_a_dns_label_is_refused(aws, name):
    aws.fails("deploy.sh", f"PREVIEW='{name}' is not a DNS label", PREVIEW=name, PREVIEW_DOMAIN=DOMAIN)


def test_a_preview_name_that_makes_the_function_name_too_long_is_refused(aws):
    aws.fails("deploy.sh", "makes the function name static-site-preview-" + "x" * 31 + ", over 50 characters", PREVIEW="x" * 31, PREVIEW_DOMAIN=DOMAIN)


def test_a_preview_without_production_or_its_https_listener_is_refused(aws):
    aws.fails("deploy.sh", "there is no production stack static-site", PREVIEW="pr-1", PREVIEW_DOMAIN=DOMAIN)
    aws.deploy()
    aws.fails("deploy.sh", "previews need HTTPS", PREVIEW="pr-1", PREVIEW_DOMAIN=DOMAIN)
    assert stack_names(aws) == [STACK]


def test_a_preview_whose_host_is_productions_own_is_refused(aws):
    production(aws, private=False, DOMAIN_NAME="www.example.com", HOSTED_ZONE_ID=aws.hosted_zone(), PREVIEW_DOMAIN="example.com")
    aws.fails("deploy.sh", "the preview's host www.example.com is production's own", PREVIEW="www", **aws.settings)
    assert stack_names(aws) == [STACK]


def test_a_preview_whose_host_another_sites_rule_routes_is_refused(aws):
    listener = production(aws, private=False)
    for host in (f"pr-1.{DOMAIN}", f"PR-1.{DOMAIN.upper()}", f"*.{DOMAIN}", "pr-?.preview.example.com"):
        rule = other_sites_rule(aws, listener, 5000, host)
        aws.fails("deploy.sh", f"the listener already routes pr-1.{DOMAIN}: its rule of priority 5000 is for the host {host}",
                  PREVIEW="pr-1", **aws.settings)
        aws.client("elbv2").delete_rule(RuleArn=rule)
    assert stack_names(aws) == [STACK]


def test_more_previews_than_the_load_balancers_rule_quota_allows_are_refused(aws):
    listener = production(aws, private=False)
    for i in range(100):  # other sites' rules: the whole quota
        other_sites_rule(aws, listener, 1000 + i, f"site{i}.example.org")
    aws.fails("deploy.sh", "the load balancer has 100 of its 100 rules, and the preview needs 1 more", PREVIEW="pr-1", **aws.settings)
    assert stack_names(aws) == [STACK]
    aws.client("elbv2").delete_rule(RuleArn=listener_rules(aws, listener)[0]["RuleArn"])
    preview(aws, "pr-1")
    assert stack_names(aws) == [STACK, f"{STACK}-preview-pr-1"]


def test_a_stack_of_the_previews_name_that_is_not_a_preview_of_production_is_left_alone(aws):
    production(aws, private=False)
    aws.deploy(STACK_NAME=f"{STACK}-preview-pr-1", FUNCTION_NAME="other")
    aws.fails("deploy.sh", f"a stack {STACK}-preview-pr-1 exists, and it is not a preview of {STACK}", PREVIEW="pr-1", **aws.settings)
    aws.fails("destroy.sh", f"the stack {STACK}-preview-pr-1 is not a preview of {STACK}", PREVIEW="pr-1", **aws.settings)
    assert stack_names(aws) == [STACK, f"{STACK}-preview-pr-1"]


def test_a_preview_of_a_site_behind_a_function_url_is_refused(aws):
    aws.fails("deploy.sh", "needs FRONT=alb and PREVIEW_DOMAIN", PREVIEW="pr-1", PREVIEW_DOMAIN=DOMAIN, FRONT="function-url")
    assert stack_names(aws) == []


def test_a_preview_waits_while_production_is_busy_but_not_after_a_rolled_back_update(aws):
    production(aws, private=False)
    [stack] = [s for s in cloudformation_backends["123456789012"][REGION].stacks.values() if s.name == STACK]
    stack.status = "UPDATE_IN_PROGRESS"
    aws.fails("deploy.sh", f"production ({STACK}) is UPDATE_IN_PROGRESS", PREVIEW="pr-1", **aws.settings)
    assert stack_names(aws) == [STACK]
    stack.status = "UPDATE_ROLLBACK_COMPLETE"  # the last update failed and rolled back: production serves
    preview(aws, "pr-1")
    assert stack_names(aws) == [STACK, f"{STACK}-preview-pr-1"]
