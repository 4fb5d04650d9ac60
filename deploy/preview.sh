# shellcheck shell=bash
# shellcheck disable=SC2034 # LISTENER_ARN, OFFLOAD_BUCKET, RULE_PRIORITY are read by deploy.sh
# Where `make deploy PREVIEW=name` puts a preview: on production's HTTPS listener, as rules for the
# host PREVIEW.PREVIEW_DOMAIN in a block of 11 priorities (10 for the public paths of a private
# site, then the site's rule) ahead of every rule of production, so that none of production's
# catches the preview's host. Sourced by deploy.sh; reads only, and refuses before any change.

# The production stack: its listener, its offload bucket, where its rules start (PROD_FIRST).
preview_of_production() {
  local json prod_status own
  json=$(aws_try cloudformation describe-stacks --stack-name "$PRODUCTION_STACK" --query 'Stacks[0]' --output json) ||
    die "there is no production stack $PRODUCTION_STACK for the preview to go beside." "deploy production first (make deploy without PREVIEW)"
  prod_status=$(jq -r .StackStatus <<<"$json")
  [[ $prod_status =~ ^(CREATE|UPDATE|UPDATE_ROLLBACK)_COMPLETE$ ]] ||
    die "production ($PRODUCTION_STACK) is $prod_status." "wait for it, or mend it with make deploy (without PREVIEW), then deploy the preview"
  prod() { jq -r --arg k "$1" '[(.Outputs // [])[] | select(.OutputKey == $k) | .OutputValue][0] // empty' <<<"$json"; }
  prod_param() { jq -r --arg k "$1" '[(.Parameters // [])[] | select(.ParameterKey == $k) | .ParameterValue][0] // empty' <<<"$json"; }
  LISTENER_ARN=$(prod ListenerArn)
  [[ -n $LISTENER_ARN ]] || die "production ($PRODUCTION_STACK) names no ALB listener: it has FRONT=function-url, or an older version of this project deployed it." \
    "previews need FRONT=alb; deploy production again with this version first"
  [[ -n $OFFLOAD_BUCKET || $OFFLOAD == none ]] || OFFLOAD_BUCKET=$(prod OffloadBucketName)
  [[ -n $OFFLOAD_BUCKET || $OFFLOAD == none ]] || die "the preview keeps files in S3, and production has no bucket for them." \
    "deploy production with this build first, or set OFFLOAD_BUCKET"
  PROD_FIRST=49991
  [[ -z $(prod_param ListenerArn) ]] || PROD_FIRST=$(($(prod_param RulePriority) - 10))
  for own in "$(prod_param DomainName)" "$(prod_param RuleHostHeader)"; do
    [[ ${own,,} != "${RULE_HOST_HEADERS,,}" ]] || die "the preview's host $RULE_HOST_HEADERS is production's own." "choose another PREVIEW name"
  done
  [[ $STATUS == NONE ]] || [[ $(jq -r '[.Tags[]? | select(.Key == $k) | .Value][0] // ""' --arg k "$PREVIEW_TAG" <<<"$STACK_JSON") == "$PRODUCTION_STACK" ]] ||
    die "a stack $STACK_NAME exists, and it is not a preview of $PRODUCTION_STACK." "choose another PREVIEW name"
}

# The listener's rules: no other rule may route the preview's host, the load balancer must have
# room for the preview's rules (ALB's rules-per-load-balancer quota), and a new preview takes the
# first free block below PROD_FIRST; a preview deployed before keeps its block.
preview_rules() {
  local lb rules limit used need own="" l p h
  lb=${LISTENER##*[[:space:]]}
  rules=$(for l in $(aws_do elbv2 describe-listeners --load-balancer-arn "$lb" --query 'Listeners[].ListenerArn'); do
    aws_do elbv2 describe-rules --listener-arn "$l" --output json | jq -c --arg l "$l" '.Rules[] | select(.IsDefault | not)
      | {l: $l, p: (.Priority | tonumber), h: [.Conditions[] | select(.Field == "host-header") | (.HostHeaderConfig.Values // .Values // [])[]]}'
  done | jq -s .)
  [[ $STATUS == NONE ]] || own=$(jq -r '.Parameters[] | select(.ParameterKey == "RulePriority") | .ParameterValue' <<<"$STACK_JSON")
  # ALB compares host names without case, with * and ? as wildcards: so does a bash pattern here.
  while read -r p h; do
    [[ -n $own && $p -gt $((own - 11)) && $p -le $own ]] && continue
    # shellcheck disable=SC2053 # the rule's host is a pattern
    [[ ${RULE_HOST_HEADERS,,} != ${h,,} ]] || die "the listener already routes $RULE_HOST_HEADERS: its rule of priority $p is for the host $h." \
      "choose another PREVIEW name (make status lists the previews)"
  done < <(jq -r --arg l "$LISTENER_ARN" '.[] | select(.l == $l) | .p as $p | .h[] | "\($p) \(.)"' <<<"$rules")
  limit=$(aws_do elbv2 describe-account-limits --query "Limits[?Name=='rules-per-application-load-balancer'].Max | [0]")
  used=$(jq --argjson own "${own:-0}" '[.[] | select($own == 0 or .p <= $own - 11 or .p > $own)] | length' <<<"$rules")
  need=$((1 + (${#PUBLIC[@]} + 4) / 5))
  ((used + need <= limit)) || die "the load balancer has $used of its $limit rules, and the preview needs $need more." \
    "destroy a preview no longer needed (make status lists them: make destroy PREVIEW=name), or ask AWS for a higher quota"
  RULE_PRIORITY=${own:-$(jq --arg l "$LISTENER_ARN" --argjson first "$PROD_FIRST" '[.[] | select(.l == $l) | .p] as $taken
    | first(range(11; $first; 11) | select(. as $k | all($taken[]; . < $k - 10 or . > $k)))' <<<"$rules")}
  [[ -n $RULE_PRIORITY ]] || die "the listener has no free block of 11 priorities below production's rules (from $PROD_FIRST)." \
    "destroy a preview no longer needed, or give production a higher RULE_PRIORITY"
}
