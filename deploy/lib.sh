# shellcheck shell=bash
# shellcheck disable=SC2034 # names set here are used by the scripts that source this file
# Shared helpers for deploy.sh and destroy.sh: settings, step printing, the aws wrapper,
# error explanations, and the lookups both scripts need. Sourced, not run.

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TAG_KEY=alb-static-site:stack
# The inline policy on the role deploy creates that lets a private site's function read its files in S3.
READ_POLICY=offload-read
MANAGED_POLICY_ARN_SUFFIX=:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole

# Every setting is a NAME=${NAME-default} line of settings.env: the list is read from there.
mapfile -t SETTINGS < <(sed -nE 's/^([A-Z][A-Z0-9_]*)=.*/\1/p' "$DEPLOY_DIR/settings.env")

# ---------------------------------------------------------------- output

STEP=0
STEPS=0
STEP_NAME="checking settings"

step() { # step "what": prints "[n/N] what"
  STEP=$((STEP + 1))
  STEP_NAME=$1
  printf '[%d/%d] %s\n' "$STEP" "$STEPS" "$1"
}
info() { printf '      %s\n' "$*"; }
warn() { printf '      warning: %s\n' "$*" >&2; }

die() { # die "message" ["what to do"]
  printf '\nerror in step [%d/%d] %s:\n  %s\n' "$STEP" "$STEPS" "$STEP_NAME" "$1" >&2
  [[ -n ${2:-} ]] && printf '  what to do: %s\n' "$2" >&2
  exit 1
}

# ---------------------------------------------------------------- settings

# parse_args "$@": accept NAME=value arguments as settings (deploy.sh FUNCTION_NAME=x ...).
parse_args() {
  local a
  for a in "$@"; do
    case $a in
      -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        echo "Settings (NAME=value arguments or environment): see $DEPLOY_DIR/settings.env"
        exit 0 ;;
    esac
    [[ $a =~ ^[A-Z_][A-Z0-9_]*= ]] || die "unexpected argument '$a'." "pass settings as NAME=value (see deploy/settings.env)"
    export "${a?}"
  done
}

load_settings() {
  local v
  local -A from_env=()
  for v in "${SETTINGS[@]}"; do
    [[ -v $v ]] && from_env[$v]=${!v}
  done
  if [[ -n ${DEPLOY_ENV_FILE:-} ]]; then
    [[ -f $DEPLOY_ENV_FILE ]] || die "DEPLOY_ENV_FILE=$DEPLOY_ENV_FILE does not exist." \
      "Point DEPLOY_ENV_FILE at a file of VAR=value lines, or leave it empty."
    # shellcheck source=/dev/null
    source "$DEPLOY_ENV_FILE"
    for v in "${!from_env[@]}"; do printf -v "$v" '%s' "${from_env[$v]}"; done
  fi
  # shellcheck source-path=SCRIPTDIR
  source "$DEPLOY_DIR/settings.env"

  # Derived names (all carry the stack tag when created).
  ROLE_NAME="${STACK_NAME}-role"
  TG_NAME="${STACK_NAME}-tg"
  ALB_NAME="${STACK_NAME}-alb"
  SG_NAME="${STACK_NAME}-alb-sg"
  STATEMENT_ID="${STACK_NAME}-alb-invoke"
  S3_PREFIX="${STACK_NAME}/"
  # FRONT=function-url. An origin access control has no tags: its name and description say whose it is.
  OAC_NAME="${STACK_NAME}-lambda-url"
  OAC_DESCRIPTION="make deploy: signs CloudFront's requests to the Function URL of stack $STACK_NAME"
  # The distribution is found by its comment (list-distributions shows no tags), then its tag is checked.
  CF_COMMENT="alb-static-site $STACK_NAME"
  # The statements on the alias's policy that let the URL be called: since October 2025 a Function
  # URL needs both actions, lambda:InvokeFunctionUrl and lambda:InvokeFunction (via the URL).
  URL_PUBLIC_SID="${STACK_NAME}-url-public"
  URL_PUBLIC_INVOKE_SID="${STACK_NAME}-url-public-invoke"
  CF_URL_SID="${STACK_NAME}-cloudfront-url"
  CF_INVOKE_SID="${STACK_NAME}-cloudfront-invoke"
  URL_SIDS=("$URL_PUBLIC_SID" "$URL_PUBLIC_INVOKE_SID" "$CF_URL_SID" "$CF_INVOKE_SID")
}

require() { # require VAR "why/what": a setting that must not be empty
  [[ -n ${!1:-} ]] || die "setting $1 is empty: $2" \
    "set $1 in deploy/settings.env, or pass it: make ${ACTION:-deploy} $1=..."
}

