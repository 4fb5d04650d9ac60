"""Files kept in S3: the build leaves files too large for an ALB response out of the binary and
writes them beside the package (offload/manifest.json, offload/objects/<key>); deploy uploads them
to a bucket and tells the function where they are (SITE_OFFLOAD_URL, SITE_OFFLOAD_BUCKET).

The objects are made here, a small hand-made set: a 3 MB video, a 2 MB JSON with its gzip and br
variants (each its own object, with its content encoding), a 900 KB PNG. The package is a
stand-in (conftest's make_zip) whose deploy facts carry their count and bytes, as the build's do.

One site is deployed for the module and taken through its life in file order: public, deployed
again, given a CDN URL, made private, rebuilt with nothing to offload, destroyed. The tests that
need a fresh account come after those.
"""

import gzip
import hashlib
import json
import random
import shutil
import struct
import zlib

import pytest

from conftest import DEPLOY, REGION, TAG_KEY, everything, imported_certificate

STACK = "static-site"
ACCOUNT = "123456789012"  # moto's
BUCKET = f"{STACK}-offload-{ACCOUNT}-{REGION}"
STATUS = DEPLOY.parent / "status.sh"
DESTROY = DEPLOY.parent / "destroy.sh"
COGNITO = dict(
    AUTH="cognito",
    COGNITO_USER_POOL_ARN="arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Example",
    COGNITO_CLIENT_ID="pool-client",
    COGNITO_DOMAIN="example-login",
)


# --------------------------------------------------------------------------- the objects

def stored_brotli(data):
    """A valid brotli stream of `data` in uncompressed meta-blocks (RFC 7932 section 9.2): the br
    variant, made without a brotli library (the test tools have none)."""
    out, first = bytearray(), True
    for i in range(0, len(data), 65536):
        chunk, bits = data[i:i + 65536], []

        def put(value, n):
            bits.extend((value >> k) & 1 for k in range(n))
        if first:
            put(0, 1)  # WBITS: 16
            first = False
        put(0, 1)  # ISLAST
        put(0, 2)  # MNIBBLES: 4
        put(len(chunk) - 1, 16)  # MLEN - 1
        put(1, 1)  # ISUNCOMPRESSED
        bits.extend([0] * (-len(bits) % 8))
        out += bytes(sum(b << k for k, b in enumerate(bits[j:j + 8])) for j in range(0, len(bits), 8))
        out += chunk
    return bytes(out + (b"\x03" if not first else b"\x06"))  # ISLAST, ISLASTEMPTY


def png(width, height, rng):
    """An RGB PNG of noise (which deflate cannot shrink)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def obj(path, body, content_type, encoding=None, cache="public, max-age=3600"):
    """A manifest entry as the build writes it, with the object's bytes."""
    sha = hashlib.sha256(body).hexdigest()
    return {"key": f"{sha[:32]}/{path.rsplit('/', 1)[1]}", "path": path, "content_type": content_type,
            "content_encoding": encoding, "cache_control": cache, "bytes": len(body), "sha256": sha, "body": body}


def make_objects():
    rng = random.Random(7)
    records = [{"id": i, "name": f"item {i}", "tags": ["a", "b"], "value": rng.random()} for i in range(24000)]
    data = json.dumps(records).encode()
    assert 1_900_000 < len(data) < 2_200_000
    return [
        obj("/media/video.mp4", rng.randbytes(3_000_000), "video/mp4"),
        obj("/data/catalog.json", data, "application/json", cache="public, max-age=60"),
        obj("/data/catalog.json", gzip.compress(data, mtime=0), "application/json", "gzip", cache="public, max-age=60"),
        obj("/data/catalog.json", stored_brotli(data), "application/json", "br", cache="public, max-age=60"),
        obj("/img/photo.png", png(600, 500, rng), "image/png", cache=None),
    ]


OBJECTS = make_objects()
FACTS = {"offload_objects": len(OBJECTS), "offload_bytes": sum(o["bytes"] for o in OBJECTS)}


