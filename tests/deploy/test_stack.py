"""`make deploy` of each variant through moto's CloudFormation; the result is read back through each
resource's own API, and the parameters the script computed are linted with cfn-lint.

One deploy per module (a module-scoped account), then one behaviour per test; pytest-xdist keeps a
module on one worker (--dist loadfile)."""

import json

import pytest

from conftest import STACK, Aws, lint_stack_parameters, reset

@pytest.fixture(scope="module")
def account(moto_url, cli_bin, tmp_path_factory):
    reset(moto_url)
    return Aws(moto_url, tmp_path_factory.mktemp("account"), cli_bin)


@pytest.fixture(scope="module", autouse=True)
def deployed(account):
    account.out = account.deploy(LOG_RETENTION_DAYS=14)


class TestPublicAlb:
    def test_the_function_is_the_package_on_provided_al2023_for_its_architecture(self, account):
        fn = account.client("lambda").get_function(FunctionName="static-site")["Configuration"]
        assert (fn["Runtime"], fn["Handler"], fn["Architectures"], fn["MemorySize"]) == ("provided.al2023", "bootstrap", ["x86_64"], 128)
        assert fn["CodeSha256"] == account.parameters()["CodeSha256"]

    def test_version_1_is_published_and_the_alias_points_at_it(self, account):
        assert account.versions() == ["1"]
        assert account.alias_version() == "1"
        assert "live: static-site version 1" in account.out

    def test_the_target_group_has_the_alias_registered_and_the_health_path_of_the_package(self, account):
        elbv2 = account.client("elbv2")
        tg = account.physical("TargetGroup")
        alias = account.client("lambda").get_alias(FunctionName="static-site", Name="live")["AliasArn"]
        health = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        assert [t["Target"]["Id"] for t in health] == [alias]
        group = elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0]
        assert (group["TargetType"], group["HealthCheckPath"]) == ("lambda", "/health")
        attrs = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(TargetGroupArn=tg)["Attributes"]}
        assert attrs["lambda.multi_value_headers.enabled"] == "false"

    def test_load_balancers_may_invoke_the_alias(self, account):
        policy = json.loads(account.client("lambda").get_policy(FunctionName="static-site")["Policy"])
        [st] = [s for s in policy["Statement"] if s.get("Principal") in ("elasticloadbalancing.amazonaws.com",
                                                                      {"Service": "elasticloadbalancing.amazonaws.com"})]
        assert st["Action"] == "lambda:InvokeFunction"
        assert ":targetgroup/" in json.dumps(st)

    def test_port_80_forwards_to_the_function_from_anywhere(self, account):
        elbv2 = account.client("elbv2")
        [lb] = elbv2.describe_load_balancers()["LoadBalancers"]
        assert lb["Scheme"] == "internet-facing"
        [listener] = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
        assert [(a["Type"], a["TargetGroupArn"]) for a in listener["DefaultActions"]] == [("forward", account.physical("TargetGroup"))]
        [sg] = account.client("ec2").describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
        assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in sg["IpPermissions"]] == [(80, ["0.0.0.0/0"])]

    def test_the_role_and_the_log_group_with_its_retention(self, account):
        role = account.client("lambda").get_function(FunctionName="static-site")["Configuration"]["Role"]
        name = role.split("/")[-1]
        attached = account.client("iam").list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]
        groups = account.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/static-site")["logGroups"]
        assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
            "/aws/lambda/static-site": 14, "/aws/lambda/static-site-pre-traffic": 14}

    def test_codedeploy_shifts_the_alias_all_at_once_and_rolls_back_on_the_errors_alarm(self, account):
        cd = account.client("codedeploy")
        app = account.physical("DeployApplication")
        group = cd.get_deployment_group(applicationName=app, deploymentGroupName=account.physical("DeploymentGroup"))["deploymentGroupInfo"]
        assert group["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
        assert group["autoRollbackConfiguration"]["enabled"] is True
        assert group["autoRollbackConfiguration"]["events"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]
        alarm = account.physical("ErrorsAlarm")
        [a] = account.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        assert (a["MetricName"], a["Threshold"], a["ComparisonOperator"]) == ("Errors", 0.0, "GreaterThanThreshold")
        assert {d["Name"]: d["Value"] for d in a["Dimensions"]}["ExecutedVersion"] == "1"

    def test_the_pre_traffic_hook_checks_the_health_path_and_the_home_page_for_200(self, account):
        env = account.client("lambda").get_function(FunctionName="static-site-pre-traffic")["Configuration"]["Environment"]["Variables"]
        assert (env["FUNCTION"], env["VERSION"]) == ("static-site", "1")
        assert json.loads(env["CHECKS"]) == [["/health", [200]], ["/", [200]]]

    def test_the_parameters_of_this_variant_pass_cfn_lint(self, account):
        lint_stack_parameters(account)

    def test_a_second_deploy_with_nothing_changed_reports_no_changes_and_publishes_no_version(self, account):
        out = account.deploy(LOG_RETENTION_DAYS=14)
        assert "no changes" in out
        assert account.versions() == ["1"]

    def test_no_changes_also_when_the_endpoint_refuses_an_empty_change_set_at_once(self, account, monkeypatch):
        # CloudFormation (and moto 5.2.6) make an empty change set FAILED, "didn't contain changes"
        # (the test above); other endpoints refuse it at once: both mean "no changes".
        from moto.cloudformation.exceptions import ValidationError
        from moto.cloudformation.models import CloudFormationBackend

        def refuse(self, stack_name, *args, **kwargs):
            raise ValidationError(stack_name, message="No updates are to be performed.")
        monkeypatch.setattr(CloudFormationBackend, "create_change_set", refuse)
        out = account.deploy(LOG_RETENTION_DAYS=14)
        assert "no changes" in out
        assert account.versions() == ["1"]

    def test_plan_shows_the_change_set_and_changes_nothing(self, account):
        account.zip = account.make_zip("v2")
        out = account.ok("deploy.sh", PLAN=1, LOG_RETENTION_DAYS=14)
        assert "Version" in out and "PLAN=1" in out
        assert account.versions() == ["1"] and account.alias_version() == "1"
        sets = account.client("cloudformation").list_change_sets(StackName=STACK)["Summaries"]
        assert [s for s in sets if s["ExecutionStatus"] == "AVAILABLE"] == []

    def test_new_code_publishes_version_2_and_moves_the_alias(self, account):
        account.deploy(LOG_RETENTION_DAYS=14)
        assert account.versions() == ["1", "2"]
        assert account.alias_version() == "2"

    def test_rollback_moves_the_alias_to_the_previous_different_code(self, account):
        # version 3: the same code as 2 with another memory size; rollback skips it for 1.
        account.deploy(LOG_RETENTION_DAYS=14, MEMORY_SIZE=256)
        assert account.alias_version() == "3"
        out = account.ok("rollback.sh")
        assert account.alias_version() == "1", out

    def test_status_shows_the_stack_the_live_version_and_that_drift_is_unknown_here(self, account):
        out = account.ok("status.sh")
        assert "UPDATE_COMPLETE" in out
        assert "live version: 1" in out and "the stack deployed 3" in out
        assert "drift:        not known" in out  # moto has no detect-stack-drift

    def test_destroy_deletes_the_stack_and_what_it_made(self, account):
        account.ok("destroy.sh")
        assert account.client("lambda").list_functions()["Functions"] == []
        assert account.client("elbv2").describe_target_groups()["TargetGroups"] == []
        assert account.client("cloudformation").describe_stacks()["Stacks"] == []