check_name_settings() {
  require FUNCTION_NAME "the Lambda function needs a name"
  require STACK_NAME "resources are named and tagged after the stack"
  require AWS_REGION "the region to work in"
  [[ $FUNCTION_NAME =~ ^[A-Za-z0-9_-]{1,64}$ ]] ||
    die "FUNCTION_NAME='$FUNCTION_NAME' is not a valid Lambda function name." \
      "use 1 to 64 letters, digits, hyphens or underscores"
  [[ $STACK_NAME =~ ^[A-Za-z0-9]([A-Za-z0-9-]{0,26}[A-Za-z0-9])?$ ]] ||
    die "STACK_NAME='$STACK_NAME' cannot name a target group and a load balancer." \
      "use at most 28 letters, digits and hyphens, not starting or ending with a hyphen"
}

# ---------------------------------------------------------------- the aws wrapper

setup_aws() {
  export AWS_PAGER=""
  AWS=(aws --region "$AWS_REGION" --output text)
  [[ -n ${AWS_PROFILE:-} ]] && AWS+=(--profile "$AWS_PROFILE")
  # Debian's AWS CLI v2 ignores AWS_ENDPOINT_URL, so pass it ourselves.
  [[ -n ${AWS_ENDPOINT_URL:-} ]] && AWS+=(--endpoint-url "$AWS_ENDPOINT_URL")
  command -v aws >/dev/null || die "the AWS CLI (aws) is not installed." \
    "install it (pip install awscli, or see https://aws.amazon.com/cli/) and run again"
  make_work
}

make_work() { # the scratch folder (removed on exit)
  [[ -n $WORK ]] && return 0
  WORK=$(mktemp -d)
  chmod 700 "$WORK"
  AWS_ERR="$WORK/aws.err"
  : >"$WORK/plan"
}

WORK=""
trap 'on_exit $?' EXIT
on_exit() {
  [[ -n $WORK ]] && rm -rf "$WORK"
  if [[ $1 -ne 0 && ${CHECK_FAILED:-} == 1 ]]; then
    printf '\n%s stopped: the new version did not pass the check, and traffic was not moved to it.\n' "${ACTION:-deploy}" >&2
  elif [[ $1 -ne 0 && $STEP -eq 1 ]]; then
    printf '\n%s stopped before changing anything. Fix the cause and run it again.\n' "${ACTION:-deploy}" >&2
  elif [[ $1 -ne 0 && $STEP -gt 1 ]]; then
    printf '\n%s stopped at step [%d/%d] (%s). Fix the cause and run it again:\n' \
      "${ACTION:-deploy}" "$STEP" "$STEPS" "$STEP_NAME" >&2
    printf 'it finds what already exists and completes the rest.\n' >&2
  fi
}

# aws_global_try ARGS...: aws_try in us-east-1, where CloudFront's certificates live.
aws_global_try() {
  local a=("${AWS[@]}")
  a[2]=us-east-1 # AWS is (aws --region REGION ...)
  "${a[@]}" "$@" 2>"$AWS_ERR"
}

# aws_try ARGS...: run aws; on failure keep its stderr in $AWS_ERR and return its status.
aws_try() {
  "${AWS[@]}" "$@" 2>"$AWS_ERR"
}

# aws_do ARGS...: run aws; a failure stops the script with an explanation.
aws_do() {
  aws_try "$@" || aws_fail "$@"
}

# not_found: did the last failed call say the thing does not exist?
not_found() {
  grep -qE 'NotFound|NoSuchEntity|ResourceNotFoundException|does not exist|InvalidGroup.NotFound|NoSuchKey|Not Found|\(404\)' "$AWS_ERR"
}

aws_fail() {
  local msg hint
  msg=$(tail -n 5 "$AWS_ERR")
  [[ -n $msg ]] || msg="(no message from the AWS CLI)"
  case $msg in
    *"Unable to locate credentials"* | *"could not be found"*profile* | *"config profile"* | \
      *InvalidClientTokenId* | *ExpiredToken* | *"security token included in the request is invalid"* | \
      *"SignatureDoesNotMatch"* | *"Token has expired"* | *"NoCredentialProviders"*)
      hint="no valid AWS credentials: run 'aws configure' (or 'aws sso login'), or set AWS_PROFILE to a working profile, then run again" ;;
    *AccessDenied* | *UnauthorizedOperation* | *"not authorized to perform"* | *AuthorizationError*)
      hint="your identity lacks an IAM permission: the message above names the action; have it granted (or use a role/profile that has it) and run again" ;;
    *EntityAlreadyExists* | *ResourceConflictException* | *DuplicateTargetGroupName* | *DuplicateLoadBalancerName* | \
      *InvalidGroup.Duplicate* | *AlreadyExists* | *BucketAlreadyOwnedByYou*)
      hint="a resource with this name already exists and does not belong to this stack: choose another FUNCTION_NAME / STACK_NAME, or remove the other resource" ;;
    *PriorityInUse*)
      hint="RULE_PRIORITY=$RULE_PRIORITY is taken on that listener: choose a free priority (aws elbv2 describe-rules --listener-arn ...)" ;;
    *"Could not connect to the endpoint"* | *"Connect timeout"* | *"ProxyConnectionError"* | *EndpointConnectionError* | *"Failed to connect to proxy"*)
      hint="the AWS API cannot be reached: check the network, the proxy settings, AWS_REGION${AWS_ENDPOINT_URL:+ and AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL}" ;;
    *"Unknown options"*invoked-via-function-url* | *"Unknown options"*function-url*)
      hint="this AWS CLI predates what a Function URL needs (lambda add-permission --invoked-via-function-url, October 2025): update the AWS CLI and run again" ;;
    *Throttling* | *TooManyRequests* | *"Rate exceeded"*)
      hint="AWS throttled the call: wait a minute and run again" ;;
    *LimitExceeded* | *TooMany*)
      hint="an account quota was reached: remove unused resources or ask AWS for a higher quota" ;;
    *)
      hint="read the AWS message above; after fixing the cause, run again" ;;
  esac
  die "aws ${1:-} ${2:-} failed: $msg" "$hint"
}

