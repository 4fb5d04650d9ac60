"""Private sites: an internal ALB in given subnets, reachable from given CIDRs, with a login
(AUTH=oidc or cognito) before the forward, and the function told which ALB signs the login
(SITE_AUTH_SIGNER). One internal + OIDC deploy is shared by the read-only tests at the top;
tests that need a fresh account come last."""

import pytest

from conftest import DEPLOY, imported_certificate, private_vpc

STACK = "static-site"
SECRET = "s3cret-client-value"
OIDC = dict(
    AUTH="oidc",
    OIDC_ISSUER="https://login.example.com",
    OIDC_AUTHORIZATION_ENDPOINT="https://login.example.com/authorize",
    OIDC_TOKEN_ENDPOINT="https://login.example.com/token",
    OIDC_USER_INFO_ENDPOINT="https://login.example.com/userinfo",
    OIDC_CLIENT_ID="site-client",
)
COGNITO = dict(
    AUTH="cognito",
    COGNITO_USER_POOL_ARN="arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Example",
    COGNITO_CLIENT_ID="pool-client",
    COGNITO_DOMAIN="example-login",
)


@pytest.fixture(scope="module")
def private_site(module_aws):
    aws = module_aws
    vpc, subnets = private_vpc(aws)
    secret_file = aws.tmp / "client-secret"
    secret_file.write_text(SECRET + "\n")
    secret_file.chmod(0o600)
    cert = imported_certificate(aws)
    out = aws.deploy(ALB_SCHEME="internal", SUBNET_IDS=",".join(subnets), CERTIFICATE_ARN=cert,
                     OIDC_CLIENT_SECRET_FILE=str(secret_file), **OIDC)
    elbv2 = aws.client("elbv2")
    [lb] = elbv2.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    listeners = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    tg = elbv2.describe_target_groups(Names=[f"{STACK}-tg"])["TargetGroups"][0]["TargetGroupArn"]
    return dict(aws=aws, out=out, vpc=vpc, subnets=subnets, lb=lb, listeners=listeners, tg=tg)


def test_internal_alb_is_in_the_given_vpc_and_subnets(private_site):
    lb = private_site["lb"]
    assert lb["Scheme"] == "internal"
    assert lb["VpcId"] == private_site["vpc"]
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == sorted(private_site["subnets"])


def test_internal_alb_admits_only_the_vpc_cidr_by_default(private_site):
    ec2 = private_site["aws"].client("ec2")
    [sg] = ec2.describe_security_groups(GroupIds=private_site["lb"]["SecurityGroups"])["SecurityGroups"]
    assert sg["VpcId"] == private_site["vpc"]
    assert {(p["FromPort"], r["CidrIp"]) for p in sg["IpPermissions"] for r in p["IpRanges"]} == \
        {(80, "10.20.0.0/16"), (443, "10.20.0.0/16")}


def test_oidc_login_runs_before_the_forward_to_the_function(private_site):
    actions = sorted(private_site["listeners"][443]["DefaultActions"], key=lambda a: a["Order"])
    assert [a["Type"] for a in actions] == ["authenticate-oidc", "forward"]
    cfg = actions[0]["AuthenticateOidcConfig"]
    assert (cfg["Issuer"], cfg["ClientId"], cfg["TokenEndpoint"]) == \
        (OIDC["OIDC_ISSUER"], "site-client", OIDC["OIDC_TOKEN_ENDPOINT"])
    assert actions[1]["TargetGroupArn"] == private_site["tg"]


def test_oidc_client_secret_from_a_file_reaches_the_alb_and_is_never_printed(private_site):
    actions = sorted(private_site["listeners"][443]["DefaultActions"], key=lambda a: a["Order"])
    assert actions[0]["AuthenticateOidcConfig"]["ClientSecret"] == SECRET  # moto returns it; AWS does not
    assert SECRET not in private_site["out"]


def test_function_gets_this_albs_arn_as_site_auth_signer(private_site):
    lam = private_site["aws"].client("lambda")
    live = lam.get_alias(FunctionName=STACK, Name="live")["FunctionVersion"]
    env = lam.get_function_configuration(FunctionName=STACK, Qualifier=live)["Environment"]["Variables"]
    assert env == {"SITE_AUTH_SIGNER": private_site["lb"]["LoadBalancerArn"]}, "the live version carries it"


def test_auth_turns_on_multi_value_headers(private_site):
    elbv2 = private_site["aws"].client("elbv2")
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=private_site["tg"])["Attributes"]}
    assert attrs["lambda.multi_value_headers.enabled"] == "true"


