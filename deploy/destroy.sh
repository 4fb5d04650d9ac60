#!/usr/bin/env bash
# Remove what `make deploy` created (`make destroy`), and only that.
#
# Every resource is looked up by its name and must carry the tag alb-static-site:stack=<STACK_NAME>;
# anything without the tag is left alone and reported. An existing listener/ALB given as LISTENER_ARN
# is never deleted: only the rule deploy added to it. Certificates (CERTIFICATE_ARN), hosted zones
# (HOSTED_ZONE_ID), VPCs and subnets are yours and never deleted: only the DNS record deploy wrote,
# when it still points at this stack's load balancer (or distribution). A Function URL front door
# goes with its permissions, and its CloudFront distribution and origin access control when deploy
# made them (a distribution is disabled first and deleted once that is deployed: minutes of
# waiting; stopped, destroy carries on when run again). The bucket of the files kept in S3 goes, with
# every object in it, only when deploy created it (tagged); a bucket given as OFFLOAD_BUCKET stays,
# with its objects. Running it again when nothing is left is a no-op.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=destroy
STEPS=11
parse_args "$@"
load_settings

skip_foreign() { info "left alone: $1 exists but has no tag $TAG_KEY=$STACK_NAME (not created by this stack)"; }

# ------------------------------------------------------------------ 1. checks
step "checking settings and credentials (no changes yet)"
check_name_settings
setup_aws
ACCOUNT=$(account_id)
info "account $ACCOUNT, region $AWS_REGION${AWS_PROFILE:+, profile $AWS_PROFILE}${AWS_ENDPOINT_URL:+, endpoint $AWS_ENDPOINT_URL}"
TG_ARN=$(find_tg)
FN_ARN=$(find_function)

# ------------------------------------------------------------------ 2. listener rule
step "listener rule on LISTENER_ARN${LISTENER_ARN:+ $LISTENER_ARN}"
if [[ -z $LISTENER_ARN ]]; then
  info "LISTENER_ARN is empty: no rule to remove"
elif [[ -z $TG_ARN || $TG_ARN == foreign ]]; then
  info "no target group of this stack: no rule to remove"
elif ! aws_try elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].ListenerArn' >/dev/null; then
  not_found || aws_fail elbv2 describe-listeners
  info "the listener no longer exists"
else
  RULE_ARN=$(find_rule "$TG_ARN")
  if [[ -z $RULE_ARN ]]; then
    info "none"
  elif has_our_tag "$(aws_do elbv2 describe-tags --resource-arns "$RULE_ARN" --query 'TagDescriptions[0].Tags[].[Key,Value]')"; then
    aws_do elbv2 delete-rule --rule-arn "$RULE_ARN" >/dev/null
    info "deleted $RULE_ARN (the listener stays)"
  else
    skip_foreign "rule $RULE_ARN"
  fi
fi

LB_ARN=$(find_alb)

# ------------------------------------------------------------------ 3. DNS record
step "Route 53 record${DOMAIN_NAME:+ $DOMAIN_NAME}"
if [[ -z $DOMAIN_NAME || -z $HOSTED_ZONE_ID ]]; then
  info "DOMAIN_NAME / HOSTED_ZONE_ID are empty: no record to remove (set them if an earlier deploy used them)"
