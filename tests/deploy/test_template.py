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