# ---------------------------------------------------------------- lookups

account_id() {
  aws_do sts get-caller-identity --query Account
}

# has_our_tag TAGS_TEXT: TAGS_TEXT is "key<TAB>value" lines.
has_our_tag() {
  grep -qxF "$TAG_KEY	$STACK_NAME" <<<"$1"
}

# Each find_* prints the ARN/id (empty when absent). With "mine" as $1 they
# also print "foreign" instead when the resource exists without our tag.

find_role() { # -> role ARN
  local arn tags
  if ! arn=$(aws_try iam get-role --role-name "$ROLE_NAME" --query Role.Arn); then
    not_found && return 0
    aws_fail iam get-role
  fi
  tags=$(aws_do iam list-role-tags --role-name "$ROLE_NAME" --query 'Tags[].[Key,Value]')
  if has_our_tag "$tags"; then echo "$arn"; else echo foreign; fi
}

find_function() { # -> function ARN (unqualified)
  local arn tags
  if ! arn=$(aws_try lambda get-function --function-name "$FUNCTION_NAME" --query Configuration.FunctionArn); then
    not_found && return 0
    aws_fail lambda get-function
  fi
  # list-tags gives a map; text output prints values only, so ask for the one key.
  tags=$(aws_do lambda list-tags --resource "$arn" --query "Tags.\"$TAG_KEY\"")
  if [[ $tags == "$STACK_NAME" ]]; then echo "$arn"; else echo foreign; fi
}

find_tg() { # -> target group ARN
  local arn tags
  if ! arn=$(aws_try elbv2 describe-target-groups --names "$TG_NAME" --query 'TargetGroups[0].TargetGroupArn'); then
    not_found && return 0
    aws_fail elbv2 describe-target-groups
  fi
  tags=$(aws_do elbv2 describe-tags --resource-arns "$arn" --query 'TagDescriptions[0].Tags[].[Key,Value]')
  if has_our_tag "$tags"; then echo "$arn"; else echo foreign; fi
}

find_alb() { # -> load balancer ARN
  local arn tags
  if ! arn=$(aws_try elbv2 describe-load-balancers --names "$ALB_NAME" --query 'LoadBalancers[0].LoadBalancerArn'); then
    not_found && return 0
    aws_fail elbv2 describe-load-balancers
  fi
  tags=$(aws_do elbv2 describe-tags --resource-arns "$arn" --query 'TagDescriptions[0].Tags[].[Key,Value]')
  if has_our_tag "$tags"; then echo "$arn"; else echo foreign; fi
}

find_sg() { # find_sg [VPC_ID] -> security group id (ours only; a same-named foreign one prints "foreign")
  local id filters=("Name=group-name,Values=$SG_NAME")
  # Without a VPC: the one carrying our tag, wherever it is (destroy does not know the VPC).
  if [[ -n ${1:-} ]]; then filters+=("Name=vpc-id,Values=$1"); else filters+=("Name=tag:$TAG_KEY,Values=$STACK_NAME"); fi
  id=$(aws_do ec2 describe-security-groups --filters "${filters[@]}" \
    --query 'SecurityGroups[0].GroupId')
  [[ $id == None || -z $id ]] && return 0
  if [[ $(aws_do ec2 describe-security-groups --group-ids "$id" \
    --query "SecurityGroups[0].Tags[?Key=='$TAG_KEY'].Value | [0]") == "$STACK_NAME" ]]; then
    echo "$id"
  else
    echo foreign
  fi
}

