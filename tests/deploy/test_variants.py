"""Each variant of the template, deployed by `make deploy` through moto's CloudFormation on a fresh
account, read back through the resources' APIs, and its parameters linted (zero errors, zero warnings)."""

import json

from cfnlint.decode import decode

from conftest import OIDC, PRIVATE, TEMPLATE, lint_stack_parameters


def records(aws, zone):
    rs = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return sorted((r["Name"].rstrip("."), r["Type"], r.get("AliasTarget", {}).get("DNSName")) for r in rs if r["Type"] in ("A", "AAAA"))


def test_a_private_site_gets_its_public_paths_as_rules_without_login_ahead_of_the_login(aws):
    secret = aws.tmp / "secret"
    secret.write_text("s3cr3t")
    aws.zip = aws.make_zip("private", facts=PRIVATE)
    cert = aws.certificate()
    zone = aws.hosted_zone()
    out = aws.deploy(CERTIFICATE_ARN=cert, DOMAIN_NAME="www.example.com", HOSTED_ZONE_ID=zone, OIDC_CLIENT_SECRET_FILE=secret, **OIDC)
    elbv2 = aws.client("elbv2")
    [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
    listeners = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    https = listeners[443]
    assert https["Certificates"][0]["CertificateArn"] == cert
    actions = {a["Type"]: a for a in https["DefaultActions"]}
    assert set(actions) == {"authenticate-oidc", "forward"}
    assert actions["authenticate-oidc"]["AuthenticateOidcConfig"]["Issuer"] == "https://idp.example.com"
    # The public patterns (":page" as ALB's "*") and the health path: one rule, no login, at the end
    # of the priorities (a deploy preview's rules go ahead of it).
    assert aws.rules(https["ListenerArn"]) == [("49991", [["/", "/assets/*", "/docs/*", "/health"]], ["forward"])]
    env = aws.client("lambda").get_function_configuration(FunctionName="static-site")["Environment"]["Variables"]
    assert env["SITE_AUTH_SIGNER"] == lb["LoadBalancerArn"]
    tg = aws.physical("TargetGroup")
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg)["Attributes"]}
    assert attrs["lambda.multi_value_headers.enabled"] == "true"
    assert records(aws, zone) == [("www.example.com", "A", lb["DNSName"])]
    # The pre-traffic hook: 200 for the health path and each public path; a wildcard's probe 200 or 404.
    checks = json.loads(aws.parameters()["PreTrafficChecks"])
    assert checks == [["/health", [200]], ["/", [200]], ["/assets/pre-traffic-probe", [200, 404]], ["/docs/pre-traffic-probe", [200, 404]]]
    # The client secret reaches the listener, is never printed, and is a NoEcho parameter
    # (CloudFormation shows it as ****; moto does not mask it).
    assert actions["authenticate-oidc"]["AuthenticateOidcConfig"]["ClientSecret"] == "s3cr3t"
    assert "s3cr3t" not in out
    assert decode(str(TEMPLATE))[0]["Parameters"]["OidcClientSecret"]["NoEcho"] is True
    lint_stack_parameters(aws)


def test_a_private_site_whose_home_page_is_not_public_must_answer_401_before_traffic_moves(aws):
    aws.zip = aws.make_zip("private", facts={"auth": {"signers": [], "logout_path": None, "public": []}})
    secret = aws.tmp / "secret"
    secret.write_text("x")
    aws.deploy(CERTIFICATE_ARN=aws.certificate(), OIDC_CLIENT_SECRET_FILE=secret, **OIDC)
    assert json.loads(aws.parameters()["PreTrafficChecks"]) == [["/health", [200]], ["/", [401]]]


def test_a_login_on_a_site_without_auth_settings_expects_401_at_the_home_page_and_keeps_the_health_path_public(aws):
    # SITE_AUTH_SIGNER makes every path but the health path private, [auth] in site.toml or not:
    # a check expecting 200 at / would roll every such deploy back.
    secret = aws.tmp / "secret"
    secret.write_text("x")
    aws.deploy(CERTIFICATE_ARN=aws.certificate(), OIDC_CLIENT_SECRET_FILE=secret, **OIDC)
    assert json.loads(aws.parameters()["PreTrafficChecks"]) == [["/health", [200]], ["/", [401]]]
    [lb] = aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
    listeners = aws.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    [https] = [l for l in listeners if l["Port"] == 443]
    assert aws.rules(https["ListenerArn"]) == [("49991", [["/health"]], ["forward"])]


def test_an_internal_alb_admits_only_the_given_cidrs(aws):
    aws.deploy(ALB_SCHEME="internal", ALLOWED_CIDRS="10.0.0.0/8,192.168.0.0/16")
    [lb] = aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert lb["Scheme"] == "internal"
    [sg] = aws.client("ec2").describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
    assert sorted((p["FromPort"], r["CidrIp"]) for p in sg["IpPermissions"] for r in p["IpRanges"]) == [
        (80, "10.0.0.0/8"), (80, "192.168.0.0/16")]
    lint_stack_parameters(aws)


