"""Fixtures: a moto server on a free 127.0.0.1 port, and a runner for the real deploy scripts.

The server is moto_server with the few gaps the Function URL deploy steps into filled as AWS
behaves (tests/deploy/moto_gaps.py says which).

The scripts run with the real AWS CLI from the test virtualenv, dummy credentials, the endpoint
in AWS_ENDPOINT_URL, and proxy variables pointing at a dead port so that any call that would leave
for real AWS fails fast instead.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "deploy.sh"
DESTROY = REPO / "deploy" / "destroy.sh"
BIN = Path(sys.executable).parent  # the venv's bin: aws, moto_server
REGION = "us-east-1"
TAG_KEY = "alb-static-site:stack"

HERE = Path(__file__).resolve().parent
STANDIN_INVOKER = HERE / "standin_invoke.sh"
STANDIN_VALIDATOR = HERE / "standin_validator.py"
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}

# Settings the scripts read (every NAME= line of settings.env); never inherit them from the developer's shell.
SETTINGS = re.findall(r"^([A-Z][A-Z0-9_]*)=", (REPO / "deploy" / "settings.env").read_text(), re.M)
SETTINGS += ["AWS_DEFAULT_REGION", "DEPLOY_ENV_FILE"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory):
    assert (BIN / "moto_server").exists(), f"moto missing in {BIN}: run the tests with the venv's python (make test-deploy)"
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([sys.executable, str(HERE / "moto_gaps.py"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        for _ in range(100):
            try:
                opener.open(url + "/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("moto_server exited; see its log")
                time.sleep(0.1)
        else:
            raise RuntimeError("moto_server did not start in 10 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def fast_aws_bin(tmp_path_factory):
    """A folder holding an `aws` that forwards to a fork server of the real CLI (tests/deploy/fastaws.py):
    the same CLI, without its ~0.3 s start-up on each of a deploy's ~40 calls."""
    d = tmp_path_factory.mktemp("fastaws")
    sock = d / "aws.sock"
    server = subprocess.Popen([sys.executable, str(HERE / "fastaws.py"), "serve", str(sock)],
                              stdout=subprocess.PIPE, stderr=open(d / "server.log", "w"), text=True)
    try:
        assert server.stdout.readline().strip() == "ready", (d / "server.log").read_text()
        shim = d / "bin" / "aws"
        shim.parent.mkdir()
        shim.write_text(f'#!/bin/sh\nexec {sys.executable} -S -E {HERE / "fastaws.py"} client {sock} "$@"\n')
        shim.chmod(0o755)
        yield shim.parent
    finally:
        server.terminate()
        server.wait(timeout=10)


_CLIENTS = {}