else
  DOMAIN_NAME=${DOMAIN_NAME%.}
  HOSTED_ZONE_ID=${HOSTED_ZONE_ID#/hostedzone/}
  if ! OUT=$(aws_try route53 list-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --start-record-name "$DOMAIN_NAME" \
    --start-record-type A --max-items 1 --output json --query "ResourceRecordSets[?Type=='A' && Name=='$DOMAIN_NAME.'] | [0]"); then
    not_found || aws_fail route53 list-resource-record-sets
    OUT=null
  fi
  LB_DNS=""
  [[ -n $LB_ARN && $LB_ARN != foreign ]] && LB_DNS=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].DNSName')
  TARGET=$(sed -nE 's/.*"DNSName": *"([^"]*)".*/\1/p' <<<"$OUT" | tr '[:upper:]' '[:lower:]')
  TARGET=${TARGET%.}
  TARGET=${TARGET#dualstack.}
  if [[ $OUT == null || -z $OUT ]]; then
    info "none"
  elif [[ -n $LB_DNS && $TARGET == "${LB_DNS,,}" ]] || [[ -z $LB_DNS && $TARGET =~ ^(internal-)?${ALB_NAME,,}-[0-9a-z]+\. ]]; then
    aws_do route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" \
      --change-batch "{\"Changes\":[{\"Action\":\"DELETE\",\"ResourceRecordSet\":$(tr -d '\n' <<<"$OUT")}]}" --query ChangeInfo.Id >/dev/null
    info "deleted $DOMAIN_NAME -> $TARGET (the hosted zone stays)"
  else
    info "left alone: $DOMAIN_NAME points at $TARGET, not at this stack's load balancer"
  fi
fi

# ------------------------------------------------------------------ 4. load balancer
step "load balancer $ALB_NAME and its listeners"
if [[ -z $LB_ARN ]]; then
  info "none"
elif [[ $LB_ARN == foreign ]]; then
  skip_foreign "load balancer $ALB_NAME"
else
  OUT=$(aws_do elbv2 describe-listeners --load-balancer-arn "$LB_ARN" --query 'Listeners[].ListenerArn')
  for l in $OUT; do
    aws_do elbv2 delete-listener --listener-arn "$l" >/dev/null
    info "deleted listener $l"
  done
  aws_do elbv2 delete-load-balancer --load-balancer-arn "$LB_ARN" >/dev/null
  info "deleting $LB_ARN; waiting until it is gone"
  aws_do elbv2 wait load-balancers-deleted --load-balancer-arns "$LB_ARN" >/dev/null
fi

# ------------------------------------------------------------------ 5. security group
step "security group $SG_NAME"
SG_ID=$(find_sg "")
if [[ -z $SG_ID ]]; then
  info "none"
elif [[ $SG_ID == foreign ]]; then
  skip_foreign "security group $SG_NAME"
else
  # The deleted ALB's network interfaces take a while to go; until then the group is "in use".
  for try in $(seq 1 30); do
    if aws_try ec2 delete-security-group --group-id "$SG_ID"; then
      info "deleted $SG_ID"
      break
    fi
    if ! grep -q DependencyViolation "$AWS_ERR" || ((try == 30)); then aws_fail ec2 delete-security-group; fi
    info "still in use by the load balancer's network interfaces; retrying in 10 s ($try/30)"
    sleep 10
  done
fi

# ------------------------------------------------------------------ 6. target group
step "target group $TG_NAME"
if [[ -z $TG_ARN ]]; then
  info "none"
elif [[ $TG_ARN == foreign ]]; then
  skip_foreign "target group $TG_NAME"
else
  OUT=$(aws_do elbv2 describe-target-health --target-group-arn "$TG_ARN" --query 'TargetHealthDescriptions[].Target.Id')
  for t in $OUT; do
    aws_do elbv2 deregister-targets --target-group-arn "$TG_ARN" --targets "Id=$t" >/dev/null
    info "deregistered $t"
  done
  aws_do elbv2 delete-target-group --target-group-arn "$TG_ARN" >/dev/null
  info "deleted $TG_ARN"
fi

# ------------------------------------------------------------------ 7. Function URL and CloudFront
step "Function URL on $FUNCTION_NAME:$ALIAS_NAME, its permissions, CloudFront distribution and origin access control"
# CloudFront is looked for when the URL is there (it goes last, so a destroy stopped half-way still
# finds it), or when the settings say it is used: an ALB-only stack needs no CloudFront permission.
URL_LINE=""
[[ -n $FN_ARN && $FN_ARN != foreign ]] && URL_LINE=$(find_url)
if [[ -n $URL_LINE || $CLOUDFRONT == on ]]; then
  command -v jq >/dev/null || die "removing the Function URL front door needs jq (it reads the URL's permissions with it), which is not installed." \
    "install jq (apt-get install jq, or brew install jq) and run again"
  DOMAIN_NAME=${DOMAIN_NAME%.} HOSTED_ZONE_ID=${HOSTED_ZONE_ID#/hostedzone/}
  remove_url_front
else
  info "none"
fi

# ------------------------------------------------------------------ 8. function
step "Lambda function $FUNCTION_NAME (with its versions, alias and permission) and its log group"
if [[ -z $FN_ARN ]]; then
  info "none"
elif [[ $FN_ARN == foreign ]]; then
  skip_foreign "function $FUNCTION_NAME"
else
  aws_do lambda delete-function --function-name "$FUNCTION_NAME" >/dev/null
  info "deleted $FN_ARN"
  if aws_try logs delete-log-group --log-group-name "/aws/lambda/$FUNCTION_NAME" >/dev/null; then
    info "deleted log group /aws/lambda/$FUNCTION_NAME"
  else
    not_found || aws_fail logs delete-log-group
  fi
fi

# ------------------------------------------------------------------ 9. role
step "execution role $ROLE_NAME"
if [[ -n $ROLE_ARN ]]; then
  info "ROLE_ARN is set: that role was given, not created; left alone"
else
  R=$(find_role)
  if [[ -z $R ]]; then
    info "none"
  elif [[ $R == foreign ]]; then
    skip_foreign "role $ROLE_NAME"
  else
    OUT=$(aws_do iam list-attached-role-policies --role-name "$ROLE_NAME" --query 'AttachedPolicies[].PolicyArn')
    for p in $OUT; do
      aws_do iam detach-role-policy --role-name "$ROLE_NAME" --policy-arn "$p" >/dev/null
    done
    OUT=$(aws_do iam list-role-policies --role-name "$ROLE_NAME" --query 'PolicyNames[]')
    for p in $OUT; do
      aws_do iam delete-role-policy --role-name "$ROLE_NAME" --policy-name "$p" >/dev/null
    done
    aws_do iam delete-role --role-name "$ROLE_NAME" >/dev/null
    info "deleted $R"
  fi
fi

# ------------------------------------------------------------------ 10. files kept in S3
BUCKET=$(offload_bucket_default "$ACCOUNT")
step "bucket of the files kept in S3 ($BUCKET${OFFLOAD_BUCKET:+; given: $OFFLOAD_BUCKET})"
[[ -n $OFFLOAD_BUCKET ]] && info "OFFLOAD_BUCKET=$OFFLOAD_BUCKET was given, not created: it and its objects are left alone"
if [[ $OFFLOAD_BUCKET == "$BUCKET" ]]; then
  : # the given bucket is the one deploy would have made: left alone too
else
  # Deploy creates this bucket only when OFFLOAD_BUCKET is empty; an earlier deploy may have.
  FOUND=$(find_bucket "$BUCKET" "$ACCOUNT")
  case $FOUND in
    "") info "none" ;;
    ours)
      # Every object version and delete marker (a bucket must be empty to go), 1000 at a time.
      n=0
      while :; do
        # shellcheck disable=SC2016 # `true` is JMESPath's literal, not a command
        aws_do s3api list-object-versions --bucket "$BUCKET" --max-keys 1000 --no-paginate --output json \
          --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}' >"$WORK/delete.json"
        count=$(grep -c '^ *"Key": ' "$WORK/delete.json" || true)
        ((count > 0)) || break
        OUT=$(aws_do s3api delete-objects --bucket "$BUCKET" --delete "file://$WORK/delete.json" --query 'Errors[0].[Key,Code,Message]')
        [[ -z $OUT || $OUT == None ]] || die "S3 did not delete every object of s3://$BUCKET: $OUT" \
          "read the error (a permission, or object lock), fix it and run again"
        n=$((n + count))
      done
      aws_do s3api delete-bucket --bucket "$BUCKET" >/dev/null
      info "deleted s3://$BUCKET and its $n object version(s) and delete marker(s)" ;;
    foreign) skip_foreign "bucket $BUCKET" ;;
    forbidden) info "left alone: $BUCKET exists but not for this account (or you may not read it)" ;;
    region:*) info "left alone: $BUCKET is in ${FOUND#region:}, not $AWS_REGION (not this stack's)" ;;
  esac