def test_a_shared_listener_gets_the_site_rule_and_the_public_rules_just_below_its_priority(aws):
    elbv2, ec2 = aws.client("elbv2"), aws.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    lb = elbv2.create_load_balancer(Name="shared", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": aws.certificate()}],
                                     DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    aws.zip = aws.make_zip("private", facts=PRIVATE)
    aws.deploy(LISTENER_ARN=listener, RULE_PRIORITY=50, RULE_HOST_HEADERS="docs.example.com", AUTH="cognito",
               COGNITO_USER_POOL_ARN="arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
               COGNITO_CLIENT_ID="client", COGNITO_DOMAIN="login")
    assert aws.rules(listener) == [("40", [["/", "/assets/*", "/docs/*", "/health"]], ["forward"]),
                                   ("50", [["/*"]], ["authenticate-cognito", "forward"])]
    env = aws.client("lambda").get_function_configuration(FunctionName="static-site")["Environment"]["Variables"]
    assert env["SITE_AUTH_SIGNER"] == lb
    lint_stack_parameters(aws)


def test_a_function_url_behind_cloudfront_with_a_domain(aws):
    cert = aws.certificate("site.example.com")
    zone = aws.hosted_zone()
    aws.deploy(FRONT="function-url", FUNCTION_URL_AUTH="AWS_IAM", CLOUDFRONT="on", CERTIFICATE_ARN=cert,
               DOMAIN_NAME="site.example.com", HOSTED_ZONE_ID=zone)
    url = aws.client("lambda").get_function_url_config(FunctionName="static-site")
    assert url["AuthType"] == "AWS_IAM"
    policy = json.dumps(json.loads(aws.client("lambda").get_policy(FunctionName="static-site")["Policy"]))
    assert "cloudfront.amazonaws.com" in policy and aws.physical("Distribution") in policy
    assert aws.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    names = records(aws, zone)
    assert [(n, t) for n, t, _ in names] == [("site.example.com", "A"), ("site.example.com", "AAAA")]
    lint_stack_parameters(aws)


def test_a_public_function_url_is_open_to_anyone(aws):
    aws.deploy(FRONT="function-url")
    assert aws.client("lambda").get_function_url_config(FunctionName="static-site")["AuthType"] == "NONE"
    policy = json.loads(aws.client("lambda").get_policy(FunctionName="static-site")["Policy"])
    assert {s["Action"] for s in policy["Statement"] if s.get("Principal") in ("*", {"AWS": "*"})} >= {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    lint_stack_parameters(aws)


def test_files_kept_in_s3_go_to_the_stacks_bucket_which_anyone_may_read_for_a_public_site(aws):
    aws.zip = aws.make_zip("offload", offload={"video.mp4": b"v" * 5000})
    aws.deploy()
    bucket = aws.physical("OffloadStore")
    s3 = aws.client("s3")
    [obj] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert obj["Key"].endswith("/video.mp4") and obj["Size"] == 5000
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert {st["Sid"] for st in policy["Statement"]} == {"HttpsOnly", "PublicRead"}
    env = aws.client("lambda").get_function_configuration(FunctionName="static-site")["Environment"]["Variables"]
    assert env["SITE_OFFLOAD_BUCKET"] == bucket and env["SITE_OFFLOAD_URL"] == f"https://{bucket}.s3.us-east-1.amazonaws.com"
    lint_stack_parameters(aws)
    # destroy empties the bucket the stack made, then deletes the stack (and the bucket).
    aws.ok("destroy.sh")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_an_arm64_package_is_deployed_as_an_arm64_function_through_the_same_template(aws):
    aws.zip = aws.make_zip("graviton", arch="arm64")
    aws.deploy(ARCH="arm64")
    assert aws.parameters()["Architecture"] == "arm64"
    config = aws.client("lambda").get_function_configuration(FunctionName="static-site")
    assert config["Architectures"] == ["arm64"]
    lint_stack_parameters(aws)


def test_metrics_are_on_by_default_in_json_lines_and_a_setting_turns_them_off(aws):
    aws.deploy()
    fn = aws.client("lambda").get_function_configuration(FunctionName="static-site")
    env = fn["Environment"]["Variables"]
    assert env["SITE_METRICS_NAMESPACE"] == "StaticSite" and "SITE_METRICS" not in env
    assert aws.parameters()["LogFormat"] == "JSON"
    lint_stack_parameters(aws)
    aws.deploy(METRICS="off", LOG_FORMAT="Text")
    env = aws.client("lambda").get_function_configuration(FunctionName="static-site")["Environment"]["Variables"]
    assert env["SITE_METRICS"] == "off" and "SITE_METRICS_NAMESPACE" not in env
    assert aws.parameters()["LogFormat"] == "Text"
    lint_stack_parameters(aws)
