"""make deploy / make destroy, run for real (AWS CLI + deploy/*.sh) against a local moto server.

moto only fakes the control plane: its ALB DNS name does not resolve and it never runs the
function, so these tests check the resources and their settings, not HTTP traffic.
"""

import json
import re
import shutil
import stat
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import BIN, DEPLOY, DESTROY, REPO, TAG_KEY

STACK = "static-site"


# --------------------------------------------------------------------------- helpers

def tags_of(elbv2, arn):
    d = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in d}


def policy_statements(lam, fn=STACK, alias="live"):
    try:
        return json.loads(lam.get_policy(FunctionName=fn, Qualifier=alias)["Policy"])["Statement"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise


def sgs_named(ec2, name):
    return ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]


def snapshot(aws, stack=STACK, listener_arn=None):
    """Every resource deploy manages, with the settings that matter, as plain data."""
    iam, lam, elbv2, ec2 = (aws.client(s) for s in ("iam", "lambda", "elbv2", "ec2"))
    fn = lam.get_function(FunctionName=stack)
    cfg = fn["Configuration"]
    alias = lam.get_alias(FunctionName=stack, Name="live")
    tg = elbv2.describe_target_groups(Names=[f"{stack}-tg"])["TargetGroups"][0]
    attrs = {a["Key"]: a["Value"] for a in
             elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    snap = {
        "role": iam.get_role(RoleName=f"{stack}-role")["Role"]["Arn"],
        "role_policies": sorted(p["PolicyArn"] for p in
                                iam.list_attached_role_policies(RoleName=f"{stack}-role")["AttachedPolicies"]),
        "function": cfg["FunctionArn"],
        "config": {k: cfg.get(k) for k in ("Runtime", "Handler", "MemorySize", "Timeout", "Role", "Architectures")},
        "function_tags": fn.get("Tags", {}),
        "alias": alias["AliasArn"],
        "version": alias["FunctionVersion"],
        "code_sha": lam.get_function(FunctionName=stack, Qualifier=alias["FunctionVersion"])["Configuration"]["CodeSha256"],
        "tg": tg["TargetGroupArn"],
        "tg_settings": {k: tg.get(k) for k in ("TargetType", "HealthCheckEnabled", "HealthCheckPath")},
        "multi_value": attrs.get("lambda.multi_value_headers.enabled"),
        "tg_tags": tags_of(elbv2, tg["TargetGroupArn"]),
        "targets": sorted(t["Target"]["Id"] for t in
                          elbv2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]),
        "statements": policy_statements(lam, stack),
        "albs": sorted(lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]),
        "sgs": sorted(g["GroupId"] for g in sgs_named(ec2, f"{stack}-alb-sg")),
        # Ingress rules of our security group and the listeners (with their rules) of our ALB:
        # a redeploy must update these in place, never add a second one.
        "sg_ingress": sorted(
            (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), tuple(sorted(r["CidrIp"] for r in p["IpRanges"])))
            for g in sgs_named(ec2, f"{stack}-alb-sg") for p in g["IpPermissions"]),
        "listeners": sorted(
            (l["ListenerArn"], l["Protocol"], l["Port"],
             tuple(sorted((r["RuleArn"], r["Priority"]) for r in elbv2.describe_rules(ListenerArn=l["ListenerArn"])["Rules"])))
            for lb in elbv2.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"{stack}-alb"
            for l in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]),
    }
    if listener_arn:
        snap["rules"] = sorted(
            (r["RuleArn"], r["Priority"]) for r in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"])
    return snap


def create_existing_alb(aws, name="shared-alb"):
    """An ALB + HTTP listener that exist before deploy (LISTENER_ARN mode), with a rule of their own."""
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Scheme="internet-facing", Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no"}}],
    )["Listeners"][0]["ListenerArn"]
    other = elbv2.create_rule(
        ListenerArn=listener, Priority=5,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/other/*"]}}],
        Actions=[{"Type": "fixed-response",
                  "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "other"}}],
    )["Rules"][0]["RuleArn"]
    return lb_arn, listener, other


def stack_leftovers(aws, stack=STACK):
    iam, lam, elbv2, ec2 = (aws.client(s) for s in ("iam", "lambda", "elbv2", "ec2"))
    left = []
    try:
        iam.get_role(RoleName=f"{stack}-role")
        left.append("role")
    except ClientError:
        pass
    if any(f["FunctionName"] == stack for f in lam.list_functions()["Functions"]):
        left.append("function")
    if any(t["TargetGroupName"] == f"{stack}-tg" for t in elbv2.describe_target_groups()["TargetGroups"]):
        left.append("target group")
    if any(lb["LoadBalancerName"] == f"{stack}-alb" for lb in elbv2.describe_load_balancers()["LoadBalancers"]):
        left.append("load balancer")
    if sgs_named(ec2, f"{stack}-alb-sg"):
        left.append("security group")
    return left


# --------------------------------------------------------------------------- new ALB mode

def test_deploy_creates_every_resource_with_its_settings(aws):
    out = aws.deploy(MULTI_VALUE_HEADERS="true", MEMORY_SIZE="256", TIMEOUT="15")
    s = snapshot(aws)
    elbv2, ec2 = aws.client("elbv2"), aws.client("ec2")

    assert s["role_policies"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    assert s["config"] == {"Runtime": "provided.al2023", "Handler": "bootstrap", "MemorySize": 256, "Timeout": 15,
                           "Role": s["role"], "Architectures": ["x86_64"]}
    assert s["function_tags"].get(TAG_KEY) == STACK
    assert s["version"] != "$LATEST"
    assert s["tg_settings"] == {"TargetType": "lambda", "HealthCheckEnabled": True, "HealthCheckPath": "/health"}
    assert s["multi_value"] == "true"
    assert s["tg_tags"] == {TAG_KEY: STACK}
    assert s["targets"] == [s["alias"]], "the alias, not the bare function, is the target"

    [st] = s["statements"]
    assert st["Principal"] == {"Service": "elasticloadbalancing.amazonaws.com"}
    assert st["Action"] == "lambda:InvokeFunction"
    assert st["Condition"]["ArnLike"]["AWS:SourceArn"] == s["tg"]

    [lb] = elbv2.describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert lb["VpcId"] == default_vpc
    assert tags_of(elbv2, lb["LoadBalancerArn"]) == {TAG_KEY: STACK}
    [sg] = sgs_named(ec2, f"{STACK}-alb-sg")
    assert lb["SecurityGroups"] == [sg["GroupId"]]
    assert {"Key": TAG_KEY, "Value": STACK} in sg["Tags"]
    assert any(p["FromPort"] == 80 and p["IpRanges"][0]["CidrIp"] == "0.0.0.0/0" for p in sg["IpPermissions"])
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    assert listener["DefaultActions"][0]["TargetGroupArn"] == s["tg"]

    assert f"Open: http://{lb['DNSName']}/" in out
    assert "HTTP only (no CERTIFICATE_ARN)" in out, "a deploy without a certificate says the site is HTTP-only"


def test_every_step_is_printed_as_n_of_total(aws):
    out = aws.deploy()
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", out, re.M)
    assert [int(n) for n, _ in steps] == list(range(1, 16))
    assert {total for _, total in steps} == {"15"}


def test_second_deploy_changes_only_the_code(aws):
    aws.deploy()
    first = snapshot(aws)
    aws.zip = aws.make_zip("v2")
    out = aws.deploy()
    second = snapshot(aws)

    assert second["version"] != first["version"], "the new code gets a new version"
    assert second["code_sha"] != first["code_sha"]
    for key in ("version", "code_sha"):
        first.pop(key), second.pop(key)
    assert second == first, "nothing but the code may change"
    assert "created" not in out, out


def test_redeploy_with_the_same_package_and_settings_changes_nothing(aws):
    aws.deploy()
    first = snapshot(aws)
    out = aws.deploy()
    assert snapshot(aws) == first, out
    assert "created" not in out, out


def test_redeploy_updates_memory_timeout_health_path_and_header_mode_in_place(aws):
    aws.deploy()
    first = snapshot(aws)
    aws.zip = aws.make_zip("v1-ping", health_path="/ping")  # a site whose health path is /ping
    aws.deploy(MEMORY_SIZE="512", TIMEOUT="20", MULTI_VALUE_HEADERS="true")
    second = snapshot(aws)
    assert (second["config"]["MemorySize"], second["config"]["Timeout"]) == (512, 20)
    assert second["tg_settings"]["HealthCheckPath"] == "/ping"
    assert second["multi_value"] == "true"
    # The same resources, updated: no ARN changed, nothing doubled.
    for key in ("role", "function", "alias", "tg", "albs", "sgs", "sg_ingress", "listeners", "targets"):
        assert second[key] == first[key], key
    assert len(second["statements"]) == 1


def test_redeploy_in_listener_mode_moves_its_rule_in_place(aws):
    lb_arn, listener, other_rule = create_existing_alb(aws)
    aws.deploy(LISTENER_ARN=listener, RULE_PRIORITY="7", RULE_PATH_PATTERNS="/site/*")
    elbv2 = aws.client("elbv2")
    first = snapshot(aws, listener_arn=listener)
    aws.deploy(LISTENER_ARN=listener, RULE_PRIORITY="9", RULE_PATH_PATTERNS="/docs/*,/site/*")
    second = snapshot(aws, listener_arn=listener)
    tg = second["tg"]
    ours = [r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]
            if r["Actions"][0].get("TargetGroupArn") == tg]
    [rule] = ours
    assert rule["Priority"] == "9"
    conds = {c["Field"]: c for c in rule["Conditions"]}
    assert conds["path-pattern"]["PathPatternConfig"]["Values"] == ["/docs/*", "/site/*"]
    first_ours = [arn for arn, _ in first["rules"] if arn != other_rule and not arn.endswith("default")]
    assert [rule["RuleArn"]] == [a for a in first_ours if a == rule["RuleArn"]], "the same rule, moved"
    assert len(second["rules"]) == len(first["rules"]), "no rule added"
    assert other_rule in [arn for arn, _ in second["rules"]]


def test_deploy_with_the_default_settings_uses_single_value_headers(aws):
    aws.deploy()
    assert snapshot(aws)["multi_value"] == "false"


def test_destroy_removes_everything_deploy_created(aws):
    aws.deploy()
    assert stack_leftovers(aws) == ["role", "function", "target group", "load balancer", "security group"]
    out = aws.destroy()
    assert stack_leftovers(aws) == [], out
    assert aws.client("lambda").list_functions()["Functions"] == []
    assert aws.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    # the default VPC is not ours to delete
    assert aws.client("ec2").describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]


def test_destroy_twice_is_a_harmless_no_op(aws):
    aws.deploy()
    aws.destroy()
    out = aws.destroy()
    assert "deleted" not in out


def test_destroy_leaves_resources_without_the_stack_tag_alone(aws):
    iam = aws.client("iam")
    iam.create_role(RoleName=f"{STACK}-role", AssumeRolePolicyDocument="{}")  # same name, no tag
    out = aws.destroy()
    assert "left alone" in out
    iam.get_role(RoleName=f"{STACK}-role")


# --------------------------------------------------------------------------- existing listener mode

def test_existing_listener_gets_a_rule_and_survives_destroy(aws):
    lb_arn, listener, other_rule = create_existing_alb(aws)
    settings = dict(LISTENER_ARN=listener, RULE_PATH_PATTERNS="/site/*,/assets/*",
                    RULE_HOST_HEADERS="www.example.com", RULE_PRIORITY="7")
    out = aws.deploy(**settings)
    elbv2 = aws.client("elbv2")
    s = snapshot(aws, listener_arn=listener)

    assert s["albs"] == [lb_arn], "no load balancer is created in LISTENER_ARN mode"
    assert s["sgs"] == []
    ours = [r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]
            if r["Actions"][0].get("TargetGroupArn") == s["tg"]]
    [rule] = ours
    assert rule["Priority"] == "7"
    conds = {c["Field"]: c for c in rule["Conditions"]}
    assert conds["path-pattern"]["PathPatternConfig"]["Values"] == ["/site/*", "/assets/*"]
    assert conds["host-header"]["HostHeaderConfig"]["Values"] == ["www.example.com"]
    assert tags_of(elbv2, rule["RuleArn"]) == {TAG_KEY: STACK}
    dns = elbv2.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"][0]["DNSName"]
    assert f"Open: http://{dns}/" in out

    again = aws.deploy(**settings)
    assert snapshot(aws, listener_arn=listener)["rules"] == s["rules"], again

    aws.destroy(LISTENER_ARN=listener)
    assert stack_leftovers(aws) == []
    rules = [r["RuleArn"] for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]]
    assert other_rule in rules and rule["RuleArn"] not in rules
    assert elbv2.describe_listeners(ListenerArns=[listener])["Listeners"]
    assert elbv2.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"]


def test_half_finished_deploy_completes_when_run_again(aws):
    """A taken rule priority stops deploy at its last AWS step; once freed, a rerun completes without duplicates."""
    lb_arn, listener, other_rule = create_existing_alb(aws)
    r = aws.run(DEPLOY, LISTENER_ARN=listener, RULE_PRIORITY="5")  # priority 5 belongs to the other rule
    assert r.returncode != 0
    assert "[12/15]" in r.stdout and "PriorityInUse" in r.stdout
    assert "RULE_PRIORITY" in r.stdout, "says what to do"
    assert "run it again" in r.stdout
    half = snapshot(aws, listener_arn=listener)  # everything up to the rule exists

    aws.client("elbv2").delete_rule(RuleArn=other_rule)
    aws.deploy(LISTENER_ARN=listener, RULE_PRIORITY="5")
    done = snapshot(aws, listener_arn=listener)
    assert sorted(p for _, p in done["rules"]) == ["5", "default"]
    for key in ("version", "code_sha", "rules"):
        half.pop(key), done.pop(key)
    assert done == half, "the rerun reused what the first run had created"


# --------------------------------------------------------------------------- failing early, with a clear message

@pytest.mark.parametrize("setting, value, expected", [
    ("FUNCTION_NAME", "", "setting FUNCTION_NAME is empty"),
    ("HEALTH_PATH", "health", "HEALTH_PATH=health, but the package answers health checks on /health"),
    ("MULTI_VALUE_HEADERS", "yes", "MULTI_VALUE_HEADERS='yes' must be one of: auto true false"),
    ("MEMORY_SIZE", "64", "MEMORY_SIZE=64 is not a whole number from 128 to 10240"),
    ("ZIP", "dist/nope.zip", "make build"),
])
def test_bad_or_missing_setting_fails_before_any_change(aws, setting, value, expected):
    r = aws.run(DEPLOY, **{setting: value})
    assert r.returncode != 0
    assert expected in r.stdout
    assert "error in step [1/15]" in r.stdout
    assert "stopped before changing anything" in r.stdout
    assert aws.client("iam").list_roles()["Roles"] == []
    assert stack_leftovers(aws) == []


def test_env_file_settings_apply_and_the_environment_overrides_them(aws, tmp_path):
    env_file = tmp_path / "my.env"
    env_file.write_text("MEMORY_SIZE=64\nHEALTH_PATH=nope\n")
    r = aws.run(DEPLOY, DEPLOY_ENV_FILE=str(env_file), MEMORY_SIZE="256")
    assert r.returncode != 0
    assert "HEALTH_PATH=nope, but the package answers" in r.stdout, "the file's value is used"
    assert "MEMORY_SIZE" not in r.stdout, "the environment's MEMORY_SIZE=256 wins over the file's 64"


def test_listener_mode_without_a_priority_fails_before_any_change(aws):
    _, listener, _ = create_existing_alb(aws)
    r = aws.run(DEPLOY, LISTENER_ARN=listener, RULE_PRIORITY="")
    assert r.returncode != 0 and "setting RULE_PRIORITY is empty" in r.stdout
    assert stack_leftovers(aws) == []


def test_missing_credentials_fail_with_what_to_do(aws):
    r = aws.run(DEPLOY, env_override={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert r.returncode != 0
    assert "Unable to locate credentials" in r.stdout
    assert "aws configure" in r.stdout
    assert stack_leftovers(aws) == []


def test_a_name_taken_by_someone_else_fails_before_any_change(aws):
    aws.client("elbv2").create_target_group(Name=f"{STACK}-tg", TargetType="lambda")  # not tagged by us
    r = aws.run(DEPLOY)
    assert r.returncode != 0
    assert f"target group {STACK}-tg already exists and was not created by this stack" in r.stdout
    assert "choose another STACK_NAME" in r.stdout
    assert aws.client("iam").list_roles()["Roles"] == []


# --------------------------------------------------------------------------- packages over the direct-upload limit

def test_large_package_without_a_bucket_fails_before_any_change(aws):
    r = aws.run(DEPLOY, DIRECT_UPLOAD_LIMIT="100")
    assert r.returncode != 0
    assert "over Lambda's direct-upload limit (100 bytes), and DEPLOY_BUCKET is empty" in r.stdout
    assert stack_leftovers(aws) == []
    assert aws.client("iam").list_roles()["Roles"] == []


def test_large_package_goes_through_the_deploy_bucket(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="deploy-bucket")
    s3.put_object(Bucket="deploy-bucket", Key="unrelated.txt", Body=b"keep me")
    out = aws.deploy(DIRECT_UPLOAD_LIMIT="100", DEPLOY_BUCKET="deploy-bucket")
    assert "over the direct-upload limit of 100 bytes: uploading through s3://deploy-bucket/" in out
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="deploy-bucket")["Contents"]]
    [pkg] = [k for k in keys if k.startswith(f"{STACK}/bootstrap-")]
    assert s3.get_object(Bucket="deploy-bucket", Key=pkg)["Body"].read() == aws.zip.read_bytes()
    assert snapshot(aws)["targets"]

    aws.destroy(DEPLOY_BUCKET="deploy-bucket")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="deploy-bucket").get("Contents", [])]
    assert keys == ["unrelated.txt"]


# --------------------------------------------------------------------------- CLIs that ignore AWS_ENDPOINT_URL

def test_deploy_passes_the_endpoint_itself_for_clis_that_ignore_the_variable(aws, tmp_path):
    """Debian's AWS CLI v2 ignores AWS_ENDPOINT_URL: a wrapper that drops the variable must still work."""
    wrapper_dir = tmp_path / "wrapped"
    wrapper_dir.mkdir()
    log = tmp_path / "calls.log"
    wrapper = wrapper_dir / "aws"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\nunset AWS_ENDPOINT_URL\nexec {BIN}/aws "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    r = aws.run(DEPLOY, PATH=f"{wrapper_dir}:{aws.env['PATH']}")
    assert r.returncode == 0, r.stdout
    calls = log.read_text().splitlines()
    assert len(calls) > 10
    assert all(f"--endpoint-url {aws.url}" in c for c in calls)


# --------------------------------------------------------------------------- linters

def test_scripts_are_shellcheck_clean():
    sc = shutil.which("shellcheck")
    if sc is None:
        pytest.skip("shellcheck not installed (make test-deploy installs it)")
    files = [str(REPO / "deploy" / f) for f in ("deploy.sh", "destroy.sh", "lib.sh", "settings.env")]
    r = subprocess.run([sc, "-x", *files], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


