"""FRONT=function-url: a Lambda Function URL on the alias instead of an ALB, optionally with
CloudFront in front (an origin access control signing for the distribution, the URL open to it
alone), against moto with the gaps tests/deploy/moto_gaps.py fills.

Two stacks share one account for the module: `static-site`, a public URL (auth NONE), and
`cf-site`, CloudFront in front of an AWS_IAM URL with a domain. Each is deployed once, and the
tests read it, deploy it again, roll it back and destroy it in file order. The tests that need a
fresh account come after those.
"""

import json
import os
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import DEPLOY, DESTROY, REGION, TAG_KEY, everything, imported_certificate

STATUS = DEPLOY.parent / "status.sh"
ROLLBACK = DEPLOY.parent / "rollback.sh"
URL = dict(FRONT="function-url")
CF_STACK = "cf-site"
DOMAIN = "www.example.com"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


# --------------------------------------------------------------------------- helpers

def url_config(aws, fn="static-site", qualifier="live"):
    try:
        return aws.client("lambda").get_function_url_config(FunctionName=fn, **({"Qualifier": qualifier} if qualifier else {}))
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def statements(aws, fn="static-site", alias="live"):
    try:
        policy = aws.client("lambda").get_policy(FunctionName=fn, Qualifier=alias)["Policy"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return {}
        raise
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


def distributions(aws):
    return aws.client("cloudfront").list_distributions()["DistributionList"].get("Items", [])


def oacs(aws):
    return aws.client("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items", [])


def front_state(aws):
    """everything() plus what a Function URL front door is made of."""
    state = everything(aws)
    cf = aws.client("cloudfront")
    state["urls"] = {fn: url_config(aws, fn) and {k: url_config(aws, fn)[k] for k in ("FunctionUrl", "AuthType", "InvokeMode")}
                     for fn in state["functions"]}
    state["statements"] = {fn: statements(aws, fn) for fn in state["functions"]}
    state["distributions"] = {d["Id"]: (cf.get_distribution_config(Id=d["Id"])["DistributionConfig"], d["Enabled"])
                              for d in distributions(aws)}
    state["oacs"] = oacs(aws)
    return state


def stopped_before_any_change(aws, r, empty):
    assert r.returncode != 0, r.stdout
    assert "stopped before changing anything" in r.stdout
    assert everything(aws) == empty


# --------------------------------------------------------------------------- a public site behind its URL

@pytest.fixture(scope="module")
def url_site(module_aws):
    module_aws.url_out = module_aws.deploy(**URL)
    return module_aws


def test_the_url_is_created_on_the_alias_with_auth_none(url_site):
    config = url_config(url_site)
    assert config["AuthType"] == "NONE"
    assert config["FunctionArn"].endswith(":function:static-site:live"), "the alias, which every deploy and rollback moves"
    assert config["InvokeMode"] == "BUFFERED"
    assert url_config(url_site, qualifier=None) is None, "no URL on the bare function ($LATEST)"
    assert f"Open: {config['FunctionUrl']}" in url_site.url_out


def test_anyone_may_call_the_url_by_both_statements_a_function_url_needs(url_site):
    s = statements(url_site)
    assert sorted(s) == ["static-site-url-public", "static-site-url-public-invoke"]
    url, invoke = s["static-site-url-public"], s["static-site-url-public-invoke"]
    assert (url["Action"], url["Principal"]) == ("lambda:InvokeFunctionUrl", "*")
    assert url["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert (invoke["Action"], invoke["Principal"]) == ("lambda:InvokeFunction", "*")
    assert invoke["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}, "only through the URL"


def test_no_alb_resources_are_created(url_site):
    state = everything(url_site)
    assert state["lbs"] == {} and state["tgs"] == {}
    assert not url_site.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["static-site-alb-sg"]}])["SecurityGroups"]
    assert "load balancer" not in url_site.url_out.split("[13/13] done")[1]


def test_every_step_is_printed_as_n_of_13(url_site):
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", url_site.url_out, re.M)
    assert [int(n) for n, _ in steps] == list(range(1, 14))
    assert {total for _, total in steps} == {"13"}


def test_the_pre_traffic_check_sends_function_url_events(url_site):
    assert "GET /health -> 200, a response a Function URL accepts" in url_site.url_out
    assert "GET / -> 200, a response a Function URL accepts" in url_site.url_out


