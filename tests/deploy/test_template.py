"""One source of truth: deploy/settings.env holds every setting's default and, in "# range:" /
"# values:" comments, its limits. deploy/deploy.sh must check exactly those limits, and every
parameter of deploy/template.yaml (whose Description starts with the setting it mirrors) must
carry the same default, range and allowed values. Each test fails when one side drifts."""

import re
import subprocess

import pytest
import yaml

from conftest import BIN, REPO

SETTINGS_ENV = REPO / "deploy" / "settings.env"
DEPLOY_SH = REPO / "deploy" / "deploy.sh"
TEMPLATE = REPO / "deploy" / "template.yaml"

# Where the template's default deliberately differs from the setting's, and why.
DEFAULT_DIFFERS = {
    "HEALTH_PATH": "empty in settings.env means: read it from the package; the template cannot read it",
    "MULTI_VALUE_HEADERS": "auto in settings.env reads the package; the template has to be told",
    "STACK_NAME": "the template names the target group <stack>-tg from a parameter",
    "ALLOWED_CIDRS": "empty in settings.env means 0.0.0.0/0 (or the VPC's CIDR when internal)",
}


def annotations():
    """{SETTING: {"range": (min, max)} or {"values": [...]}} from the comments above each setting."""
    out, pending = {}, {}
    for line in SETTINGS_ENV.read_text().splitlines():
        m = re.search(r"range: (\d+) (\d+)", line)
        if m:
            pending["range"] = (int(m[1]), int(m[2]))
        m = re.search(r"values: (.+?)(?:\. |\.?$)", line)
        if line.startswith("#") and m:
            pending["values"] = m[1].split()
        m = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if m:
            if pending:
                out[m[1]] = pending
            pending = {}
    return out


def defaults():
    """Every setting's default, as bash computes it from settings.env with nothing set."""
    script = f'set -a; source "{SETTINGS_ENV}"; env -0'
    r = subprocess.run(["env", "-i", "bash", "-c", script], capture_output=True, text=True, check=True)
    return dict(kv.split("=", 1) for kv in r.stdout.split("\0") if "=" in kv)


def deploy_checks():
    """{SETTING: {"range": (min, max)} or {"values": [...]}} from deploy.sh's in_range / one_of calls."""
    text = DEPLOY_SH.read_text()
    out = {}
    for name, lo, hi in re.findall(r'^\s*in_range (\w+) "\$\w+" (\d+) (\d+)$', text, re.M):
        out[name] = {"range": (int(lo), int(hi))}
    for name, values in re.findall(r'^\s*one_of (\w+) "\$\w+" (.+)$', text, re.M):
        out[name] = {"values": values.split()}
    return out


def template_params():
    class Loader(yaml.SafeLoader):
        pass
    # CloudFormation's short-form tags (!Ref, !If, ...) as plain data
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    params = yaml.load(TEMPLATE.read_text(), Loader=Loader)["Parameters"]
    out = {}
    for name, p in params.items():
        m = re.match(r"^([A-Z][A-Z0-9_]+):", p.get("Description", ""))
        assert m, f"template parameter {name} does not name its setting"
        out[m[1]] = p
    return out


def test_every_template_parameter_mirrors_an_existing_setting():
    known = set(defaults())
    assert set(template_params()) <= known, set(template_params()) - known


@pytest.mark.parametrize("setting", sorted(annotations()))
def test_deploy_sh_checks_exactly_the_limits_settings_env_states(setting):
    assert deploy_checks().get(setting) == annotations()[setting]


def test_deploy_sh_checks_no_limit_settings_env_does_not_state():
    assert set(deploy_checks()) <= set(annotations()) | {"PLAN", "CURL_CHECK"}, \
        set(deploy_checks()) - set(annotations())


@pytest.mark.parametrize("setting", sorted(template_params()))
def test_template_parameter_has_the_settings_default_and_limits(setting):
    p = template_params()[setting]
    want = annotations().get(setting, {})
    if "range" in want:
        assert (p.get("MinValue"), p.get("MaxValue")) == want["range"]
    if "values" in want and setting == "MULTI_VALUE_HEADERS":  # auto exists only in make deploy (it reads the package)
        assert set(str(v) for v in p["AllowedValues"]) == set(want["values"]) - {"auto"}
    elif "values" in want:
        assert [str(v) for v in p.get("AllowedValues", [])] == want["values"]
    if setting not in DEFAULT_DIFFERS:
        assert str(p.get("Default")) == defaults()[setting]


