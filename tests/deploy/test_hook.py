"""The pre-traffic hook (the code in deploy/template.yaml that CodeDeploy runs before the alias moves),
run here against the real package: its `invoke` stands in for Lambda's invoke of the new version
(the same handler, the same event). moto runs no code and CodeDeploy calls no hook offline, so
this is where the hook's decisions are tested."""

import io
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from cfnlint.decode import decode

from conftest import TEMPLATE

BOOTSTRAP = os.environ.get("DEPLOY_TEST_BOOTSTRAP")
pytestmark = pytest.mark.skipif(not BOOTSTRAP or not Path(BOOTSTRAP).exists(),
                                reason="needs the built package (DEPLOY_TEST_BOOTSTRAP): make test-deploy sets it")


def hook_code():
    template, _ = decode(str(TEMPLATE))
    return template["Resources"]["PreTrafficHook"]["Properties"]["Code"]["ZipFile"]


class FakeAws:
    """boto3 for the hook: lambda.invoke runs the package's handler on the event; codedeploy records
    the status the hook reports."""

    def __init__(self, answer=None):
        self.reported, self.invoked, self.answer = [], [], answer

    def client(self, service):
        return self

    def invoke(self, FunctionName, Qualifier, Payload):
        event = json.loads(Payload)
        self.invoked.append((FunctionName, Qualifier, event.get("path") or event["rawPath"]))
        if self.answer is not None:
            return {"Payload": io.BytesIO(json.dumps(self.answer).encode()), **({"FunctionError": "Unhandled"} if self.answer == "crash" else {})}
        out = subprocess.run([BOOTSTRAP, "invoke", "-"], input=Payload, capture_output=True, check=True,
                             env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1"})
        return {"Payload": io.BytesIO(out.stdout)}

    def put_lifecycle_event_hook_execution_status(self, deploymentId, lifecycleEventHookExecutionId, status):
        self.reported.append((deploymentId, lifecycleEventHookExecutionId, status))


def run_hook(checks, front="alb", multi="false", answer=None):
    fake = FakeAws(answer)
    env = dict(FUNCTION="static-site", VERSION="7", CHECKS=json.dumps(checks), FRONT=front, MULTI_VALUE=multi)
    saved_env, saved_boto3 = dict(os.environ), sys.modules.get("boto3")
    os.environ.update(env)
    sys.modules["boto3"] = types.SimpleNamespace(client=fake.client)
    try:
        module = {}
        exec(compile(hook_code(), "PreTrafficHook", "exec"), module)
        module["handler"]({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "h-1"}, None)
    finally:
        sys.modules["boto3"] = saved_boto3
        os.environ.clear()
        os.environ.update(saved_env)
    return fake


@pytest.mark.parametrize("front, multi", [("alb", "false"), ("alb", "true"), ("function-url", "false")])
def test_the_real_package_passes_the_check_of_its_health_path_and_home_page(front, multi):
    fake = run_hook([["/health", [200]], ["/", [200]]], front, multi)
    assert fake.reported == [("d-1", "h-1", "Succeeded")]
    assert fake.invoked == [("static-site", "7", "/health"), ("static-site", "7", "/")]


def test_a_status_other_than_the_exact_one_expected_fails_the_deployment():
    # The sample site is public: "/" answers 200, so a check expecting a private site's 401 fails.
    assert run_hook([["/health", [200]], ["/", [401]]]).reported == [("d-1", "h-1", "Failed")]


def test_a_missing_page_where_200_is_expected_fails_the_deployment():
    assert run_hook([["/no-such-page-here", [200]]]).reported == [("d-1", "h-1", "Failed")]


def test_an_answer_alb_would_reject_fails_the_deployment():
    # single-value mode, but the answer uses multiValueHeaders: ALB answers 502.
    bad = {"statusCode": 200, "statusDescription": "200 OK", "multiValueHeaders": {"a": ["b"]}, "body": "", "isBase64Encoded": False}
    assert run_hook([["/", [200]]], answer=bad).reported == [("d-1", "h-1", "Failed")]
    no_description = {"statusCode": 200, "headers": {}, "body": "", "isBase64Encoded": False}
    assert run_hook([["/", [200]]], answer=no_description).reported == [("d-1", "h-1", "Failed")]


def test_a_function_error_fails_the_deployment():
    assert run_hook([["/", [200]]], answer="crash").reported == [("d-1", "h-1", "Failed")]


def test_no_checks_pass_at_once_when_the_check_is_off():
    fake = run_hook([])
    assert fake.reported == [("d-1", "h-1", "Succeeded")] and fake.invoked == []
