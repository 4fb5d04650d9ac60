"""Operating the site (issue: metrics, alarms, a dashboard): the alarms, the dashboard and the
rollback wiring the template makes, through moto's CloudFormation, read back through CloudWatch's,
SNS's and CodeDeploy's APIs, with cfn-lint on each variant's parameters."""

import datetime
import json

import pytest

from moto.codedeploy.models import codedeploy_backends

from conftest import OIDC, PRIVATE, REGION, lint_stack_parameters

ACCOUNT = "123456789012"


def alarms(aws):
    """{logical id: the alarm as DescribeAlarms gives it} of the stack's alarms."""
    cw = aws.client("cloudwatch")
    out = {}
    for logical in ("ErrorsAlarm", "ServerErrorsAlarm", "HandlerLatencyAlarm", "KeyFetchAlarm",
                    "FunctionErrorsAlarm", "ThrottlesAlarm"):
        name = aws.physical(logical)
        if name:
            [a] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
            out[logical] = a
    return out


def dims(metric):
    return {d["Name"]: d["Value"] for d in metric["Dimensions"]}


def test_a_site_gets_alarms_on_5xx_rate_p99_errors_and_throttles_and_the_5xx_rate_rolls_back(aws):
    aws.deploy()
    a = alarms(aws)
    assert set(a) == {"ErrorsAlarm", "ServerErrorsAlarm", "HandlerLatencyAlarm", "FunctionErrorsAlarm", "ThrottlesAlarm"}
    rate = a["ServerErrorsAlarm"]
    queries = {q["Id"]: q for q in rate["Metrics"]}
    assert queries["percent"]["Expression"] == "IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)"
    for qid, metric in (("errors", "Status5xx"), ("requests", "Requests")):
        m = queries[qid]["MetricStat"]["Metric"]
        assert (m["Namespace"], m["MetricName"], dims(m)) == ("StaticSite", metric, {"FunctionName": "static-site", "Door": "alb"})
    assert (rate["Threshold"], rate["ComparisonOperator"]) == (5.0, "GreaterThanThreshold")
    p99 = a["HandlerLatencyAlarm"]
    assert (p99["ExtendedStatistic"], p99["Threshold"], p99["EvaluationPeriods"]) == ("p99", 100000.0, 3)
    assert (a["ThrottlesAlarm"]["Namespace"], a["ThrottlesAlarm"]["MetricName"]) == ("AWS/Lambda", "Throttles")
    assert all(x["AlarmActions"] == [] for x in a.values())  # no ALARM_EMAIL, no topic: nobody is told
    # CodeDeploy's API in moto 5.2 answers alarmConfiguration as {} (a TODO): read what it keeps.
    [group] = [g for groups in codedeploy_backends[ACCOUNT][REGION].deployment_groups.values() for g in groups.values()]
    rollback_on = [x["name"] for x in group.alarm_configuration["alarms"]]
    assert rollback_on == [aws.physical("ErrorsAlarm"), aws.physical("ServerErrorsAlarm")]
    lint_stack_parameters(aws)


def test_the_dashboard_shows_requests_status_classes_bytes_latency_errors_and_versions(aws):
    aws.deploy()
    body = json.loads(aws.client("cloudwatch").get_dashboard(DashboardName="static-site-site")["DashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == ["Requests by status class", "Handler time p50 / p99 (microseconds)", "Bytes sent",
                      "304s, ranges, redirects, logins", "Function errors and throttles",
                      "Invocations by version (the live version serves them; make status names it)"]
    first = body["widgets"][0]["properties"]["metrics"]
    assert [m[1] for m in first] == ["Requests", "Status2xx", "Status3xx", "Status4xx", "Status5xx"]
    assert all(m[0] == "StaticSite" and m[3] == "static-site" and m[5] == "alb" for m in first)


def test_alarm_email_makes_a_topic_every_alarm_notifies(aws):
    aws.deploy(ALARM_EMAIL="ops@example.com", ALARM_5XX_PERCENT=2, ALARM_P99_MS=250)
    [topic] = aws.client("sns").list_topics()["Topics"]
    subs = aws.client("sns").list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]
    a = alarms(aws)
    assert all(x["AlarmActions"] == [topic["TopicArn"]] for x in a.values() if x is not a["ErrorsAlarm"])
    assert (a["ServerErrorsAlarm"]["Threshold"], a["HandlerLatencyAlarm"]["Threshold"]) == (2.0, 250000.0)
    lint_stack_parameters(aws)


