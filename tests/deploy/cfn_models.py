"""moto's CloudFormation, with the resource types it skips filled in as AWS documents them.

moto 5.2 builds a stack's Lambda function, permissions, ELBv2, EC2, S3 bucket, IAM role, log group
and Route 53 records for real, but skips (with a warning) AWS::Lambda::Alias, AWS::Lambda::Url,
AWS::S3::BucketPolicy, AWS::CloudWatch::Alarm, AWS::CodeDeploy::*, AWS::CloudFront::* and
AWS::ElasticLoadBalancingV2::ListenerCertificate, and a Ref
to a skipped resource breaks what uses it. moto builds its type map from the direct subclasses of
CloudFormationModel the first time a stack is made: importing this module before that adds the
models below, each creating the real thing through moto's own backends so that its API answers.

Each model does what AWS's resource reference says (Ref and Fn::GetAtt values; which property
changes replace the resource). What none of them can show is listed in tests/deploy/README.md:
- CodeDeploy: the deployment group is made, but no deployment runs. An alias update moves the alias
  at once, which is the end state of a successful AllAtOnce deployment; the pre-traffic hook is
  tested on its own (test_hook.py), not called by CodeDeploy here.
- CloudFront: the distribution and the origin access control are recorded here (Ref, GetAtt), not in
  moto's CloudFront backend; nothing is served.
Also patched: moto's target group ignores Targets and TargetGroupAttributes (AWS registers the
targets and applies the attributes), a deleted stack's listener rules stay on the listener, and
moto publishes no version when a Version is replaced.
"""

import json
import re
import uuid

# moto files every model class under the second part of its module's name ("moto.<service>...").
__name__ = "tests.cfn_models"  # noqa: A001

from moto.awslambda.models import lambda_backends
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.cloudformation import models as cf_models
from moto.cloudformation import parsing
from moto.codedeploy.models import codedeploy_backends
from moto.core.common_models import CloudFormationModel
from moto.elbv2 import models as elbv2_models
from moto.iam import models as iam_models
from moto.s3.models import s3_backends


class _Declared:
    """What each model below declares the same way, as class attributes: its type (TYPE), its name
    property (NAME_TYPE), which attribute holds its physical id (ID) and its Fn::GetAtt attributes
    (ATTRS: attribute -> the instance attribute holding it; None: not declared, moto's default).
    Mixed in before CloudFormationModel, which stays a direct base: moto finds the models among
    CloudFormationModel.__subclasses__()."""

    TYPE = ""
    NAME_TYPE = ""
    ID = "id"
    ATTRS = None

    @classmethod
    def cloudformation_type(cls):
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls):
        return cls.NAME_TYPE

    @property
    def physical_resource_id(self):
        return getattr(self, self.ID)

    @classmethod
    def has_cfn_attr(cls, attr):
        return cls.ATTRS is None or attr in cls.ATTRS

    def get_cfn_attribute(self, attr):
        return getattr(self, self.ATTRS[attr])


class LambdaVersion(_Declared, CloudFormationModel):
    """AWS::Lambda::Version: publishes a version; any property change replaces it (a new version).
    CodeSha256, when given, must be the function's current code, or the publish fails."""

    TYPE = "AWS::Lambda::Version"
    ID = "arn"
    ATTRS = {"Version": "version", "FunctionArn": "arn"}

    def __init__(self, fn, version):
        self.function_name = fn.function_name
        self.arn = f"{fn.function_arn}:{version}"
        self.version = version

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        fn = backend.get_function(props["FunctionName"])
        want = props.get("CodeSha256")
        if want and want != fn.code_sha_256:
            raise ValueError(f"CodeSha256 {want} is not the function's code ({fn.code_sha_256})")
        published = backend.publish_version(props["FunctionName"], props.get("Description", ""))
        return cls(fn, str(published.version))

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        # Every property of a version is immutable: an update is a replacement (the old one is
        # retained: the template says UpdateReplacePolicy: Retain).
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass  # DeletionPolicy: Retain; deleting the function deletes its versions