def write_offload(folder, objects=OBJECTS, private=False):
    """What `make build` writes beside the package: offload/manifest.json and offload/objects/<key>."""
    off = folder / "offload"
    shutil.rmtree(off, ignore_errors=True)
    for o in objects:
        path = off / "objects" / o["key"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(o["body"])
    off.mkdir(parents=True, exist_ok=True)
    manifest = {"format": 1, "private": private,
                "objects": [{k: v for k, v in o.items() if k != "body"} for o in objects]}
    (off / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")  # pretty, as the build's
    return off


def offloading_site(aws, private=False):
    """Point the deploy at a package whose build kept OBJECTS in S3, with its offload folder beside it."""
    write_offload(aws.tmp, private=private)
    aws.zip = aws.make_zip("offload", facts=FACTS)


def live_env(aws):
    lam = aws.client("lambda")
    live = lam.get_alias(FunctionName=STACK, Name="live")["FunctionVersion"]
    return lam.get_function_configuration(FunctionName=STACK, Qualifier=live).get("Environment", {}).get("Variables", {})


def bucket_names(aws):
    return sorted(b["Name"] for b in aws.client("s3").list_buckets()["Buckets"])


def public_access_block(aws, bucket=BUCKET):
    return aws.client("s3").get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


# --------------------------------------------------------------------------- one site, through its life

@pytest.fixture(scope="module")
def site(module_aws):
    offloading_site(module_aws)
    module_aws.first_out = module_aws.deploy()
    return module_aws


def test_deploy_creates_the_bucket_tagged_for_the_stack_and_encrypted(site):
    s3 = site.client("s3")
    assert BUCKET in bucket_names(site)
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]} == {TAG_KEY: STACK}
    [rule] = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == \
        [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_bucket_holds_exactly_the_manifests_objects_byte_for_byte(site):
    s3 = site.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(o["key"] for o in OBJECTS)
    for o in OBJECTS:
        body = s3.get_object(Bucket=BUCKET, Key=o["key"])["Body"].read()
        assert len(body) == o["bytes"] and hashlib.sha256(body).hexdigest() == o["sha256"], o["key"]
    assert "uploaded 5, already there 0" in site.first_out


def test_each_object_carries_its_content_type_cache_control_and_content_encoding(site):
    s3 = site.client("s3")
    for o in OBJECTS:
        head = s3.head_object(Bucket=BUCKET, Key=o["key"])
        assert (head["ContentType"], head.get("CacheControl"), head.get("ContentEncoding")) == \
            (o["content_type"], o["cache_control"], o["content_encoding"]), o["key"]
        assert head["ServerSideEncryption"] == "AES256"


def test_the_function_is_told_the_objects_url_and_bucket(site):
    assert live_env(site) == {"SITE_OFFLOAD_URL": f"{site.url}/{BUCKET}", "SITE_OFFLOAD_BUCKET": BUCKET}


def test_a_public_sites_bucket_lets_anyone_read_objects_by_its_policy_and_still_blocks_acls(site):
    [statement] = json.loads(site.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert {k: statement[k] for k in ("Effect", "Principal", "Action", "Resource")} == \
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    assert public_access_block(site) == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                         "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    assert "offload-read" not in site.client("iam").list_role_policies(RoleName=f"{STACK}-role")["PolicyNames"]


def test_status_shows_the_bucket_and_its_object_count(site):
    r = site.run(STATUS)
    assert r.returncode == 0, r.stdout
    assert f"files in S3: s3://{BUCKET}, 5 objects (clients are sent to {site.url}/{BUCKET}/<key>)" in r.stdout


def test_a_second_deploy_uploads_nothing_and_changes_nothing(site):
    before = everything(site)
    out = site.deploy()
    assert everything(site) == before, out
    assert "uploaded 0, already there 5" in out
    assert "created" not in out


def test_plan_after_the_deploy_has_nothing_to_do(site):
    r = site.run(DEPLOY, PLAN="1")
    assert r.returncode == 0, r.stdout
    assert "to upload 0, already there 5" in r.stdout
    assert "Plan: 0 to create, 0 to change, 0 to delete" in r.stdout


def test_offload_url_replaces_the_bucket_url_for_a_public_site(site):
    out = site.deploy(OFFLOAD_URL="https://cdn.example.com/media/")
    assert live_env(site) == {"SITE_OFFLOAD_URL": "https://cdn.example.com/media", "SITE_OFFLOAD_BUCKET": BUCKET}
    assert "uploaded 0, already there 5" in out


@pytest.fixture(scope="module")
def private_site(site):
    """The same site made private (its site.toml's [auth]) behind an ALB login."""
    write_offload(site.tmp, private=True)
    site.private_out = site.deploy(CERTIFICATE_ARN=imported_certificate(site), **COGNITO)
    return site


def test_switching_to_a_private_site_removes_the_public_policy_and_blocks_all_public_access(private_site):
    assert BUCKET in bucket_names(private_site)
    assert everything(private_site)["buckets"][BUCKET]["policy"] is None
    assert public_access_block(private_site) == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                 "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_a_private_sites_role_may_get_the_buckets_objects(private_site):
    doc = private_site.client("iam").get_role_policy(RoleName=f"{STACK}-role", PolicyName="offload-read")["PolicyDocument"]
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in doc["Statement"]] == \
        [("Allow", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")]


def test_a_private_sites_function_gets_the_offload_variables_beside_its_login_signer(private_site):
    [lb] = private_site.client("elbv2").describe_load_balancers(Names=[f"{STACK}-alb"])["LoadBalancers"]
    assert live_env(private_site) == {"SITE_AUTH_SIGNER": lb["LoadBalancerArn"],
                                      "SITE_OFFLOAD_URL": f"{private_site.url}/{BUCKET}", "SITE_OFFLOAD_BUCKET": BUCKET}


def test_a_build_with_nothing_to_offload_removes_the_variables_and_keeps_the_bucket(private_site):
    aws = private_site
    write_offload(aws.tmp, objects=[], private=True)
    aws.zip = aws.make_zip("nothing-offloaded")
    aws.deploy(CERTIFICATE_ARN=aws.client("acm").list_certificates()["CertificateSummaryList"][0]["CertificateArn"], **COGNITO)
    assert list(live_env(aws)) == ["SITE_AUTH_SIGNER"]
    assert aws.client("iam").list_role_policies(RoleName=f"{STACK}-role")["PolicyNames"] == []
    assert len(aws.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]) == 5, "a rollback still finds its objects"


def test_destroy_removes_the_bucket_it_created_with_every_object_version(site):
    s3 = site.client("s3")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="extra.txt", Body=b"one")
    s3.put_object(Bucket=BUCKET, Key="extra.txt", Body=b"two")
    s3.delete_object(Bucket=BUCKET, Key="extra.txt")  # a delete marker
    out = site.destroy()
    assert BUCKET not in bucket_names(site), out
    assert f"deleted s3://{BUCKET}" in out


# --------------------------------------------------------------------------- fresh account each

def stopped_before_any_change(aws, r, empty):
    assert r.returncode != 0
    assert "error in step [1/15]" in r.stdout
    assert "stopped before changing anything" in r.stdout
    assert everything(aws) == empty


def test_plan_lists_the_bucket_and_each_upload_and_changes_nothing(aws):
    offloading_site(aws)
    before = everything(aws)
    r = aws.run(DEPLOY, PLAN="1")
    assert r.returncode == 0, r.stdout
    assert everything(aws) == before
    assert f"PLAN: would create S3 bucket {BUCKET}" in r.stdout
    for o in OBJECTS:
        assert f"PLAN: would create object s3://{BUCKET}/{o['key']}" in r.stdout
    assert "PLAN: would create s3://{0}: bucket policy letting anyone read".format(BUCKET) in r.stdout
    assert "to upload 5, already there 0" in r.stdout


@pytest.mark.parametrize("how", ["the manifest", "an ALB login"])
def test_offload_url_is_refused_for_a_private_site(aws, how):
    empty = everything(aws)
    offloading_site(aws, private=how == "the manifest")
    settings = dict(OFFLOAD_URL="https://cdn.example.com")
    if how == "an ALB login":
        settings.update(CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/any", **COGNITO)
    r = aws.run(DEPLOY, **settings)
    stopped_before_any_change(aws, r, empty)
    assert "OFFLOAD_URL=https://cdn.example.com is set, but the site is private" in r.stdout
    assert "leave OFFLOAD_URL empty for a private site" in r.stdout


def remove_one_object(off):
    (off / "objects" / OBJECTS[0]["key"]).unlink()


def change_one_byte(off):
    path = off / "objects" / OBJECTS[1]["key"]
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case, spoil, expected", [
    ("another count", None, f"lists 5 objects ({FACTS['offload_bytes']} bytes), but the package was built with 4"),
    ("a missing object", remove_one_object, f"objects/{OBJECTS[0]['key']} is missing"),
    ("a changed object", change_one_byte, f"objects/{OBJECTS[1]['key']} is not the object"),
    ("no manifest", lambda off: shutil.rmtree(off), "the package keeps 5 objects in S3, but"),
])
def test_a_manifest_that_disagrees_with_the_package_is_refused_before_any_change(aws, case, spoil, expected):
    empty = everything(aws)
    off = write_offload(aws.tmp)
    facts = dict(FACTS, offload_objects=4) if case == "another count" else FACTS
    aws.zip = aws.make_zip("offload", facts=facts)
    if spoil:
        spoil(off)
    r = aws.run(DEPLOY)
    stopped_before_any_change(aws, r, empty)
    assert expected in r.stdout