def test_a_private_site_also_alarms_on_key_fetch_failures(aws):
    secret = aws.tmp / "secret"
    secret.write_text("s3cr3t")
    aws.zip = aws.make_zip("private", facts=PRIVATE)
    aws.deploy(CERTIFICATE_ARN=aws.certificate(), OIDC_CLIENT_SECRET_FILE=secret, **OIDC)
    key = alarms(aws)["KeyFetchAlarm"]
    assert (key["MetricName"], dims(key), key["Threshold"]) == ("KeyFetchFailures", {"FunctionName": "static-site", "Door": "alb"}, 5.0)
    lint_stack_parameters(aws)


def test_without_metrics_only_lambdas_own_alarms_remain_and_no_dashboard(aws):
    aws.deploy(METRICS="off")
    assert set(alarms(aws)) == {"ErrorsAlarm", "FunctionErrorsAlarm", "ThrottlesAlarm"}
    assert aws.client("cloudwatch").list_dashboards()["DashboardEntries"] == []
    lint_stack_parameters(aws)


def test_status_prints_the_last_hours_requests_by_class_and_bytes(aws):
    aws.deploy()
    dims = [{"Name": "FunctionName", "Value": "static-site"}, {"Name": "Door", "Value": "alb"}]
    # What CloudWatch would have extracted from the access lines of the last hour.
    ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    aws.client("cloudwatch").put_metric_data(Namespace="StaticSite", MetricData=[
        {"MetricName": name, "Dimensions": dims, "Value": value, "Timestamp": ago}
        for name, value in (("Requests", 10), ("Status2xx", 7), ("Status4xx", 1), ("Status5xx", 2),
                            ("BytesSent", 5000), ("HandlerTime", 600))])
    out = aws.ok("status.sh")
    # moto computes no percentiles (its get-metric-data fails on p50): CloudWatch gives them.
    assert "last hour:    10 requests: 2xx 7, 3xx 0, 4xx 1, 5xx 2 (20 % 5xx); 5000 bytes sent; handler p50 -, p99 -" in out, out


def test_status_says_nothing_of_metrics_when_they_are_off(aws):
    aws.deploy(METRICS="off")
    assert "last hour:" not in aws.ok("status.sh", METRICS="off")


def test_logs_keeps_the_lines_of_a_status_class_under_a_path(aws):
    aws.deploy()
    out = aws.ok("logs.sh", STATUS="5xx", PATH_PREFIX="/docs", SINCE="1h", LOGS_FOLLOW="false")
    assert 'filter: { ($.fields.status >= 500) && ($.fields.status <= 599) && ($.fields.path = "/docs*") }' in out, out
    out = aws.ok("logs.sh", STATUS="404", LOGS_FOLLOW="false")
    assert "filter: { ($.fields.status = 404) }" in out, out


@pytest.mark.parametrize("settings, needle", [
    ({"STATUS": "6xx"}, "STATUS='6xx' is not a status or a class"),
    ({"PATH_PREFIX": "docs"}, "PATH_PREFIX='docs' is not a path"),
    ({"STATUS": "5xx", "LOG_FORMAT": "Text", "METRICS": "off"}, "filter the JSON access line"),
    ({"SINCE": "yesterday"}, "LOGS_SINCE='yesterday' must be a number"),
])
def test_logs_refuses_a_filter_it_cannot_apply(aws, settings, needle):
    aws.fails("logs.sh", needle, LOGS_FOLLOW="false", **settings)
