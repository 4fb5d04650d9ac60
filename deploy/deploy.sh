#!/usr/bin/env bash
# `make deploy` (and `make plan`, PLAN=1): check the package and the settings, upload the package
# and the files kept in S3 (content-addressed), and hand deploy/template.yaml to CloudFormation as a
# change set. CloudFormation makes, updates or rolls back the stack; CodeDeploy moves the alias to
# the new version once its pre-traffic check passes. Nothing changed: "no changes", no new version.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/preview.sh"
STEPS=5
load_settings "$@"
need unzip od sha256sum base64 sed
WORK=$(mktemp -d)
trap 'rm -rf "$WORK" "${AWS_ERR:-}"' EXIT

step "checking the settings and the package (no changes yet)"
one_of PLAN 0 1
one_of ARCHITECTURE x86_64 arm64
one_of LOG_FORMAT Text JSON
one_of METRICS on off
in_range ALARM_5XX_PERCENT 0 100
in_range ALARM_P99_MS 1 900000
in_range ALARM_KEY_FETCH_FAILURES 0 1000000
[[ -z $ALARM_EMAIL || $ALARM_EMAIL =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] ||
  die "ALARM_EMAIL=$ALARM_EMAIL is not an e-mail address" "set ALARM_EMAIL to an address, or leave it empty"
[[ -z $ALARM_TOPIC_ARN || $ALARM_TOPIC_ARN =~ ^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+$ ]] ||
  die "ALARM_TOPIC_ARN=$ALARM_TOPIC_ARN is not an SNS topic's ARN" "set it to arn:aws:sns:REGION:ACCOUNT:TOPIC, or leave it empty"
[[ $METRICS == off || $LOG_FORMAT == JSON ]] ||
  die "METRICS=on needs LOG_FORMAT=JSON: the metrics travel in the JSON access line (EMF)" "set LOG_FORMAT=JSON, or METRICS=off"
[[ $METRICS_NAMESPACE =~ ^[A-Za-z0-9.#:_/\ -]{1,255}$ && $METRICS_NAMESPACE != AWS/* ]] ||
  die "METRICS_NAMESPACE=$METRICS_NAMESPACE is not a CloudWatch namespace" "use 1 to 255 letters, digits and . - _ / # : or spaces, not starting with AWS/"
one_of LOG_RETENTION_DAYS 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653
one_of TRAFFIC_SHIFT AllAtOnce Canary10Percent5Minutes Canary10Percent10Minutes Canary10Percent15Minutes Canary10Percent30Minutes \
  Linear10PercentEvery1Minute Linear10PercentEvery2Minutes Linear10PercentEvery3Minutes Linear10PercentEvery10Minutes
one_of PRE_TRAFFIC_CHECK on off
one_of FRONT alb function-url
one_of FUNCTION_URL_AUTH NONE AWS_IAM
one_of CLOUDFRONT off on
one_of CLOUDFRONT_PRICE_CLASS PriceClass_100 PriceClass_200 PriceClass_All
one_of MULTI_VALUE_HEADERS auto true false
one_of ALB_SCHEME internet-facing internal
one_of AUTH none oidc cognito
in_range MEMORY_SIZE 128 10240
in_range TIMEOUT 1 900
in_range HEALTH_CHECK_INTERVAL 10 300
in_range HEALTH_CHECK_TIMEOUT 2 120
in_range KEEP_VERSIONS 2 100
in_range RULE_PRIORITY 1 50000
((HEALTH_CHECK_TIMEOUT < HEALTH_CHECK_INTERVAL)) || die "HEALTH_CHECK_TIMEOUT=$HEALTH_CHECK_TIMEOUT must be less than HEALTH_CHECK_INTERVAL=$HEALTH_CHECK_INTERVAL." "lower the timeout or raise the interval"
[[ $ALIAS_NAME =~ ^[A-Za-z][A-Za-z0-9_-]{0,127}$ ]] || die "ALIAS_NAME='$ALIAS_NAME' is not a valid alias name." "a letter, then letters, digits, - and _"
[[ -z $ROLE_ARN || $ROLE_ARN =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/ ]] || die "ROLE_ARN='$ROLE_ARN' is not an IAM role ARN." "give arn:aws:iam::<account>:role/<name>, or leave it empty"
[[ -z $CERTIFICATE_ARN || $CERTIFICATE_ARN =~ ^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/ ]] || die "CERTIFICATE_ARN='$CERTIFICATE_ARN' is not an ACM certificate ARN." "copy it from 'aws acm list-certificates'"
[[ -z $LISTENER_ARN || $LISTENER_ARN == arn:*:elasticloadbalancing:*:listener/app/* ]] || die "LISTENER_ARN='$LISTENER_ARN' is not an Application Load Balancer listener ARN." "copy it from 'aws elbv2 describe-listeners'"
DOMAIN_RE='^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$'
[[ -z $PREVIEW_DOMAIN || ($PREVIEW_DOMAIN =~ $DOMAIN_RE && ${#PREVIEW_DOMAIN} -le 120) ]] || die "PREVIEW_DOMAIN='$PREVIEW_DOMAIN' is not a domain name in lowercase." "for example preview.example.com"
if [[ -n $PREVIEW ]]; then
  [[ -n $PREVIEW_DOMAIN && $FRONT == alb ]] || die "PREVIEW=$PREVIEW needs FRONT=alb and PREVIEW_DOMAIN: a preview is a rule of production's load balancer for PREVIEW.PREVIEW_DOMAIN." \
    "deploy with production's settings, PREVIEW_DOMAIN among them"
  RULE_HOST_HEADERS=$PREVIEW.$PREVIEW_DOMAIN
  ((${#RULE_HOST_HEADERS} <= 128)) || die "the preview's host $RULE_HOST_HEADERS is longer than ALB's 128 characters." "use a shorter PREVIEW name"
  # Production's own: the preview shares its load balancer, listener and certificates, and pages no one.
  CERTIFICATE_ARN="" PREVIEW_CERTIFICATE_ARN="" DOMAIN_NAME="" HOSTED_ZONE_ID="" VPC_ID="" SUBNET_IDS="" ALLOWED_CIDRS=""
  LISTENER_ARN="" ALARM_EMAIL="" ALARM_TOPIC_ARN="" RULE_PATH_PATTERNS="/*" TRAFFIC_SHIFT=AllAtOnce
elif [[ -n $PREVIEW_CERTIFICATE_ARN ]]; then
  [[ $PREVIEW_CERTIFICATE_ARN =~ ^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/ && -n $PREVIEW_DOMAIN && $FRONT == alb && -n $CERTIFICATE_ARN && -z $LISTENER_ARN ]] ||
    die "PREVIEW_CERTIFICATE_ARN goes on the HTTPS listener the stack makes: it needs an ACM certificate ARN, PREVIEW_DOMAIN, FRONT=alb and CERTIFICATE_ARN, without LISTENER_ARN." \
      "set them, or add the certificate to your own listener and leave PREVIEW_CERTIFICATE_ARN empty"
fi
[[ -z $DOMAIN_NAME$HOSTED_ZONE_ID || (-n $DOMAIN_NAME && -n $HOSTED_ZONE_ID) ]] || die "DOMAIN_NAME and HOSTED_ZONE_ID go together (one is empty)." "set both, or neither"
DOMAIN_NAME=${DOMAIN_NAME%.} HOSTED_ZONE_ID=${HOSTED_ZONE_ID#/hostedzone/}
[[ -z $OFFLOAD_URL || $OFFLOAD_URL =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^[:space:]?#]*)?$ ]] || die "OFFLOAD_URL='$OFFLOAD_URL' must be an https:// URL without a query." "for example https://cdn.example.com"
OFFLOAD_URL=${OFFLOAD_URL%/}
if [[ $FRONT == function-url ]]; then
  [[ $AUTH == none ]] || die "AUTH=$AUTH, but FRONT=function-url: a Function URL has no login in front, so the site would be published with none." "keep FRONT=alb for a site behind a login"
  for v in LISTENER_ARN VPC_ID SUBNET_IDS ALLOWED_CIDRS; do
    [[ -z ${!v} ]] || die "$v is set, but FRONT=function-url: a Function URL has no load balancer, VPC or security group for it to limit or place." "leave $v empty, or keep FRONT=alb"
  done
  [[ $ALB_SCHEME == internet-facing ]] || die "ALB_SCHEME=$ALB_SCHEME, but FRONT=function-url: a Function URL is reachable from the internet." "keep FRONT=alb for an internal site"
  [[ $CLOUDFRONT == on || -z $CERTIFICATE_ARN$DOMAIN_NAME ]] || die "CERTIFICATE_ARN or DOMAIN_NAME is set, but a Function URL answers only on its own name." "for your own domain: CLOUDFRONT=on FUNCTION_URL_AUTH=AWS_IAM (certificate from us-east-1)"
  [[ $CLOUDFRONT == off || $FUNCTION_URL_AUTH == AWS_IAM ]] || die "CLOUDFRONT=on with FUNCTION_URL_AUTH=$FUNCTION_URL_AUTH: a URL open to anyone could be called around CloudFront." "set FUNCTION_URL_AUTH=AWS_IAM"
  [[ -z $CERTIFICATE_ARN || $CERTIFICATE_ARN == arn:*:acm:us-east-1:* ]] || die "CERTIFICATE_ARN is not in us-east-1: CloudFront takes certificates from us-east-1 only." "request or import it in us-east-1"
  [[ -z $CERTIFICATE_ARN$DOMAIN_NAME || (-n $CERTIFICATE_ARN && -n $DOMAIN_NAME) ]] || die "with CLOUDFRONT=on, CERTIFICATE_ARN and DOMAIN_NAME go together." "set both, or neither"
else
  [[ $FUNCTION_URL_AUTH == NONE && $CLOUDFRONT == off ]] || die "FUNCTION_URL_AUTH or CLOUDFRONT is set, but FRONT=alb." "add FRONT=function-url, or leave them at their defaults"
  [[ $AUTH == none || -n $CERTIFICATE_ARN$LISTENER_ARN$PREVIEW ]] || die "AUTH=$AUTH needs HTTPS: an ALB runs its login only on an HTTPS listener, and CERTIFICATE_ARN is empty." "set CERTIFICATE_ARN to an issued ACM certificate"
  if [[ -n $LISTENER_ARN ]]; then
    for v in CERTIFICATE_ARN VPC_ID SUBNET_IDS ALLOWED_CIDRS DOMAIN_NAME; do
      [[ -z ${!v} ]] || die "$v is set, but LISTENER_ARN is too: the site is then a rule of that listener and no load balancer is made." "leave $v empty, or LISTENER_ARN"
    done
    [[ -n $RULE_PATH_PATTERNS$RULE_HOST_HEADERS ]] || die "RULE_PATH_PATTERNS and RULE_HOST_HEADERS are both empty: the listener rule needs a condition." "set RULE_PATH_PATTERNS=/*"
  fi
fi
if [[ $AUTH == oidc ]]; then
  for v in OIDC_ISSUER OIDC_AUTHORIZATION_ENDPOINT OIDC_TOKEN_ENDPOINT OIDC_USER_INFO_ENDPOINT; do
    [[ ${!v} =~ ^https://[^[:space:]]+$ ]] || die "AUTH=oidc needs $v, an https:// URL (it is '${!v}')." "copy it from your identity provider's discovery document"
  done
  [[ -n $OIDC_CLIENT_ID ]] || die "AUTH=oidc needs OIDC_CLIENT_ID." "the client id registered with the identity provider"
  [[ -n $OIDC_CLIENT_SECRET_FILE$OIDC_CLIENT_SECRET_SSM && (-z $OIDC_CLIENT_SECRET_FILE || -z $OIDC_CLIENT_SECRET_SSM) ]] || die "AUTH=oidc needs the client secret from exactly one of OIDC_CLIENT_SECRET_FILE and OIDC_CLIENT_SECRET_SSM." "a file only you can read, or an SSM SecureString"
  if [[ -n $OIDC_CLIENT_SECRET_FILE ]]; then
    [[ -s $OIDC_CLIENT_SECRET_FILE ]] || die "OIDC_CLIENT_SECRET_FILE=$OIDC_CLIENT_SECRET_FILE is missing or empty." "write the client secret into it"
    CLIENT_SECRET=$(<"$OIDC_CLIENT_SECRET_FILE")
  fi
elif [[ $AUTH == cognito ]]; then
  [[ $COGNITO_USER_POOL_ARN =~ ^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/ && -n $COGNITO_CLIENT_ID && -n $COGNITO_DOMAIN ]] ||
    die "AUTH=cognito needs COGNITO_USER_POOL_ARN (a user pool ARN), COGNITO_CLIENT_ID and COGNITO_DOMAIN." "copy them from 'aws cognito-idp describe-user-pool'"
fi

# --- the package: read from its bytes, never run (it may be built for another machine)
[[ -f $ZIP ]] || die "the package $ZIP does not exist." "build it with 'make build'"
unzip -Z1 "$ZIP" >"$WORK/entries" 2>/dev/null || die "$ZIP is not a zip file." "build it with 'make build'"
grep -qx bootstrap "$WORK/entries" || die "$ZIP has no 'bootstrap' at its root (Lambda would fail with Runtime.InvalidEntrypoint)." "build it with 'make build'"
[[ $(unzip -Z "$ZIP" bootstrap | cut -c1-4) == -rwx ]] || die "bootstrap in $ZIP is not executable (Lambda could not start it)." "chmod 755 it before zipping (make build does)"
unzip -p "$ZIP" bootstrap >"$WORK/bootstrap"
[[ $(od -An -tx1 -N4 "$WORK/bootstrap" | tr -d ' \n') == 7f454c46 ]] || die "bootstrap in $ZIP is not a Linux executable (ELF)." "build it with 'make build'"
case $(od -An -tx1 -j18 -N2 "$WORK/bootstrap" | tr -d ' \n') in
  3e00) BIN_ARCH=x86_64 ;; b700) BIN_ARCH=arm64 ;; *) BIN_ARCH="another machine" ;;
esac
[[ $BIN_ARCH == "$ARCHITECTURE" ]] || die "bootstrap in $ZIP is built for $BIN_ARCH, but ARCHITECTURE=$ARCHITECTURE: every request would fail." "build for it (make deploy ARCH=$ARCHITECTURE), or set ARCHITECTURE=$BIN_ARCH"
UNZIPPED=$(unzip -Zt "$ZIP" | sed -nE 's/.* ([0-9]+) bytes uncompressed.*/\1/p')
((UNZIPPED <= UNZIPPED_LIMIT)) || die "$ZIP unzips to $UNZIPPED bytes, over Lambda's limit of $UNZIPPED_LIMIT." "make the site smaller (large media belongs in S3), then build again"
ZIP_SHA=$(sha256sum "$ZIP" | cut -c1-64)
# shellcheck disable=SC2001 # (bash before 5.2 has no & in ${//})
CODE_SHA_B64=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$ZIP_SHA")" | base64)
# The facts the build wrote into the binary: "alb-static-site-deploy-info {JSON}".
FACTS=$(grep -a -m1 -o 'alb-static-site-deploy-info {.*' "$WORK/bootstrap" | head -n1 | cut -d' ' -f2- || true)
jq -e 'type == "object" and (.health_path | type) == "string"' <<<"${FACTS:-null}" >/dev/null 2>&1 ||
  die "$ZIP carries no deploy facts (built by another version of this project?)." "build it with 'make build'"
fact() { jq -r "$1" <<<"$FACTS"; }
BIN_HEALTH=$(fact .health_path) BIN_COOKIES=$(fact '.most_set_cookies // 0') PRIVATE=$(fact '.auth != null')
[[ -z $HEALTH_PATH || $HEALTH_PATH == "$BIN_HEALTH" ]] || die "HEALTH_PATH=$HEALTH_PATH, but the package answers health checks on $BIN_HEALTH: every target would be unhealthy." "leave HEALTH_PATH empty, or change health_path in site.toml and build again"
HEALTH_PATH=$BIN_HEALTH
[[ $FRONT == alb || $PRIVATE == false ]] || die "the site is private ([auth] in site.toml), and FRONT=function-url sends no login, so every page would be refused." "deploy it with FRONT=alb and AUTH=oidc or cognito"
[[ $PRIVATE == false || $AUTH != none ]] || warn "the site is private ([auth]) but AUTH=none: it answers 401 to everyone but the public paths (set AUTH=oidc or cognito for a login)"
case $FRONT:$MULTI_VALUE_HEADERS:$AUTH in
  function-url:*) MULTI=false ;;
  *:auto:none) MULTI=$( ((BIN_COOKIES > 1)) && echo true || echo false) ;;
  *:false:none) ((BIN_COOKIES <= 1)) || die "a response of the site sends $BIN_COOKIES Set-Cookie headers, but MULTI_VALUE_HEADERS=false: ALB would pass on only one." "set MULTI_VALUE_HEADERS=auto"
    MULTI=false ;;
  *:false:*) die "AUTH=$AUTH needs MULTI_VALUE_HEADERS=true (the logout expires several session cookies)." "set MULTI_VALUE_HEADERS=auto" ;;
  *) MULTI=true ;;