def test_template_passes_cfn_lint():
    r = subprocess.run([str(BIN / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# --------------------------------------------------------------------------- the front doors

def template_with_functions():
    """The template with CloudFormation's short-form functions kept: !Equals [a, b] -> {"Equals": [a, b]}."""
    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            return {suffix: loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {suffix: loader.construct_sequence(node, deep=True)}
        return {suffix: loader.construct_mapping(node, deep=True)}
    Loader.add_multi_constructor("!", construct)
    return yaml.load(TEMPLATE.read_text(), Loader=Loader)


def evaluate(template, settings):
    """(the resources created, the rules that fail) for these parameters (by setting name) on top of
    the defaults, with the template's conditions and rules evaluated."""
    by_setting = template_params()
    names = {re.match(r"^([A-Z][A-Z0-9_]+):", p["Description"])[1]: name for name, p in template["Parameters"].items()}
    params = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    params.update({names[k]: v for k, v in settings.items()})
    assert set(settings) <= set(by_setting)

    def ev(x):
        if not isinstance(x, dict):
            return x
        [(fn, arg)] = x.items()
        if fn == "Ref":
            return params[arg]
        if fn == "Condition":
            return ev(template["Conditions"][arg])
        if fn == "Equals":
            return str(ev(arg[0])) == str(ev(arg[1]))
        if fn == "Not":
            return not ev(arg[0])
        if fn == "And":
            return all(ev(a) for a in arg)
        if fn == "Or":
            return any(ev(a) for a in arg)
        raise AssertionError(f"unknown function {fn}")
    created = {name for name, r in template["Resources"].items() if "Condition" not in r or ev({"Condition": r["Condition"]})}
    failing = {name for name, rule in template["Rules"].items()
               if ev(rule.get("RuleCondition", True)) and not all(ev(a["Assert"]) for a in rule["Assertions"])}
    return created, failing


ALB_RESOURCES = {"InvokePermission", "TargetGroup", "AlbSecurityGroup", "LoadBalancer", "HttpListener"}
URL_RESOURCES = {"FunctionUrl", "PublicUrlPermission", "PublicInvokePermission"}
CLOUDFRONT_RESOURCES = {"FunctionUrl", "UrlOriginAccessControl", "Distribution", "CloudFrontUrlPermission", "CloudFrontInvokePermission"}


@pytest.mark.parametrize("settings, present, absent", [
    ({}, ALB_RESOURCES, URL_RESOURCES | CLOUDFRONT_RESOURCES),
    ({"FRONT": "function-url"}, URL_RESOURCES, ALB_RESOURCES | CLOUDFRONT_RESOURCES - {"FunctionUrl"}),
    ({"FRONT": "function-url", "FUNCTION_URL_AUTH": "AWS_IAM", "CLOUDFRONT": "on"}, CLOUDFRONT_RESOURCES,
     ALB_RESOURCES | {"PublicUrlPermission", "PublicInvokePermission"}),
], ids=["alb", "function-url", "cloudfront"])
def test_template_creates_the_front_door_deploy_sh_creates(settings, present, absent):
    created, failing = evaluate(template_with_functions(), settings)
    assert failing == set()
    assert present <= created, present - created
    assert not created & absent, created & absent


@pytest.mark.parametrize("settings", [
    {"FRONT": "function-url", "CLOUDFRONT": "on"},  # FUNCTION_URL_AUTH=NONE
    {"CLOUDFRONT": "on"},  # FRONT=alb
    {"FUNCTION_URL_AUTH": "AWS_IAM"},  # FRONT=alb
    {"FRONT": "function-url", "LISTENER_ARN": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"},
    {"FRONT": "function-url", "ALB_SCHEME": "internal"},
])
def test_template_refuses_the_front_door_contradictions_deploy_sh_refuses(settings):
    _, failing = evaluate(template_with_functions(), settings)
    assert failing


def test_template_and_deploy_sh_give_cloudfront_the_same_cache_policy_and_origin_access_control():
    front_url = (REPO / "deploy" / "front-url.sh").read_text()
    template = template_with_functions()
    dist = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert dist["DefaultCacheBehavior"]["CachePolicyId"] == re.search(r"^CF_CACHE_POLICY=(\S+)", front_url, re.M)[1]
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] in front_url
    oac = template["Resources"]["UrlOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("lambda", "always", "sigv4")
    assert 'SigningProtocol: "sigv4", SigningBehavior: "always", OriginAccessControlOriginType: "lambda"' in front_url