class Aws:
    """The test's view of the mock: boto3 clients and a runner for the scripts."""

    def __init__(self, url, tmp_path, fast_bin=None):
        self.url = url
        self.tmp = tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in SETTINGS}
        self.env.update(
            PATH=f"{fast_bin}:{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}" if fast_bin else
            f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            HOME=str(tmp_path),
            AWS_CONFIG_FILE=str(tmp_path / "no-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            AWS_ENDPOINT_URL=url,
            HTTPS_PROXY="http://127.0.0.1:9",
            HTTP_PROXY="http://127.0.0.1:9",
            https_proxy="http://127.0.0.1:9",
            http_proxy="http://127.0.0.1:9",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            AWS_EC2_METADATA_DISABLED="true",  # no credential lookup on 169.254.169.254
            CURL_CHECK="never",
            # moto runs no code: the pre-traffic check's invocation is answered by a stand-in
            # (tests/deploy/standin_invoke.sh), and checked by a stand-in validator unless a test
            # asks for the real one.
            PRE_TRAFFIC_INVOKER=str(STANDIN_INVOKER),
            STANDIN_ZIPS=str(tmp_path),
            STANDIN_ENDPOINT=url,
            RESPONSE_VALIDATOR=f"{sys.executable} {STANDIN_VALIDATOR}",
        )
        self.zip = self.make_zip("v1")

    def client(self, service):
        key = (self.url, service)
        if key not in _CLIENTS:  # creating a client costs ~0.3 s; they outlive moto's resets
            _CLIENTS[key] = boto3.client(
                service, region_name=REGION, endpoint_url=self.url,
                aws_access_key_id="testing", aws_secret_access_key="testing",
            )
        return _CLIENTS[key]

    def make_zip(self, content, name=None, arch="x86_64", health_path="/health", most_set_cookies=1,
                 status=200, answer=None, answer_for=None, deploy_info=True, pad=b"", entry="bootstrap", mode=0o755,
                 raw=None, facts=None):
        """A small stand-in for dist/bootstrap.zip: an ELF header for `arch`, the deploy-info line
        the build writes (unless deploy_info=False; `facts` adds to it), and the answer the stand-in
        invoker gives for it."""
        path = self.tmp / (name or f"bootstrap-{content}.zip")
        header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x02\x00" + ELF_MACHINE[arch].to_bytes(2, "little")
        body = header + b"\0" * 46 + f"\nversion {content}\n".encode()
        if deploy_info:
            info = {"files": 3, "health_path": health_path, "most_set_cookies": most_set_cookies, "site_bytes": 99,
                    **(facts or {})}
            body += b"alb-static-site-deploy-info " + json.dumps(info, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        answer = answer or {"statusCode": status, "statusDescription": f"{status} X", "body": content, "isBase64Encoded": False}
        for p, a in (answer_for or {}).items():  # a different answer for one path
            body += f"standin-response-for {p} ".encode() + json.dumps(a).encode() + b"\n"
        body += b"standin-response " + json.dumps(answer).encode() + b"\n" + pad
        if raw is not None:
            body = raw
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo(entry)
            info.create_system = 3  # unix: the mode below is what unzip shows
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, body)
        return path

    def run(self, script, env_override=None, **settings):
        env = dict(self.env, ZIP=str(self.zip))
        env.update({k: str(v) for k, v in settings.items()})
        for k, v in (env_override or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return subprocess.run(
            [str(script)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=300,
        )

    def deploy(self, **settings):
        r = self.run(DEPLOY, **settings)
        assert r.returncode == 0, r.stdout
        return r.stdout

    def destroy(self, **settings):
        r = self.run(DESTROY, **settings)
        assert r.returncode == 0, r.stdout
        return r.stdout


def reset(moto_url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(moto_url + "/moto-api/reset", method="POST"), timeout=10)


@pytest.fixture
def aws(moto_url, tmp_path, fast_aws_bin):
    """A fresh, empty mock account for each test."""
    reset(moto_url)
    return Aws(moto_url, tmp_path, fast_aws_bin)


def everything(aws):
    """The whole mock account as plain data: what a run that "changes nothing" must leave equal."""
    iam, lam, elbv2, ec2, logs, r53 = (aws.client(s) for s in ("iam", "lambda", "elbv2", "ec2", "logs", "route53"))
    state = {
        "roles": sorted(r["Arn"] for r in iam.list_roles()["Roles"]),
        "role_policies": sorted((r["RoleName"], p) for r in iam.list_roles()["Roles"]
                                for p in iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]),
        "buckets": {b["Name"]: bucket_state(aws, b["Name"]) for b in aws.client("s3").list_buckets()["Buckets"]},
        "functions": {},
        "tgs": {},
        "lbs": {},
        "sgs": sorted((g["GroupId"], json.dumps(g["IpPermissions"], sort_keys=True))
                      for g in ec2.describe_security_groups()["SecurityGroups"]),
        "log_groups": sorted((g["logGroupName"], g.get("retentionInDays")) for g in logs.describe_log_groups()["logGroups"]),
        "records": sorted((z["Id"], r["Name"], r["Type"], json.dumps(r.get("AliasTarget"), sort_keys=True))
                          for z in r53.list_hosted_zones()["HostedZones"]
                          for r in r53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]),
    }
    for f in lam.list_functions()["Functions"]:
        name = f["FunctionName"]
        cfg = lam.get_function_configuration(FunctionName=name)
        state["functions"][name] = {
            "config": {k: cfg.get(k) for k in ("MemorySize", "Timeout", "Role", "CodeSha256", "Environment")},
            "versions": [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]],
            "aliases": sorted((a["Name"], a["FunctionVersion"]) for a in lam.list_aliases(FunctionName=name)["Aliases"]),
        }
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        arn = tg["TargetGroupArn"]
        state["tgs"][arn] = {
            "health": (tg.get("HealthCheckPath"), tg.get("HealthCheckIntervalSeconds")),
            "attrs": sorted((a["Key"], a["Value"]) for a in elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]),
            "targets": sorted(t["Target"]["Id"] for t in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]),
        }
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        arn = lb["LoadBalancerArn"]
        state["lbs"][arn] = sorted(
            (l["ListenerArn"], l["Protocol"], l["Port"], json.dumps(l["DefaultActions"], sort_keys=True),
             json.dumps([(r["Priority"], r["Actions"], r["Conditions"]) for r in elbv2.describe_rules(ListenerArn=l["ListenerArn"])["Rules"]], sort_keys=True))
            for l in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"])
    return state


def bucket_state(aws, bucket):
    """A bucket's tags, encryption, public access block, policy and objects (key, ETag, when written, headers)."""
    s3 = aws.client("s3")

    def read(call, pick, **kw):
        try:
            return pick(call(Bucket=bucket, **kw))
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return None
            raise
    objects = []
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        h = s3.head_object(Bucket=bucket, Key=o["Key"])
        objects.append((o["Key"], o["ETag"], str(o["LastModified"]), h.get("ContentType"), h.get("CacheControl"),
                        h.get("ContentEncoding")))
    return {
        "tags": read(s3.get_bucket_tagging, lambda r: {t["Key"]: t["Value"] for t in r["TagSet"]}),
        "encryption": read(s3.get_bucket_encryption, lambda r: r["ServerSideEncryptionConfiguration"]["Rules"]),
        "public_access_block": read(s3.get_public_access_block, lambda r: r["PublicAccessBlockConfiguration"]),
        "policy": read(s3.get_bucket_policy, lambda r: json.loads(r["Policy"])),
        "objects": sorted(objects),
    }


def imported_certificate(aws, domain="www.example.com"):
    """An ISSUED certificate in moto's ACM: a self-signed one, imported (a requested one stays PENDING_VALIDATION)."""
    key = aws.tmp / "key.pem"
    crt = aws.tmp / "crt.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "30", "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}"],
                   check=True, capture_output=True)
    return aws.client("acm").import_certificate(Certificate=crt.read_bytes(), PrivateKey=key.read_bytes())["CertificateArn"]


def private_vpc(aws, cidr="10.20.0.0/16"):
    """A VPC of our own (not the default) with two subnets in two zones."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    base = cidr.split(".")
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    return vpc, subnets


@pytest.fixture(scope="module")
def module_aws(moto_url, tmp_path_factory, fast_aws_bin):
    """One fresh mock account for a whole module: deploy once, then check one behaviour per test.
    A module using it puts its tests that need a fresh account (`aws`) after the ones using this."""
    reset(moto_url)
    return Aws(moto_url, tmp_path_factory.mktemp("module"), fast_aws_bin)
