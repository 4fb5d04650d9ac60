#!/usr/bin/env bash
# What is live (`make status`): the function, the version behind the alias, the versions kept,
# the front door (the load balancer and its listeners and the health of the target, or the
# Function URL and its CloudFront distribution), the URL, log retention, and the bucket of the
# files kept in S3 with its object count.
# Reads only; changes nothing.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=status
STEPS=1
STEP=1
parse_args "$@"
load_settings
check_name_settings
setup_aws

FN_ARN=$(find_function)
if [[ -z $FN_ARN || $FN_ARN == foreign ]]; then
  if [[ -z $FN_ARN ]]; then
    echo "function: $FUNCTION_NAME does not exist in $AWS_REGION (make deploy creates it)"
  else
    echo "function: $FUNCTION_NAME exists but was not created by this stack (no tag $TAG_KEY=$STACK_NAME)"
  fi
else
  OUT=$(alias_info)
  if [[ -n $OUT ]]; then
    IFS=$'\t' read -r LIVE DESC <<<"$OUT"
    OUT=$(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$LIVE" \
      --query '[CodeSha256,LastModified,Architectures[0],MemorySize,Description]')
    IFS=$'\t' read -r SHA MODIFIED ARCHV MEM VDESC <<<"$OUT"
    echo "live: version $LIVE of $FUNCTION_NAME (alias $ALIAS_NAME; $DESC)"
    echo "      $VDESC; code sha256 (base64) $SHA; $ARCHV, $MEM MB; published $MODIFIED"
  else
    echo "live: nothing (the alias $ALIAS_NAME does not exist: no version has passed the check of a deploy yet)"
  fi
  OUT=$(aws_do lambda list-versions-by-function --function-name "$FUNCTION_NAME" --query 'Versions[].Version')
  echo "versions kept: $(tr '\t' '\n' <<<"$OUT" | grep -E '^[0-9]+$' | sort -n | tr '\n' ' ')(make rollback [VERSION=N])"
fi

# The Function URL front door: the URL on the alias, and CloudFront when the alias lets a
# distribution call it (looked for only then: an ALB-only stack needs no CloudFront permission).
URL_LINE=""
[[ -n $FN_ARN && $FN_ARN != foreign ]] && URL_LINE=$(find_url)
if [[ -n $URL_LINE ]]; then
  IFS=$'\t' read -r URL_AUTH URL_ENDPOINT URL_MODE <<<"$URL_LINE"
  echo "function url: $URL_ENDPOINT (auth $URL_AUTH, ${URL_MODE,,}) on alias $ALIAS_NAME"
  SITE_URL=$URL_ENDPOINT
  if grep -q "\"$CF_URL_SID\"" <<<"$(alias_policy)"; then
    DIST=$(find_distribution)
    if [[ -n $DIST && $DIST != foreign ]]; then
      IFS=$'\t' read -r DIST_ID _ DIST_DOMAIN DIST_ENABLED DIST_STATUS <<<"$DIST"
      ALIASES=$(aws_do cloudfront get-distribution-config --id "$DIST_ID" --query 'DistributionConfig.Aliases.Items[0]')
      [[ $ALIASES == None ]] && ALIASES=""
      echo "cloudfront: $DIST_ID $DIST_DOMAIN${ALIASES:+ (as $ALIASES)}, $DIST_STATUS$([[ $DIST_ENABLED == True ]] || echo ", disabled")"
      SITE_URL="https://${ALIASES:-$DIST_DOMAIN}/"
    else
      echo "cloudfront: the alias lets a distribution call it, but this stack has none (make deploy puts it back)"
    fi
  elif [[ $URL_AUTH == AWS_IAM ]]; then
    echo "      (auth AWS_IAM: only signed requests of allowed principals are answered)"
  fi
  echo "url: $SITE_URL"
fi

TG_ARN=$(find_tg)
if [[ -n $URL_LINE && -z $TG_ARN ]]; then
  : # no ALB front door (and no leftover of one) to report
elif [[ -n $TG_ARN && $TG_ARN != foreign ]]; then
  OUT=$(aws_do elbv2 describe-target-health --target-group-arn "$TG_ARN" \
    --query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State,TargetHealth.Reason,TargetHealth.Description]')
  if [[ -z $OUT ]]; then
    echo "target: none registered in $TG_NAME"
  else
    while IFS=$'\t' read -r id state reason descr; do
      echo "target: $id: $state${reason:+ ($reason${descr:+: $descr})}" | sed 's/ (None: None)//; s/: None)/)/'
    done <<<"$OUT"
  fi
  HC=$(aws_do elbv2 describe-target-groups --target-group-arns "$TG_ARN" --query 'TargetGroups[0].[HealthCheckPath,HealthCheckIntervalSeconds]')
  echo "health checks: ${HC%%[[:space:]]*} every ${HC##*[[:space:]]} s"
else
  echo "target group: $TG_NAME does not exist"
fi

if [[ -n $LISTENER_ARN ]]; then
  OUT=$(aws_try elbv2 describe-listeners --listener-arns "$LISTENER_ARN" --query 'Listeners[0].LoadBalancerArn') || OUT=""
  LB_ARN=$OUT
else
  LB_ARN=$(find_alb)
fi
if [[ -n $URL_LINE && -z $LB_ARN ]]; then
  :
elif [[ -n $LB_ARN && $LB_ARN != foreign && $LB_ARN != None ]]; then
  OUT=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].[DNSName,Scheme,State.Code]')
  read -r DNS SCHEME STATE <<<"$OUT"
  echo "load balancer: $DNS ($SCHEME, $STATE)"
  OUT=$(aws_do elbv2 describe-listeners --load-balancer-arn "$LB_ARN" --query 'Listeners[].[Protocol,Port,DefaultActions[-1].Type]')
  URL=""
  while read -r proto port action; do
    [[ -z $proto ]] && continue
    echo "listener: $proto :$port -> $action"
    [[ $proto == HTTPS ]] && URL="https://${DOMAIN_NAME:-$DNS}/"
    [[ $proto == HTTP && -z $URL && $action != redirect ]] && URL="http://${DOMAIN_NAME:-$DNS}/"
  done <<<"$OUT"
  echo "url: ${URL:-(no listener)}"