def test_a_site_with_nothing_to_offload_creates_no_bucket(aws):
    write_offload(aws.tmp, objects=[])
    out = aws.deploy()
    assert bucket_names(aws) == []
    assert live_env(aws) == {}
    assert "files kept in S3: none" in out


def test_destroy_leaves_a_given_offload_bucket_and_its_objects(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="my-site-media")
    s3.put_object(Bucket="my-site-media", Key="unrelated.txt", Body=b"keep me")
    offloading_site(aws)
    aws.deploy(OFFLOAD_BUCKET="my-site-media")
    assert live_env(aws)["SITE_OFFLOAD_BUCKET"] == "my-site-media"
    assert bucket_names(aws) == ["my-site-media"], "no bucket of its own"
    out = aws.destroy(OFFLOAD_BUCKET="my-site-media")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="my-site-media")["Contents"])
    assert keys == sorted([o["key"] for o in OBJECTS] + ["unrelated.txt"])
    assert "OFFLOAD_BUCKET=my-site-media was given, not created: it and its objects are left alone" in out


def test_a_foreign_bucket_with_the_generated_name_is_refused_before_any_change(aws):
    aws.client("s3").create_bucket(Bucket=BUCKET)  # same name, no tag
    empty = everything(aws)
    offloading_site(aws)
    r = aws.run(DEPLOY)
    stopped_before_any_change(aws, r, empty)
    assert f"S3 bucket {BUCKET} already exists and was not created by this stack" in r.stdout
    assert "choose another OFFLOAD_BUCKET" in r.stdout


@pytest.mark.parametrize("setting, value, expected", [
    ("OFFLOAD_BUCKET", "My_Media", "OFFLOAD_BUCKET='My_Media' is not a valid S3 bucket name"),
    ("OFFLOAD_BUCKET", "no-such-bucket", "the bucket OFFLOAD_BUCKET=no-such-bucket does not exist"),
    ("OFFLOAD_URL", "http://cdn.example.com", "OFFLOAD_URL='http://cdn.example.com' must be an https:// URL"),
])
def test_bad_offload_settings_are_refused_before_any_change(aws, setting, value, expected):
    empty = everything(aws)
    offloading_site(aws)
    r = aws.run(DEPLOY, **{setting: value})
    stopped_before_any_change(aws, r, empty)
    assert expected in r.stdout
