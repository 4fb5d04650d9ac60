"""Fixtures: moto (in this process, on a free 127.0.0.1 port, with the CloudFormation types it lacks
filled in: cfn_models.py) and a runner for the real deploy scripts with the AWS CLI v2 users have
(Debian's awscli), dummy credentials and --endpoint-url. Proxy variables point at a dead port, so
a call that would leave for real AWS fails at once.

With pytest-xdist each worker is its own process and so has its own moto.
"""

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import cfn_models  # noqa: E402,F401  (before the first stack: moto reads its type map once)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
TEMPLATE = DEPLOY / "template.yaml"
REGION = "us-east-1"
STACK = "static-site"
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}
AWS_CLI = shutil.which("aws", path="/usr/bin")
SETTINGS = re.findall(r"^([A-Z][A-Z0-9_]*)=", (DEPLOY / "settings.env").read_text(), re.M)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def cli_bin(tmp_path_factory):
    """A folder whose `aws` is Debian's AWS CLI v2 (not a v1 elsewhere on PATH), through a fork
    server (fastaws.py) that spares each call the CLI's start-up: the same CLI, imported once."""
    assert AWS_CLI and subprocess.run([AWS_CLI, "--version"], capture_output=True, text=True).stdout.startswith("aws-cli/2"), \
        "the deploy tests run the AWS CLI v2 of Debian's awscli package: make test-deploy installs it"
    d = tmp_path_factory.mktemp("bin")
    sock = d / "aws.sock"
    interpreter = Path(AWS_CLI).read_text().splitlines()[0][2:].strip()  # the CLI's own python
    server = subprocess.Popen([interpreter, str(Path(__file__).parent / "fastaws.py"), "serve", str(sock)],
                              stdout=subprocess.PIPE, stderr=open(d / "server.log", "w"), text=True)
    try:
        assert server.stdout.readline().strip() == "ready", (d / "server.log").read_text()
        (d / "aws").write_text(f'#!/bin/sh\nexec {interpreter} -S -E {Path(__file__).parent / "fastaws.py"} client {sock} "$@"\n')
        (d / "aws").chmod(0o755)
        yield d
    finally:
        server.terminate()
        server.wait(timeout=10)


class Aws:
    """The test's view of the mock account: boto3 clients, fake packages, and the scripts."""

    def __init__(self, url, tmp_path, cli_bin):
        self.url, self.tmp = url, tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in SETTINGS}
        self.env.update(
            PATH=f"{cli_bin}:/usr/bin:/bin", HOME=str(tmp_path),
            AWS_CONFIG_FILE=str(tmp_path / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION, AWS_ENDPOINT_URL=url,
            HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
            http_proxy="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
            AWS_EC2_METADATA_DISABLED="true",
        )
        self.zip = self.make_zip("v1")
        self._clients = {}

    def client(self, service, region=REGION):
        if (service, region) not in self._clients:
            self._clients[(service, region)] = boto3.client(
                service, region_name=region, endpoint_url=self.url, aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[(service, region)]

    def make_zip(self, content, arch="x86_64", facts=None, mode=0o755, entry="bootstrap", offload=None, deploy_info=True):
        """A small stand-in for dist/bootstrap.zip: an ELF header for `arch` and the deploy-facts line
        the build writes (`facts` adds to or replaces its values). `offload`: {name: bytes} kept in S3."""
        d = self.tmp / f"pkg-{content}"
        d.mkdir(exist_ok=True)
        path = d / "bootstrap.zip"
        header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x02\x00" + ELF_MACHINE[arch].to_bytes(2, "little")
        body = header + b"\0" * 46 + f"\nversion {content}\n".encode()
        objects = []
        for name, data in (offload or {}).items():
            import hashlib
            sha = hashlib.sha256(data).hexdigest()
            key = f"{sha[:32]}/{name}"
            (d / "offload" / "objects" / sha[:32]).mkdir(parents=True, exist_ok=True)
            (d / "offload" / "objects" / key).write_bytes(data)
            objects.append({"key": key, "content_type": "application/octet-stream", "cache_control": "public, max-age=60",
                            "bytes": len(data), "sha256": sha})
        if offload:
            (d / "offload" / "manifest.json").write_text(json.dumps({"format": 1, "objects": objects}))
        info = {"files": 3, "health_path": "/health", "most_set_cookies": 1, "site_bytes": 99,
                "offload_objects": len(objects), "offload_bytes": sum(o["bytes"] for o in objects), "auth": None, **(facts or {})}
        if deploy_info:
            body += b"\nalb-static-site-deploy-info " + json.dumps(info, separators=(",", ":")).encode() + b"\n"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            zi = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
            zi.create_system = 3
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, body)
        return path

    def run(self, script, **settings):
        env = dict(self.env, ZIP=str(self.zip))
        env.update({k: str(v) for k, v in settings.items() if v is not None})
        for k in [k for k, v in settings.items() if v is None]:
            env.pop(k, None)
        return subprocess.run([str(DEPLOY / script)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300)

    def ok(self, script, **settings):
        r = self.run(script, **settings)
        assert r.returncode == 0, r.stdout
        return r.stdout

    def fails(self, script, *needles, **settings):
        r = self.run(script, **settings)
        assert r.returncode != 0, r.stdout
        for n in needles:
            assert n in r.stdout, r.stdout
        return r.stdout

    def deploy(self, **settings):
        return self.ok("deploy.sh", **settings)

    # --- reading the result through the resources' own APIs
    def stack(self, name=STACK):
        return self.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]

    def parameters(self, stack=STACK):
        return {p["ParameterKey"]: p["ParameterValue"] for p in self.stack(stack)["Parameters"]}

    def physical(self, logical):
        rs = self.client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]
        return {r.get("LogicalResourceId"): r.get("PhysicalResourceId") for r in rs}.get(logical)

    def alias_version(self, fn="static-site", alias="live"):
        return self.client("lambda").get_alias(FunctionName=fn, Name=alias)["FunctionVersion"]

    def versions(self, fn="static-site"):
        vs = self.client("lambda").list_versions_by_function(FunctionName=fn)["Versions"]
        return [v["Version"] for v in vs if v["Version"] != "$LATEST"]

    def rules(self, listener_arn):
        rs = self.client("elbv2").describe_rules(ListenerArn=listener_arn)["Rules"]
        return sorted(((r["Priority"], [c.get("PathPatternConfig", {}).get("Values") or c.get("Values") for c in r["Conditions"]
                        if c["Field"] == "path-pattern"], sorted(a["Type"] for a in r["Actions"]))
                       for r in rs if not r["IsDefault"]), key=lambda r: int(r[0]))

    def hosted_zone(self, name="example.com"):
        """A Route 53 hosted zone; returns its id (without /hostedzone/)."""
        return self.client("route53").create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"].split("/")[-1]

    def certificate(self, domain="www.example.com"):
        """An ISSUED certificate in moto's ACM (imported; a requested one stays PENDING_VALIDATION)."""
        key, crt = self.tmp / "key.pem", self.tmp / "crt.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
                        "-days", "30", "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}"], check=True, capture_output=True)
        return self.client("acm").import_certificate(Certificate=crt.read_bytes(), PrivateKey=key.read_bytes())["CertificateArn"]


