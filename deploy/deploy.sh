#!/usr/bin/env bash
# Deploy the static-site Lambda behind an Application Load Balancer (`make deploy`).
#
# Creates or updates, in order: execution role, function, version + alias, target group,
# the ELB invoke permission, the registration, and a listener rule (LISTENER_ARN) or a new
# ALB with its security group and HTTP :80 listener. Idempotent: a second run only ships new
# code; a run that stopped half-way completes when run again. Settings: deploy/settings.env.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=deploy
STEPS=10
parse_args "$@"
load_settings

is_int() { [[ $1 =~ ^[0-9]+$ ]]; }
in_range() { # in_range NAME VALUE MIN MAX
  if ! is_int "$2" || ((10#$2 < $3 || 10#$2 > $4)); then
    die "$1=$2 is not a whole number from $3 to $4." "set $1 in deploy/settings.env"
  fi
}

# ------------------------------------------------------------------ 1. checks (no changes)
step "checking settings, credentials and the package (no changes yet)"
check_name_settings
require ZIP "the deployment package to upload (built by 'make build')"
[[ -f $ZIP ]] || die "the package $ZIP does not exist." "build it with 'make build', or point ZIP at a zip holding 'bootstrap'"
require ALIAS_NAME "the load balancer targets this alias"
[[ $ALIAS_NAME =~ ^[A-Za-z][A-Za-z0-9_-]{0,127}$ ]] || die "ALIAS_NAME='$ALIAS_NAME' is not a valid alias name." "start with a letter; letters, digits, - and _"
case $ARCHITECTURE in x86_64 | arm64) ;; *) die "ARCHITECTURE='$ARCHITECTURE' must be x86_64 or arm64." "set ARCHITECTURE" ;; esac
case $LOG_FORMAT in Text | JSON) ;; *) die "LOG_FORMAT='$LOG_FORMAT' must be Text or JSON." "set LOG_FORMAT" ;; esac
case $MULTI_VALUE_HEADERS in true | false) ;; *) die "MULTI_VALUE_HEADERS='$MULTI_VALUE_HEADERS' must be true or false." "set MULTI_VALUE_HEADERS" ;; esac
case $CURL_CHECK in auto | never) ;; *) die "CURL_CHECK='$CURL_CHECK' must be auto or never." "set CURL_CHECK" ;; esac
in_range MEMORY_SIZE "$MEMORY_SIZE" 128 10240
in_range TIMEOUT "$TIMEOUT" 1 900
in_range HEALTH_CHECK_INTERVAL "$HEALTH_CHECK_INTERVAL" 10 300
in_range DIRECT_UPLOAD_LIMIT "$DIRECT_UPLOAD_LIMIT" 1 52428800
require HEALTH_PATH "the ALB health checks call this path"
[[ $HEALTH_PATH == /* ]] || die "HEALTH_PATH='$HEALTH_PATH' must start with /." "for example HEALTH_PATH=/health"
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
fi

ZIP_SIZE=$(stat -c %s "$ZIP")
ZIP_SHA=$(sha256sum "$ZIP" | cut -c1-64)
USE_S3=false
if ((ZIP_SIZE > DIRECT_UPLOAD_LIMIT)); then
  USE_S3=true
  [[ -n $DEPLOY_BUCKET ]] || die "$ZIP is $ZIP_SIZE bytes, over Lambda's direct-upload limit ($DIRECT_UPLOAD_LIMIT bytes), and DEPLOY_BUCKET is empty." \
    "name an existing S3 bucket in $AWS_REGION: make deploy DEPLOY_BUCKET=<bucket> (or make the package smaller)"
fi
info "package $ZIP: $ZIP_SIZE bytes, sha256 ${ZIP_SHA:0:12}…"

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

taken() { die "$1 already exists and was not created by this stack (no tag $TAG_KEY=$STACK_NAME)." \
  "choose another ${2:-STACK_NAME} (make deploy ${2:-STACK_NAME}=...), or remove the existing $1"; }

EXISTING_ROLE=""
if [[ -z $ROLE_ARN ]]; then
  EXISTING_ROLE=$(find_role)
  [[ $EXISTING_ROLE == foreign ]] && taken "IAM role $ROLE_NAME"
fi
FN_ARN=$(find_function)
[[ $FN_ARN == foreign ]] && taken "Lambda function $FUNCTION_NAME" FUNCTION_NAME
TG_ARN=$(find_tg)
[[ $TG_ARN == foreign ]] && taken "target group $TG_NAME"

if [[ -n $LISTENER_ARN ]]; then
  aws_try elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].LoadBalancerArn' >"$WORK/lb" ||
    { not_found && die "the listener LISTENER_ARN=$LISTENER_ARN does not exist in $AWS_REGION." "check the ARN and the region (aws elbv2 describe-listeners --load-balancer-arn ...)"; aws_fail elbv2 describe-listeners; }
  LB_ARN=$(<"$WORK/lb")
  info "routing: a rule (priority $RULE_PRIORITY) on the existing listener $LISTENER_ARN"
else
  VPC_ID=$(default_vpc)
  [[ -n $VPC_ID ]] || die "there is no default VPC in $AWS_REGION to put a new load balancer in." \
    "create one (aws ec2 create-default-vpc), or use an existing ALB: make deploy LISTENER_ARN=<listener arn>"
  OUT=$(aws_do ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC_ID" Name=default-for-az,Values=true \
    --query 'Subnets[].SubnetId')
  read -r -d "" -a SUBNETS <<<"$OUT" || true
  ((${#SUBNETS[@]} >= 2)) || die "the default VPC $VPC_ID has ${#SUBNETS[@]} default subnet(s); an ALB needs two in different zones." \
    "add a default subnet (aws ec2 create-default-subnet --availability-zone ...), or use LISTENER_ARN"
  LB_ARN=$(find_alb)
  [[ $LB_ARN == foreign ]] && taken "load balancer $ALB_NAME"
  SG_ID=$(find_sg "$VPC_ID")
  [[ $SG_ID == foreign ]] && taken "security group $SG_NAME in $VPC_ID"
  info "routing: ${LB_ARN:+existing }load balancer $ALB_NAME in the default VPC $VPC_ID, HTTP :80"
fi

# ------------------------------------------------------------------ 2. role
step "execution role"
if [[ -n $ROLE_ARN ]]; then
  info "using the given role $ROLE_ARN"
else
  POLICY_ARN="arn:$PARTITION$MANAGED_POLICY_ARN_SUFFIX"
  if [[ -n $EXISTING_ROLE ]]; then
    ROLE_ARN=$EXISTING_ROLE
    info "exists: $ROLE_ARN"
  else
    TRUST='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    ROLE_ARN=$(aws_do iam create-role --role-name "$ROLE_NAME" --assume-role-policy-document "$TRUST" \
      --description "Execution role of the $FUNCTION_NAME static site (make deploy)" \
      --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query Role.Arn)
    info "created $ROLE_ARN"
  fi
  OUT=$(aws_do iam list-attached-role-policies --role-name "$ROLE_NAME" --query 'AttachedPolicies[].PolicyArn')
  if ! grep -qF "$POLICY_ARN" <<<"$OUT"; then
    aws_do iam attach-role-policy --role-name "$ROLE_NAME" --policy-arn "$POLICY_ARN" >/dev/null
    info "attached AWSLambdaBasicExecutionRole (CloudWatch Logs)"
  fi
fi

# ------------------------------------------------------------------ 3. package
step "deployment package"
if $USE_S3; then
  S3_KEY="${S3_PREFIX}bootstrap-${ZIP_SHA:0:16}.zip"
  info "$ZIP_SIZE bytes is over the direct-upload limit of $DIRECT_UPLOAD_LIMIT bytes: uploading through s3://$DEPLOY_BUCKET/$S3_KEY"
  aws_do s3api put-object --bucket "$DEPLOY_BUCKET" --key "$S3_KEY" --body "$ZIP" \
    --tagging "$TAG_KEY=$STACK_NAME" --query ETag >/dev/null
  CREATE_CODE=(--code "S3Bucket=$DEPLOY_BUCKET,S3Key=$S3_KEY")
  UPDATE_CODE=(--s3-bucket "$DEPLOY_BUCKET" --s3-key "$S3_KEY")
else
  info "$ZIP_SIZE bytes: direct upload"
  CREATE_CODE=(--zip-file "fileb://$ZIP")
  UPDATE_CODE=(--zip-file "fileb://$ZIP")
fi

# ------------------------------------------------------------------ 4. function
step "Lambda function $FUNCTION_NAME (provided.al2023, $ARCHITECTURE, ${MEMORY_SIZE} MB, ${TIMEOUT} s, $LOG_FORMAT logs)"
if [[ -z $FN_ARN ]]; then
  # A role created seconds ago may not be assumable by Lambda yet: retry for a while.
  for try in $(seq 1 12); do
    if FN_ARN=$(aws_try lambda create-function --function-name "$FUNCTION_NAME" --runtime provided.al2023 \
      --handler bootstrap --architectures "$ARCHITECTURE" --memory-size "$MEMORY_SIZE" --timeout "$TIMEOUT" \
      --logging-config "LogFormat=$LOG_FORMAT" --role "$ROLE_ARN" "${CREATE_CODE[@]}" \
      --tags "{\"$TAG_KEY\":\"$STACK_NAME\"}" --query FunctionArn); then
      break
    fi
    if ! grep -qE 'cannot be assumed|role defined for the function' "$AWS_ERR" || ((try == 12)); then
      aws_fail lambda create-function
    fi
    info "the new role is not usable by Lambda yet; retrying in 5 s ($try/12)"
    sleep 5
  done
  info "created $FN_ARN; waiting until it is active"
  aws_do lambda wait function-active-v2 --function-name "$FUNCTION_NAME" >/dev/null
else
  info "exists: $FN_ARN"
  aws_do lambda wait function-updated-v2 --function-name "$FUNCTION_NAME" >/dev/null
  WANT="provided.al2023 bootstrap $MEMORY_SIZE $TIMEOUT $ROLE_ARN $LOG_FORMAT"
  HAVE=$(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" \
    --query '[Runtime,Handler,MemorySize,Timeout,Role,LoggingConfig.LogFormat]' | tr '\t' ' ')
  # An absent LoggingConfig means Lambda's default, Text (moto does not store it at all).
  HAVE=${HAVE% None}
  [[ $HAVE == *" "@(Text|JSON) ]] || HAVE+=" Text"
  CONFIG_CHANGED=""
  if [[ $HAVE != "$WANT" ]]; then
    CONFIG_CHANGED=1
    info "updating the configuration (was: $HAVE)"
    aws_do lambda update-function-configuration --function-name "$FUNCTION_NAME" --runtime provided.al2023 \
      --handler bootstrap --memory-size "$MEMORY_SIZE" --timeout "$TIMEOUT" --role "$ROLE_ARN" \
      --logging-config "LogFormat=$LOG_FORMAT" --query LastUpdateStatus >/dev/null
    aws_do lambda wait function-updated-v2 --function-name "$FUNCTION_NAME" >/dev/null
  else
    info "configuration unchanged"
  fi
  # Lambda's CodeSha256 is the base64 SHA-256 of the package. The same package with the same
  # configuration is neither uploaded nor published again: a repeated deploy changes nothing.
  ZIP_SHA_B64=$(openssl dgst -sha256 -binary "$ZIP" | base64 -w0)
  if [[ -z $CONFIG_CHANGED ]] &&
    LIVE=$(aws_try lambda get-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --query FunctionVersion) &&
    [[ $(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$LIVE" \
      --query CodeSha256) == "$ZIP_SHA_B64" ]]; then
    LIVE_VERSION=$LIVE
    info "code unchanged: version $LIVE_VERSION (alias $ALIAS_NAME) already runs this package"
  else
    info "uploading the code; waiting until the update has finished"
    aws_do lambda update-function-code --function-name "$FUNCTION_NAME" --architectures "$ARCHITECTURE" \
      "${UPDATE_CODE[@]}" --query LastUpdateStatus >/dev/null
    aws_do lambda wait function-updated-v2 --function-name "$FUNCTION_NAME" >/dev/null
  fi
fi

# ------------------------------------------------------------------ 5. version + alias
step "published version and alias $ALIAS_NAME"
if [[ -n ${LIVE_VERSION-} ]]; then
  VERSION=$LIVE_VERSION
  info "alias $ALIAS_NAME stays on version $VERSION"
else
  VERSION=$(aws_do lambda publish-version --function-name "$FUNCTION_NAME" \
    --description "make deploy, sha256 ${ZIP_SHA:0:12}" --query Version)
  if aws_try lambda get-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --query FunctionVersion >"$WORK/alias"; then
    aws_do lambda update-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --function-version "$VERSION" \
      --query AliasArn >/dev/null
    info "alias $ALIAS_NAME: version $(<"$WORK/alias") -> $VERSION"
  else
    not_found || aws_fail lambda get-alias
    aws_do lambda create-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --function-version "$VERSION" \
      --query AliasArn >/dev/null
    info "created alias $ALIAS_NAME -> version $VERSION"
  fi
fi
ALIAS_ARN="$FN_ARN:$ALIAS_NAME"

# ------------------------------------------------------------------ 6. target group
step "target group $TG_NAME (lambda, multi-value headers $MULTI_VALUE_HEADERS, health checks on $HEALTH_PATH)"
HC_TIMEOUT=$((HEALTH_CHECK_INTERVAL > 35 ? 30 : HEALTH_CHECK_INTERVAL - 5))
if [[ -z $TG_ARN ]]; then
  TG_ARN=$(aws_do elbv2 create-target-group --name "$TG_NAME" --target-type lambda \
    --health-check-enabled --health-check-path "$HEALTH_PATH" \
    --health-check-interval-seconds "$HEALTH_CHECK_INTERVAL" --health-check-timeout-seconds "$HC_TIMEOUT" \
    --matcher HttpCode=200 --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'TargetGroups[0].TargetGroupArn')
  info "created $TG_ARN"
else
  info "exists: $TG_ARN"
  HAVE=$(aws_do elbv2 describe-target-groups --target-group-arns "$TG_ARN" \
    --query 'TargetGroups[0].[HealthCheckEnabled,HealthCheckPath,HealthCheckIntervalSeconds]' | tr '\t' ' ')
  if [[ $HAVE != "True $HEALTH_PATH $HEALTH_CHECK_INTERVAL" ]]; then
    aws_do elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-enabled \
      --health-check-path "$HEALTH_PATH" --health-check-interval-seconds "$HEALTH_CHECK_INTERVAL" \
      --health-check-timeout-seconds "$HC_TIMEOUT" --query 'TargetGroups[0].TargetGroupArn' >/dev/null
    info "updated the health check (was: $HAVE)"
  fi
fi
MV=$(aws_do elbv2 describe-target-group-attributes --target-group-arn "$TG_ARN" \
  --query "Attributes[?Key=='lambda.multi_value_headers.enabled'].Value | [0]")
if [[ $MV != "$MULTI_VALUE_HEADERS" ]]; then
  aws_do elbv2 modify-target-group-attributes --target-group-arn "$TG_ARN" \
    --attributes "Key=lambda.multi_value_headers.enabled,Value=$MULTI_VALUE_HEADERS" --query Attributes >/dev/null
  info "lambda.multi_value_headers.enabled = $MULTI_VALUE_HEADERS"
fi

# ------------------------------------------------------------------ 7. permission
step "permission for elasticloadbalancing.amazonaws.com to invoke $FUNCTION_NAME:$ALIAS_NAME from $TG_NAME"
POLICY=""
if ! POLICY=$(aws_try lambda get-policy --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --query Policy); then
  not_found || aws_fail lambda get-policy
  POLICY=""
fi
if grep -qE "\"Sid\" *: *\"$STATEMENT_ID\"" <<<"$POLICY" && grep -qF "$TG_ARN" <<<"$POLICY"; then
  info "exists: statement $STATEMENT_ID"
else
  if grep -qE "\"Sid\" *: *\"$STATEMENT_ID\"" <<<"$POLICY"; then
    info "replacing statement $STATEMENT_ID (it names another target group)"
    aws_do lambda remove-permission --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --statement-id "$STATEMENT_ID" >/dev/null
  fi
  aws_do lambda add-permission --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" \
    --statement-id "$STATEMENT_ID" --principal elasticloadbalancing.amazonaws.com --action lambda:InvokeFunction \
    --source-arn "$TG_ARN" --source-account "$ACCOUNT" --query Statement >/dev/null
  info "added statement $STATEMENT_ID (source ARN: the target group)"
fi

# ------------------------------------------------------------------ 8. registration
step "registering $FUNCTION_NAME:$ALIAS_NAME in the target group"
OUT=$(aws_do elbv2 describe-target-health --target-group-arn "$TG_ARN" --query 'TargetHealthDescriptions[].Target.Id')
read -r -d "" -a TARGETS <<<"$OUT" || true
REGISTERED=false
for t in "${TARGETS[@]}"; do
  if [[ $t == "$ALIAS_ARN" ]]; then
    REGISTERED=true
  else # one Lambda per target group: an old target (e.g. another alias) must go first
    aws_do elbv2 deregister-targets --target-group-arn "$TG_ARN" --targets "Id=$t" >/dev/null
    info "deregistered the old target $t"
  fi
done
if $REGISTERED; then
  info "already registered: $ALIAS_ARN"
else
  aws_do elbv2 register-targets --target-group-arn "$TG_ARN" --targets "Id=$ALIAS_ARN" >/dev/null
  info "registered $ALIAS_ARN"
fi

# ------------------------------------------------------------------ 9. routing
csv_json() { # "a,b" -> "a","b"
  local IFS=, out="" v
  for v in $1; do
    v=${v#"${v%%[![:space:]]*}"}
    v=${v%"${v##*[![:space:]]}"}
    [[ -n $v ]] && out+="${out:+,}\"$v\""
  done
  printf '%s' "$out"
}
if [[ -n $LISTENER_ARN ]]; then
  step "listener rule (priority $RULE_PRIORITY${RULE_PATH_PATTERNS:+, path $RULE_PATH_PATTERNS}${RULE_HOST_HEADERS:+, host $RULE_HOST_HEADERS})"
  CONDITIONS=()
  [[ -n $RULE_PATH_PATTERNS ]] && CONDITIONS+=("{\"Field\":\"path-pattern\",\"PathPatternConfig\":{\"Values\":[$(csv_json "$RULE_PATH_PATTERNS")]}}")
  [[ -n $RULE_HOST_HEADERS ]] && CONDITIONS+=("{\"Field\":\"host-header\",\"HostHeaderConfig\":{\"Values\":[$(csv_json "$RULE_HOST_HEADERS")]}}")
  COND_JSON="[$(IFS=,; echo "${CONDITIONS[*]}")]"
  RULE_ARN=$(find_rule "$TG_ARN")
  if [[ -z $RULE_ARN ]]; then
    RULE_ARN=$(aws_do elbv2 create-rule --listener-arn "$LISTENER_ARN" --priority "$RULE_PRIORITY" \
      --conditions "$COND_JSON" --actions "Type=forward,TargetGroupArn=$TG_ARN" \
      --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'Rules[0].RuleArn')
    info "created $RULE_ARN"
  else
    info "exists: $RULE_ARN"
    aws_do elbv2 modify-rule --rule-arn "$RULE_ARN" --conditions "$COND_JSON" --query 'Rules[0].RuleArn' >/dev/null
    PRIO=$(aws_do elbv2 describe-rules --rule-arns "$RULE_ARN" --query 'Rules[0].Priority')
    if [[ $PRIO != "$RULE_PRIORITY" ]]; then
      aws_do elbv2 set-rule-priorities --rule-priorities "RuleArn=$RULE_ARN,Priority=$RULE_PRIORITY" --query 'Rules[0].RuleArn' >/dev/null
      info "priority $PRIO -> $RULE_PRIORITY"
    fi
  fi
  OUT=$(aws_do elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].[Protocol,Port]')
  read -r LISTENER_PROTO LISTENER_PORT <<<"$OUT"
else
  step "load balancer $ALB_NAME, security group $SG_NAME and HTTP :80 listener"
  if [[ -z $SG_ID ]]; then
    SG_ID=$(aws_do ec2 create-security-group --group-name "$SG_NAME" --vpc-id "$VPC_ID" \
      --description "HTTP to the $STACK_NAME static site ALB (make deploy)" \
      --tag-specifications "ResourceType=security-group,Tags=[{Key=$TAG_KEY,Value=$STACK_NAME}]" --query GroupId)
    info "created security group $SG_ID"
  else
    info "security group exists: $SG_ID"
  fi
  if [[ $(aws_do ec2 describe-security-groups --group-ids "$SG_ID" \
    --query "length(SecurityGroups[0].IpPermissions[?FromPort==\`80\` && IpProtocol=='tcp'])") == 0 ]]; then
    aws_do ec2 authorize-security-group-ingress --group-id "$SG_ID" --protocol tcp --port 80 --cidr 0.0.0.0/0 >/dev/null
    info "allowed tcp/80 from anywhere"
  fi
  if [[ -z $LB_ARN ]]; then
    LB_ARN=$(aws_do elbv2 create-load-balancer --name "$ALB_NAME" --type application --scheme internet-facing \
      --subnets "${SUBNETS[@]}" --security-groups "$SG_ID" --tags "Key=$TAG_KEY,Value=$STACK_NAME" \
      --query 'LoadBalancers[0].LoadBalancerArn')
    info "created $LB_ARN; waiting until it is active (a few minutes on AWS)"
  else
    info "load balancer exists: $LB_ARN"
  fi
  aws_do elbv2 wait load-balancer-available --load-balancer-arns "$LB_ARN" >/dev/null
  LISTENER_ARN_80=$(aws_do elbv2 describe-listeners --load-balancer-arn "$LB_ARN" \
    --query "Listeners[?Port==\`80\`].ListenerArn | [0]")
  if [[ $LISTENER_ARN_80 == None || -z $LISTENER_ARN_80 ]]; then
    LISTENER_ARN_80=$(aws_do elbv2 create-listener --load-balancer-arn "$LB_ARN" --protocol HTTP --port 80 \
      --default-actions "Type=forward,TargetGroupArn=$TG_ARN" --tags "Key=$TAG_KEY,Value=$STACK_NAME" \
      --query 'Listeners[0].ListenerArn')
    info "created listener HTTP :80 -> $TG_NAME"
  else
    info "listener HTTP :80 exists: $LISTENER_ARN_80"
    FWD=$(aws_do elbv2 describe-listeners --listener-arns "$LISTENER_ARN_80" --query 'Listeners[0].DefaultActions[0].TargetGroupArn')
    if [[ $FWD != "$TG_ARN" ]]; then
      aws_do elbv2 modify-listener --listener-arn "$LISTENER_ARN_80" --default-actions "Type=forward,TargetGroupArn=$TG_ARN" \
        --query 'Listeners[0].ListenerArn' >/dev/null
      info "pointed its default action at $TG_NAME"
    fi
  fi
  LISTENER_PROTO=HTTP
  LISTENER_PORT=80
fi

# ------------------------------------------------------------------ 10. result
step "done"
DNS=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].DNSName')
SCHEME=$(tr '[:upper:]' '[:lower:]' <<<"$LISTENER_PROTO")
PORT_PART=""
[[ ($SCHEME == http && $LISTENER_PORT != 80) || ($SCHEME == https && $LISTENER_PORT != 443) ]] && PORT_PART=":$LISTENER_PORT"
URL="$SCHEME://$DNS$PORT_PART/"
info "function $FN_ARN, version $VERSION behind alias $ALIAS_NAME"
info "target group $TG_ARN"
if [[ -n $RULE_HOST_HEADERS ]]; then
  info "the rule only matches Host: $RULE_HOST_HEADERS (point that name at $DNS)"
fi
echo
echo "Open: $URL"
if [[ $CURL_CHECK == auto ]]; then
  if ! command -v curl >/dev/null; then
    info "(curl is not installed: skipping the health check request)"
  elif CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$SCHEME://$DNS$PORT_PART$HEALTH_PATH"); then
    echo "curl $SCHEME://$DNS$PORT_PART$HEALTH_PATH -> HTTP $CODE"
  else
    echo "curl $SCHEME://$DNS$PORT_PART$HEALTH_PATH: not reachable from here (yet). A new load balancer's name"
    echo "takes a few minutes to resolve; try again later: curl -i $SCHEME://$DNS$PORT_PART$HEALTH_PATH"
  fi
fi