def test_status_prints_the_url(url_site):
    r = url_site.run(STATUS)
    assert r.returncode == 0, r.stdout
    url = url_config(url_site)["FunctionUrl"]
    assert f"function url: {url} (auth NONE, buffered) on alias live" in r.stdout
    assert f"url: {url}" in r.stdout
    assert "target group" not in r.stdout and "load balancer" not in r.stdout


def test_a_second_deploy_is_a_no_op(url_site):
    before = front_state(url_site)
    out = url_site.deploy(**URL)
    assert front_state(url_site) == before, out
    assert "created" not in out and "PLAN" not in out


def test_plan_after_the_deploy_has_nothing_to_do(url_site):
    r = url_site.run(DEPLOY, PLAN="1", **URL)
    assert r.returncode == 0, r.stdout
    assert "Plan: 0 to create, 0 to change, 0 to delete" in r.stdout


def test_a_new_version_and_a_rollback_keep_the_same_url(url_site):
    url = url_config(url_site)["FunctionUrl"]
    url_site.zip = url_site.make_zip("v2")
    url_site.deploy(**URL)
    lam = url_site.client("lambda")
    assert lam.get_alias(FunctionName="static-site", Name="live")["FunctionVersion"] == "2"
    r = url_site.run(ROLLBACK)
    assert r.returncode == 0, r.stdout
    assert "GET /health -> 200, a response a Function URL accepts" in r.stdout, "checked as the URL would call it"
    assert lam.get_alias(FunctionName="static-site", Name="live")["FunctionVersion"] == "1"
    assert url_config(url_site)["FunctionUrl"] == url


# --------------------------------------------------------------------------- CloudFront in front (a second stack)

@pytest.fixture(scope="module")
def cf_site(url_site):
    aws = url_site
    cert = imported_certificate(aws, DOMAIN)
    zone = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    aws.cf_settings = dict(URL, FUNCTION_NAME=CF_STACK, FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on",
                           CERTIFICATE_ARN=cert, DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=zone)
    aws.cf_out = aws.deploy(**aws.cf_settings)
    aws.cf_zone, aws.cf_cert = zone, cert
    [aws.cf_dist] = [d for d in distributions(aws) if d["Comment"] == f"alb-static-site {CF_STACK}"]
    return aws