def reset(url):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    opener.open(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=60)


@pytest.fixture
def aws(moto_url, tmp_path, cli_bin):
    """A fresh, empty mock account for each test."""
    reset(moto_url)
    return Aws(moto_url, tmp_path, cli_bin)


PRIVATE = {"auth": {"signers": [], "logout_path": "/logout", "public": ["/", "/assets/*", "/docs/:page"]}}
OIDC = dict(AUTH="oidc", OIDC_ISSUER="https://idp.example.com", OIDC_AUTHORIZATION_ENDPOINT="https://idp.example.com/auth",
            OIDC_TOKEN_ENDPOINT="https://idp.example.com/token", OIDC_USER_INFO_ENDPOINT="https://idp.example.com/userinfo",
            OIDC_CLIENT_ID="client")


LISTS = {"SubnetIds", "RulePathPatterns", "AllowedCidrs", "PublicRulePriorities", *(f"PublicPatterns{i}" for i in range(1, 11))}
CFN_LINT = [str(Path(sys.executable).parent / "cfn-lint")]


def lint_stack_parameters(aws, stack=STACK):
    """cfn-lint, zero errors and zero warnings, on the template with the parameters make deploy
    gave this stack (cfn-lint then checks that variant: its conditions, its values)."""
    params = []
    for k, v in aws.parameters(stack).items():
        if k in LISTS:  # moto hands lists back as Python lists' text
            v = ast.literal_eval(v)
        params.append({"ParameterKey": k, "ParameterValue": v})
    f = aws.tmp / "params.json"
    f.write_text(json.dumps(params))
    r = subprocess.run(CFN_LINT + [str(TEMPLATE), "--parameter-files", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# --- deploy previews (test_previews.py, test_preview_refusals.py)
PREVIEW_DOMAIN = "preview.example.com"


def production(aws, private=True, **settings):
    """A site on its own load balancer with HTTPS, set up for previews (PREVIEW_DOMAIN), private
    with an OIDC login unless private=False; returns the HTTPS listener's ARN. The settings stay in
    aws.settings: a preview is deployed with production's settings."""
    secret = aws.tmp / "secret"
    secret.write_text("s3cr3t")
    aws.settings = {"CERTIFICATE_ARN": aws.certificate(), "PREVIEW_DOMAIN": PREVIEW_DOMAIN, **settings}
    if private:
        aws.settings.update(OIDC_CLIENT_SECRET_FILE=secret, **OIDC)
    aws.zip = aws.make_zip("production", facts=PRIVATE if private else None)
    aws.deploy(**aws.settings)
    [lb] = aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
    return next(l["ListenerArn"] for l in aws.client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
                if l["Port"] == 443)


def preview(aws, name, script="deploy.sh", content=None, **extra):
    """Runs a deploy script for the preview `name` with production's settings (its package, or a
    new one of `content`); returns what it printed."""
    zip_before = aws.zip
    if content:
        aws.zip = aws.make_zip(content, facts=PRIVATE if "AUTH" in aws.settings else None)
    try:
        return aws.ok(script, PREVIEW=name, **{**aws.settings, **extra})
    finally:
        aws.zip = zip_before


def listener_rules(aws, listener):
    """The listener's rules but its default, in priority order, as describe-rules gives them."""
    rules = aws.client("elbv2").describe_rules(ListenerArn=listener)["Rules"]
    return sorted((r for r in rules if not r["IsDefault"]), key=lambda r: int(r["Priority"]))


def hosts(rule):
    return [v for c in rule["Conditions"] if c["Field"] == "host-header" for v in c["HostHeaderConfig"]["Values"]]


def stack_names(aws):
    return sorted(s["StackName"] for s in aws.client("cloudformation").describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE")