def test_output_says_the_alb_is_internal(private_site):
    assert "internal load balancer" in private_site["out"]


# --------------------------------------------------------------------------- fresh account each

def https_listener_of_existing_alb(aws):
    """An existing ALB with an HTTPS listener (LISTENER_ARN mode), as a platform team would have."""
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    vpc, subnets = private_vpc(aws, "10.30.0.0/16")
    lb = elbv2.create_load_balancer(Name="shared", Subnets=subnets, Scheme="internal", Type="application")["LoadBalancers"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": imported_certificate(aws)}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}],
    )["Listeners"][0]["ListenerArn"]
    return lb["LoadBalancerArn"], listener


def test_cognito_login_on_an_existing_listener_rule_and_its_alb_signs(aws):
    lb_arn, listener = https_listener_of_existing_alb(aws)
    # The pre-traffic GET / carries no signed login: a function verifying logins refuses it (401),
    # which the check accepts behind a login (the health check must still answer 200).
    aws.zip = aws.make_zip("login", answer_for={"/": {"statusCode": 401, "statusDescription": "401 Unauthorized",
                                                      "body": "login required", "isBase64Encoded": False}})
    out = aws.deploy(LISTENER_ARN=listener, **COGNITO)
    assert "GET / -> 401, a response ALB accepts" in out
    assert "GET /health -> 200" in out
    elbv2, lam = aws.client("elbv2"), aws.client("lambda")
    tg = elbv2.describe_target_groups(Names=[f"{STACK}-tg"])["TargetGroups"][0]["TargetGroupArn"]
    [rule] = [r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    actions = sorted(rule["Actions"], key=lambda a: a["Order"])
    assert [a["Type"] for a in actions] == ["authenticate-cognito", "forward"]
    assert actions[0]["AuthenticateCognitoConfig"]["UserPoolArn"] == COGNITO["COGNITO_USER_POOL_ARN"]
    assert actions[0]["AuthenticateCognitoConfig"]["UserPoolDomain"] == "example-login"
    assert actions[1]["TargetGroupArn"] == tg
    env = lam.get_function_configuration(FunctionName=STACK, Qualifier="live")["Environment"]["Variables"]
    assert env["SITE_AUTH_SIGNER"] == lb_arn


def test_oidc_client_secret_from_ssm_is_used_and_never_printed(aws):
    lb_arn, listener = https_listener_of_existing_alb(aws)
    aws.client("ssm").put_parameter(Name="/site/oidc-secret", Value="from-ssm-secret", Type="SecureString")
    out = aws.deploy(LISTENER_ARN=listener, OIDC_CLIENT_SECRET_SSM="/site/oidc-secret", **OIDC)
    [rule] = [r for r in aws.client("elbv2").describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    auth = [a for a in rule["Actions"] if a["Type"] == "authenticate-oidc"][0]
    assert auth["AuthenticateOidcConfig"]["ClientSecret"] == "from-ssm-secret"
    assert "from-ssm-secret" not in out


def test_auth_without_https_stops_before_any_change(aws):
    r = aws.run(DEPLOY, **COGNITO)
    assert r.returncode != 0
    assert "AUTH=cognito needs HTTPS" in r.stdout
    assert "stopped before changing anything" in r.stdout
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_oidc_without_a_client_secret_source_stops_before_any_change(aws):
    cert = imported_certificate(aws)
    r = aws.run(DEPLOY, CERTIFICATE_ARN=cert, **OIDC)
    assert r.returncode != 0
    assert "exactly one of OIDC_CLIENT_SECRET_FILE and OIDC_CLIENT_SECRET_SSM" in r.stdout
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_subnets_in_one_zone_stop_before_any_change(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
               for i in (1, 2)]
    r = aws.run(DEPLOY, ALB_SCHEME="internal", SUBNET_IDS=",".join(subnets))
    assert r.returncode != 0
    assert "all in one availability zone" in r.stdout
    assert aws.client("lambda").list_functions()["Functions"] == []


def test_allowed_cidrs_replace_the_default_source(aws):
    aws.deploy(ALLOWED_CIDRS="203.0.113.0/24")
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    [lb] = elbv2.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    [sg] = ec2.describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
    assert {(p["FromPort"], r["CidrIp"]) for p in sg["IpPermissions"] for r in p["IpRanges"]} == {(80, "203.0.113.0/24")}
