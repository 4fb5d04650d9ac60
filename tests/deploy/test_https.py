"""HTTPS and a domain: CERTIFICATE_ARN gives an HTTPS :443 listener and a :80 redirect;
DOMAIN_NAME + HOSTED_ZONE_ID give a Route 53 alias record. One deploy (moto's ACM and Route 53)
is shared by the read-only tests at the top; tests that need a fresh account come last."""

import pytest

from conftest import DEPLOY, DESTROY, imported_certificate

STACK = "static-site"
DOMAIN = "www.example.com"


@pytest.fixture(scope="module")
def https_site(module_aws):
    aws = module_aws
    cert = imported_certificate(aws, DOMAIN)
    zone = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    out = aws.deploy(CERTIFICATE_ARN=cert, DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=zone)
    elbv2 = aws.client("elbv2")
    [lb] = elbv2.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    listeners = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    tg = elbv2.describe_target_groups(Names=[f"{STACK}-tg"])["TargetGroups"][0]["TargetGroupArn"]
    return dict(aws=aws, out=out, cert=cert, zone=zone, lb=lb, listeners=listeners, tg=tg)


def test_https_listener_uses_the_certificate_and_a_tls13_policy(https_site):
    l443 = https_site["listeners"][443]
    assert l443["Protocol"] == "HTTPS"
    assert [c["CertificateArn"] for c in l443["Certificates"]] == [https_site["cert"]]
    assert l443["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert [(a["Type"], a.get("TargetGroupArn")) for a in l443["DefaultActions"]] == [("forward", https_site["tg"])]


def test_http_listener_redirects_to_https_with_a_301(https_site):
    l80 = https_site["listeners"][80]
    [action] = l80["DefaultActions"]
    assert action["Type"] == "redirect", "the load balancer answers the redirect, not the function"
    assert action["RedirectConfig"]["Protocol"] == "HTTPS"
    assert action["RedirectConfig"]["Port"] == "443"
    assert action["RedirectConfig"]["StatusCode"] == "HTTP_301"


def test_security_group_opens_443_and_80(https_site):
    ec2 = https_site["aws"].client("ec2")
    [sg] = ec2.describe_security_groups(GroupIds=https_site["lb"]["SecurityGroups"])["SecurityGroups"]
    assert sorted(p["FromPort"] for p in sg["IpPermissions"]) == [80, 443]


def test_route53_alias_record_points_the_domain_at_the_alb(https_site):
    r53 = https_site["aws"].client("route53")
    records = r53.list_resource_record_sets(HostedZoneId=https_site["zone"])["ResourceRecordSets"]
    [rec] = [r for r in records if r["Name"] == DOMAIN + "." and r["Type"] == "A"]
    assert rec["AliasTarget"]["DNSName"].rstrip(".").lower() == https_site["lb"]["DNSName"].lower()
    assert rec["AliasTarget"]["HostedZoneId"] == https_site["lb"]["CanonicalHostedZoneId"]


def test_printed_url_is_https_on_the_domain(https_site):
    assert f"Open: https://{DOMAIN}/" in https_site["out"]
    assert "HTTP only" not in https_site["out"]


def test_redeploy_with_https_and_domain_plans_no_change(https_site):
    aws = https_site["aws"]
    r = aws.run(DEPLOY, PLAN="1", CERTIFICATE_ARN=https_site["cert"], DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=https_site["zone"])
    assert r.returncode == 0, r.stdout
    assert "Plan: 0 to create, 0 to change, 0 to delete" in r.stdout, r.stdout


def test_dropping_the_certificate_goes_back_to_http_on_80(https_site):
    aws = https_site["aws"]
    out = aws.deploy(DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=https_site["zone"])
    elbv2 = aws.client("elbv2")
    listeners = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=https_site["lb"]["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80]
    assert listeners[80]["ListenerArn"] == https_site["listeners"][80]["ListenerArn"], "the same listener, changed in place"
    assert listeners[80]["DefaultActions"][0]["Type"] == "forward"
    assert "HTTP only" in out


# --------------------------------------------------------------------------- fresh account each

def test_certificate_not_yet_issued_stops_before_any_change(aws):
    cert = aws.client("acm").request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"]
    r = aws.run(DEPLOY, CERTIFICATE_ARN=cert)
    assert r.returncode != 0
    assert "is PENDING_VALIDATION, not ISSUED" in r.stdout
    assert "stopped before changing anything" in r.stdout
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_domain_outside_the_hosted_zone_stops_before_any_change(aws):
    zone = aws.client("route53").create_hosted_zone(Name="example.org", CallerReference="t")["HostedZone"]["Id"]
    r = aws.run(DEPLOY, DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=zone)
    assert r.returncode != 0
    assert "is not inside the hosted zone example.org" in r.stdout
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_destroy_removes_the_record_but_keeps_certificate_and_hosted_zone(aws):
    cert = imported_certificate(aws, DOMAIN)
    r53 = aws.client("route53")
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    settings = dict(CERTIFICATE_ARN=cert, DOMAIN_NAME=DOMAIN, HOSTED_ZONE_ID=zone)
    aws.deploy(**settings)
    aws.destroy(**settings)
    assert aws.client("acm").describe_certificate(CertificateArn=cert)["Certificate"]["Status"] == "ISSUED"
    records = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert sorted(r["Type"] for r in records) == ["NS", "SOA"], "only the zone's own records are left"
    assert aws.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
