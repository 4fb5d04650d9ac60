"""Bad input: each is a clear error, naming what to fix, before any change (no stack, no bucket,
no upload)."""

import pytest
from moto.cloudformation.models import cloudformation_backends

from conftest import OIDC, PRIVATE, REGION, STACK


def nothing_made(aws):
    assert aws.client("cloudformation").describe_stacks()["Stacks"] == []
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_a_package_for_another_architecture(aws):
    aws.zip = aws.make_zip("arm", arch="arm64")
    aws.fails("deploy.sh", "built for arm64, but ARCHITECTURE=x86_64", "make deploy ARCH=x86_64")
    nothing_made(aws)


def test_a_health_path_the_package_does_not_answer(aws):
    aws.fails("deploy.sh", "the package answers health checks on /health", HEALTH_PATH="/healthz")
    nothing_made(aws)


def test_several_cookies_with_multi_value_headers_off(aws):
    aws.zip = aws.make_zip("cookies", facts={"most_set_cookies": 2})
    aws.fails("deploy.sh", "sends 2 Set-Cookie headers", MULTI_VALUE_HEADERS="false")
    nothing_made(aws)


def test_a_package_that_unzips_over_lambdas_limit(aws):
    aws.fails("deploy.sh", "over Lambda's limit of 100", UNZIPPED_LIMIT=100)
    nothing_made(aws)


def test_a_bootstrap_that_is_not_executable(aws):
    aws.zip = aws.make_zip("noexec", mode=0o644)
    aws.fails("deploy.sh", "is not executable")
    nothing_made(aws)


@pytest.mark.parametrize("pattern, why", [("/a b", "cannot be an ALB path condition"), ("/" + "x" * 130, "cannot be an ALB path condition")])
def test_a_public_pattern_alb_cannot_express(aws, pattern, why):
    aws.zip = aws.make_zip("bad", facts={"auth": {"signers": [], "logout_path": None, "public": [pattern]}})
    aws.fails("deploy.sh", why, "auth.public", CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x",
              OIDC_CLIENT_SECRET_FILE=__file__, **OIDC)
    nothing_made(aws)


def test_more_public_patterns_than_ten_rules_of_five_hold(aws):
    aws.zip = aws.make_zip("many", facts={"auth": {"signers": [], "logout_path": None, "public": [f"/p{i}" for i in range(60)]}})
    aws.fails("deploy.sh", "at most 10 ALB rules of 5", CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x",
              OIDC_CLIENT_SECRET_FILE=__file__, **OIDC)
    nothing_made(aws)


def test_missing_credentials(aws):
    aws.fails("deploy.sh", "no usable AWS credentials", "aws configure", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    nothing_made(aws)


def test_a_certificate_that_is_not_issued(aws):
    arn = aws.client("acm").request_certificate(DomainName="www.example.com")["CertificateArn"]
    aws.fails("deploy.sh", "not ISSUED", "finish its validation", CERTIFICATE_ARN=arn)
    nothing_made(aws)


def test_a_domain_outside_the_hosted_zone(aws):
    zone = aws.hosted_zone("example.org")
    aws.fails("deploy.sh", "is not inside the hosted zone example.org", DOMAIN_NAME="www.example.com", HOSTED_ZONE_ID=zone)
    nothing_made(aws)


def test_a_private_site_behind_a_function_url(aws):
    aws.zip = aws.make_zip("private", facts=PRIVATE)
    aws.fails("deploy.sh", "the site is private", "FRONT=alb", FRONT="function-url")
    nothing_made(aws)


@pytest.mark.parametrize("status, needle", [
    ("UPDATE_ROLLBACK_FAILED", f"aws cloudformation continue-update-rollback --stack-name {STACK} --region {REGION}"),
    ("ROLLBACK_COMPLETE", "make destroy"),
    ("UPDATE_IN_PROGRESS", "wait for it"),
])
def test_a_stack_that_cannot_be_updated_now(aws, status, needle):
    aws.client("cloudformation").create_stack(StackName=STACK, TemplateBody='{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    stack = next(iter(cloudformation_backends["123456789012"][REGION].stacks.values()))
    stack.status = status
    aws.fails("deploy.sh", f"is {status}", needle)
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_a_function_of_the_same_name_outside_any_stack_made_by_the_old_scripts(aws):
    role = aws.client("iam").create_role(RoleName="old-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.client("lambda").create_function(FunctionName="static-site", Runtime="provided.al2023", Handler="bootstrap", Role=role,
                                         Code={"ZipFile": aws.zip.read_bytes()}, Tags={"alb-static-site:stack": "static-site"})
    aws.fails("deploy.sh", "exists outside the stack static-site", "Moving a deployment made before CloudFormation")
    nothing_made(aws)


def test_a_change_set_cloudformation_refuses_stops_the_deploy_with_its_reason(aws, monkeypatch):
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend

    def refuse(self, stack_name, *args, **kwargs):
        raise ValidationError(stack_name, message="Template error: something CloudFormation cannot accept")
    monkeypatch.setattr(CloudFormationBackend, "create_change_set", refuse)
    aws.fails("deploy.sh", "CloudFormation refused the change set", "something CloudFormation cannot accept")
    assert aws.client("cloudformation").describe_stacks()["Stacks"] == []


def test_metrics_with_text_log_lines(aws):
    aws.fails("deploy.sh", "METRICS=on needs LOG_FORMAT=JSON", "or METRICS=off", LOG_FORMAT="Text")
    nothing_made(aws)


@pytest.mark.parametrize("namespace", ["AWS/Lambda", "", "a;b"])
def test_a_metrics_namespace_cloudwatch_would_refuse(aws, namespace):
    aws.fails("deploy.sh", "is not a CloudWatch namespace", "not starting with AWS/", METRICS_NAMESPACE=namespace)
    nothing_made(aws)