class LambdaAlias(_Declared, CloudFormationModel):
    """AWS::Lambda::Alias: Ref is the alias ARN. An update moves it (FunctionVersion)."""

    TYPE = "AWS::Lambda::Alias"
    ID = "arn"
    ATTRS = {"AliasArn": "arn"}

    def __init__(self, alias):
        self.alias, self.arn = alias, alias.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        alias = lambda_backends[account_id][region_name].create_alias(
            p["Name"], p["FunctionName"], str(p["FunctionVersion"]), p.get("Description", ""), p.get("RoutingConfig"))
        return cls(alias)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        p = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        if p["Name"] != original_resource.alias.name:  # Name and FunctionName replace the alias
            cls.delete_from_cloudformation_json(original_resource.alias.arn, {}, account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        alias = backend.update_alias(p["Name"], p["FunctionName"], str(p["FunctionVersion"]), p.get("Description", ""), p.get("RoutingConfig"))
        return cls(alias)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        # resource_name: the alias ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS
        function, alias = resource_name.split(":")[6:8]
        try:
            lambda_backends[account_id][region_name].delete_alias(alias, function)
        except Exception:  # the function is gone, and its aliases with it
            pass


class LambdaUrl(_Declared, CloudFormationModel):
    """AWS::Lambda::Url: Ref is the target's ARN; GetAtt FunctionUrl the https address."""

    TYPE = "AWS::Lambda::Url"
    ID = "arn"
    ATTRS = {"FunctionUrl": "url", "FunctionArn": "arn"}

    def __init__(self, arn, url):
        self.arn, self.url = arn, url

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend = lambda_backends[account_id][region_name]
        target = p["TargetFunctionArn"]
        if p.get("Qualifier"):
            backend.get_alias(p["Qualifier"], target)  # the alias must exist
        config = backend.create_function_url_config(target, {"AuthType": p["AuthType"], "InvokeMode": p.get("InvokeMode", "BUFFERED"),
                                                             "Cors": p.get("Cors")})
        fn = backend.get_function(target)
        arn = f"{fn.function_arn}:{p['Qualifier']}" if p.get("Qualifier") else fn.function_arn
        return cls(arn, config.to_dict()["FunctionUrl"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        try:
            lambda_backends[account_id][region_name].delete_function_url_config(resource_name.split(":")[6])
        except Exception:  # the function is gone, and its URL with it
            pass


class BucketPolicy(_Declared, CloudFormationModel):
    """AWS::S3::BucketPolicy: puts the policy on the bucket; deleting it removes the policy."""

    TYPE = "AWS::S3::BucketPolicy"
    ID = "bucket"

    def __init__(self, bucket):
        self.bucket = bucket

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        s3_backends[account_id]["global"].put_bucket_policy(p["Bucket"], json.dumps(p["PolicyDocument"]).encode())
        return cls(p["Bucket"])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        try:
            s3_backends[account_id]["global"].delete_bucket_policy(resource_name)  # the bucket's name
        except Exception:  # the bucket is gone, and its policy with it
            pass


class Alarm(_Declared, CloudFormationModel):
    """AWS::CloudWatch::Alarm: Ref is the alarm's name (generated when AlarmName is absent)."""

    TYPE = "AWS::CloudWatch::Alarm"
    NAME_TYPE = "AlarmName"
    ID = "name"

    def __init__(self, name):
        self.name = name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        # An alarm on one metric (MetricName, Statistic or ExtendedStatistic), or on metric math
        # (Metrics: queries, one of them returned), as PutMetricAlarm takes them.
        queries = [
            MetricDataQuery(
                query_id=q["Id"], label=q.get("Label"), period=q.get("Period"),
                return_data=str(q.get("ReturnData", True)).lower(), expression=q.get("Expression"),
                metric_stat=q.get("MetricStat") and MetricStat(
                    metric=Metric(
                        metric_name=q["MetricStat"]["Metric"]["MetricName"],
                        namespace=q["MetricStat"]["Metric"]["Namespace"],
                        dimensions=[Dimension(d["Name"], d["Value"]) for d in q["MetricStat"]["Metric"].get("Dimensions", [])]),
                    period=q["MetricStat"]["Period"], stat=q["MetricStat"]["Stat"], unit=q["MetricStat"].get("Unit")))
            for q in p.get("Metrics", [])
        ]
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"], evaluation_periods=int(p["EvaluationPeriods"]),
            period=p.get("Period") and int(p["Period"]), threshold=float(p["Threshold"]), statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"), datapoints_to_alarm=p.get("DatapointsToAlarm") and int(p["DatapointsToAlarm"]),
            description=p.get("AlarmDescription"), dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []), treat_missing_data=p.get("TreatMissingData"),
            metric_data_queries=queries or None)
        return cls(resource_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


class CodeDeployApplication(_Declared, CloudFormationModel):
    """AWS::CodeDeploy::Application: Ref is its name."""

    TYPE = "AWS::CodeDeploy::Application"
    NAME_TYPE = "ApplicationName"
    ID = "name"

    def __init__(self, name):
        self.name = name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        codedeploy_backends[account_id][region_name].create_application(
            resource_name, p.get("ComputePlatform", "Server"), [{"Key": t["Key"], "Value": t["Value"]} for t in p.get("Tags", [])])
        return cls(resource_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        codedeploy_backends[account_id][region_name].applications.pop(resource_name, None)


def _api_shape(node):
    """CloudFormation's PascalCase property names as the CodeDeploy API's camelCase ones."""
    if isinstance(node, dict):
        return {k[0].lower() + k[1:]: _api_shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_api_shape(v) for v in node]
    return node


class CodeDeployDeploymentGroup(_Declared, CloudFormationModel):
    """AWS::CodeDeploy::DeploymentGroup: Ref is its name. No deployment runs here (see above)."""

    TYPE = "AWS::CodeDeploy::DeploymentGroup"
    NAME_TYPE = "DeploymentGroupName"
    ID = "name"

    def __init__(self, app, name):
        self.app, self.name = app, name

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        codedeploy_backends[account_id][region_name].create_deployment_group(
            application_name=p["ApplicationName"], deployment_group_name=resource_name,
            deployment_config_name=p.get("DeploymentConfigName"), ec2_tag_filters=None,
            on_premises_instance_tag_filters=None, auto_scaling_groups=None, service_role_arn=p["ServiceRoleArn"],
            alarm_configuration=_api_shape(p.get("AlarmConfiguration")), auto_rollback_configuration=_api_shape(p.get("AutoRollbackConfiguration")),
            deployment_style=_api_shape(p.get("DeploymentStyle")))
        return cls(p["ApplicationName"], resource_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = codedeploy_backends[account_id][region_name]
        for groups in getattr(backend, "deployment_groups", {}).values():
            if isinstance(groups, dict):
                groups.pop(resource_name, None)


# CloudFront: recorded here only (moto's CloudFront backend reads the REST API's XML shapes).
CLOUDFRONT = {}


class OriginAccessControl(_Declared, CloudFormationModel):
    TYPE = "AWS::CloudFront::OriginAccessControl"
    ATTRS = {"Id": "id"}

    def __init__(self, config):
        self.id = "E" + uuid.uuid4().hex[:13].upper()
        CLOUDFRONT[self.id] = config

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(cloudformation_json["Properties"]["OriginAccessControlConfig"])


class Distribution(_Declared, CloudFormationModel):
    TYPE = "AWS::CloudFront::Distribution"
    ATTRS = {"Id": "id", "DomainName": "domain"}

    def __init__(self, config):
        self.id = "E" + uuid.uuid4().hex[:13].upper()
        self.domain = f"d{uuid.uuid4().hex[:13]}.cloudfront.net"
        CLOUDFRONT[self.id] = config

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(cloudformation_json["Properties"]["DistributionConfig"])


class ListenerCertificate(_Declared, CloudFormationModel):
    """AWS::ElasticLoadBalancingV2::ListenerCertificate: adds the certificates to the listener (SNI);
    deleting it removes them. Ref is the listener's ARN."""

    TYPE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"
    ID = "listener"

    def __init__(self, listener, arns):
        self.listener, self.arns = listener, arns

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        elbv2_models.elbv2_backends[account_id][region_name].add_listener_certificates(p["ListenerArn"], p["Certificates"])
        return cls(p["ListenerArn"], [c["CertificateArn"] for c in p["Certificates"]])

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        backend = elbv2_models.elbv2_backends[account_id][region_name]
        backend.remove_listener_certificates(original_resource.listener, [{"CertificateArn": a} for a in original_resource.arns])
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        p = cloudformation_json["Properties"]
        try:
            elbv2_models.elbv2_backends[account_id][region_name].remove_listener_certificates(p["ListenerArn"], p["Certificates"])
        except Exception:  # the listener is gone, and its certificates with it
            pass


# --- moto's target group: register Targets and apply TargetGroupAttributes, as AWS does.
_tg_create = elbv2_models.FakeTargetGroup.create_from_cloudformation_json.__func__


def _tg_apply(tg, props, account_id, region_name):
    backend = elbv2_models.elbv2_backends[account_id][region_name]
    attrs = {a["Key"]: str(a["Value"]) for a in props.get("TargetGroupAttributes", [])}
    if attrs:
        backend.modify_target_group_attributes(tg.arn, attrs)
    for t in list(tg.targets):
        if t not in [x["Id"] for x in props.get("Targets", [])]:
            backend.deregister_targets(tg.arn, [{"Id": t}])
    targets = [{"Id": t["Id"]} for t in props.get("Targets", [])]
    if targets:
        backend.register_targets(tg.arn, targets)
    for key, attr in (("HealthCheckPath", "healthcheck_path"), ("HealthCheckIntervalSeconds", "healthcheck_interval_seconds"),
                      ("HealthCheckTimeoutSeconds", "healthcheck_timeout_seconds")):
        if key in props:
            setattr(tg, attr, str(props[key]) if key == "HealthCheckPath" else int(props[key]))
    return tg


@classmethod
def _tg_create_registering(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    tg = _tg_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    return _tg_apply(tg, cloudformation_json["Properties"], account_id, region_name)


@classmethod
def _tg_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    return _tg_apply(original_resource, cloudformation_json["Properties"], account_id, region_name)


elbv2_models.FakeTargetGroup.create_from_cloudformation_json = _tg_create_registering
elbv2_models.FakeTargetGroup.update_from_cloudformation_json = _tg_update


# --- AWS::NoValue in a list removes that element (moto leaves a None there, which breaks the
# role's Policies, a security group's ingress list and a listener's actions).
_clean_json = parsing.clean_json


def _clean_json_dropping_novalue(resource_json, resources_map):
    out = _clean_json(resource_json, resources_map)
    return [x for x in out if x is not None] if isinstance(out, list) else out


parsing.clean_json = _clean_json_dropping_novalue


# --- After a change set runs, the stack has the change set's template, parameters and outputs
# (moto keeps the outputs of the template the stack was created with: none, for a change set).
_apply_change_set = cf_models.ChangeSet.apply


def _apply_and_refresh(self):
    _apply_change_set(self)
    stack = self.stack
    stack.template = self.template
    stack._parse_template()
    stack.parameters = self.parameters
    stack.output_map = stack._create_output_map()


cf_models.ChangeSet.apply = _apply_and_refresh


# --- `!Condition Name` (YAML's short form, which moto reads as {"Fn::Condition": Name}) inside
# !And / !Or / !Not is that condition's value, as in {"Condition": Name}.
_parse_condition = parsing.parse_condition


def _parse_condition_short_form(condition, resources_map, condition_map):
    if isinstance(condition, dict) and list(condition) == ["Fn::Condition"]:
        return bool(condition_map[condition["Fn::Condition"]])
    if isinstance(condition, dict) and len(condition) == 1:
        (op, values), = condition.items()
        if isinstance(values, list):
            condition = {op: [{"Condition": v["Fn::Condition"]} if isinstance(v, dict) and list(v) == ["Fn::Condition"] else v
                              for v in values]}
    return _parse_condition(condition, resources_map, condition_map)


parsing.parse_condition = _parse_condition_short_form


# --- An update changes every resource whose properties change, including through a Ref, GetAtt,
# Sub or DependsOn on a resource that changes, in dependency order (moto follows only direct Refs
# to changed parameters, and its change sets list no change made by parameters alone).
def _references(node):
    if isinstance(node, dict):
        out = set()
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0] if isinstance(v, list) else str(v).split(".")[0])
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) else v
                out |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                out |= _references(v[1]) if isinstance(v, list) else set()
            else:
                out |= _references(v)
        return out
    if isinstance(node, list):
        return set().union(*map(_references, node)) if node else set()
    return set()


_resource_diff = parsing.ResourceMap.build_resource_diff


def _resource_diff_following_dependencies(self, other_template, parameters=None):
    out = _resource_diff(self, other_template, parameters)
    new = other_template["Resources"]
    conditions = self.lazy_condition_map
    # What a resource's properties can see change: parameters, and resources replaced (a new
    # physical id: here, versions, whose every property is immutable).
    changed = {p for p in (parameters or {}) if self.input_parameters.get(p) != parameters[p]}
    changed |= {n for n in out["Modify"] + out["Add"] if new[n]["Type"] == "AWS::Lambda::Version"}
    modify = set(out["Modify"])
    grew = True
    while grew:
        grew = False
        for name, res in new.items():
            if name in modify or name not in self._resource_json_map or not conditions.get(res.get("Condition"), True):
                continue
            if _references(res.get("Properties", {})) & changed:
                modify.add(name)
                if res["Type"] == "AWS::Lambda::Version":
                    changed.add(name)
                grew = True
    order = list(new)
    out["Modify"] = sorted((n for n in modify if conditions.get(new[n].get("Condition"), True)), key=order.index)
    return out


parsing.ResourceMap.build_resource_diff = _resource_diff_following_dependencies


def _change_set_diff(self):
    resource_map = self.stack.resource_map
    actions = resource_map.build_resource_diff(self.template_dict, self.parameters)
    types = {**{k: v["Type"] for k, v in resource_map._resource_json_map.items()},
             **{k: v["Type"] for k, v in self.template_dict["Resources"].items()}}
    return [cf_models.Change(action=a, logical_resource_id=n, resource_type=types[n]) for a, names in actions.items() for n in names]


cf_models.ChangeSet.diff = _change_set_diff


# --- ManagedPolicyArns are attached to the role (moto ignores them).
_role_create = iam_models.Role.create_from_cloudformation_json.__func__


@classmethod
def _role_create_attaching(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    role = _role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = iam_models.iam_backends[account_id][iam_models.get_partition(region_name)]
    for arn in cloudformation_json["Properties"].get("ManagedPolicyArns", []):
        backend.attach_role_policy(arn, role.name)
    return role


iam_models.Role.create_from_cloudformation_json = _role_create_attaching


_role_delete = iam_models.Role.delete_from_cloudformation_json.__func__


@classmethod
def _role_delete_detaching(cls, resource_name, cloudformation_json, account_id, region_name):
    backend = iam_models.iam_backends[account_id][iam_models.get_partition(region_name)]
    for role in list(backend.roles.values()):
        if role.name == resource_name:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
    _role_delete(cls, resource_name, cloudformation_json, account_id, region_name)


iam_models.Role.delete_from_cloudformation_json = _role_delete_detaching


# --- A listener rule's Priority may come as text (Fn::Select of a list parameter); CloudFormation
# reads it as the integer its schema says.
_rule_create = elbv2_models.FakeListenerRule.create_from_cloudformation_json.__func__


@classmethod
def _rule_create_int_priority(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    props["Priority"] = int(props["Priority"])
    return _rule_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


elbv2_models.FakeListenerRule.create_from_cloudformation_json = _rule_create_int_priority


# --- Deleting a stack deletes its listener rules (moto leaves them on the listener, so that the
# target group they forward to cannot go: "in use by a listener or a rule").
@classmethod
def _rule_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    elbv2_models.elbv2_backends[account_id][region_name].delete_rule(resource_name)  # the rule's ARN


elbv2_models.FakeListenerRule.delete_from_cloudformation_json = _rule_delete


# --- A load balancer's CanonicalHostedZoneID (the alias record's target zone) and SecurityGroups.
_lb_attribute = elbv2_models.FakeLoadBalancer.get_cfn_attribute


def _lb_attribute_with_zone(self, attribute_name):
    if attribute_name == "CanonicalHostedZoneID":
        return self.canonical_hosted_zone_id
    return _lb_attribute(self, attribute_name)


elbv2_models.FakeLoadBalancer.get_cfn_attribute = _lb_attribute_with_zone


# --- moto evaluates a bucket policy ignoring its conditions, so the stack's "deny requests not over
# TLS" statement would deny everything. The tests reach moto over plain http on 127.0.0.1, where
# every real client is on TLS: the request is taken as secure (aws:SecureTransport true), which
# leaves that statement out.
from moto.s3 import models as s3_models  # noqa: E402

_bucket_permission = s3_models.FakeBucket.get_permission


def _permission_over_tls(self, action, resource):
    if self.policy is None:
        return _bucket_permission(self, action, resource)
    policy = json.loads(self.policy)
    kept = [st for st in policy.get("Statement", []) if st.get("Condition") != {"Bool": {"aws:SecureTransport": "false"}}]
    saved, self.policy = self.policy, json.dumps({**policy, "Statement": kept}).encode()
    try:
        return _bucket_permission(self, action, resource)
    finally:
        self.policy = saved


s3_models.FakeBucket.get_permission = _permission_over_tls


# --- Deleting the stack deletes its target group (moto's has no delete: it stayed behind).
@classmethod
def _tg_delete(cls, resource_name, cloudformation_json, account_id, region_name):
    # resource_name: the group's ARN. In use by a listener: raises, and moto retries after the listener.
    elbv2_models.elbv2_backends[account_id][region_name].delete_target_group(resource_name)


elbv2_models.FakeTargetGroup.delete_from_cloudformation_json = _tg_delete


# AWS::Lambda::Function's Architectures: moto's CloudFormation model drops the property (its
# create keeps a fixed list of optional properties, its update only the configuration), so every
# function would read back as x86_64. AWS makes the function with the architectures given, and
# an update changes them with the code (UpdateFunctionCode's Architectures).
from moto.awslambda import models as lambda_models  # noqa: E402

_fn_create = lambda_models.LambdaFunction.create_from_cloudformation_json.__func__
_fn_update = lambda_models.LambdaFunction.update_from_cloudformation_json.__func__


@classmethod
def _fn_create_with_architectures(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    fn = _fn_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    fn.architectures = cloudformation_json["Properties"].get("Architectures", ["x86_64"])
    return fn


@classmethod
def _fn_update_with_architectures(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    fn = _fn_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    fn.architectures = cloudformation_json["Properties"].get("Architectures", ["x86_64"])
    return fn


lambda_models.LambdaFunction.create_from_cloudformation_json = _fn_create_with_architectures
lambda_models.LambdaFunction.update_from_cloudformation_json = _fn_update_with_architectures


# moto keeps a resource whose Condition is false as None in the stack's resource map, and
# DescribeStackResources with a LogicalResourceId then fails on the first such None before the
# resource asked for (AWS lists only the resources it made).
cf_models.Stack.stack_resources = property(lambda self: [r for r in self.resource_map.values() if r is not None])