def test_cloudfront_signs_with_an_origin_access_control_for_lambda(cf_site):
    [oac] = [o for o in oacs(cf_site) if o["Name"] == f"{CF_STACK}-lambda-url"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("lambda", "always", "sigv4")


def test_the_distribution_fronts_the_url_through_that_origin_access_control(cf_site):
    cf = cf_site.client("cloudfront")
    dist = cf_site.cf_dist
    config = cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
    [origin] = config["Origins"]["Items"]
    url = url_config(cf_site, CF_STACK)["FunctionUrl"]
    [oac] = [o for o in oacs(cf_site) if o["Name"] == f"{CF_STACK}-lambda-url"]
    assert origin["DomainName"] == url.removeprefix("https://").rstrip("/")
    assert origin["OriginAccessControlId"] == oac["Id"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["CachePolicyId"] == CACHING_OPTIMIZED
    assert sorted(behavior["AllowedMethods"]["Items"]) == ["GET", "HEAD"]
    assert config["Aliases"]["Items"] == [DOMAIN]
    certificate = config["ViewerCertificate"]
    assert (certificate["ACMCertificateArn"], certificate["MinimumProtocolVersion"], certificate["SSLSupportMethod"]) == \
        (cf_site.cf_cert, "TLSv1.2_2021", "sni-only")
    assert config["Enabled"] is True
    tags = cf.list_tags_for_resource(Resource=dist["ARN"])["Tags"]["Items"]
    assert {"Key": TAG_KEY, "Value": CF_STACK} in tags


def test_only_the_distribution_may_call_the_url(cf_site):
    assert url_config(cf_site, CF_STACK)["AuthType"] == "AWS_IAM"
    s = statements(cf_site, CF_STACK)
    assert sorted(s) == ["cf-site-cloudfront-invoke", "cf-site-cloudfront-url"]
    for sid, action in (("cf-site-cloudfront-url", "lambda:InvokeFunctionUrl"), ("cf-site-cloudfront-invoke", "lambda:InvokeFunction")):
        assert s[sid]["Action"] == action
        assert s[sid]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert s[sid]["Condition"]["ArnLike"] == {"AWS:SourceArn": cf_site.cf_dist["ARN"]}
    assert s["cf-site-cloudfront-url"]["Condition"]["StringEquals"] == {"lambda:FunctionUrlAuthType": "AWS_IAM"}
    assert s["cf-site-cloudfront-invoke"]["Condition"]["Bool"] == {"lambda:InvokedViaFunctionUrl": "true"}


def test_route53_alias_records_point_the_domain_at_the_distribution(cf_site):
    records = cf_site.client("route53").list_resource_record_sets(HostedZoneId=cf_site.cf_zone)["ResourceRecordSets"]
    ours = {r["Type"]: r["AliasTarget"] for r in records if r["Name"] == DOMAIN + "."}
    assert sorted(ours) == ["A", "AAAA"]
    for target in ours.values():
        assert target["DNSName"].rstrip(".") == cf_site.cf_dist["DomainName"]
        assert target["HostedZoneId"] == CLOUDFRONT_ZONE
    assert f"Open: https://{DOMAIN}/" in cf_site.cf_out


def test_status_prints_the_cloudfront_domain(cf_site):
    r = cf_site.run(STATUS, **cf_site.cf_settings)
    assert r.returncode == 0, r.stdout
    assert f"cloudfront: {cf_site.cf_dist['Id']} {cf_site.cf_dist['DomainName']} (as {DOMAIN})" in r.stdout
    assert f"url: https://{DOMAIN}/" in r.stdout


def test_a_second_cloudfront_deploy_is_a_no_op(cf_site):
    before = front_state(cf_site)
    out = cf_site.deploy(**cf_site.cf_settings)
    assert front_state(cf_site) == before, out
    assert "created" not in out and "configuration unchanged" in out


def test_a_changed_setting_updates_the_distribution_in_place(cf_site):
    cf = cf_site.client("cloudfront")
    cf_site.deploy(**dict(cf_site.cf_settings, CLOUDFRONT_PRICE_CLASS="PriceClass_100"))
    [dist] = [d for d in distributions(cf_site) if d["Comment"] == f"alb-static-site {CF_STACK}"]
    assert dist["Id"] == cf_site.cf_dist["Id"], "the same distribution"
    assert cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]["PriceClass"] == "PriceClass_100"


def test_destroy_removes_exactly_what_was_created(cf_site):
    aws = cf_site
    before = front_state(aws)
    out = aws.destroy(**aws.cf_settings)
    after = front_state(aws)
    assert [d for d in distributions(aws) if d["Comment"] == f"alb-static-site {CF_STACK}"] == [], out
    assert [o for o in oacs(aws) if o["Name"] == f"{CF_STACK}-lambda-url"] == []
    assert CF_STACK not in after["functions"]
    assert "disabled CloudFront distribution" in out and "deleted CloudFront distribution" in out
    records = aws.client("route53").list_resource_record_sets(HostedZoneId=aws.cf_zone)["ResourceRecordSets"]
    assert sorted(r["Type"] for r in records) == ["NS", "SOA"], "only the zone's own records are left"
    assert aws.client("acm").describe_certificate(CertificateArn=aws.cf_cert)["Certificate"]["Status"] == "ISSUED"
    # The other stack is untouched.
    for key in ("urls", "statements", "functions"):
        assert after[key]["static-site"] == before[key]["static-site"], key


def test_destroy_removes_the_url_with_its_permissions_and_function(url_site):
    out = url_site.destroy()
    assert "deleted the Function URL" in out
    assert "removed statement static-site-url-public" in out
    assert url_site.client("lambda").list_functions()["Functions"] == []


# --------------------------------------------------------------------------- fresh account each

@pytest.mark.skipif(not os.environ.get("DEPLOY_TEST_ZIP"), reason="needs the real package (make test-deploy passes DEPLOY_TEST_ZIP)")
def test_the_real_package_answers_the_checks_function_url_events(aws):
    """The real dist/bootstrap.zip, run on this machine by the stand-in invoker, answers the Function
    URL events of the pre-traffic check in a shape the check accepts."""
    aws.zip = aws.tmp / "real.zip"
    aws.zip.write_bytes(Path(os.environ["DEPLOY_TEST_ZIP"]).read_bytes())
    out = aws.deploy(**URL)
    assert "GET /health -> 200, a response a Function URL accepts" in out
    assert "GET / -> 200, a response a Function URL accepts" in out


@pytest.mark.parametrize("how", ["the package's deploy facts", "the offload manifest"])
def test_a_private_site_is_refused_before_anything_is_created(aws, how):
    empty = everything(aws)
    if how == "the package's deploy facts":
        aws.zip = aws.make_zip("private", facts={"auth": {"signers": [], "logout_path": "/logout"}})
    else:
        (aws.tmp / "offload").mkdir()
        (aws.tmp / "offload" / "manifest.json").write_text('{"format": 1, "private": true, "objects": []}\n')
    r = aws.run(DEPLOY, **URL)
    stopped_before_any_change(aws, r, empty)
    assert "error in step [1/13]" in r.stdout
    assert "the site is private ([auth] in its site.toml), and FRONT=function-url" in r.stdout
    assert "a Function URL never sends" in r.stdout and "FRONT=alb and AUTH=oidc or cognito" in r.stdout


def test_auth_with_function_url_is_refused_before_anything_is_created(aws):
    empty = everything(aws)
    r = aws.run(DEPLOY, AUTH="cognito", **URL)
    stopped_before_any_change(aws, r, empty)
    assert "AUTH=cognito, but FRONT=function-url: a Function URL has no login in front" in r.stdout


def test_cloudfront_on_with_auth_none_is_refused(aws):
    empty = everything(aws)
    r = aws.run(DEPLOY, CLOUDFRONT="on", **URL)
    stopped_before_any_change(aws, r, empty)
    assert "CLOUDFRONT=on with FUNCTION_URL_AUTH=NONE" in r.stdout
    assert "set FUNCTION_URL_AUTH=AWS_IAM with CLOUDFRONT=on" in r.stdout


@pytest.mark.parametrize("setting, value, expected", [
    ("ALB_SCHEME", "internal", "a Function URL is reachable from the internet, never only from inside a VPC"),
    ("ALLOWED_CIDRS", "10.0.0.0/8", "ALLOWED_CIDRS is set, but FRONT=function-url"),
    ("SUBNET_IDS", "subnet-a,subnet-b", "SUBNET_IDS is set, but FRONT=function-url"),
    ("LISTENER_ARN", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2", "LISTENER_ARN is set"),
    ("DOMAIN_NAME", DOMAIN, "a Function URL answers only on its own name"),
])
def test_alb_settings_that_decide_who_reaches_the_site_are_refused(aws, setting, value, expected):
    empty = everything(aws)
    r = aws.run(DEPLOY, **{setting: value}, **URL)
    stopped_before_any_change(aws, r, empty)
    assert expected in r.stdout


def test_alb_settings_that_only_tune_an_alb_are_ignored_with_a_warning(aws):
    r = aws.run(DEPLOY, PLAN="1", HEALTH_CHECK_INTERVAL="60", MULTI_VALUE_HEADERS="true", **URL)
    assert r.returncode == 0, r.stdout
    assert "warning: HEALTH_CHECK_INTERVAL=60 is ignored with FRONT=function-url" in r.stdout
    assert "warning: MULTI_VALUE_HEADERS=true is ignored with FRONT=function-url" in r.stdout


@pytest.mark.parametrize("setting", ["CLOUDFRONT=on", "FUNCTION_URL_AUTH=AWS_IAM"])
def test_function_url_settings_with_an_alb_are_refused(aws, setting):
    empty = everything(aws)
    name, value = setting.split("=")
    r = aws.run(DEPLOY, **{name: value})
    stopped_before_any_change(aws, r, empty)
    assert f"{setting} is set, but FRONT=alb" in r.stdout


def test_a_cloudfront_certificate_outside_us_east_1_is_refused(aws):
    empty = everything(aws)
    r = aws.run(DEPLOY, FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID="Z123",
                CERTIFICATE_ARN="arn:aws:acm:eu-west-1:123456789012:certificate/abc", **URL)
    stopped_before_any_change(aws, r, empty)
    assert "is not in us-east-1: CloudFront uses certificates from us-east-1 only" in r.stdout


def test_a_certificate_for_another_name_is_refused(aws):
    cert = imported_certificate(aws, "other.example.org")
    zone = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    empty = everything(aws)
    r = aws.run(DEPLOY, FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=zone,
                CERTIFICATE_ARN=cert, **URL)
    stopped_before_any_change(aws, r, empty)
    assert f"is for other.example.org, not for DOMAIN_NAME={DOMAIN}" in r.stdout


def test_plan_lists_the_function_url_resources_and_changes_nothing(aws):
    before = front_state(aws)
    r = aws.run(DEPLOY, PLAN="1", FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", **URL)
    assert r.returncode == 0, r.stdout
    assert front_state(aws) == before
    for what in ("create Lambda function static-site", "create Function URL on static-site:live (auth AWS_IAM)",
                 "create origin access control static-site-lambda-url (lambda, sigv4, signing always)",
                 "create CloudFront distribution (origin the Function URL",
                 "create statement static-site-cloudfront-url: lambda:InvokeFunctionUrl cloudfront.amazonaws.com",
                 "create statement static-site-cloudfront-invoke: lambda:InvokeFunction cloudfront.amazonaws.com"):
        assert f"PLAN: would {what}" in r.stdout, what
    assert "load balancer " not in r.stdout and "target group" not in r.stdout


def test_aws_iam_without_cloudfront_lets_no_one_in_by_the_alias_policy(aws):
    out = aws.deploy(FUNCTION_URL_AUTH="AWS_IAM", **URL)
    assert url_config(aws)["AuthType"] == "AWS_IAM"
    assert statements(aws) == {}, "callers need an IAM policy of their own"
    assert "answers only requests signed (SigV4)" in out
    r = aws.run(STATUS)
    assert "(auth AWS_IAM, buffered)" in r.stdout and "only signed requests" in r.stdout


def test_switching_an_alb_stack_to_a_function_url_removes_the_alb_front_door(aws):
    aws.deploy()
    out = aws.deploy(**URL)
    state = everything(aws)
    assert state["lbs"] == {} and state["tgs"] == {}
    assert not aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["static-site-alb-sg"]}])["SecurityGroups"]
    assert sorted(statements(aws)) == ["static-site-url-public", "static-site-url-public-invoke"], "the ALB's statement is gone"
    assert url_config(aws)["AuthType"] == "NONE"
    assert "[12/14] the old front door: this stack's load balancer, target group and security group" in out
    again = aws.deploy(**URL)
    assert "old front door" not in again, "the switch is done once"


