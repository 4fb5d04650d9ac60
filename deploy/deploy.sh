#!/usr/bin/env bash
# Deploy the static-site Lambda behind an Application Load Balancer, or a Function URL (`make deploy`).
#
# Creates or updates, in order: execution role, load balancer + security group (or uses
# LISTENER_ARN's), the bucket of the files kept in S3 (when the build left some out of the
# binary) with their objects, function, a published version that must pass a pre-traffic check (a health
# check and a GET /, answered 200 in a form the front door accepts) before the alias moves to it,
# then the front door (FRONT): for alb (front-alb.sh) the target group, the ELB invoke permission,
# the registration, the listeners (HTTP :80, HTTPS :443 with CERTIFICATE_ARN, the login action
# with AUTH) or a listener rule, a Route 53 record; for function-url (front-url.sh) the URL on
# the alias, CloudFront with an origin access control (CLOUDFRONT=on), the URL's permissions and
# Route 53 records; the other front door when FRONT changed; log retention, and prunes old
# versions. Checks the package and every setting before any change.
# Idempotent: a second run changes nothing; a run that stopped half-way completes when run again.
# PLAN=1 prints what would be created or changed and changes nothing. Settings: deploy/settings.env.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=deploy
STEPS=15
parse_args "$@"
load_settings
[[ $FRONT == function-url ]] && STEPS=13

