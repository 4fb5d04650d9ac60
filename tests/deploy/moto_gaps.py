"""moto_server, with the gaps the Function URL deploy steps into filled the way AWS behaves.

moto (the pinned version) fakes these calls but drops what the deploy relies on, so a test could
not tell a right call from a wrong one. Each patch below is the AWS behaviour, kept small:

- Lambda function URLs: moto ignores `Qualifier` and keeps one URL per function. Here each
  qualifier (the alias) has its own URL, its FunctionArn names the alias, a second create for
  the same one is a conflict, and a missing one is ResourceNotFoundException.
- Lambda add-permission: moto keeps FunctionUrlAuthType and InvokedViaFunctionUrl as unknown
  fields of the statement; AWS writes them as the conditions lambda:FunctionUrlAuthType
  (StringEquals) and lambda:InvokedViaFunctionUrl (Bool).
- CloudFront: moto drops an origin's OriginAccessControlId and reports the default certificate
  even beside an ACM one; it deletes an enabled distribution and an origin access control that a
  distribution still uses, both of which AWS refuses.

What is still not modelled: nothing is served (no URL answers, no distribution caches), and a
distribution is Deployed at once (AWS takes minutes). Run as moto_server: `moto_gaps.py -H HOST -p PORT`.
"""

import json
import sys
from urllib.parse import unquote

from moto.awslambda import models as lambda_models
from moto.awslambda import policy as lambda_policy
from moto.awslambda import responses as lambda_responses
from moto.awslambda.exceptions import ConflictException, GenericResourcNotFound
from moto.cloudfront import models as cf_models
from moto.cloudfront.exceptions import CloudFrontException
from moto.server import main


# --------------------------------------------------------------------------- Lambda function URLs

def _url_target(response):
    name = unquote(response.path.split("/")[-2])
    qualifier = response.querystring.get("Qualifier", [None])[0]
    fn = response.backend.get_function(name)
    if qualifier is not None and qualifier != "$LATEST":
        response.backend.get_alias(qualifier, fn.function_name)  # ResourceNotFoundException when absent
    return fn, qualifier, fn.__dict__.setdefault("urls_by_qualifier", {})


def _url_dict(fn, qualifier, config):
    out = config.to_dict()
    if qualifier:
        out["FunctionArn"] = f"{fn.function_arn}:{qualifier}"
    return json.dumps(out)


def create_function_url_config(self):
    fn, qualifier, urls = _url_target(self)
    if qualifier in urls:
        raise ConflictException(f"Failed to create function url config for [functionArn = {fn.function_arn}]. "
                                "Error message:  FunctionUrlConfig exists for this Lambda function")
    urls[qualifier] = lambda_models.FunctionUrlConfig(function=fn, config=self.json_body)
    return 201, {"status": 201}, _url_dict(fn, qualifier, urls[qualifier])


def get_function_url_config(self):
    fn, qualifier, urls = _url_target(self)
    if qualifier not in urls:
        raise GenericResourcNotFound()
    return 200, {"status": 200}, _url_dict(fn, qualifier, urls[qualifier])


def update_function_url_config(self):
    fn, qualifier, urls = _url_target(self)
    if qualifier not in urls:
        raise GenericResourcNotFound()
    urls[qualifier].update(self.json_body)
    return _url_dict(fn, qualifier, urls[qualifier])


def delete_function_url_config(self):
    fn, qualifier, urls = _url_target(self)
    if urls.pop(qualifier, None) is None:
        raise GenericResourcNotFound()
    return 204, {"status": 204}, "{}"


for _f in (create_function_url_config, get_function_url_config, update_function_url_config, delete_function_url_config):
    setattr(lambda_responses.LambdaResponse, _f.__name__, _f)


# --------------------------------------------------------------------------- Lambda permissions

_add_statement = lambda_policy.Policy.add_statement


def add_statement(self, raw, qualifier=None):
    request = json.loads(raw)
    auth_type = request.pop("FunctionUrlAuthType", None)
    via_url = request.pop("InvokedViaFunctionUrl", None)
    statement, revision = _add_statement(self, json.dumps(request), qualifier)
    if auth_type is not None:
        statement.setdefault("Condition", {}).setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = auth_type
    if via_url is not None:
        statement.setdefault("Condition", {}).setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = str(via_url).lower()
    return statement, revision


lambda_policy.Policy.add_statement = add_statement


# --------------------------------------------------------------------------- CloudFront

_origin_init = cf_models.Origin.__init__


def origin_init(self, origin):
    _origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""


cf_models.Origin.__init__ = origin_init

_certificate_init = cf_models.ViewerCertificate.__init__


def certificate_init(self, config):
    _certificate_init(self, config)
    own = config.get("ACMCertificateArn") or config.get("IAMCertificateId")
    self.cloud_front_default_certificate = config.get("CloudFrontDefaultCertificate", not own)
    if own:
        self.certificate_source = "acm" if config.get("ACMCertificateArn") else "iam"


cf_models.ViewerCertificate.__init__ = certificate_init

_delete_distribution = cf_models.CloudFrontBackend.delete_distribution


def delete_distribution(self, distribution_id, if_match):
    dist = self.distributions.get(distribution_id)
    if dist is not None and dist.distribution_config.Enabled:
        raise CloudFrontException("DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.")
    return _delete_distribution(self, distribution_id, if_match)


cf_models.CloudFrontBackend.delete_distribution = delete_distribution

_delete_oac = cf_models.CloudFrontBackend.delete_origin_access_control


def delete_origin_access_control(self, control_id):
    for dist in self.distributions.values():
        if any(getattr(o, "origin_access_control_id", "") == control_id for o in dist.distribution_config.Origins["Items"]):
            raise CloudFrontException("OriginAccessControlInUse", "Cannot delete, this origin access control is in use.")
    return _delete_oac(self, control_id)


cf_models.CloudFrontBackend.delete_origin_access_control = delete_origin_access_control


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