default_vpc() {
  local vpc
  vpc=$(aws_do ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId')
  [[ $vpc == None ]] && vpc=""
  echo "$vpc"
}

# find_rule TG_ARN: the rule on LISTENER_ARN that forwards to our target group.
find_rule() {
  local arn
  arn=$(aws_do elbv2 describe-rules --listener-arn "$LISTENER_ARN" \
    --query "Rules[?Actions[?TargetGroupArn=='$1' || ForwardConfig.TargetGroups[?TargetGroupArn=='$1']]].RuleArn | [0]")
  [[ $arn == None ]] && arn=""
  echo "$arn"
}

# ---------------------------------------------------------------- the Function URL front door

# find_url -> "AUTH_TYPE<TAB>URL<TAB>INVOKE_MODE" of the Function URL on the alias (empty when there is none).
find_url() {
  local out
  if ! out=$(aws_try lambda get-function-url-config --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" \
    --query '[AuthType,FunctionUrl,InvokeMode]'); then
    not_found && return 0
    aws_fail lambda get-function-url-config
  fi
  echo "$out"
}

# find_distribution -> "ID<TAB>ARN<TAB>DOMAIN<TAB>ENABLED<TAB>STATUS" of this stack's distribution, "foreign"
# when one carries our comment without our tag, empty when there is none.
find_distribution() {
  local out tag
  out=$(aws_do cloudfront list-distributions \
    --query "DistributionList.Items[?Comment=='$CF_COMMENT'] | [0].[Id,ARN,DomainName,Enabled,Status]")
  [[ -z $out || $out == None ]] && return 0
  tag=$(aws_do cloudfront list-tags-for-resource --resource "$(cut -f2 <<<"$out")" --query "Tags.Items[?Key=='$TAG_KEY'].Value | [0]")
  if [[ $tag == "$STACK_NAME" ]]; then echo "$out"; else echo foreign; fi
}

# find_oac -> the id of this stack's origin access control, "foreign" when the name is taken by
# one deploy did not make (another description), empty when there is none.
find_oac() {
  local out
  out=$(aws_do cloudfront list-origin-access-controls \
    --query "OriginAccessControlList.Items[?Name=='$OAC_NAME'] | [0].[Id,Description]")
  [[ -z $out || $out == None ]] && return 0
  if [[ $(cut -f2- <<<"$out") == "$OAC_DESCRIPTION" ]]; then cut -f1 <<<"$out"; else echo foreign; fi
}

# alias_policy -> the alias's resource-based policy as JSON ('{"Statement":[]}' when it has none).
alias_policy() {
  local out
  if ! out=$(aws_try lambda get-policy --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --query Policy); then
    not_found || aws_fail lambda get-policy
    out=""
  fi
  [[ -n $out && $out != None ]] || out='{"Statement":[]}'
  echo "$out"
}

# statement_summary POLICY_JSON SID -> "ACTION PRINCIPAL SOURCE_ARN" of one statement (empty when
# absent): what deploy compares. The principal is a service's name, or * for anyone.
statement_summary() {
  jq -r --arg sid "$2" '.Statement[] | select(.Sid == $sid)
    | [.Action, (.Principal | if type == "object" then .Service // .AWS else . end), (.Condition.ArnLike["AWS:SourceArn"] // "-")]
    | join(" ")' <<<"$1"
}

# url_sids_present POLICY_JSON -> the Function URL statement ids on the alias, one a line.
url_sids_present() {
  local sid
  for sid in "${URL_SIDS[@]}"; do
    jq -e --arg sid "$sid" 'any(.Statement[]; .Sid == $sid)' <<<"$1" >/dev/null && echo "$sid"
  done
  return 0
}

# CloudFront's own hosted zone, the target zone of every alias record to a distribution.
CLOUDFRONT_ZONE=Z2FDTNDATAQYW2

# remove_records_to TARGET_DNS TYPE...: delete DOMAIN_NAME's alias records of those types in
# HOSTED_ZONE_ID that point at TARGET_DNS (a record pointing elsewhere is left, and said so).
remove_records_to() {
  local target=${1,,} type out have
  shift
  [[ -n $DOMAIN_NAME && -n $HOSTED_ZONE_ID ]] || return 0
  for type in "$@"; do
    if ! out=$(aws_try route53 list-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --start-record-name "$DOMAIN_NAME" \
      --start-record-type "$type" --max-items 1 --output json --query "ResourceRecordSets[?Type=='$type' && Name=='$DOMAIN_NAME.'] | [0]"); then
      not_found || aws_fail route53 list-resource-record-sets
      continue
    fi
    [[ -z $out || $out == null ]] && continue
    have=$(jq -r '.AliasTarget.DNSName // ""' <<<"$out" | tr '[:upper:]' '[:lower:]')
    have=${have%.}
    have=${have#dualstack.}
    if [[ $have == "$target" ]]; then
      change delete "record $type $DOMAIN_NAME -> $target" route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" \
        --change-batch "{\"Changes\":[{\"Action\":\"DELETE\",\"ResourceRecordSet\":$(jq -c . <<<"$out")}]}" --query ChangeInfo.Id >/dev/null
      plan_mode || info "deleted $type $DOMAIN_NAME -> $target (the hosted zone stays)"
    else
      info "left alone: $type $DOMAIN_NAME points at ${have:-something else}, not at $target"
    fi
  done
}

# remove_distribution "ID ARN DOMAIN ENABLED STATUS": CloudFront deletes only a distribution that is
# disabled and deployed: disable it, wait until that is deployed everywhere (minutes), then delete it.
remove_distribution() {
  local id arn domain enabled status etag
  read -r id arn domain enabled status <<<"$1"
  remove_records_to "$domain" A AAAA
  if plan_mode; then
    change delete "CloudFront distribution $id ($domain): disable, wait until deployed (minutes), delete"
    return 0
  fi
  if [[ $enabled == True ]]; then
    etag=$(aws_do cloudfront get-distribution-config --id "$id" --query ETag)
    aws_do cloudfront get-distribution-config --id "$id" --output json --query DistributionConfig >"$WORK/cf-config.json"
    jq '.Enabled = false' "$WORK/cf-config.json" >"$WORK/cf-disabled.json"
    aws_do cloudfront update-distribution --id "$id" --if-match "$etag" --distribution-config "file://$WORK/cf-disabled.json" \
      --query Distribution.Status >/dev/null
    info "disabled CloudFront distribution $id ($domain)"
  fi
  info "waiting until CloudFront has deployed the disabled distribution everywhere (often 5-15 minutes;"
  info "stopping here is safe: run the same command again and it carries on)"
  aws_do cloudfront wait distribution-deployed --id "$id" >/dev/null
  etag=$(aws_do cloudfront get-distribution-config --id "$id" --query ETag)
  aws_do cloudfront delete-distribution --id "$id" --if-match "$etag" >/dev/null
  info "deleted CloudFront distribution $id ($domain)"
}

# remove_url_front: the Function URL front door of this stack, in the order AWS allows: the
# distribution (and its DNS records), its origin access control, the URL's statements on the
# alias, the URL. Resources another stack owns are left and said so.
remove_url_front() {
  local dist oac policy='{"Statement":[]}' sid url fn=""
  [[ -n ${FN_ARN:-} && $FN_ARN != foreign ]] && ! is_new "$FN_ARN" && fn=1
  [[ -n $fn ]] && policy=$(alias_policy)
  # CloudFront only when it is in use (the alias lets a distribution call it) or said to be: a plain
  # Function URL stack needs no CloudFront permission.
  if [[ ${CLOUDFRONT:-off} == on ]] || [[ -n $(statement_summary "$policy" "$CF_URL_SID") ]]; then
    dist=$(find_distribution)
    if [[ $dist == foreign ]]; then
      info "left alone: a CloudFront distribution with the comment '$CF_COMMENT' has no tag $TAG_KEY=$STACK_NAME"
    elif [[ -n $dist ]]; then
      remove_distribution "$dist"
    fi
    oac=$(find_oac)
    if [[ $oac == foreign ]]; then
      info "left alone: origin access control $OAC_NAME was not made by deploy (another description)"
    elif [[ -n $oac ]]; then
      change delete "origin access control $OAC_NAME ($oac)" cloudfront delete-origin-access-control --id "$oac" \
        --if-match "$(aws_do cloudfront get-origin-access-control --id "$oac" --query ETag)" >/dev/null
      plan_mode || info "deleted origin access control $OAC_NAME ($oac)"
    fi
  fi
  if [[ -n $fn ]]; then
    while read -r sid; do
      [[ -n $sid ]] || continue
      change delete "statement $sid (the Function URL's permission)" lambda remove-permission --function-name "$FUNCTION_NAME" \
        --qualifier "$ALIAS_NAME" --statement-id "$sid" >/dev/null
      plan_mode || info "removed statement $sid"
    done < <(url_sids_present "$policy")
    url=$(find_url | cut -f2)
    if [[ -n $url ]]; then
      change delete "Function URL $url" lambda delete-function-url-config --function-name "$FUNCTION_NAME" \
        --qualifier "$ALIAS_NAME" >/dev/null
      plan_mode || info "deleted the Function URL $url"
    fi
  fi
}

# remove_alb_front: the ALB front door of this stack: its listener rule on a load balancer it did
# not create (LISTENER_ARN), its load balancer with the listeners, the security group, the target
# group and the ALB's statement on the alias. Resources without our tag are left and said so.
remove_alb_front() {
  local tg lb sg lbs l lis rules r try out
  tg=$(find_tg) lb=$(find_alb) sg=$(find_sg "")
  if [[ -n $tg && $tg != foreign ]]; then
    # A rule on someone else's load balancer still forwards to the group: it goes first.
    lbs=$(aws_do elbv2 describe-target-groups --target-group-arns "$tg" --query 'TargetGroups[0].LoadBalancerArns[]')
    for l in $lbs; do
      [[ $l == "$lb" || $l == None ]] && continue
      out=$(aws_do elbv2 describe-listeners --load-balancer-arn "$l" --query 'Listeners[].ListenerArn')
      for lis in $out; do
        rules=$(aws_do elbv2 describe-rules --listener-arn "$lis" \
          --query "Rules[?Actions[?TargetGroupArn=='$tg' || ForwardConfig.TargetGroups[?TargetGroupArn=='$tg']]].RuleArn")
        for r in $rules; do
          if has_our_tag "$(aws_do elbv2 describe-tags --resource-arns "$r" --query 'TagDescriptions[0].Tags[].[Key,Value]')"; then
            change delete "listener rule $r (forwarding to $TG_NAME)" elbv2 delete-rule --rule-arn "$r" >/dev/null
            plan_mode || info "deleted listener rule $r (its load balancer stays)"
          else
            info "left alone: rule $r forwards to $TG_NAME but has no tag $TAG_KEY=$STACK_NAME"
          fi
        done
      done
    done
  fi
  if [[ $lb == foreign ]]; then
    info "left alone: load balancer $ALB_NAME has no tag $TAG_KEY=$STACK_NAME"
  elif [[ -n $lb ]]; then
    out=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$lb" --query 'LoadBalancers[0].DNSName')
    remove_records_to "$out" A
    # A record deploy does not know of (no DOMAIN_NAME now) would point at nothing: say so.
    [[ -n $DOMAIN_NAME ]] || info "a DNS name of yours that points at $out stops answering with it: point it at the new front door"
    out=$(aws_do elbv2 describe-listeners --load-balancer-arn "$lb" --query 'Listeners[].ListenerArn')
    for l in $out; do
      change delete "listener $l" elbv2 delete-listener --listener-arn "$l" >/dev/null
    done
    change delete "load balancer $ALB_NAME" elbv2 delete-load-balancer --load-balancer-arn "$lb" >/dev/null
    if ! plan_mode; then
      info "deleting load balancer $lb; waiting until it is gone"
      aws_do elbv2 wait load-balancers-deleted --load-balancer-arns "$lb" >/dev/null
    fi
  fi
  if [[ $sg == foreign ]]; then
    info "left alone: security group $SG_NAME has no tag $TAG_KEY=$STACK_NAME"
  elif [[ -n $sg ]] && plan_mode; then
    change delete "security group $SG_NAME ($sg)"
  elif [[ -n $sg ]]; then
    # The deleted ALB's network interfaces take a while to go; until then the group is "in use".
    for try in $(seq 1 30); do
      if aws_try ec2 delete-security-group --group-id "$sg"; then
        info "deleted security group $sg"
        break
      fi
      if ! grep -q DependencyViolation "$AWS_ERR" || ((try == 30)); then aws_fail ec2 delete-security-group; fi
      info "still in use by the load balancer's network interfaces; retrying in 10 s ($try/30)"
      sleep 10
    done
  fi
  if [[ $tg == foreign ]]; then
    info "left alone: target group $TG_NAME has no tag $TAG_KEY=$STACK_NAME"
  elif [[ -n $tg ]]; then
    change delete "target group $TG_NAME" elbv2 delete-target-group --target-group-arn "$tg" >/dev/null
    plan_mode || info "deleted target group $tg"
  fi
  if [[ -n ${FN_ARN:-} && $FN_ARN != foreign ]] && ! is_new "$FN_ARN" &&
    jq -e --arg sid "$STATEMENT_ID" 'any(.Statement[]; .Sid == $sid)' <<<"$(alias_policy)" >/dev/null; then
    change delete "statement $STATEMENT_ID (the load balancer's permission)" lambda remove-permission --function-name "$FUNCTION_NAME" \
      --qualifier "$ALIAS_NAME" --statement-id "$STATEMENT_ID" >/dev/null
    plan_mode || info "removed statement $STATEMENT_ID"
  fi
}

# ---------------------------------------------------------------- the bucket of files kept in S3

# offload_bucket_default ACCOUNT: the bucket deploy creates for the files kept in S3,
# <stack>-offload-<account>-<region> in lowercase; the stack part is shortened to fit S3's 63 characters.
offload_bucket_default() {
  local tail="-offload-$1-$AWS_REGION" stack=${STACK_NAME,,}
  stack=${stack:0:$((63 - ${#tail}))}
  while [[ $stack == *- ]]; do stack=${stack%-}; done
  printf '%s%s\n' "$stack" "${tail,,}"
}

# valid_bucket_name NAME: S3's rules for a general purpose bucket's name.
valid_bucket_name() {
  local b=$1
  [[ ${#b} -ge 3 && ${#b} -le 63 && $b =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$ ]] || return 1
  [[ $b != *..* && $b != *.-* && $b != *-.* && ! $b =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
  [[ $b != xn--* && $b != sthree-* && $b != amzn-s3-demo-* ]] || return 1
  [[ $b != *-s3alias && $b != *--ol-s3 && $b != *.mrap && $b != *--x-s3 && $b != *--table-s3 ]]
}

# find_bucket NAME ACCOUNT -> "ours" (tagged for this stack), "foreign" (in this account, not tagged
# for it), "" (no such bucket); "forbidden" when it exists but not for us (another account's, or no
# permission to see it); "region:R" when it is ours or foreign but in region R, not AWS_REGION.
find_bucket() {
  local region tags
  if ! region=$(aws_try s3api head-bucket --bucket "$1" --expected-bucket-owner "$2" --query BucketRegion); then
    if grep -qE '\(403\)|Forbidden|AccessDenied' "$AWS_ERR"; then echo forbidden; return 0; fi
    not_found && return 0
    aws_fail s3api head-bucket
  fi
  if [[ -n $region && $region != None && $region != "$AWS_REGION" ]]; then
    echo "region:$region"
    return 0
  fi
  if ! tags=$(aws_try s3api get-bucket-tagging --bucket "$1" --query 'TagSet[].[Key,Value]'); then
    grep -q NoSuchTagSet "$AWS_ERR" || aws_fail s3api get-bucket-tagging
    tags=""
  fi
  if has_our_tag "$tags"; then echo ours; else echo foreign; fi
}

# ---------------------------------------------------------------- plan mode

plan_mode() { [[ ${PLAN:-0} == 1 ]]; }

# change KIND "what" AWS-ARGS...: make a change and print the call's output; with PLAN=1 only
# record and print that it would (KIND: create, change, delete) and print nothing on stdout.
change() {
  local kind=$1 what=$2
  shift 2
  if plan_mode; then
    printf '%s %s\n' "$kind" "$what" >>"$WORK/plan"
    printf '      PLAN: would %s %s\n' "$kind" "$what" >&2
    return 0
  fi
  aws_do "$@"
}

# aws_wait WAITER-ARGS...: wait for AWS (not in plan mode: nothing was changed to wait for).
aws_wait() {
  plan_mode || aws_do "$@" >/dev/null
}

# A resource that plan mode would create has no ARN yet: it is "new:<what>".
is_new() { [[ $1 == new:* ]]; }

# ---------------------------------------------------------------- versions and the check

# alias_info -> "VERSION<TAB>DESCRIPTION" of the alias (empty when there is none)
alias_info() {
  local out
  if ! out=$(aws_try lambda get-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --query '[FunctionVersion,Description]'); then
    not_found && return 0
    aws_fail lambda get-alias
  fi
  echo "$out"
}

# previous_of DESCRIPTION -> the version named "previous N" in an alias description made by deploy/rollback
previous_of() { sed -nE 's/.*previous ([0-9]+).*/\1/p' <<<"$1"; }

# point_alias VERSION PREVIOUS REASON: move (or create) the alias; its description records the
# version it came from, which is where `make rollback` goes back to.
point_alias() {
  local desc="$3: previous ${2:-none}"
  if [[ -n $2 ]]; then
    change change "alias $ALIAS_NAME: version $2 -> $1" lambda update-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" \
      --function-version "$1" --description "$desc" --query AliasArn >/dev/null
  else
    change create "alias $ALIAS_NAME -> version $1" lambda create-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" \
      --function-version "$1" --description "$desc" --query AliasArn >/dev/null
  fi
}

# alb_event PATH USER_AGENT MULTI(true|false): an ALB request event as the load balancer sends it.
alb_event() {
  local h="\"host\":\"pre-traffic-check.invalid\",\"user-agent\":\"$2\",\"x-forwarded-proto\":\"https\",\"x-forwarded-port\":\"443\",\"x-forwarded-for\":\"127.0.0.1\""
  local tg="arn:aws:elasticloadbalancing:$AWS_REGION:000000000000:targetgroup/pre-traffic-check/0000000000000000"
  if [[ $3 == true ]]; then
    h=$(sed -E 's/("[^"]*"):("[^"]*")/\1:[\2]/g' <<<"$h")
    printf '{"requestContext":{"elb":{"targetGroupArn":"%s"}},"httpMethod":"GET","path":"%s","multiValueQueryStringParameters":{},"multiValueHeaders":{%s},"body":"","isBase64Encoded":false}\n' "$tg" "$1" "$h"
  else
    printf '{"requestContext":{"elb":{"targetGroupArn":"%s"}},"httpMethod":"GET","path":"%s","queryStringParameters":{},"headers":{%s},"body":"","isBase64Encoded":false}\n' "$tg" "$1" "$h"
  fi
}

# url_event PATH USER_AGENT: a request as a Lambda Function URL sends it (payload format 2.0).
url_event() {
  # shellcheck disable=SC2016 # $default is the route key a Function URL sends, not a variable
  printf '{"version":"2.0","routeKey":"$default","rawPath":"%s","rawQueryString":"","headers":{"host":"pre-traffic-check.invalid","user-agent":"%s","x-forwarded-proto":"https","x-forwarded-port":"443","x-forwarded-for":"127.0.0.1"},"requestContext":{"accountId":"anonymous","apiId":"pre-traffic-check","domainName":"pre-traffic-check.invalid","domainPrefix":"pre-traffic-check","http":{"method":"GET","path":"%s","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"%s"},"requestId":"pre-traffic-check","routeKey":"$default","stage":"$default","timeEpoch":0},"isBase64Encoded":false}\n' "$1" "$2" "$1" "$2"
}

# url_response_problem FILE: why a Function URL would answer 502 for this response (empty: it
# would not), by the rules of payload format 2.0. A response without statusCode is not refused
# there (it is sent as a JSON body), but the check wants a 200 from the site, so it is refused here.
url_response_problem() {
  (($(stat -c %s "$1") <= 6291456)) || { echo "the response is over Lambda's 6 MB limit"; return 0; }
  jq -r 'def kind: type;
    if type != "object" then "the response is a \(kind), not an object"
    elif (.statusCode | type) != "number" or .statusCode != (.statusCode | floor) or .statusCode < 100 or .statusCode > 599
      then "statusCode is \(.statusCode | tojson), not an HTTP status"
    elif .headers != null and ((.headers | type) != "object" or any(.headers[]; type != "string"))
      then "headers must be an object of strings"
    elif .cookies != null and ((.cookies | type) != "array" or any(.cookies[]; type != "string"))
      then "cookies must be an array of strings"
    elif .body != null and (.body | type) != "string" then "body is a \(.body | kind), not a string"
    elif .isBase64Encoded != null and (.isBase64Encoded | type) != "boolean" then "isBase64Encoded is not a bool"
    elif .isBase64Encoded == true and ((.body // "") | test("^[A-Za-z0-9+/]*={0,2}$") | not) then "body is not standard base64"
    else empty end' "$1" 2>&1 || true
}

# check_version VERSION HEALTH_PATH MULTI [login]: invoke the published version with a health check
# and a GET /, before any traffic reaches it. Both must answer 200 with a response ALB accepts
# (RESPONSE_VALIDATOR). With "login" (AUTH is on) the GET / carries no signed login from the ALB,
# so the function rightly refuses it: there any answer below 500 passes (ALB health checks skip
# the login, so the health check must still answer 200). On failure CHECK_WHY says why; status 1.
check_version() {
  local v=$1 name path agent ev out status validator flag=() err why
  CHECK_WHY=""
  read -r -a validator <<<"$RESPONSE_VALIDATOR"
  [[ $3 == true ]] && flag=(--multi-value)
  for name in health index; do
    if [[ $name == health ]]; then path=$2 agent=ELB-HealthChecker/2.0; else path=/ agent=pre-traffic-check; fi
    ev="$WORK/event-$name.json" out="$WORK/response-$name.json"
    if [[ ${FRONT:-alb} == function-url ]]; then url_event "$path" "$agent" >"$ev"; else alb_event "$path" "$agent" "$3" >"$ev"; fi
    if [[ -n $PRE_TRAFFIC_INVOKER ]]; then
      if ! CHECK_FUNCTION=$FUNCTION_NAME CHECK_VERSION=$v ZIP=$ZIP bash -c "$PRE_TRAFFIC_INVOKER \"\$1\"" _ "$ev" >"$out" 2>"$WORK/invoker.err"; then
        CHECK_WHY="GET $path: the invoker (PRE_TRAFFIC_INVOKER) failed: $(tail -n 3 "$WORK/invoker.err")"
        return 1
      fi
    else
      err=$(aws_do lambda invoke --function-name "$FUNCTION_NAME" --qualifier "$v" --payload "fileb://$ev" \
        --query FunctionError "$out")
      if [[ -n $err && $err != None ]]; then
        CHECK_WHY="GET $path: the function failed ($err): $(head -c 600 "$out")"
        return 1
      fi
    fi
    status=$(grep -oE '"statusCode" *: *[0-9]+' "$out" | head -n1 | grep -oE '[0-9]+$' || true)
    if [[ $name == index && ${4:-} == login ]]; then
      if [[ ! $status =~ ^[1-4][0-9][0-9]$ ]]; then
        CHECK_WHY="GET $path (without a login) answered ${status:-no status code}, a server error: $(head -c 300 "$out")"
        return 1
      fi
    elif [[ $status != 200 ]]; then
      CHECK_WHY="GET $path answered ${status:-no status code}, not 200: $(head -c 300 "$out")"
      return 1
    fi
    if [[ ${FRONT:-alb} == function-url ]]; then
      why=$(url_response_problem "$out")
      if [[ -n $why ]]; then
        CHECK_WHY="GET $path: a Function URL would not accept the response (it would answer 502): $why"
        return 1
      fi
      info "GET $path -> $status, a response a Function URL accepts"
      continue
    fi
    if ! (cd "$DEPLOY_DIR/.." && "${validator[@]}" "${flag[@]}") <"$out" >"$WORK/validator.out" 2>&1; then
      CHECK_WHY="GET $path: ALB would not accept the response (it would answer 502): $(tail -n 3 "$WORK/validator.out")"
      return 1
    fi
    info "GET $path -> $status, a response ALB accepts"
  done
}