esac
info "package: $(stat -c %s "$ZIP") bytes ($UNZIPPED unzipped), $BIN_ARCH, sha256 ${ZIP_SHA:0:12}; health path $HEALTH_PATH; multi-value headers $MULTI"

# A private site's public paths (and its health path): rules with no login, 5 patterns per rule
# (ALB's limit per condition), ahead of the login. A `:name` segment becomes ALB's `*` (wider: the
# function still refuses what is not public).
# With a login (AUTH), every path the site does not make public needs it: the function gets
# SITE_AUTH_SIGNER and answers 401 without one, [auth] in site.toml or not.
LOGIN=$([[ $PRIVATE == true || $AUTH != none ]] && echo true || echo false)
PUBLIC=()
if [[ $AUTH != none ]]; then
  mapfile -t PUBLIC < <(fact '(.auth.public // []) + [.health_path] | map(gsub("/:[A-Za-z0-9_]+"; "/*")) | unique[]')
  for p in "${PUBLIC[@]}"; do
    [[ ${#p} -le 128 && $p =~ ^[A-Za-z0-9_.\$/~\"\'@:+\&*?-]+$ ]] || die "the public pattern '$p' cannot be an ALB path condition (at most 128 characters of A-Z a-z 0-9 _ - . \$ / ~ \" ' @ : + & * ?)." "change auth.public in site.toml and build again"
  done
  ((${#PUBLIC[@]} <= 50)) || die "the site has ${#PUBLIC[@]} public patterns; the stack gives them at most 10 ALB rules of 5." "merge them with wildcards (e.g. /docs/*) in auth.public, and build again"
  if [[ -n $LISTENER_ARN ]]; then
    ((RULE_PRIORITY > 10)) || die "RULE_PRIORITY=$RULE_PRIORITY leaves no room for the public paths' rules (RULE_PRIORITY-10 .. RULE_PRIORITY-1)." "set RULE_PRIORITY above 10"
    [[ -n $RULE_HOST_HEADERS || $RULE_PATH_PATTERNS == "/*" ]] || die "on a shared listener with only RULE_PATH_PATTERNS, the public paths' rules would catch other sites' requests." "set RULE_HOST_HEADERS to the site's host"
  fi
fi
# What the pre-traffic hook asks the new version, and the exact answers it must give.
CHECKS=$(jq -cn --arg h "$HEALTH_PATH" --argjson private "$LOGIN" --argjson pub "$(fact '.auth.public // []')" '
  def probe: gsub(":[A-Za-z0-9_]+|\\*"; "pre-traffic-probe");
  [[$h, [200]], ["/", (if $private and (($pub | index("/")) == null) then [401] else [200] end)]]
  + [$pub[] | select(. != "/") | if test("[*:]") then [probe, [200, 404]] else [., [200]] end]')
[[ $PRE_TRAFFIC_CHECK == on ]] || CHECKS="[]"

# --- the files kept in S3: the ones this binary was built with, never a stale folder
OFFLOAD_DIR=$(dirname "$ZIP")/offload
N_WANT=$(fact '.offload_objects // 0')
: >"$WORK/objects"
if [[ -f $OFFLOAD_DIR/manifest.json ]]; then
  jq -r '.objects[] | [.key, .content_type, (.content_encoding // ""), (.cache_control // ""), .sha256] | join("\u001f")' \
    "$OFFLOAD_DIR/manifest.json" >"$WORK/objects" 2>/dev/null || die "$OFFLOAD_DIR/manifest.json cannot be read." "build again with 'make build'"
fi
N_HAVE=$(wc -l <"$WORK/objects")
((N_HAVE == N_WANT)) || die "the package keeps $N_WANT files in S3, but $OFFLOAD_DIR lists $N_HAVE: the folder is from another build." "build again with 'make build' and deploy the package with its offload folder"
while IFS=$'\x1f' read -r key _ _ _ sha; do
  f=$OFFLOAD_DIR/objects/$key
  [[ $key =~ ^[0-9a-f]{32}/[A-Za-z0-9._-]+$ && ${sha:0:32} == "${key%%/*}" && -f $f && $(sha256sum "$f" | cut -c1-64) == "$sha" ]] || die "$OFFLOAD_DIR/objects/$key is missing or not the file the manifest lists." "build again with 'make build'"
done <"$WORK/objects"
OFFLOAD=none
((N_WANT == 0)) || OFFLOAD=$([[ $LOGIN == true ]] && echo private || echo public)
[[ $OFFLOAD != private || -z $OFFLOAD_URL ]] || die "OFFLOAD_URL is set, but the site is private: its files' URLs are presigned against the bucket itself." "leave OFFLOAD_URL empty"

step "checking the account: credentials, the stack, certificate, zone, listener (no changes yet)"
setup_aws
check_credentials
read_stack
case $STATUS in
  NONE | REVIEW_IN_PROGRESS) TYPE=CREATE ;;
  UPDATE_ROLLBACK_FAILED) die "the stack $STACK_NAME is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back its last update." \
    "fix what 'aws cloudformation describe-stack-events --stack-name $STACK_NAME' names, then: aws cloudformation continue-update-rollback --stack-name $STACK_NAME --region $AWS_REGION" ;;
  ROLLBACK_COMPLETE | *_FAILED) die "the stack $STACK_NAME is $STATUS: it cannot be updated." \
    "see why: aws cloudformation describe-stack-events --stack-name $STACK_NAME; then remove it with 'make destroy' and deploy again" ;;
  *_IN_PROGRESS) die "the stack $STACK_NAME is $STATUS: another operation is under way." "wait for it: aws cloudformation wait stack-update-complete --stack-name $STACK_NAME (or describe-stacks)" ;;
  *) TYPE=UPDATE ;;
esac
[[ -z $PREVIEW ]] || preview_of_production
if [[ $TYPE == CREATE ]] && aws_try lambda get-function --function-name "$FUNCTION_NAME" >/dev/null; then
  die "a function $FUNCTION_NAME exists outside the stack $STACK_NAME (made by the old deploy scripts, or by hand)." "docs/deploy.md, 'Moving a deployment made before CloudFormation'; or choose another FUNCTION_NAME"
fi
CERT_REGION=$AWS_REGION
[[ $FRONT == alb ]] || CERT_REGION=us-east-1
for arn in $CERTIFICATE_ARN $PREVIEW_CERTIFICATE_ARN; do
  CERT=$(aws_try acm describe-certificate --region "$CERT_REGION" --certificate-arn "$arn" --query 'Certificate.[Status,DomainName]') ||
    die "the certificate $arn cannot be read in $CERT_REGION: $(tail -n 1 "$AWS_ERR")" "request or import it in $CERT_REGION"
  [[ ${CERT%%[[:space:]]*} == ISSUED ]] || die "the certificate for ${CERT##*[[:space:]]} is ${CERT%%[[:space:]]*}, not ISSUED: HTTPS cannot use it yet." "finish its validation (the DNS record ACM asks for), then run again"
done
PREVIEW_ZONE=""
if [[ -n $HOSTED_ZONE_ID ]]; then
  ZONE=$(aws_try route53 get-hosted-zone --id "$HOSTED_ZONE_ID" --query HostedZone.Name) || die "the hosted zone $HOSTED_ZONE_ID cannot be read: $(tail -n 1 "$AWS_ERR")" "check HOSTED_ZONE_ID"
  ZONE=${ZONE%.}
  [[ $DOMAIN_NAME == "$ZONE" || $DOMAIN_NAME == *".$ZONE" ]] || die "DOMAIN_NAME=$DOMAIN_NAME is not inside the hosted zone $ZONE ($HOSTED_ZONE_ID)." "use the zone that holds the name"
  if [[ $PREVIEW_DOMAIN == "$ZONE" || $PREVIEW_DOMAIN == *".$ZONE" ]]; then
    PREVIEW_ZONE=$HOSTED_ZONE_ID
  elif [[ -n $PREVIEW_DOMAIN ]]; then
    warn "PREVIEW_DOMAIN=$PREVIEW_DOMAIN is not inside the zone $ZONE: point *.$PREVIEW_DOMAIN at the load balancer yourself"
  fi
fi
SIGNER=""
if [[ -n $LISTENER_ARN ]]; then
  LISTENER=$(aws_do elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].[Protocol,LoadBalancerArn]')
  [[ $AUTH == none || $LISTENER == HTTPS* ]] || die "AUTH=$AUTH needs an HTTPS listener; LISTENER_ARN is ${LISTENER%%[[:space:]]*}." "give the load balancer's HTTPS listener"
  [[ $AUTH == none ]] || SIGNER=${LISTENER##*[[:space:]]}
fi
if [[ -n $PREVIEW ]]; then
  [[ $LISTENER == HTTPS* ]] || die "production's listener is ${LISTENER%%[[:space:]]*}: previews need HTTPS (a certificate for *.$PREVIEW_DOMAIN)." \
    "deploy production with CERTIFICATE_ARN and PREVIEW_CERTIFICATE_ARN (or one certificate that covers both)"
  preview_rules
fi
if [[ $AUTH == oidc && -n $OIDC_CLIENT_SECRET_SSM ]]; then
  CLIENT_SECRET=$(aws_try ssm get-parameter --name "$OIDC_CLIENT_SECRET_SSM" --with-decryption --query Parameter.Value) ||
    die "the SSM parameter $OIDC_CLIENT_SECRET_SSM cannot be read: $(tail -n 1 "$AWS_ERR")" "create it (aws ssm put-parameter --type SecureString ...) or check ssm:GetParameter"
fi
CIDRS=$ALLOWED_CIDRS
if [[ $FRONT == alb && -z $LISTENER_ARN ]]; then
  if [[ -z $VPC_ID ]]; then
    VPC_ID=$(aws_do ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId')
    [[ $VPC_ID != None ]] || die "the region has no default VPC." "set VPC_ID and SUBNET_IDS"
  fi
  if [[ -z $SUBNET_IDS ]]; then
    SUBNET_IDS=$(aws_do ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true --query 'Subnets[].SubnetId' | tr '\t' ',')
  fi
  [[ $SUBNET_IDS == *,* ]] || die "the load balancer needs subnets in at least two zones; SUBNET_IDS is '$SUBNET_IDS'." "set SUBNET_IDS"
  if [[ -z $CIDRS ]]; then
    CIDRS=0.0.0.0/0
    [[ $ALB_SCHEME == internet-facing ]] || CIDRS=$(aws_do ec2 describe-vpcs --vpc-ids "$VPC_ID" --query 'Vpcs[0].CidrBlock')
  fi
fi
[[ $(tr -cd , <<<"$CIDRS") != ",,,,"* ]] || die "ALLOWED_CIDRS lists more than 4 ranges." "merge them into at most 4 CIDRs"
PAD=",,,"
CIDRS="$CIDRS${PAD:$(tr -cd , <<<"$CIDRS" | wc -c)}"

step "uploading the package and the files kept in S3 (content-addressed: what is there stays)"
BUCKET=${DEPLOY_BUCKET:-alb-static-site-deploy-$ACCOUNT-$AWS_REGION}
KEY="$STACK_NAME/bootstrap-$ZIP_SHA.zip"
if ! aws_try s3api head-bucket --bucket "$BUCKET" >/dev/null; then
  [[ -z $DEPLOY_BUCKET ]] || die "DEPLOY_BUCKET=$DEPLOY_BUCKET cannot be used: $(tail -n 1 "$AWS_ERR")" "create it in $AWS_REGION, or leave DEPLOY_BUCKET empty"
  LOCATION=()
  [[ $AWS_REGION == us-east-1 ]] || LOCATION=(--create-bucket-configuration "LocationConstraint=$AWS_REGION")
  aws_do s3api create-bucket --bucket "$BUCKET" "${LOCATION[@]}" >/dev/null
  aws_do s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws_do s3api put-bucket-tagging --bucket "$BUCKET" --tagging "TagSet=[{Key=alb-static-site:packages,Value=true}]"
  info "made the packages' bucket $BUCKET (private; shared by this account's stacks in $AWS_REGION)"
fi
if aws_try s3api head-object --bucket "$BUCKET" --key "$KEY" >/dev/null; then
  info "s3://$BUCKET/$KEY is there already"
elif [[ $PLAN == 1 ]]; then
  info "PLAN: would upload s3://$BUCKET/$KEY"
else
  aws_do s3api put-object --bucket "$BUCKET" --key "$KEY" --body "$ZIP" --tagging "$TAG_KEY=$STACK_NAME" >/dev/null
  info "uploaded s3://$BUCKET/$KEY"
fi
upload_offload() { # upload_offload BUCKET: the objects not there yet
  local n=0 key ctype cenc cache sha extra
  while IFS=$'\x1f' read -r key ctype cenc cache sha; do
    aws_try s3api head-object --bucket "$1" --key "$key" >/dev/null && continue
    extra=()
    [[ -z $cenc ]] || extra+=(--content-encoding "$cenc")
    [[ -z $cache ]] || extra+=(--cache-control "$cache")
    aws_do s3api put-object --bucket "$1" --key "$key" --body "$OFFLOAD_DIR/objects/$key" --content-type "$ctype" "${extra[@]}" >/dev/null
    n=$((n + 1))
  done <"$WORK/objects"
  info "files kept in S3: $n of $N_WANT uploaded to $1 (the others were there)"
}
# Before the stack changes when the bucket exists (the new version finds its files); after a
# stack that makes the bucket (nothing served them before).
OFFLOAD_AT=""
if [[ $OFFLOAD != none ]]; then
  OFFLOAD_AT=$OFFLOAD_BUCKET
  [[ -n $OFFLOAD_AT || $TYPE == CREATE ]] || OFFLOAD_AT=$(stack_output OffloadBucketName)
  if [[ -n $OFFLOAD_AT && $PLAN == 0 ]]; then upload_offload "$OFFLOAD_AT"; fi
fi

step "CloudFormation change set for stack $STACK_NAME"
# Changes of these publish a new version; none of them changed: no new version.
REVISION="code ${ZIP_SHA:0:16} config $(printf '%s|' "$ARCHITECTURE" "$MEMORY_SIZE" "$TIMEOUT" "$LOG_FORMAT" "$METRICS" "$METRICS_NAMESPACE" "$ROLE_ARN" \
  "$AUTH" "$SIGNER" "$LISTENER_ARN" "$OFFLOAD" "$OFFLOAD_BUCKET" "$OFFLOAD_URL" | sha256sum | cut -c1-16)"
PUB_PARAMS=() PRIORITIES="" FIRST=49991 # the stack's own listener: the end, after any preview's rules
[[ -z $LISTENER_ARN ]] || FIRST=$((RULE_PRIORITY - 10))
for ((i = 0; i < 10; i++)); do
  group=$(printf '%s,' "${PUBLIC[@]:i*5:5}")
  PUB_PARAMS+=("PublicPatterns$((i + 1))=${group%,}")
  PRIORITIES+="$((FIRST + i)),"
done
param() { jq -n --arg k "$1" --arg v "$2" '{ParameterKey: $k, ParameterValue: $v}'; }
{
  for kv in "FunctionName=$FUNCTION_NAME" "CodeBucket=$BUCKET" "CodeKey=$KEY" "CodeSha256=$CODE_SHA_B64" "Revision=$REVISION" \
    "Architecture=$ARCHITECTURE" "MemorySize=$MEMORY_SIZE" "Timeout=$TIMEOUT" "LogFormat=$LOG_FORMAT" "Metrics=$METRICS" "MetricsNamespace=$METRICS_NAMESPACE" \
    "AlarmEmail=$ALARM_EMAIL" "AlarmTopicArn=$ALARM_TOPIC_ARN" "ServerErrorPercent=$ALARM_5XX_PERCENT" \
    "HandlerP99Micros=$((10#$ALARM_P99_MS * 1000))" "KeyFetchFailures=$ALARM_KEY_FETCH_FAILURES" \
    "LogRetentionDays=$LOG_RETENTION_DAYS" "RoleArn=$ROLE_ARN" "AliasName=$ALIAS_NAME" "TrafficShift=$TRAFFIC_SHIFT" \
    "PreTrafficChecks=$CHECKS" "Offload=$OFFLOAD" "OffloadBucket=$OFFLOAD_BUCKET" "OffloadUrl=$OFFLOAD_URL" "Front=$FRONT" \
    "FunctionUrlAuth=$FUNCTION_URL_AUTH" "CloudFront=$CLOUDFRONT" "CloudFrontPriceClass=$CLOUDFRONT_PRICE_CLASS" \
    "MultiValueHeaders=$MULTI" "HealthPath=$HEALTH_PATH" "HealthCheckInterval=$HEALTH_CHECK_INTERVAL" \
    "HealthCheckTimeout=$HEALTH_CHECK_TIMEOUT" "ListenerArn=$LISTENER_ARN" "ListenerSigner=$SIGNER" \
    "RulePriority=$RULE_PRIORITY" "RulePathPatterns=$RULE_PATH_PATTERNS" "RuleHostHeader=$RULE_HOST_HEADERS" \
    "AlbScheme=$ALB_SCHEME" "VpcId=$VPC_ID" "SubnetIds=$SUBNET_IDS" "AllowedCidrs=$CIDRS" "CertificateArn=$CERTIFICATE_ARN" \
    "TlsPolicy=$TLS_POLICY" "DomainName=$DOMAIN_NAME" "HostedZoneId=$HOSTED_ZONE_ID" "Auth=$AUTH" "OidcIssuer=$OIDC_ISSUER" \
    "OidcAuthorizationEndpoint=$OIDC_AUTHORIZATION_ENDPOINT" "OidcTokenEndpoint=$OIDC_TOKEN_ENDPOINT" \
    "OidcUserInfoEndpoint=$OIDC_USER_INFO_ENDPOINT" "OidcClientId=$OIDC_CLIENT_ID" "OidcClientSecret=${CLIENT_SECRET:-}" \
    "CognitoUserPoolArn=$COGNITO_USER_POOL_ARN" "CognitoClientId=$COGNITO_CLIENT_ID" "CognitoDomain=$COGNITO_DOMAIN" \
    "PublicRulePriorities=${PRIORITIES%,}" "${PUB_PARAMS[@]}" "PreviewOf=${PREVIEW:+$PRODUCTION_STACK}" \
    "PreviewDomain=$([[ -n $PREVIEW ]] || echo "$PREVIEW_DOMAIN")" "PreviewHostedZoneId=$PREVIEW_ZONE" "PreviewCertificateArn=$PREVIEW_CERTIFICATE_ARN"; do
    param "${kv%%=*}" "${kv#*=}"
  done
} | jq -s . >"$WORK/parameters.json"
CHANGE_SET=deploy-$(date -u +%Y%m%d%H%M%S)
if ! aws_try cloudformation create-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" \
  --change-set-type "$TYPE" --template-body "file://$DEPLOY_DIR/template.yaml" --parameters "file://$WORK/parameters.json" \
  --capabilities CAPABILITY_IAM --tags "Key=$TAG_KEY,Value=$STACK_NAME" ${PREVIEW:+"Key=$PREVIEW_TAG,Value=$PRODUCTION_STACK"} --description "make deploy: $REVISION" >/dev/null; then
  # moto refuses an empty change set at once; CloudFormation makes it FAILED (below).
  grep -q 'No updates are to be performed' "$AWS_ERR" || die "CloudFormation refused the change set: $(tail -n 3 "$AWS_ERR")" "$(hint)"
  NO_CHANGES=true
else
  "${AWS[@]}" cloudformation wait change-set-create-complete --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" 2>/dev/null || true
  read -r CS_STATUS CS_REASON < <(aws_do cloudformation describe-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" --query '[Status,StatusReason]')
  NO_CHANGES=false
  if [[ $CS_STATUS == FAILED ]]; then
    [[ $CS_REASON == *"didn't contain changes"* || $CS_REASON == *"No updates are to be performed"* ]] || die "CloudFormation refused the change set: $CS_REASON" "fix what it names, then run again"
    aws_try cloudformation delete-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" || true
    NO_CHANGES=true
  fi
fi
if $NO_CHANGES; then
  info "no changes: the stack already holds this package and these settings (no version published)"
  exit 0
fi
aws_do cloudformation describe-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" \
  --query 'Changes[].ResourceChange.[Action,LogicalResourceId,ResourceType,Replacement]' |
  while read -r action id type repl; do info "$(printf '%-7s %-24s %-45s%s' "$action" "$id" "$type" "${repl/None/}")"; done
if [[ $PLAN == 1 ]]; then
  aws_try cloudformation delete-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET" || true
  [[ $TYPE == UPDATE ]] || aws_try cloudformation delete-stack --stack-name "$STACK_NAME" || true
  info "PLAN=1: that is what a deploy would change; nothing was changed"
  exit 0
fi

step "deploying: CloudFormation applies the change set (a failure rolls back)"
aws_do cloudformation execute-change-set --stack-name "$STACK_NAME" --change-set-name "$CHANGE_SET"
if ! "${AWS[@]}" cloudformation wait "stack-${TYPE,,}-complete" --stack-name "$STACK_NAME" 2>"$AWS_ERR"; then
  aws_try cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 40 \
    --query "StackEvents[?ends_with(ResourceStatus, 'FAILED')].[LogicalResourceId,ResourceStatusReason]" | head -n 5 >&2 || true
  read_stack
  die "the stack is $STATUS: the deploy failed (the events above say why; an update has rolled back, the old version serves)." "fix what they name, then run again"
fi
read_stack
[[ $OFFLOAD == none || -n $OFFLOAD_AT ]] || upload_offload "$(stack_output OffloadBucketName)"
LIVE=$(stack_output LiveVersion)
# Keep KEEP_VERSIONS versions (the stack retains old ones so that rollback has somewhere to go).
mapfile -t OLD < <(aws_do lambda list-versions-by-function --function-name "$FUNCTION_NAME" --query 'Versions[].Version' |
  tr '\t' '\n' | grep -vxF "\$LATEST" | sort -n | head -n "-$KEEP_VERSIONS")
for v in "${OLD[@]}"; do
  [[ $v == "$LIVE" ]] || aws_try lambda delete-function --function-name "$FUNCTION_NAME" --qualifier "$v" || true
done

step "done"
info "live: $FUNCTION_NAME version $LIVE ($REVISION)"
info "open: $(site_url)"
