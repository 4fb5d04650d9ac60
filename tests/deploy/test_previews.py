"""Deploy previews: `make deploy PREVIEW=name` puts a build of the site at name.PREVIEW_DOMAIN, as a
stack, function and alias of its own whose rules sit on production's HTTPS listener ahead of
production's; production's alias and rules stay as they were.

One account per module: a private production site and two previews, pr-1 and pr-2, deployed once
through moto's CloudFormation; then one behaviour per test, read back through each resource's own
API. The last tests change the previews (new code, then a destroy); pytest-xdist keeps a module on
one worker, in order (--dist loadfile)."""

import fnmatch
import time

import pytest

from conftest import PREVIEW_DOMAIN as DOMAIN
from conftest import STACK, Aws, hosts, lint_stack_parameters, listener_rules, preview, production, reset, stack_names


@pytest.fixture(scope="module")
def aws(moto_url, cli_bin, tmp_path_factory):
    reset(moto_url)
    account = Aws(moto_url, tmp_path_factory.mktemp("previews"), cli_bin)
    account.listener = production(account, ALARM_EMAIL="ops@example.com")
    account.live = account.alias_version()
    account.rules_before = listener_rules(account, account.listener)
    account.alarms_before = {a["AlarmName"] for a in account.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    preview(account, "pr-1", content="one")
    preview(account, "pr-2", content="two")
    return account


def shadowing(rules):
    """The pairs (earlier, later) where the earlier rule would catch a request meant for the later
    rule's host: it matches any host, or a host pattern that matches the later one's host, and
    they are not one site's rules (the same host)."""
    return [(earlier["Priority"], later["Priority"]) for i, later in enumerate(rules) for earlier in rules[:i]
            if hosts(later) and hosts(earlier) != hosts(later)
            and (not hosts(earlier) or any(fnmatch.fnmatch(h.lower(), p.lower()) for h in hosts(later) for p in hosts(earlier)))]


@pytest.mark.parametrize("name,content", [("pr-1", "one"), ("pr-2", "two")])
def test_each_preview_is_a_function_and_alias_of_its_own_serving_its_own_code(aws, name, content):
    fn, lam = f"static-site-preview-{name}", aws.client("lambda")
    version = aws.alias_version(fn, f"preview-{name}")
    assert version == "1"
    code = lam.get_function(FunctionName=fn, Qualifier=version)["Configuration"]["CodeSha256"]
    assert code != lam.get_function(FunctionName="static-site")["Configuration"]["CodeSha256"]
    assert aws.parameters(f"{STACK}-preview-{name}")["PreviewOf"] == STACK


def test_productions_alias_and_rules_stay_as_they_were(aws):
    assert aws.alias_version() == aws.live
    assert [r for r in listener_rules(aws, aws.listener) if not hosts(r)] == aws.rules_before


def test_the_previews_rules_come_first_each_for_its_host_and_none_shadows_another(aws):
    rules = listener_rules(aws, aws.listener)
    assert [(r["Priority"], hosts(r)) for r in rules] == [
        ("1", [f"pr-1.{DOMAIN}"]), ("11", [f"pr-1.{DOMAIN}"]),
        ("12", [f"pr-2.{DOMAIN}"]), ("22", [f"pr-2.{DOMAIN}"]),
        ("49991", [])]
    assert shadowing(rules) == []
    targets = {r["Priority"]: r["Actions"][-1]["TargetGroupArn"] for r in rules}
    assert len({targets["11"], targets["22"], targets["49991"]}) == 3


def test_a_private_sites_preview_keeps_the_login_and_its_public_paths(aws):
    by_priority = {r["Priority"]: r for r in listener_rules(aws, aws.listener)}
    site, public = by_priority["11"], by_priority["1"]
    assert [a["Type"] for a in sorted(site["Actions"], key=lambda a: a["Order"])] == ["authenticate-oidc", "forward"]
    assert [a["Type"] for a in public["Actions"]] == ["forward"]
    paths = [v for c in public["Conditions"] if c["Field"] == "path-pattern" for v in c["PathPatternConfig"]["Values"]]
    assert sorted(paths) == ["/", "/assets/*", "/docs/*", "/health"]
    env = aws.client("lambda").get_function_configuration(FunctionName="static-site-preview-pr-1")["Environment"]["Variables"]
    [listener] = aws.client("elbv2").describe_listeners(ListenerArns=[aws.listener])["Listeners"]
    assert env["SITE_AUTH_SIGNER"] == listener["LoadBalancerArn"]


def test_a_preview_has_only_its_rollouts_alarms_no_dashboard_and_pages_no_one(aws):
    cw = aws.client("cloudwatch")
    added = [a for a in cw.describe_alarms()["MetricAlarms"] if a["AlarmName"] not in aws.alarms_before]
    # Per preview: the two its rollout needs (CodeDeploy rolls a failing preview back).
    assert sorted(a.get("MetricName") or a["Metrics"][-1]["Label"] for a in added) == ["5xx percent", "5xx percent", "Errors", "Errors"]
    assert all(not a.get("AlarmActions") for a in added)
    assert [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]] == [f"{STACK}-site"]