def test_switching_a_cloudfront_stack_back_to_an_alb_removes_the_url_front_door(aws):
    aws.deploy(FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", **URL)
    out = aws.deploy()
    assert url_config(aws) is None
    assert distributions(aws) == [] and oacs(aws) == []
    assert sorted(statements(aws)) == ["static-site-alb-invoke"]
    assert len(everything(aws)["lbs"]) == 1
    assert "[14/16] the old front door: this stack's Function URL and its CloudFront distribution" in out


def test_turning_cloudfront_off_opens_the_url_and_removes_the_distribution(aws):
    aws.deploy(FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", **URL)
    url = url_config(aws)["FunctionUrl"]
    aws.deploy(**URL)
    assert url_config(aws)["FunctionUrl"] == url and url_config(aws)["AuthType"] == "NONE"
    assert sorted(statements(aws)) == ["static-site-url-public", "static-site-url-public-invoke"]
    assert distributions(aws) == [] and oacs(aws) == []


def test_a_foreign_distribution_with_the_stacks_comment_is_refused_before_any_change(aws):
    cf = aws.client("cloudfront")
    cf.create_distribution(DistributionConfig={
        "CallerReference": "someone-else", "Comment": "alb-static-site static-site", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "example.org",
                                               "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": CACHING_OPTIMIZED}})
    empty = everything(aws)
    r = aws.run(DEPLOY, FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", **URL)
    stopped_before_any_change(aws, r, empty)
    assert "a CloudFront distribution with the comment 'alb-static-site static-site' already exists and was not created by this stack" in r.stdout