else
  echo "load balancer: none"
fi
OUT=$(aws_do logs describe-log-groups --log-group-name-prefix "/aws/lambda/$FUNCTION_NAME" \
  --query "logGroups[?logGroupName=='/aws/lambda/$FUNCTION_NAME'].retentionInDays | [0]")
echo "logs: /aws/lambda/$FUNCTION_NAME, kept ${OUT/None/forever} days (make logs)" | sed 's/forever days/forever/'

# The files kept in S3: the bucket the live version sends clients to (its environment), and its objects.
OFFLOAD=""
if [[ -n ${LIVE:-} ]]; then
  OFFLOAD=$(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$LIVE" \
    --query '[Environment.Variables.SITE_OFFLOAD_BUCKET,Environment.Variables.SITE_OFFLOAD_URL]')
fi
read -r OFFLOAD_BUCKET_LIVE OFFLOAD_URL_LIVE <<<"$OFFLOAD"
# shellcheck disable=SC2016 # `[]` is JMESPath's literal
if [[ -z $OFFLOAD_BUCKET_LIVE || $OFFLOAD_BUCKET_LIVE == None ]]; then
  echo "files in S3: none (the live version keeps every file in its package)"
elif N=$(aws_try s3api list-objects-v2 --bucket "$OFFLOAD_BUCKET_LIVE" --output json --query 'length(Contents || `[]`)'); then
  echo "files in S3: s3://$OFFLOAD_BUCKET_LIVE, $N objects (clients are sent to $OFFLOAD_URL_LIVE/<key>)"
else
  echo "files in S3: s3://$OFFLOAD_BUCKET_LIVE cannot be read: $(tail -n 1 "$AWS_ERR")"
fi