fi

# ------------------------------------------------------------------ 11. uploaded packages
step "packages uploaded to DEPLOY_BUCKET${DEPLOY_BUCKET:+ s3://$DEPLOY_BUCKET/$S3_PREFIX}"
if [[ -z $DEPLOY_BUCKET ]]; then
  info "DEPLOY_BUCKET is empty: nothing was uploaded through S3 (set it if an earlier deploy used it)"
elif ! aws_try s3api head-bucket --bucket "$DEPLOY_BUCKET"; then
  not_found || aws_fail s3api head-bucket
  info "the bucket does not exist"
else
  n=0
  OUT=$(aws_do s3api list-objects-v2 --bucket "$DEPLOY_BUCKET" --prefix "${S3_PREFIX}bootstrap-" --query 'Contents[].Key')
  for k in $OUT; do
    [[ $k == None ]] && continue
    if [[ $(aws_do s3api get-object-tagging --bucket "$DEPLOY_BUCKET" --key "$k" \
      --query "TagSet[?Key=='$TAG_KEY'].Value | [0]") == "$STACK_NAME" ]]; then
      aws_do s3api delete-object --bucket "$DEPLOY_BUCKET" --key "$k" >/dev/null
      n=$((n + 1))
    else
      skip_foreign "s3://$DEPLOY_BUCKET/$k"
    fi
  done
  info "deleted $n object(s); the bucket itself was not created by deploy and stays"
fi

echo
echo "Destroyed stack $STACK_NAME in $AWS_REGION."