is_int() { [[ $1 =~ ^[0-9]+$ ]]; }
in_range() { # in_range NAME VALUE MIN MAX
  if ! is_int "$2" || ((10#$2 < $3 || 10#$2 > $4)); then
    die "$1=$2 is not a whole number from $3 to $4." "set $1 in deploy/settings.env"
  fi
}
one_of() { # one_of NAME VALUE ALLOWED...
  local n=$1 v=$2
  shift 2
  [[ " $* " == *" $v "* ]] || die "$n='$v' must be one of: $*." "set $n in deploy/settings.env"
}
csv_words() { # "a, b,c" -> a b c (one per line)
  tr ',' '\n' <<<"$1" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' | sed '/^$/d'
}
csv_json() { # "a,b" -> "a","b"
  local out="" v
  while read -r v; do out+="${out:+,}\"$v\""; done < <(csv_words "$1")
  printf '%s' "$out"
}
json_str() { sed -E 's/\\/\\\\/g; s/"/\\"/g' <<<"$1"; }
https_url() { [[ $2 =~ ^https://[^[:space:]]+$ ]] || die "$1='$2' must be an https:// URL." "set $1 (see your identity provider's discovery document)"; }

# ------------------------------------------------------------------ 1. checks (no changes)
step "checking settings, the package, credentials and what exists (no changes yet)"
make_work
check_name_settings
plan_mode && info "PLAN=1: nothing will be changed; lines starting with PLAN say what a deploy would do"
one_of PLAN "$PLAN" 0 1
require ZIP "the deployment package to upload (built by 'make build')"
[[ -f $ZIP ]] || die "the package $ZIP does not exist." "build it with 'make build', or point ZIP at a zip holding 'bootstrap'"
require ALIAS_NAME "the load balancer targets this alias"
[[ $ALIAS_NAME =~ ^[A-Za-z][A-Za-z0-9_-]{0,127}$ ]] || die "ALIAS_NAME='$ALIAS_NAME' is not a valid alias name." "start with a letter; letters, digits, - and _"
one_of ARCHITECTURE "$ARCHITECTURE" x86_64 arm64
one_of LOG_FORMAT "$LOG_FORMAT" Text JSON
one_of MULTI_VALUE_HEADERS "$MULTI_VALUE_HEADERS" auto true false
one_of CURL_CHECK "$CURL_CHECK" auto never
one_of PRE_TRAFFIC_CHECK "$PRE_TRAFFIC_CHECK" on off
one_of LOG_RETENTION_DAYS "$LOG_RETENTION_DAYS" 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653
one_of ALB_SCHEME "$ALB_SCHEME" internet-facing internal
one_of AUTH "$AUTH" none oidc cognito
one_of FRONT "$FRONT" alb function-url
one_of FUNCTION_URL_AUTH "$FUNCTION_URL_AUTH" NONE AWS_IAM
one_of CLOUDFRONT "$CLOUDFRONT" off on
one_of CLOUDFRONT_PRICE_CLASS "$CLOUDFRONT_PRICE_CLASS" PriceClass_100 PriceClass_200 PriceClass_All
in_range MEMORY_SIZE "$MEMORY_SIZE" 128 10240
in_range TIMEOUT "$TIMEOUT" 1 900
in_range HEALTH_CHECK_INTERVAL "$HEALTH_CHECK_INTERVAL" 10 300
in_range HEALTH_CHECK_TIMEOUT "$HEALTH_CHECK_TIMEOUT" 2 120
((HEALTH_CHECK_TIMEOUT < HEALTH_CHECK_INTERVAL)) || die "HEALTH_CHECK_TIMEOUT=$HEALTH_CHECK_TIMEOUT must be less than HEALTH_CHECK_INTERVAL=$HEALTH_CHECK_INTERVAL." "lower the timeout or raise the interval"
in_range DIRECT_UPLOAD_LIMIT "$DIRECT_UPLOAD_LIMIT" 1 52428800
in_range UNZIPPED_LIMIT "$UNZIPPED_LIMIT" 1 262144000
in_range KEEP_VERSIONS "$KEEP_VERSIONS" 2 100
# default_of NAME: a setting's default in settings.env (what it is when nobody sets it).
default_of() { env -i bash -c "source '$DEPLOY_DIR/settings.env'; printf '%s' \"\${$1}\""; }
if [[ $FRONT == function-url ]]; then
  # Refused: the ALB settings that decide who may reach the site or where it lives. A Function URL
  # answers anyone on the internet (or, with AWS_IAM, signed callers) on its own name: quietly
  # dropping one of these would publish the site more widely, or elsewhere, than asked.
  [[ $AUTH == none ]] || die "AUTH=$AUTH, but FRONT=function-url: a Function URL has no login in front (the login is an ALB listener action), so the site would be published with none." \
    "keep FRONT=alb for a site behind a login, or leave AUTH=none for a public site"
  [[ $ALB_SCHEME == internet-facing ]] || die "ALB_SCHEME=$ALB_SCHEME, but FRONT=function-url: a Function URL is reachable from the internet, never only from inside a VPC." \
    "keep FRONT=alb for an internal site, or leave ALB_SCHEME at its default"
  for v in LISTENER_ARN VPC_ID SUBNET_IDS ALLOWED_CIDRS; do
    [[ -z ${!v} ]] || die "$v is set, but FRONT=function-url: a Function URL has no load balancer, VPC, subnets or security group, so $v cannot limit or place it." \
      "leave $v empty with FRONT=function-url, or keep FRONT=alb"
  done
  if [[ $CLOUDFRONT == off ]]; then
    for v in CERTIFICATE_ARN DOMAIN_NAME HOSTED_ZONE_ID; do
      [[ -z ${!v} ]] || die "$v is set, but a Function URL answers only on its own name (https://<id>.lambda-url.$AWS_REGION.on.aws/), with AWS's certificate." \
        "for your own domain put CloudFront in front: CLOUDFRONT=on FUNCTION_URL_AUTH=AWS_IAM (CERTIFICATE_ARN from us-east-1); or leave $v empty"
    done
  else
    [[ $FUNCTION_URL_AUTH == AWS_IAM ]] || die "CLOUDFRONT=on with FUNCTION_URL_AUTH=$FUNCTION_URL_AUTH: the distribution signs its requests (origin access control), and a URL open to anyone could be called around CloudFront, skipping it." \
      "set FUNCTION_URL_AUTH=AWS_IAM with CLOUDFRONT=on (only the distribution may then call the URL)"
    if [[ -n $CERTIFICATE_ARN ]]; then
      [[ $CERTIFICATE_ARN =~ ^arn:aws[a-z-]*:acm:us-east-1: ]] || die "CERTIFICATE_ARN=$CERTIFICATE_ARN is not in us-east-1: CloudFront uses certificates from us-east-1 only, whatever AWS_REGION is." \
        "request or import the certificate in us-east-1 (aws acm request-certificate --region us-east-1 ...)"
      [[ -n $DOMAIN_NAME ]] || die "CERTIFICATE_ARN is set but DOMAIN_NAME is empty: the distribution uses a certificate only for its alternate domain name." \
        "set DOMAIN_NAME (and HOSTED_ZONE_ID) to the name the certificate is for, or leave CERTIFICATE_ARN empty"
    elif [[ -n $DOMAIN_NAME ]]; then
      die "DOMAIN_NAME=$DOMAIN_NAME needs CERTIFICATE_ARN with CLOUDFRONT=on: CloudFront answers an alternate domain name only with a certificate for it." \
        "request a certificate for $DOMAIN_NAME in us-east-1 and set CERTIFICATE_ARN"
    fi
  fi
  # Warned and ignored: what only tunes an ALB (who may reach the site does not change).
  for v in MULTI_VALUE_HEADERS HEALTH_CHECK_INTERVAL HEALTH_CHECK_TIMEOUT TLS_POLICY RULE_PATH_PATTERNS RULE_HOST_HEADERS RULE_PRIORITY; do
    [[ ${!v} == "$(default_of "$v")" ]] || warn "$v=${!v} is ignored with FRONT=function-url (it only tunes an ALB)"
  done
  command -v jq >/dev/null || die "FRONT=function-url needs jq (deploy reads the URL's permissions and CloudFront's configuration with it), which is not installed." \
    "install jq (apt-get install jq, or brew install jq) and run again"
else
  for v in FUNCTION_URL_AUTH CLOUDFRONT; do
    [[ ${!v} == "$(default_of "$v")" ]] || die "$v=${!v} is set, but FRONT=alb: $v only applies to a Function URL front door." \
      "add FRONT=function-url, or leave $v at its default"
  done
fi
if [[ $CLOUDFRONT == off && $CLOUDFRONT_PRICE_CLASS != "$(default_of CLOUDFRONT_PRICE_CLASS)" ]]; then
  warn "CLOUDFRONT_PRICE_CLASS=$CLOUDFRONT_PRICE_CLASS is ignored without CLOUDFRONT=on"
fi
if [[ $FRONT == alb && $PRE_TRAFFIC_CHECK == on && -z $PRE_TRAFFIC_INVOKER ]]; then
  require RESPONSE_VALIDATOR "the pre-traffic check validates the new version's answers with it"
fi
if [[ -n $ROLE_ARN && ! $ROLE_ARN =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/ ]]; then
  die "ROLE_ARN='$ROLE_ARN' is not an IAM role ARN." "give arn:aws:iam::<account>:role/<name>, or leave ROLE_ARN empty to create one"
fi
if [[ -n $LISTENER_ARN ]]; then
  [[ $LISTENER_ARN == arn:*:elasticloadbalancing:*:listener/app/* ]] ||
    die "LISTENER_ARN='$LISTENER_ARN' is not an Application Load Balancer listener ARN." "copy it from the console or 'aws elbv2 describe-listeners'"
  require RULE_PRIORITY "a listener rule needs a priority"
  in_range RULE_PRIORITY "$RULE_PRIORITY" 1 50000
  [[ -n $RULE_PATH_PATTERNS || -n $RULE_HOST_HEADERS ]] ||
    die "RULE_PATH_PATTERNS and RULE_HOST_HEADERS are both empty: the listener rule needs a condition." "set RULE_PATH_PATTERNS=/* (all paths) or a host in RULE_HOST_HEADERS"
  for v in CERTIFICATE_ARN VPC_ID SUBNET_IDS ALLOWED_CIDRS; do
    [[ -z ${!v} ]] || die "$v is set, but LISTENER_ARN is too: deploy then adds a rule to that listener and creates no load balancer." \
      "leave $v empty (configure the existing load balancer yourself), or leave LISTENER_ARN empty"
  done
  [[ $ALB_SCHEME == internet-facing ]] || die "ALB_SCHEME=$ALB_SCHEME is set, but LISTENER_ARN is too." "leave ALB_SCHEME at its default; the existing load balancer's scheme is what it is"
fi
if [[ -n $OFFLOAD_BUCKET ]] && ! valid_bucket_name "$OFFLOAD_BUCKET"; then
  die "OFFLOAD_BUCKET='$OFFLOAD_BUCKET' is not a valid S3 bucket name." \
    "give the name of an existing bucket (3 to 63 lowercase letters, digits, dots and hyphens), or leave it empty to have one created"
fi
while [[ $OFFLOAD_URL == */ ]]; do OFFLOAD_URL=${OFFLOAD_URL%/}; done
if [[ -n $OFFLOAD_URL && ! $OFFLOAD_URL =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^[:space:]?#]*)?$ ]]; then
  die "OFFLOAD_URL='$OFFLOAD_URL' must be an https:// URL without a query (the function sends clients to OFFLOAD_URL/<key>)." \
    "for example OFFLOAD_URL=https://cdn.example.com, or leave it empty for the bucket's own URL"
fi
if [[ -n $CERTIFICATE_ARN && ! $CERTIFICATE_ARN =~ ^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/ ]]; then
  die "CERTIFICATE_ARN='$CERTIFICATE_ARN' is not an ACM certificate ARN." "copy it from 'aws acm list-certificates --region $AWS_REGION'"
fi
if [[ -n $DOMAIN_NAME || -n $HOSTED_ZONE_ID ]]; then
  [[ -n $DOMAIN_NAME && -n $HOSTED_ZONE_ID ]] || die "DOMAIN_NAME and HOSTED_ZONE_ID go together (one is empty)." \
    "set both (aws route53 list-hosted-zones-by-name --dns-name <your domain>), or neither"
  DOMAIN_NAME=${DOMAIN_NAME%.}
  [[ $DOMAIN_NAME =~ ^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$ ]] || die "DOMAIN_NAME='$DOMAIN_NAME' is not a domain name." "for example DOMAIN_NAME=www.example.com"
  HOSTED_ZONE_ID=${HOSTED_ZONE_ID#/hostedzone/}
fi
if [[ $AUTH == oidc ]]; then
  for v in OIDC_ISSUER OIDC_AUTHORIZATION_ENDPOINT OIDC_TOKEN_ENDPOINT OIDC_USER_INFO_ENDPOINT; do
    require "$v" "AUTH=oidc needs the identity provider's issuer and endpoints"
    https_url "$v" "${!v}"
  done
  require OIDC_CLIENT_ID "AUTH=oidc needs the client id registered with the identity provider"
  if [[ -n $OIDC_CLIENT_SECRET_FILE && -n $OIDC_CLIENT_SECRET_SSM ]] || [[ -z $OIDC_CLIENT_SECRET_FILE && -z $OIDC_CLIENT_SECRET_SSM ]]; then
    die "AUTH=oidc needs the client secret from exactly one of OIDC_CLIENT_SECRET_FILE and OIDC_CLIENT_SECRET_SSM." \
      "put the secret in a file only you can read (OIDC_CLIENT_SECRET_FILE=path), or in an SSM SecureString (OIDC_CLIENT_SECRET_SSM=/name)"
  fi
  if [[ -n $OIDC_CLIENT_SECRET_FILE ]]; then
    [[ -r $OIDC_CLIENT_SECRET_FILE && -s $OIDC_CLIENT_SECRET_FILE ]] || die "OIDC_CLIENT_SECRET_FILE=$OIDC_CLIENT_SECRET_FILE is missing, unreadable or empty." "write the client secret into it (nothing else)"
    CLIENT_SECRET=$(<"$OIDC_CLIENT_SECRET_FILE")
  fi
elif [[ $AUTH == cognito ]]; then
  require COGNITO_USER_POOL_ARN "AUTH=cognito needs the user pool's ARN"
  [[ $COGNITO_USER_POOL_ARN =~ ^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/ ]] || die "COGNITO_USER_POOL_ARN='$COGNITO_USER_POOL_ARN' is not a Cognito user pool ARN." "copy it from 'aws cognito-idp describe-user-pool'"
  require COGNITO_CLIENT_ID "AUTH=cognito needs the user pool's app client id"
  require COGNITO_DOMAIN "AUTH=cognito needs the user pool's domain prefix"
fi
if [[ $AUTH != none && -z $LISTENER_ARN && -z $CERTIFICATE_ARN ]]; then
  die "AUTH=$AUTH needs HTTPS: an ALB runs its login action only on an HTTPS listener, and CERTIFICATE_ARN is empty." \
    "set CERTIFICATE_ARN to an issued ACM certificate for your domain"
fi

# --- the package: what it is, read from its bytes (never run: it may be built for another machine)
unzip -Z1 "$ZIP" >"$WORK/entries" 2>/dev/null || die "$ZIP is not a zip file." "build it with 'make build'"
grep -qx bootstrap "$WORK/entries" || die "$ZIP has no 'bootstrap' at its root (Lambda would fail with Runtime.InvalidEntrypoint)." \
  "build it with 'make build'; a zip made with 'zip -j' or from inside dist/ has bootstrap at its root"
[[ $(unzip -Z "$ZIP" bootstrap | cut -c1-4) == -rwx ]] || die "bootstrap in $ZIP is not executable (Lambda would fail with Runtime.InvalidEntrypoint / permission denied)." \
  "chmod 755 the binary before zipping it (make build does)"
unzip -p "$ZIP" bootstrap >"$WORK/bootstrap"
MAGIC=$(od -An -tx1 -N4 "$WORK/bootstrap" | tr -d ' \n')
[[ $MAGIC == 7f454c46 ]] || die "bootstrap in $ZIP is not a Linux executable (ELF); Lambda could not start it." "build it with 'make build'"
case $(od -An -tx1 -j18 -N2 "$WORK/bootstrap" | tr -d ' \n') in
  3e00) BIN_ARCH=x86_64 ;;
  b700) BIN_ARCH=arm64 ;;
  *) BIN_ARCH="another machine ($(od -An -tx1 -j18 -N2 "$WORK/bootstrap" | tr -d ' \n'))" ;;
esac
[[ $BIN_ARCH == "$ARCHITECTURE" ]] || die "bootstrap in $ZIP is built for $BIN_ARCH, but ARCHITECTURE=$ARCHITECTURE: the function would answer every request with a 502." \
  "build for $ARCHITECTURE (make deploy ARCH=$ARCHITECTURE), or set ARCHITECTURE=$BIN_ARCH"
ZIP_SIZE=$(stat -c %s "$ZIP")
UNZIPPED=$(unzip -Zt "$ZIP" | sed -nE 's/.* ([0-9]+) bytes uncompressed.*/\1/p')
((UNZIPPED <= UNZIPPED_LIMIT)) || die "$ZIP unzips to $UNZIPPED bytes, over Lambda's limit of $UNZIPPED_LIMIT bytes for a function's code." \
  "make the site smaller (large media belongs in S3 or a CDN), then build again"
ZIP_SHA=$(sha256sum "$ZIP" | cut -c1-64)
USE_S3=false
if ((ZIP_SIZE > DIRECT_UPLOAD_LIMIT)); then
  USE_S3=true
  [[ -n $DEPLOY_BUCKET ]] || die "$ZIP is $ZIP_SIZE bytes, over Lambda's direct-upload limit ($DIRECT_UPLOAD_LIMIT bytes), and DEPLOY_BUCKET is empty." \
    "name an existing S3 bucket in $AWS_REGION: make deploy DEPLOY_BUCKET=<bucket> (or make the package smaller)"
fi
info "package $ZIP: $ZIP_SIZE bytes ($UNZIPPED unzipped), $BIN_ARCH, sha256 ${ZIP_SHA:0:12}…"

# The facts the build wrote into the binary: one line "alb-static-site-deploy-info {JSON}".
DEPLOY_INFO=$(grep -a -m1 -o 'alb-static-site-deploy-info {.*' "$WORK/bootstrap" | head -n1 | cut -d' ' -f2- || true)
info_num() { sed -nE "s/.*\"$1\":([0-9]+).*/\\1/p" <<<"$DEPLOY_INFO"; }
info_str() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\\1/p" <<<"$DEPLOY_INFO"; }
if [[ -z $DEPLOY_INFO ]]; then
  warn "the package carries no deploy facts (built before they existed?): the health path and Set-Cookie checks are skipped"
  BIN_HEALTH=/health BIN_FILES="?" BIN_COOKIES=0
else
  BIN_HEALTH=$(info_str health_path) BIN_FILES=$(info_num files) BIN_COOKIES=$(info_num most_set_cookies)
  BIN_COOKIES=${BIN_COOKIES:-0}
fi
if [[ -z $HEALTH_PATH ]]; then
  HEALTH_PATH=$BIN_HEALTH
elif [[ -n $DEPLOY_INFO && $HEALTH_PATH != "$BIN_HEALTH" ]]; then
  die "HEALTH_PATH=$HEALTH_PATH, but the package answers health checks on $BIN_HEALTH: every target would be unhealthy." \
    "leave HEALTH_PATH empty (deploy reads it from the package), or change health_path in your site.toml and build again"
fi
[[ $HEALTH_PATH == /* ]] || die "HEALTH_PATH='$HEALTH_PATH' must start with /." "for example HEALTH_PATH=/health"
case $FRONT:$MULTI_VALUE_HEADERS in
  function-url:*) WHY_MV="a Function URL takes every Set-Cookie in 'cookies'" MULTI_VALUE_HEADERS=false ;;
  *:auto)
    if [[ $AUTH != none ]]; then
      MULTI_VALUE_HEADERS=true WHY_MV="AUTH=$AUTH: the logout answer expires several session cookies"
    elif ((BIN_COOKIES > 1)); then
      MULTI_VALUE_HEADERS=true WHY_MV="a response of the site sends $BIN_COOKIES Set-Cookie headers"
    else
      MULTI_VALUE_HEADERS=false WHY_MV="no response sends more than one Set-Cookie"
    fi ;;
  *:false)
    ((BIN_COOKIES <= 1)) || die "a response of the site sends $BIN_COOKIES Set-Cookie headers (_headers), but MULTI_VALUE_HEADERS=false: ALB would pass on only one of them." \
      "set MULTI_VALUE_HEADERS=true (or auto), or send at most one Set-Cookie per response"
    [[ $AUTH == none ]] || die "AUTH=$AUTH needs MULTI_VALUE_HEADERS=true (the logout answer expires several session cookies)." "set MULTI_VALUE_HEADERS=auto or true"
    WHY_MV="set" ;;
  *:true) WHY_MV="set" ;;
esac
if [[ $FRONT == alb ]]; then
  info "site: SITE_DIR=$SITE_DIR (SITE_CONFIG=$SITE_CONFIG), $BIN_FILES files embedded; health checks on $HEALTH_PATH; multi-value headers $MULTI_VALUE_HEADERS ($WHY_MV)"
else
  info "site: SITE_DIR=$SITE_DIR (SITE_CONFIG=$SITE_CONFIG), $BIN_FILES files embedded; health path $HEALTH_PATH (checked before traffic moves)"
fi
SITE_REAL=$(realpath -m "$DEPLOY_DIR/../$SITE_DIR" 2>/dev/null || true)
if [[ $SITE_REAL == "$(realpath -m "$DEPLOY_DIR/../site")" ]]; then
  warn "SITE_DIR is the sample site in site/: set SITE_DIR to your site's folder (make deploy SITE_DIR=path, or in DEPLOY_ENV_FILE)"
fi

# --- the files kept in S3: the build leaves files too large for an ALB response out of the binary and
# writes them beside the package (offload/manifest.json, offload/objects/<key>). They must be the ones
# this binary was built with (its facts carry their count and bytes): a stale folder is never deployed.
OFFLOAD_DIR=$(dirname "$ZIP")/offload
MANIFEST=$OFFLOAD_DIR/manifest.json
BIN_OFFLOAD_OBJECTS=$(info_num offload_objects) BIN_OFFLOAD_BYTES=$(info_num offload_bytes)
BIN_OFFLOAD_OBJECTS=${BIN_OFFLOAD_OBJECTS:-0} BIN_OFFLOAD_BYTES=${BIN_OFFLOAD_BYTES:-0}
N_OFFLOAD=0 OFFLOAD_BYTES=0 SITE_PRIVATE=false
: >"$WORK/offload.tsv" # a line per object: key, content type, encoding, cache control, bytes, sha256
US=$'\x1f'              # between them (a tab would not do: read merges empty fields between tabs)
rebuild="build again with 'make build' (it writes the package and the offload folder together) and deploy them together"
if [[ -f $MANIFEST ]]; then
  if command -v jq >/dev/null; then
    jq -r 'if .format != 1 then error("format \(.format); this deploy reads format 1")
      elif (.objects | type) != "array" then error("it has no list of objects")
      else "private\t\(.private == true)",
        (.objects[] | [(.key // ""), (.content_type // ""), (.content_encoding // ""), (.cache_control // ""),
          (.bytes // "" | tostring), (.sha256 // "")] | join("\u001f"))
      end' "$MANIFEST" >"$WORK/manifest.tsv" 2>"$WORK/jq.err" ||
      die "$MANIFEST cannot be read: $(tail -n 2 "$WORK/jq.err")" "$rebuild"
    SITE_PRIVATE=$(sed -nE '1s/^private\t//p' "$WORK/manifest.tsv")
    tail -n +2 "$WORK/manifest.tsv" >"$WORK/offload.tsv"
  elif grep -q '"key"' "$MANIFEST"; then
    die "the site keeps files in S3 ($MANIFEST lists them), and reading that list needs jq, which is not installed." \
      "install jq (apt-get install jq, or brew install jq) and run again"
  fi
elif ((BIN_OFFLOAD_OBJECTS > 0)); then
  die "the package keeps $BIN_OFFLOAD_OBJECTS objects in S3, but $MANIFEST does not exist: there is nothing to upload them from." \
    "keep the offload folder 'make build' writes (dist/offload) beside the package you deploy, or $rebuild"
fi
bad() { die "$MANIFEST lists an object with $1, not what a build writes." "$rebuild"; }
while IFS=$US read -r key ctype cenc cache bytes sha; do
  [[ $key =~ ^[0-9a-f]{32}/[A-Za-z0-9._-]+$ && ${key#*/} != . && ${key#*/} != .. ]] || bad "the key '$key'"
  [[ $sha =~ ^[0-9a-f]{64}$ && ${sha:0:32} == "${key%%/*}" ]] || bad "the sha256 '$sha' (its first 32 digits must begin the key $key)"
  is_int "$bytes" || bad "the size '$bytes' ($key)"
  [[ -n $ctype && $ctype != *[[:cntrl:]]* ]] || bad "the content type '$ctype' ($key)"
  [[ $cenc == "" || $cenc == gzip || $cenc == br ]] || bad "the content encoding '$cenc' ($key)"
  [[ $cache != *[[:cntrl:]]* ]] || bad "the cache control '$cache' ($key)"
  N_OFFLOAD=$((N_OFFLOAD + 1)) OFFLOAD_BYTES=$((OFFLOAD_BYTES + 10#$bytes))
done <"$WORK/offload.tsv"
if ((N_OFFLOAD != BIN_OFFLOAD_OBJECTS || OFFLOAD_BYTES != BIN_OFFLOAD_BYTES)); then
  die "$MANIFEST lists $N_OFFLOAD objects ($OFFLOAD_BYTES bytes), but the package was built with $BIN_OFFLOAD_OBJECTS ($BIN_OFFLOAD_BYTES bytes) kept in S3: the folder is from another build." "$rebuild"
fi
while IFS=$US read -r key ctype cenc cache bytes sha; do
  f=$OFFLOAD_DIR/objects/$key
  [[ -f $f ]] || die "$f is missing: $MANIFEST lists it." "$rebuild"
  [[ $(stat -c %s "$f") == "$bytes" && $(sha256sum "$f" | cut -c1-64) == "$sha" ]] ||
    die "$f is not the object $MANIFEST lists (its size or sha256 differs): the folder was changed after the build." "$rebuild"
done <"$WORK/offload.tsv"
if [[ $FRONT == function-url ]] && { [[ $SITE_PRIVATE == true ]] || grep -q '"auth":{' <<<"$DEPLOY_INFO"; }; then
  die "the site is private ([auth] in its site.toml), and FRONT=function-url: its server serves a private page only with the login an ALB signs, which a Function URL never sends (it has no login in front), so every page would be refused." \
    "deploy a private site with FRONT=alb and AUTH=oidc or cognito (README: Private sites); for a public site remove [auth] from site.toml and build again"
fi
OFFLOAD_PRIVATE=false WHY_PRIVATE=""
if [[ $SITE_PRIVATE == true ]]; then
  OFFLOAD_PRIVATE=true WHY_PRIVATE="its site.toml has [auth]"
elif [[ $AUTH != none ]]; then
  OFFLOAD_PRIVATE=true WHY_PRIVATE="AUTH=$AUTH: the function checks logins"
fi
if $OFFLOAD_PRIVATE && [[ -n $OFFLOAD_URL ]]; then
  die "OFFLOAD_URL=$OFFLOAD_URL is set, but the site is private ($WHY_PRIVATE): the function presigns the URLs of its files in S3 against the bucket itself, which no other URL can serve." \
    "leave OFFLOAD_URL empty for a private site"
fi
if ((N_OFFLOAD > 0)); then
  if $OFFLOAD_PRIVATE; then
    OFFLOAD_ACCESS="private ($WHY_PRIVATE): the function presigns their URLs"
  else
    OFFLOAD_ACCESS="public: anyone may read them"
  fi
  info "files kept in S3: $N_OFFLOAD objects ($OFFLOAD_BYTES bytes) from $OFFLOAD_DIR, as the package expects; $OFFLOAD_ACCESS"
elif [[ -n $OFFLOAD_BUCKET$OFFLOAD_URL ]]; then
  info "no files kept in S3 (nothing in the site is too large for an ALB response): OFFLOAD_BUCKET and OFFLOAD_URL are not used"
fi

setup_aws
# (aws_do output goes into a variable first: a failure inside <(...) or a pipe would not stop the script)
OUT=$(aws_do sts get-caller-identity --query '[Account,Arn]')
read -r ACCOUNT CALLER_ARN <<<"$OUT"
PARTITION=$(cut -d: -f2 <<<"$CALLER_ARN")
info "account $ACCOUNT, region $AWS_REGION${AWS_PROFILE:+, profile $AWS_PROFILE}${AWS_ENDPOINT_URL:+, endpoint $AWS_ENDPOINT_URL}"

if $USE_S3; then
  aws_try s3api head-bucket --bucket "$DEPLOY_BUCKET" >/dev/null ||
    die "the bucket DEPLOY_BUCKET=$DEPLOY_BUCKET cannot be used: $(tail -n 2 "$AWS_ERR")" \
      "create it in $AWS_REGION (aws s3 mb s3://$DEPLOY_BUCKET) or fix the name, and check you may write to it"
fi
if [[ $FRONT == function-url && -n $CERTIFICATE_ARN ]]; then
  if ! CERT_STATUS=$(aws_global_try acm describe-certificate --certificate-arn "$CERTIFICATE_ARN" --output json \
    --query 'Certificate.{status: Status, names: SubjectAlternativeNames, domain: DomainName}'); then
    not_found && die "the certificate CERTIFICATE_ARN=$CERTIFICATE_ARN does not exist in us-east-1." "request or import it in us-east-1 (CloudFront's certificates live there)"
    aws_fail acm describe-certificate
  fi
  CERT_DOMAIN=$(jq -r .domain <<<"$CERT_STATUS")
  [[ $(jq -r .status <<<"$CERT_STATUS") == ISSUED ]] || die "the certificate for $CERT_DOMAIN is $(jq -r .status <<<"$CERT_STATUS"), not ISSUED: CloudFront cannot use it yet." \
    "finish its validation (add the DNS record ACM asks for), then run again"
  # A name the certificate covers: itself, or one label under a wildcard.
  jq -e --arg d "${DOMAIN_NAME%.}" '[.names[]?, .domain] | any(ascii_downcase as $n | $n == ($d | ascii_downcase)
      or ($n | startswith("*.")) and ($d | ascii_downcase | sub("^[^.]+"; "*")) == $n)' <<<"$CERT_STATUS" >/dev/null ||
    die "the certificate CERTIFICATE_ARN is for $(jq -r '[.names[]?, .domain] | unique | join(", ")' <<<"$CERT_STATUS"), not for DOMAIN_NAME=${DOMAIN_NAME%.}: CloudFront would refuse the alternate domain name." \
      "use a certificate that covers ${DOMAIN_NAME%.} (in us-east-1), or change DOMAIN_NAME"
  info "CloudFront serves ${DOMAIN_NAME%.} with the certificate for $CERT_DOMAIN (us-east-1), TLS 1.2 or newer; http redirects to https"
elif [[ $FRONT == function-url ]]; then
  :
elif [[ -n $CERTIFICATE_ARN ]]; then
  if ! CERT_STATUS=$(aws_try acm describe-certificate --certificate-arn "$CERTIFICATE_ARN" --query 'Certificate.[Status,DomainName]'); then
    not_found && die "the certificate CERTIFICATE_ARN=$CERTIFICATE_ARN does not exist in $AWS_REGION." "an ALB's certificate must be in the ALB's region: request or import it there"
    aws_fail acm describe-certificate
  fi
  read -r CERT_STATUS CERT_DOMAIN <<<"$CERT_STATUS"
  [[ $CERT_STATUS == ISSUED ]] || die "the certificate for $CERT_DOMAIN is $CERT_STATUS, not ISSUED: an HTTPS listener cannot use it yet." \
    "finish its validation (add the DNS record ACM asks for), then run again"
  info "HTTPS with the certificate for $CERT_DOMAIN, policy $TLS_POLICY; HTTP :80 answers 301 to https"
else
  [[ -n $LISTENER_ARN ]] || info "HTTP only: no CERTIFICATE_ARN, so the site is served over plain http on :80 (see README: HTTPS and a domain)"
fi
if [[ -n $HOSTED_ZONE_ID ]]; then
  if ! ZONE_NAME=$(aws_try route53 get-hosted-zone --id "$HOSTED_ZONE_ID" --query HostedZone.Name); then
    not_found && die "the hosted zone HOSTED_ZONE_ID=$HOSTED_ZONE_ID does not exist." "aws route53 list-hosted-zones-by-name --dns-name ${DOMAIN_NAME#*.}"
    aws_fail route53 get-hosted-zone
  fi
  ZONE_NAME=${ZONE_NAME%.}
  [[ $DOMAIN_NAME == "$ZONE_NAME" || $DOMAIN_NAME == *".$ZONE_NAME" ]] || die "DOMAIN_NAME=$DOMAIN_NAME is not inside the hosted zone $ZONE_NAME ($HOSTED_ZONE_ID)." "use the zone that holds the name"
fi
if [[ $AUTH == oidc && -n $OIDC_CLIENT_SECRET_SSM ]]; then
  CLIENT_SECRET=$(aws_try ssm get-parameter --name "$OIDC_CLIENT_SECRET_SSM" --with-decryption --query Parameter.Value) ||
    die "the SSM parameter OIDC_CLIENT_SECRET_SSM=$OIDC_CLIENT_SECRET_SSM cannot be read: $(tail -n 2 "$AWS_ERR")" \
      "create it (aws ssm put-parameter --type SecureString --name ...), or check the name and your ssm:GetParameter / kms:Decrypt permissions"
fi

taken() { die "$1 already exists and was not created by this stack (no tag $TAG_KEY=$STACK_NAME)." \
  "choose another ${2:-STACK_NAME} (make deploy ${2:-STACK_NAME}=...), or remove the existing $1"; }

EXISTING_ROLE=""
if [[ -z $ROLE_ARN ]]; then
  EXISTING_ROLE=$(find_role)
  [[ $EXISTING_ROLE == foreign ]] && taken "IAM role $ROLE_NAME"
fi
FN_ARN=$(find_function)
[[ $FN_ARN == foreign ]] && taken "Lambda function $FUNCTION_NAME" FUNCTION_NAME
TG_ARN=""
if [[ $FRONT == alb ]]; then
  TG_ARN=$(find_tg)
  [[ $TG_ARN == foreign ]] && taken "target group $TG_NAME"
fi
BUCKET="" BUCKET_EXISTS=false BUCKET_OURS=false
if ((N_OFFLOAD > 0)); then
  if [[ -n $OFFLOAD_BUCKET ]]; then
    BUCKET=$OFFLOAD_BUCKET
  else
    BUCKET=$(offload_bucket_default "$ACCOUNT")
    valid_bucket_name "$BUCKET" || die "the bucket name deploy makes for the files kept in S3, $BUCKET, is not a valid S3 bucket name." \
      "set OFFLOAD_BUCKET to an existing bucket of yours, or use another STACK_NAME"
  fi
  FOUND=$(find_bucket "$BUCKET" "$ACCOUNT")
  case $FOUND in
    forbidden)
      [[ -n $OFFLOAD_BUCKET ]] && die "OFFLOAD_BUCKET=$BUCKET cannot be used: it belongs to another account, or you may not read it." \
        "give a bucket of account $ACCOUNT in $AWS_REGION (and check your s3:ListBucket permission on it)"
      die "the bucket name $BUCKET is taken by another account (or you may not read that bucket)." \
        "set OFFLOAD_BUCKET to a bucket of yours in $AWS_REGION" ;;
    region:*)
      die "the bucket $BUCKET is in ${FOUND#region:}, not in AWS_REGION=$AWS_REGION: the function's URLs name its region." \
        "use a bucket in $AWS_REGION" ;;
    "")
      [[ -n $OFFLOAD_BUCKET ]] && die "the bucket OFFLOAD_BUCKET=$BUCKET does not exist." \
        "create it in $AWS_REGION (aws s3api create-bucket --bucket $BUCKET), or leave OFFLOAD_BUCKET empty to have deploy create one" ;;
    foreign)
      BUCKET_EXISTS=true
      [[ -n $OFFLOAD_BUCKET ]] || taken "S3 bucket $BUCKET" OFFLOAD_BUCKET ;;
    ours) BUCKET_EXISTS=true BUCKET_OURS=true ;;
  esac
  if [[ -n $OFFLOAD_BUCKET ]]; then
    info "files kept in S3: the given bucket $BUCKET (never deleted by destroy)"
  elif $BUCKET_EXISTS; then
    info "files kept in S3: bucket $BUCKET exists"
  else
    info "files kept in S3: bucket $BUCKET will be created"
  fi
  # Where the function sends clients, before /<key>: OFFLOAD_URL, or the bucket's own URL (path style
  # with an endpoint, or a bucket name with dots, which a virtual-host certificate does not cover).
  S3_DOMAIN=amazonaws.com
  [[ $PARTITION == aws-cn ]] && S3_DOMAIN=amazonaws.com.cn
  if [[ -n $OFFLOAD_URL ]]; then
    OFFLOAD_BASE=$OFFLOAD_URL
  elif [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
    OFFLOAD_BASE="${AWS_ENDPOINT_URL%/}/$BUCKET"
  elif [[ $BUCKET == *.* ]]; then
    OFFLOAD_BASE="https://s3.$AWS_REGION.$S3_DOMAIN/$BUCKET"
  else
    OFFLOAD_BASE="https://$BUCKET.s3.$AWS_REGION.$S3_DOMAIN"
  fi
fi

# OLD_FRONT: the other front door of this stack, still there (FRONT changed): removed once the new
# one is in place, as the step before last.
OLD_FRONT=""
if [[ $FRONT == function-url ]]; then
  HAVE_URL=""
  [[ -n $FN_ARN ]] && HAVE_URL=$(find_url)
  DIST="" OAC_ID=""
  if [[ $CLOUDFRONT == on ]]; then
    DIST=$(find_distribution)
    [[ $DIST == foreign ]] && taken "a CloudFront distribution with the comment '$CF_COMMENT'"
    OAC_ID=$(find_oac)
    [[ $OAC_ID == foreign ]] && die "the origin access control $OAC_NAME already exists and was not made by deploy for this stack (its description differs)." \
      "choose another STACK_NAME, or delete that origin access control"
  fi
  URL_TEXT="Function URL (auth $FUNCTION_URL_AUTH) on $FUNCTION_NAME:$ALIAS_NAME${HAVE_URL:+, exists: $(cut -f2 <<<"$HAVE_URL")}"
  [[ $CLOUDFRONT == on ]] && URL_TEXT+="; CloudFront in front${DIST:+ (exists: $(cut -f3 <<<"$DIST"))}${DOMAIN_NAME:+ as $DOMAIN_NAME}"
  info "routing: $URL_TEXT; no load balancer"
  # The ALB front door of an earlier deploy (FRONT was alb).
  OLD_TG=$(find_tg) OLD_LB=$(find_alb) OLD_SG=$(find_sg "")
  for r in "$OLD_TG" "$OLD_LB" "$OLD_SG"; do [[ -n $r && $r != foreign ]] && OLD_FRONT=alb; done
  if [[ -n $OLD_FRONT ]]; then
    STEPS=$((STEPS + 1))
    info "FRONT was alb: this stack's load balancer, target group and security group go once the Function URL answers"
  fi
elif [[ -n $LISTENER_ARN ]]; then
  aws_try elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].[LoadBalancerArn,Protocol,Port]' >"$WORK/lb" ||
    { not_found && die "the listener LISTENER_ARN=$LISTENER_ARN does not exist in $AWS_REGION." "check the ARN and the region (aws elbv2 describe-listeners --load-balancer-arn ...)"; aws_fail elbv2 describe-listeners; }
  read -r LB_ARN LISTENER_PROTO LISTENER_PORT <"$WORK/lb"
  if [[ $AUTH != none && $LISTENER_PROTO != HTTPS ]]; then
    die "AUTH=$AUTH needs an HTTPS listener, and LISTENER_ARN is $LISTENER_PROTO :$LISTENER_PORT." "give the ARN of the load balancer's HTTPS :443 listener"
  fi
  info "routing: a rule (priority $RULE_PRIORITY) on the existing listener $LISTENER_PROTO :$LISTENER_PORT $LISTENER_ARN"
else
  if [[ -n $SUBNET_IDS ]]; then
    mapfile -t SUBNETS < <(csv_words "$SUBNET_IDS")
    OUT=$(aws_try ec2 describe-subnets --subnet-ids "${SUBNETS[@]}" --query 'Subnets[].[VpcId,AvailabilityZone]') ||
      die "SUBNET_IDS=$SUBNET_IDS: $(tail -n 2 "$AWS_ERR")" "list the VPC's subnets: aws ec2 describe-subnets --filters Name=vpc-id,Values=<vpc>"
    SUBNET_VPC=$(cut -f1 <<<"$OUT" | sort -u)
    [[ $(wc -l <<<"$SUBNET_VPC") == 1 ]] || die "SUBNET_IDS=$SUBNET_IDS are in different VPCs ($(tr '\n' ' ' <<<"$SUBNET_VPC"))." "give subnets of one VPC"
    [[ -z $VPC_ID || $VPC_ID == "$SUBNET_VPC" ]] || die "SUBNET_IDS are in $SUBNET_VPC, not in VPC_ID=$VPC_ID." "fix VPC_ID or SUBNET_IDS (or leave VPC_ID empty)"
    (($(cut -f2 <<<"$OUT" | sort -u | wc -l) >= 2)) || die "SUBNET_IDS=$SUBNET_IDS are all in one availability zone; an ALB needs subnets in at least two." "add a subnet of another zone"
    VPC_ID=$SUBNET_VPC
  elif [[ -n $VPC_ID ]]; then
    die "VPC_ID=$VPC_ID is set but SUBNET_IDS is empty: which subnets should the load balancer use?" \
      "set SUBNET_IDS=subnet-a,subnet-b (two zones; private subnets for ALB_SCHEME=internal): aws ec2 describe-subnets --filters Name=vpc-id,Values=$VPC_ID"
  else
    VPC_ID=$(default_vpc)
    [[ -n $VPC_ID ]] || die "there is no default VPC in $AWS_REGION to put a new load balancer in." \
      "set VPC_ID and SUBNET_IDS, create a default VPC (aws ec2 create-default-vpc), or use an existing ALB: LISTENER_ARN=<listener arn>"
    OUT=$(aws_do ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true \
      --query 'Subnets[].SubnetId')
    read -r -d "" -a SUBNETS <<<"$OUT" || true
    ((${#SUBNETS[@]} >= 2)) || die "the default VPC $VPC_ID has ${#SUBNETS[@]} default subnet(s); an ALB needs two in different zones." \
      "set SUBNET_IDS, add a default subnet (aws ec2 create-default-subnet --availability-zone ...), or use LISTENER_ARN"
  fi
  if [[ -z $ALLOWED_CIDRS ]]; then
    if [[ $ALB_SCHEME == internal ]]; then
      ALLOWED_CIDRS=$(aws_do ec2 describe-vpcs --vpc-ids "$VPC_ID" --query 'Vpcs[0].CidrBlock')
    else
      ALLOWED_CIDRS=0.0.0.0/0
    fi
  fi
  mapfile -t CIDRS < <(csv_words "$ALLOWED_CIDRS")
  for c in "${CIDRS[@]}"; do
    [[ $c =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || die "ALLOWED_CIDRS: '$c' is not an IPv4 CIDR." "for example ALLOWED_CIDRS=10.0.0.0/8,192.168.0.0/16"
  done
  LB_ARN=$(find_alb)
  [[ $LB_ARN == foreign ]] && taken "load balancer $ALB_NAME"
  if [[ -n $LB_ARN ]]; then
    OUT=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].[Scheme,VpcId]')
    read -r HAVE_SCHEME HAVE_VPC <<<"$OUT"
    [[ $HAVE_SCHEME == "$ALB_SCHEME" ]] || die "the load balancer $ALB_NAME is $HAVE_SCHEME, and ALB_SCHEME=$ALB_SCHEME: a load balancer's scheme cannot change." \
      "make destroy first (the site is down until the next deploy), or deploy under another STACK_NAME"
    [[ $HAVE_VPC == "$VPC_ID" ]] || die "the load balancer $ALB_NAME is in $HAVE_VPC, not $VPC_ID: it cannot move to another VPC." \
      "make destroy first, or deploy under another STACK_NAME"
  fi
  SG_ID=$(find_sg "$VPC_ID")
  [[ $SG_ID == foreign ]] && taken "security group $SG_NAME in $VPC_ID"
  info "routing: ${LB_ARN:+existing }$ALB_SCHEME load balancer $ALB_NAME in $VPC_ID (${SUBNETS[*]}), from ${CIDRS[*]}"
fi
# The Function URL front door of an earlier deploy (FRONT was function-url). Its CloudFront parts
# are looked for only when the URL is there (it goes last), so an ALB-only deploy needs no
# CloudFront permissions.
if [[ $FRONT == alb && -n $FN_ARN && -n $(find_url) ]]; then
  OLD_FRONT=function-url
  STEPS=$((STEPS + 1))
  command -v jq >/dev/null || die "removing the Function URL front door needs jq (deploy reads its permissions with it), which is not installed." \
    "install jq (apt-get install jq, or brew install jq) and run again"
  info "FRONT was function-url: this stack's Function URL (and CloudFront, if any) go once the load balancer answers"
fi

# ------------------------------------------------------------------ 2. role
step "execution role"
# A private site's function presigns the URLs of its files kept in S3 with its own role's
# credentials: the role may read those objects (an inline policy on the role deploy created).
WANT_READ=""
if ((N_OFFLOAD > 0)) && $OFFLOAD_PRIVATE; then
  WANT_READ="Allow	s3:GetObject	arn:$PARTITION:s3:::$BUCKET/*"
fi
if [[ -n $ROLE_ARN ]]; then
  info "using the given role $ROLE_ARN"
  [[ -n $WANT_READ ]] && warn "the site is private and keeps files in S3: the given role must allow s3:GetObject on arn:$PARTITION:s3:::$BUCKET/* (the function presigns their URLs with it)"
else
  POLICY_ARN="arn:$PARTITION$MANAGED_POLICY_ARN_SUFFIX"
  if [[ -n $EXISTING_ROLE ]]; then
    ROLE_ARN=$EXISTING_ROLE
    info "exists: $ROLE_ARN"
  else
    TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    ROLE_ARN=$(change create "IAM role $ROLE_NAME" iam create-role --role-name "$ROLE_NAME" --assume-role-policy-document "$TRUST" \
      --description "Execution role of the $FUNCTION_NAME static site (make deploy)" \
      --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query Role.Arn)
    if plan_mode; then ROLE_ARN="new:role"; else info "created $ROLE_ARN"; fi
  fi
  OUT=""
  is_new "$ROLE_ARN" || OUT=$(aws_do iam list-attached-role-policies --role-name "$ROLE_NAME" --query 'AttachedPolicies[].PolicyArn')
  if ! grep -qF "$POLICY_ARN" <<<"$OUT"; then
    change change "role $ROLE_NAME: attach AWSLambdaBasicExecutionRole" iam attach-role-policy --role-name "$ROLE_NAME" --policy-arn "$POLICY_ARN" >/dev/null
    plan_mode || info "attached AWSLambdaBasicExecutionRole (CloudWatch Logs)"
  fi
  HAVE_READ=""
  if ! is_new "$ROLE_ARN" && ! HAVE_READ=$(aws_try iam get-role-policy --role-name "$ROLE_NAME" --policy-name "$READ_POLICY" \
    --query 'PolicyDocument.Statement[].[Effect,Action,Resource]'); then
    not_found || aws_fail iam get-role-policy
    HAVE_READ=""
  fi
  if [[ -n $WANT_READ && $HAVE_READ != "$WANT_READ" ]]; then
    change "$([[ -z $HAVE_READ ]] && echo create || echo change)" "role $ROLE_NAME: allow s3:GetObject on s3://$BUCKET (policy $READ_POLICY)" \
      iam put-role-policy --role-name "$ROLE_NAME" --policy-name "$READ_POLICY" \
      --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:$PARTITION:s3:::$BUCKET/*\"}]}" >/dev/null
    plan_mode || info "the function may read s3://$BUCKET (policy $READ_POLICY: it presigns the URLs of the files kept in S3)"
  elif [[ -z $WANT_READ && -n $HAVE_READ ]]; then
    change delete "role $ROLE_NAME: policy $READ_POLICY (no private files kept in S3 any more)" \
      iam delete-role-policy --role-name "$ROLE_NAME" --policy-name "$READ_POLICY" >/dev/null
    plan_mode || info "removed the policy $READ_POLICY (no private files kept in S3 any more)"
  fi
fi

# ------------------------------------------------------------------ 3. load balancer
if [[ $FRONT == function-url ]]; then
  : # no load balancer: the Function URL is the front door (step "Function URL" below)
elif [[ -n $LISTENER_ARN ]]; then
  step "load balancer: the existing one of LISTENER_ARN"
  info "left alone: $LB_ARN"
else
  step "security group $SG_NAME and $ALB_SCHEME load balancer $ALB_NAME"
  if [[ -z $SG_ID ]]; then
    SG_ID=$(change create "security group $SG_NAME in $VPC_ID" ec2 create-security-group --group-name "$SG_NAME" --vpc-id "$VPC_ID" \
      --description "HTTP(S) to the $STACK_NAME static site ALB (make deploy)" \
      --tag-specifications "ResourceType=security-group,Tags=[{Key=$TAG_KEY,Value=$STACK_NAME}]" --query GroupId)
    if plan_mode; then SG_ID="new:sg"; else info "created security group $SG_ID"; fi
  else
    info "security group exists: $SG_ID"
  fi
  # Ingress: tcp/80 always (with HTTPS it answers the redirect), tcp/443 with a certificate;
  # from exactly ALLOWED_CIDRS. Anything else on those ports is revoked.
  WANT_INGRESS=()
  for c in "${CIDRS[@]}"; do
    WANT_INGRESS+=("80 $c")
    [[ -n $CERTIFICATE_ARN ]] && WANT_INGRESS+=("443 $c")
  done
  HAVE_INGRESS=""
  if ! is_new "$SG_ID"; then
    OUT=$(aws_do ec2 describe-security-groups --group-ids "$SG_ID" \
      --query "SecurityGroups[0].IpPermissions[?IpProtocol=='tcp'].[FromPort, join(' ', IpRanges[].CidrIp)]")
    while read -r port cidrs; do
      [[ $port == 80 || $port == 443 ]] || continue
      for c in $cidrs; do HAVE_INGRESS+="$port $c"$'\n'; done
    done <<<"$OUT"
  fi
  for r in "${WANT_INGRESS[@]}"; do
    if ! grep -qxF "$r" <<<"$HAVE_INGRESS"; then
      change change "security group: allow tcp/${r% *} from ${r#* }" ec2 authorize-security-group-ingress --group-id "$SG_ID" \
        --protocol tcp --port "${r% *}" --cidr "${r#* }" >/dev/null
      plan_mode || info "allowed tcp/${r% *} from ${r#* }"
    fi
  done
  while read -r r; do
    [[ -z $r || " ${WANT_INGRESS[*]/%/,} " == *" $r,"* ]] && continue
    change change "security group: revoke tcp/${r% *} from ${r#* }" ec2 revoke-security-group-ingress --group-id "$SG_ID" \
      --protocol tcp --port "${r% *}" --cidr "${r#* }" >/dev/null
    plan_mode || info "revoked tcp/${r% *} from ${r#* }"
  done <<<"$HAVE_INGRESS"
  if [[ -z $LB_ARN ]]; then
    LB_ARN=$(change create "$ALB_SCHEME load balancer $ALB_NAME" elbv2 create-load-balancer --name "$ALB_NAME" --type application \
      --scheme "$ALB_SCHEME" --subnets "${SUBNETS[@]}" --security-groups "$SG_ID" --tags "Key=$TAG_KEY,Value=$STACK_NAME" \
      --query 'LoadBalancers[0].LoadBalancerArn')
    if plan_mode; then LB_ARN="new:alb"; else info "created $LB_ARN; waiting until it is active (a few minutes on AWS)"; fi
  else
    info "load balancer exists: $LB_ARN"
    HAVE_SUBNETS=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].AvailabilityZones[].SubnetId' | tr '\t' '\n' | sort)
    if [[ $HAVE_SUBNETS != "$(printf '%s\n' "${SUBNETS[@]}" | sort)" ]]; then
      change change "load balancer subnets: $(tr '\n' ' ' <<<"$HAVE_SUBNETS")-> ${SUBNETS[*]}" elbv2 set-subnets --load-balancer-arn "$LB_ARN" --subnets "${SUBNETS[@]}" >/dev/null
      plan_mode || info "subnets now ${SUBNETS[*]}"
    fi
  fi
  is_new "$LB_ARN" || aws_wait elbv2 wait load-balancer-available --load-balancer-arns "$LB_ARN"
fi

# ------------------------------------------------------------------ 4. files kept in S3
# The bucket holds the files the build left out of the binary, under content-addressed keys (the same
# key is always the same bytes): an object already there is not uploaded again. Deploy never deletes
# objects: a version the alias can roll back to still sends clients to its own keys.
if ((N_OFFLOAD == 0)); then
  step "files kept in S3: none"
  info "nothing in the site is too large for an ALB response: no bucket"
else
  step "files kept in S3: $N_OFFLOAD objects ($OFFLOAD_BYTES bytes) in s3://$BUCKET, ${OFFLOAD_ACCESS%%[ :]*}"
  if ! $BUCKET_EXISTS; then
    CREATE_BUCKET=(--bucket "$BUCKET" --object-ownership BucketOwnerEnforced)
    [[ $AWS_REGION != us-east-1 ]] && CREATE_BUCKET+=(--create-bucket-configuration "LocationConstraint=$AWS_REGION")
    change create "S3 bucket $BUCKET (ACLs disabled)" s3api create-bucket "${CREATE_BUCKET[@]}" >/dev/null
    if ! plan_mode; then
      # The tag is how later runs (and destroy) know the bucket is this stack's: a bucket that cannot
      # be tagged is removed again rather than left behind looking like someone else's.
      if ! aws_try s3api put-bucket-tagging --bucket "$BUCKET" --tagging "TagSet=[{Key=$TAG_KEY,Value=$STACK_NAME}]"; then
        cp "$AWS_ERR" "$WORK/tagging.err"
        aws_try s3api delete-bucket --bucket "$BUCKET" || true
        cp "$WORK/tagging.err" "$AWS_ERR"
        aws_fail s3api put-bucket-tagging
      fi
      info "created s3://$BUCKET (tagged $TAG_KEY=$STACK_NAME)"
    fi
    BUCKET_OURS=true
  fi
  # s3_have ARGS...: what a read of the bucket's settings says, or "" when it has none ($BUCKET new).
  s3_have() {
    local out
    if ! $BUCKET_EXISTS; then return 0; fi
    if ! out=$(aws_try s3api "$@"); then
      grep -qE 'NoSuch|NotFound' "$AWS_ERR" || aws_fail s3api "$1"
      out=""
    fi
    printf '%s\n' "$out"
  }
  if $BUCKET_OURS; then # a given bucket's encryption and ownership are its owner's business
    HAVE=$(s3_have get-bucket-encryption --bucket "$BUCKET" \
      --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm')
    if [[ $HAVE != AES256 ]]; then
      change change "s3://$BUCKET: default encryption SSE-S3 (was: ${HAVE:-none})" s3api put-bucket-encryption --bucket "$BUCKET" \
        --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}' >/dev/null
      plan_mode || info "default encryption: SSE-S3"
    fi
    if $BUCKET_EXISTS; then
      HAVE=$(s3_have get-bucket-ownership-controls --bucket "$BUCKET" --query 'OwnershipControls.Rules[0].ObjectOwnership')
      if [[ $HAVE != BucketOwnerEnforced ]]; then
        change change "s3://$BUCKET: object ownership BucketOwnerEnforced, ACLs disabled (was: ${HAVE:-none})" s3api put-bucket-ownership-controls \
          --bucket "$BUCKET" --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]' >/dev/null
        plan_mode || info "ACLs disabled (BucketOwnerEnforced)"
      fi
    fi
  fi
  # Access. Public: anyone may read the objects, by the bucket policy alone (its public access block
  # still refuses ACLs). Private: no public access at all; the function presigns each URL.
  PUBLIC_SID=AlbStaticSitePublicRead
  PUBLIC_STATEMENT="{\"Sid\":\"$PUBLIC_SID\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:$PARTITION:s3:::$BUCKET/*\"}"
  HAVE_BLOCK=$(s3_have get-public-access-block --bucket "$BUCKET" \
    --query 'PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]' | tr '\t' ' ')
  HAVE_POLICY=$(s3_have get-bucket-policy --bucket "$BUCKET" --query Policy)
  [[ -n $HAVE_POLICY ]] || HAVE_POLICY='{"Version":"2012-10-17","Statement":[]}'
  # Statements other than ours are kept (a given bucket may have its own).
  OTHERS=$(jq -c --arg sid "$PUBLIC_SID" '.Statement |= ((if type == "array" then . else [.] end) | map(select(.Sid != $sid)))' <<<"$HAVE_POLICY")
  HAS_PUBLIC=$(jq --arg sid "$PUBLIC_SID" '[.Statement | (if type == "array" then .[] else . end) | select(.Sid == $sid)] | length > 0' <<<"$HAVE_POLICY")
  set_block() { # set_block "A B C D" WHAT
    if [[ $HAVE_BLOCK != "$1" ]]; then
      local block
      read -r -a block <<<"${1,,}"
      change change "s3://$BUCKET: public access block: $2" s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
        "BlockPublicAcls=${block[0]},IgnorePublicAcls=${block[1]},BlockPublicPolicy=${block[2]},RestrictPublicBuckets=${block[3]}" >/dev/null
      plan_mode || info "public access block: $2"
    fi
  }
  if $OFFLOAD_PRIVATE; then
    if [[ $HAS_PUBLIC == true ]]; then
      if [[ $(jq '.Statement | length' <<<"$OTHERS") == 0 ]]; then
        change delete "s3://$BUCKET: the policy letting anyone read its objects (the site is private now)" s3api delete-bucket-policy --bucket "$BUCKET" >/dev/null
      else
        change delete "s3://$BUCKET: the policy statement $PUBLIC_SID letting anyone read its objects (the site is private now)" \
          s3api put-bucket-policy --bucket "$BUCKET" --policy "$OTHERS" >/dev/null
      fi
      plan_mode || info "removed public read from the bucket policy"
    fi
    set_block "True True True True" "all public access blocked"
  else
    set_block "True True False False" "ACLs blocked, a public bucket policy allowed"
    WANT_POLICY=$(jq -c --argjson st "$PUBLIC_STATEMENT" '.Statement += [$st]' <<<"$OTHERS")
    if [[ $HAS_PUBLIC != true ]] || ! jq -e --argjson st "$PUBLIC_STATEMENT" '[.Statement | (if type == "array" then .[] else . end) | select(. == $st)] | length > 0' <<<"$HAVE_POLICY" >/dev/null; then
      if plan_mode; then
        change "$([[ $HAS_PUBLIC == true ]] && echo change || echo create)" "s3://$BUCKET: bucket policy letting anyone read its objects (s3:GetObject)"
      elif ! aws_try s3api put-bucket-policy --bucket "$BUCKET" --policy "$WANT_POLICY"; then
        grep -q AccessDenied "$AWS_ERR" && die "S3 refused the bucket policy that lets anyone read the files of s3://$BUCKET: $(tail -n 2 "$AWS_ERR")" \
          "the account's S3 Block Public Access may forbid public bucket policies (aws s3control get-public-access-block --account-id $ACCOUNT): allow them, or make the site private; else your identity lacks s3:PutBucketPolicy"
        aws_fail s3api put-bucket-policy
      else
        info "bucket policy: anyone may read the objects"
      fi
    fi
  fi
  UPLOADED=0 PRESENT=0 RETYPED=0
  declare -A SEEN=()
  while IFS=$US read -r key ctype cenc cache bytes _; do
    [[ -n ${SEEN[$key]-} ]] && continue # two files with the same bytes and name share an object
    SEEN[$key]=1
    HAVE=""
    if $BUCKET_EXISTS && ! HAVE=$(aws_try s3api head-object --bucket "$BUCKET" --key "$key" \
      --query '[ContentType,CacheControl,ContentEncoding]'); then
      not_found || aws_fail s3api head-object
      HAVE=""
    fi
    HEADERS=(--content-type "$ctype")
    [[ -n $cache ]] && HEADERS+=(--cache-control "$cache")
    [[ -n $cenc ]] && HEADERS+=(--content-encoding "$cenc")
    if [[ -z $HAVE ]]; then
      change create "object s3://$BUCKET/$key ($bytes bytes, $ctype${cenc:+, $cenc})" s3api put-object --bucket "$BUCKET" --key "$key" \
        --body "$OFFLOAD_DIR/objects/$key" "${HEADERS[@]}" --server-side-encryption AES256 --query ETag >/dev/null
      UPLOADED=$((UPLOADED + 1))
    else
      PRESENT=$((PRESENT + 1))
      # The same bytes, but the site's headers for them may have changed since: copy it onto itself with the new ones.
      if [[ $HAVE != "$ctype	${cache:-None}	${cenc:-None}" ]]; then
        change change "object s3://$BUCKET/$key: headers $ctype, ${cache:-no Cache-Control}${cenc:+, $cenc}" s3api copy-object --bucket "$BUCKET" \
          --key "$key" --copy-source "$BUCKET/$key" --metadata-directive REPLACE "${HEADERS[@]}" --server-side-encryption AES256 \
          --query CopyObjectResult.ETag >/dev/null
        RETYPED=$((RETYPED + 1))
      fi
    fi
  done <"$WORK/offload.tsv"
  DONE_TEXT="uploaded $UPLOADED, already there $PRESENT"
  plan_mode && DONE_TEXT="to upload $UPLOADED, already there $PRESENT"
  ((RETYPED == 0)) || DONE_TEXT+=" ($RETYPED with new headers)"
  info "$DONE_TEXT"
  info "the function finds them at $OFFLOAD_BASE/<key>"
fi

# ------------------------------------------------------------------ 5. package
step "deployment package"
if $USE_S3; then
  S3_KEY="${S3_PREFIX}bootstrap-${ZIP_SHA:0:16}.zip"
  info "$ZIP_SIZE bytes is over the direct-upload limit of $DIRECT_UPLOAD_LIMIT bytes: uploading through s3://$DEPLOY_BUCKET/$S3_KEY"
  if aws_try s3api head-object --bucket "$DEPLOY_BUCKET" --key "$S3_KEY" >/dev/null; then
    info "already uploaded"
  else
    change create "s3://$DEPLOY_BUCKET/$S3_KEY" s3api put-object --bucket "$DEPLOY_BUCKET" --key "$S3_KEY" --body "$ZIP" \
      --tagging "$TAG_KEY=$STACK_NAME" --query ETag >/dev/null
  fi
  CREATE_CODE=(--code "S3Bucket=$DEPLOY_BUCKET,S3Key=$S3_KEY")
  UPDATE_CODE=(--s3-bucket "$DEPLOY_BUCKET" --s3-key "$S3_KEY")
else
  info "$ZIP_SIZE bytes: direct upload"
  CREATE_CODE=(--zip-file "fileb://$ZIP")
  UPDATE_CODE=(--zip-file "fileb://$ZIP")
fi

# ------------------------------------------------------------------ 6. function
# With a login, the function verifies the ALB's signed user claims: SITE_AUTH_SIGNER is the ARN
# of the load balancer that signs them (read by the function at start; no rebuild).
# With files kept in S3, SITE_OFFLOAD_URL is where it sends clients for them (before /<key>) and
# SITE_OFFLOAD_BUCKET their bucket. The environment holds exactly these: a later build with nothing
# to offload removes them (the bucket stays for the versions that still use it).
SIGNER=""
[[ $AUTH != none ]] && SIGNER=$LB_ARN
if is_new "$SIGNER"; then SIGNER_TEXT="(the new load balancer's ARN)"; else SIGNER_TEXT=$SIGNER; fi
ENV_VARS=()
[[ -n $SIGNER ]] && ENV_VARS+=("\"SITE_AUTH_SIGNER\":\"$SIGNER\"")
WANT_OFFLOAD="None None"
if ((N_OFFLOAD > 0)); then
  ENV_VARS+=("\"SITE_OFFLOAD_URL\":\"$(json_str "$OFFLOAD_BASE")\"" "\"SITE_OFFLOAD_BUCKET\":\"$BUCKET\"")
  WANT_OFFLOAD="$OFFLOAD_BASE $BUCKET"
fi
ENV_JSON="{\"Variables\":{$(IFS=,; echo "${ENV_VARS[*]}")}}"
ENV_TEXT=""
[[ -n $SIGNER ]] && ENV_TEXT+=", SITE_AUTH_SIGNER"
((N_OFFLOAD == 0)) || ENV_TEXT+=", SITE_OFFLOAD_URL"
step "Lambda function $FUNCTION_NAME (provided.al2023, $ARCHITECTURE, ${MEMORY_SIZE} MB, ${TIMEOUT} s, $LOG_FORMAT logs$ENV_TEXT)"
LIVE_VERSION="" LIVE_DESC=""
if [[ -z $FN_ARN ]]; then
  # A role created seconds ago may not be assumable by Lambda yet: retry for a while.
  for try in $(seq 1 12); do
    if plan_mode; then
      change create "Lambda function $FUNCTION_NAME${SIGNER:+ with SITE_AUTH_SIGNER=$SIGNER_TEXT}$( ((N_OFFLOAD == 0)) || echo " with SITE_OFFLOAD_URL=$OFFLOAD_BASE")"
      FN_ARN="new:function"
      break
    fi
    if FN_ARN=$(aws_try lambda create-function --function-name "$FUNCTION_NAME" --runtime provided.al2023 \
      --handler bootstrap --architectures "$ARCHITECTURE" --memory-size "$MEMORY_SIZE" --timeout "$TIMEOUT" \
      --logging-config "LogFormat=$LOG_FORMAT" --role "$ROLE_ARN" "${CREATE_CODE[@]}" --environment "$ENV_JSON" \
      --tags "{\"$TAG_KEY\":\"$STACK_NAME\"}" --query FunctionArn); then
      break
    fi
    if ! grep -qE 'cannot be assumed|role defined for the function' "$AWS_ERR" || ((try == 12)); then
      aws_fail lambda create-function
    fi
    info "the new role is not usable by Lambda yet; retrying in 5 s ($try/12)"
    sleep 5
  done
  if ! plan_mode; then
    info "created $FN_ARN; waiting until it is active"
    aws_wait lambda wait function-active-v2 --function-name "$FUNCTION_NAME"
  fi
else
  info "exists: $FN_ARN"
  aws_wait lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
  WANT="provided.al2023 bootstrap $MEMORY_SIZE $TIMEOUT $ROLE_ARN ${SIGNER:-None} $WANT_OFFLOAD $LOG_FORMAT"
  HAVE=$(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" \
    --query '[Runtime,Handler,MemorySize,Timeout,Role,Environment.Variables.SITE_AUTH_SIGNER,Environment.Variables.SITE_OFFLOAD_URL,Environment.Variables.SITE_OFFLOAD_BUCKET,LoggingConfig.LogFormat]' | tr '\t' ' ')
  # An absent LoggingConfig means Lambda's default, Text (moto does not store it at all).
  HAVE=$(sed -E 's/ None$/ Text/' <<<"$HAVE")
  CONFIG_CHANGED=""
  if [[ $HAVE != "$WANT" ]]; then
    CONFIG_CHANGED=1
    change change "function configuration (was: $HAVE; now: ${WANT/#provided.al2023 bootstrap /}${SIGNER:+ = $SIGNER_TEXT})" \
      lambda update-function-configuration --function-name "$FUNCTION_NAME" --runtime provided.al2023 \
      --handler bootstrap --memory-size "$MEMORY_SIZE" --timeout "$TIMEOUT" --role "$ROLE_ARN" \
      --logging-config "LogFormat=$LOG_FORMAT" --environment "$ENV_JSON" --query LastUpdateStatus >/dev/null
    plan_mode || info "updated the configuration (was: $HAVE)"
    aws_wait lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
  else
    info "configuration unchanged"
  fi
  # Lambda's CodeSha256 is the base64 SHA-256 of the package. The same package with the same
  # configuration is neither uploaded nor published again: a repeated deploy changes nothing.
  ZIP_SHA_B64=$(openssl dgst -sha256 -binary "$ZIP" | base64 -w0)
  OUT=$(alias_info)
  [[ -n $OUT ]] && IFS=$'\t' read -r LIVE_VERSION LIVE_DESC <<<"$OUT"
  if [[ -z $CONFIG_CHANGED && -n $LIVE_VERSION ]] &&
    [[ $(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$LIVE_VERSION" \
      --query CodeSha256) == "$ZIP_SHA_B64" ]]; then
    UNCHANGED=1
    info "code unchanged: version $LIVE_VERSION (alias $ALIAS_NAME) already runs this package"
  else
    change change "function code (sha256 ${ZIP_SHA:0:12}…)" lambda update-function-code --function-name "$FUNCTION_NAME" \
      --architectures "$ARCHITECTURE" "${UPDATE_CODE[@]}" --query LastUpdateStatus >/dev/null
    plan_mode || info "uploaded the code; waiting until the update has finished"
    aws_wait lambda wait function-updated-v2 --function-name "$FUNCTION_NAME"
  fi
fi

# ------------------------------------------------------------------ 7. version + check
step "published version, checked before it gets traffic"
if [[ -n ${UNCHANGED-} ]]; then
  VERSION=$LIVE_VERSION
  info "nothing new to publish: version $VERSION is live"
elif plan_mode; then
  change create "a new version of $FUNCTION_NAME, then check it (GET $HEALTH_PATH and GET / must answer 200 in a form $([[ $FRONT == alb ]] && echo ALB || echo "a Function URL") accepts)"
  VERSION="new:version"
else
  # The health path goes into the description: a rollback behind a Function URL reads it from there
  # (behind an ALB, from the target group).
  VERSION=$(aws_do lambda publish-version --function-name "$FUNCTION_NAME" \
    --description "make deploy, sha256 ${ZIP_SHA:0:12}, health $HEALTH_PATH" --query Version)
  info "published version $VERSION"
  if [[ $PRE_TRAFFIC_CHECK == on ]]; then
    info "checking version $VERSION before traffic moves (${PRE_TRAFFIC_INVOKER:+stand-in invoker: $PRE_TRAFFIC_INVOKER; }validator: $RESPONSE_VALIDATOR)"
    LOGIN=""
    [[ $AUTH != none ]] && LOGIN=login
    if ! check_version "$VERSION" "$HEALTH_PATH" "$MULTI_VALUE_HEADERS" "$LOGIN"; then
      CHECK_FAILED=1
      die "version $VERSION failed the pre-traffic check: $CHECK_WHY" \
        "the alias $ALIAS_NAME stays on ${LIVE_VERSION:+version }${LIVE_VERSION:-nothing (no version was live yet)}. Fix the site or the server, build and deploy again; try it locally first: make invoke EVENT=events/get-index.json"
    fi
  else
    warn "PRE_TRAFFIC_CHECK=off: version $VERSION gets traffic unchecked"
  fi
fi

# ------------------------------------------------------------------ 8. alias
step "alias $ALIAS_NAME"
if [[ $VERSION == "$LIVE_VERSION" ]]; then
  info "stays on version $VERSION"
else
  point_alias "$VERSION" "$LIVE_VERSION" "make deploy"
  plan_mode || info "alias $ALIAS_NAME: ${LIVE_VERSION:+version $LIVE_VERSION }-> version $VERSION"
fi
ALIAS_ARN="$FN_ARN:$ALIAS_NAME"

# ------------------------------------------------------------------ 9.-13. the front door
# shellcheck source-path=SCRIPTDIR
if [[ $FRONT == function-url ]]; then source "$DEPLOY_DIR/front-url.sh"; else source "$DEPLOY_DIR/front-alb.sh"; fi

if [[ $OLD_FRONT == alb ]]; then
  step "the old front door: this stack's load balancer, target group and security group (FRONT is function-url now)"
  remove_alb_front
elif [[ $OLD_FRONT == function-url ]]; then
  step "the old front door: this stack's Function URL and its CloudFront distribution (FRONT is alb now)"
  remove_url_front
fi

# ------------------------------------------------------------------ 14. logs and old versions
step "log retention ($LOG_RETENTION_DAYS days) and old versions (keep $KEEP_VERSIONS)"
LOG_GROUP="/aws/lambda/$FUNCTION_NAME"
HAVE=$(aws_do logs describe-log-groups --log-group-name-prefix "$LOG_GROUP" \
  --query "logGroups[?logGroupName=='$LOG_GROUP'].[logGroupName, retentionInDays] | [0]")
if [[ -z $HAVE || $HAVE == None ]]; then
  change create "log group $LOG_GROUP" logs create-log-group --log-group-name "$LOG_GROUP" --tags "$TAG_KEY=$STACK_NAME" >/dev/null
  HAVE="$LOG_GROUP None"
fi
if [[ ${HAVE##*[[:space:]]} != "$LOG_RETENTION_DAYS" ]]; then
  change change "log retention of $LOG_GROUP: ${HAVE##*[[:space:]]} -> $LOG_RETENTION_DAYS days" logs put-retention-policy \
    --log-group-name "$LOG_GROUP" --retention-in-days "$LOG_RETENTION_DAYS" >/dev/null
  plan_mode || info "$LOG_GROUP keeps logs $LOG_RETENTION_DAYS days"
else
  info "$LOG_GROUP keeps logs $LOG_RETENTION_DAYS days (unchanged)"
fi
if ! is_new "$FN_ARN" && ! plan_mode; then
  # Keep the KEEP_VERSIONS newest, every version an alias points at, and the one before the live one.
  OUT=$(aws_do lambda list-versions-by-function --function-name "$FUNCTION_NAME" --query 'Versions[].Version')
  mapfile -t ALL < <(tr '\t' '\n' <<<"$OUT" | grep -E '^[0-9]+$' | sort -n)
  KEEP=$(aws_do lambda list-aliases --function-name "$FUNCTION_NAME" --query 'Aliases[].FunctionVersion' | tr '\t' '\n')
  # the version live before this deploy (or, when nothing moved, the one the alias records)
  if [[ $VERSION == "$LIVE_VERSION" ]]; then PREV=$(previous_of "$LIVE_DESC"); else PREV=$LIVE_VERSION; fi
  KEEP+=$'\n'"$PREV"
  PRUNED=()
  for ((i = 0; i < ${#ALL[@]} - KEEP_VERSIONS; i++)); do
    v=${ALL[i]}
    grep -qx "$v" <<<"$KEEP" && continue
    aws_do lambda delete-function --function-name "$FUNCTION_NAME" --qualifier "$v" >/dev/null
    PRUNED+=("$v")
  done
  if ((${#PRUNED[@]})); then info "deleted old version(s) ${PRUNED[*]}"; else info "no old versions to delete"; fi
else
  info "old versions: none to delete"
fi

# ------------------------------------------------------------------ 15. result
step "done"
if plan_mode; then
  N_CREATE=$(grep -c '^create ' "$WORK/plan" || true)
  N_CHANGE=$(grep -c '^change ' "$WORK/plan" || true)
  N_DELETE=$(grep -c '^delete ' "$WORK/plan" || true)
  echo
  echo "Plan: $N_CREATE to create, $N_CHANGE to change, $N_DELETE to delete; everything else is left alone."
  echo "Nothing was changed (PLAN=1). Run without PLAN=1 to apply."
  exit 0
fi
front_result
echo "Open: $URL"
if [[ $CURL_CHECK == auto ]]; then
  if ! command -v curl >/dev/null; then
    info "(curl is not installed: skipping the health check request)"
  elif CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${URL%/}$HEALTH_PATH"); then
    echo "curl ${URL%/}$HEALTH_PATH -> HTTP $CODE"
  else
    echo "curl ${URL%/}$HEALTH_PATH: not reachable from here (yet). A new $FRONT_NAME's name"
    echo "takes a few minutes to resolve; try again later: curl -i ${URL%/}$HEALTH_PATH"
  fi
fi