@pytest.mark.parametrize("name", ["pr-1", "pr-2"])
def test_each_previews_parameters_pass_cfn_lint(aws, name):
    lint_stack_parameters(aws, f"{STACK}-preview-{name}")


def test_status_lists_the_previews_and_a_previews_status_gives_its_address(aws):
    out = aws.ok("status.sh", **aws.settings)
    assert f"previews:     pr-1 CREATE_COMPLETE https://pr-1.{DOMAIN}/\n              pr-2 CREATE_COMPLETE https://pr-2.{DOMAIN}/" in out
    assert f"open:         https://pr-2.{DOMAIN}/" in preview(aws, "pr-2", script="status.sh")


def test_production_is_not_destroyed_while_it_has_previews(aws):
    aws.fails("destroy.sh", "production has previews", "pr-1 CREATE_COMPLETE", "make destroy PREVIEW=name", **aws.settings)
    assert stack_names(aws) == [STACK, f"{STACK}-preview-pr-1", f"{STACK}-preview-pr-2"]


def test_a_preview_deployed_again_unchanged_changes_nothing(aws):
    assert "no changes" in preview(aws, "pr-1", content="one")


def test_new_code_for_a_preview_moves_only_its_alias_and_keeps_its_rules(aws):
    rules = listener_rules(aws, aws.listener)
    preview(aws, "pr-1", content="one, again")
    assert aws.alias_version("static-site-preview-pr-1", "preview-pr-1") == "2"
    assert aws.alias_version("static-site-preview-pr-2", "preview-pr-2") == "1"
    assert aws.alias_version() == aws.live
    assert listener_rules(aws, aws.listener) == rules


def test_logs_and_rollback_with_preview_act_on_the_previews_function(aws):
    group, logs = "/aws/lambda/static-site-preview-pr-1", aws.client("logs")
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "a line of pr-1"}])
    assert "a line of pr-1" in preview(aws, "pr-1", script="logs.sh", LOGS_FOLLOW="false", SINCE="1h")
    preview(aws, "pr-1", script="rollback.sh")
    assert aws.alias_version("static-site-preview-pr-1", "preview-pr-1") == "1"
    assert aws.alias_version() == aws.live


def test_destroying_a_preview_leaves_production_and_the_other_preview_as_they_were(aws):
    kept = [r for r in listener_rules(aws, aws.listener) if hosts(r) != [f"pr-1.{DOMAIN}"]]
    lam = aws.client("lambda")
    config = lam.get_function_configuration(FunctionName="static-site")
    config.pop("ResponseMetadata")
    assert "deleted" in preview(aws, "pr-1", script="destroy.sh")
    assert listener_rules(aws, aws.listener) == kept
    assert aws.alias_version() == aws.live
    assert {**lam.get_function_configuration(FunctionName="static-site"), "ResponseMetadata": None} == {**config, "ResponseMetadata": None}
    assert stack_names(aws) == [STACK, f"{STACK}-preview-pr-2"]
