# shellcheck shell=bash
# names set here are read by deploy.sh, which sources this file; the settings come from settings.env through it
# shellcheck disable=SC2034,SC2153
# The ALB front door (FRONT=alb), steps 9 to 13 of deploy.sh, which sources this file after the
# alias has moved: the target group, the load balancer's permission on the alias, the alias's
# registration, the listeners (or a rule on LISTENER_ARN) and the DNS record. front_result prints
# where the site answers.

# ------------------------------------------------------------------ 9. target group
step "target group $TG_NAME (lambda, multi-value headers $MULTI_VALUE_HEADERS, health checks on $HEALTH_PATH every $HEALTH_CHECK_INTERVAL s)"
if [[ -z $TG_ARN ]]; then
  TG_ARN=$(change create "target group $TG_NAME" elbv2 create-target-group --name "$TG_NAME" --target-type lambda \
    --health-check-enabled --health-check-path "$HEALTH_PATH" \
    --health-check-interval-seconds "$HEALTH_CHECK_INTERVAL" --health-check-timeout-seconds "$HEALTH_CHECK_TIMEOUT" \
    --matcher HttpCode=200 --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'TargetGroups[0].TargetGroupArn')
  if plan_mode; then TG_ARN="new:tg"; else info "created $TG_ARN"; fi
else
  info "exists: $TG_ARN"
  HAVE=$(aws_do elbv2 describe-target-groups --target-group-arns "$TG_ARN" \
    --query 'TargetGroups[0].[HealthCheckEnabled,HealthCheckPath,HealthCheckIntervalSeconds,HealthCheckTimeoutSeconds]' | tr '\t' ' ')
  if [[ $HAVE != "True $HEALTH_PATH $HEALTH_CHECK_INTERVAL $HEALTH_CHECK_TIMEOUT" ]]; then
    change change "health check (was: $HAVE)" elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-enabled \
      --health-check-path "$HEALTH_PATH" --health-check-interval-seconds "$HEALTH_CHECK_INTERVAL" \
      --health-check-timeout-seconds "$HEALTH_CHECK_TIMEOUT" --query 'TargetGroups[0].TargetGroupArn' >/dev/null
    plan_mode || info "updated the health check (was: $HAVE)"
  fi
fi
MV=""
is_new "$TG_ARN" || MV=$(aws_do elbv2 describe-target-group-attributes --target-group-arn "$TG_ARN" \
  --query "Attributes[?Key=='lambda.multi_value_headers.enabled'].Value | [0]")
if [[ $MV != "$MULTI_VALUE_HEADERS" ]]; then
  change change "lambda.multi_value_headers.enabled = $MULTI_VALUE_HEADERS" elbv2 modify-target-group-attributes --target-group-arn "$TG_ARN" \
    --attributes "Key=lambda.multi_value_headers.enabled,Value=$MULTI_VALUE_HEADERS" --query Attributes >/dev/null
  plan_mode || info "lambda.multi_value_headers.enabled = $MULTI_VALUE_HEADERS"
fi

# ------------------------------------------------------------------ 10. permission
step "permission for elasticloadbalancing.amazonaws.com to invoke $FUNCTION_NAME:$ALIAS_NAME from $TG_NAME"
POLICY=""
if ! is_new "$FN_ARN" && ! POLICY=$(aws_try lambda get-policy --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --query Policy); then
  not_found || aws_fail lambda get-policy
  POLICY=""
fi
if grep -qE "\"Sid\" *: *\"$STATEMENT_ID\"" <<<"$POLICY" && grep -qF "$TG_ARN" <<<"$POLICY"; then
  info "exists: statement $STATEMENT_ID"
else
  if grep -qE "\"Sid\" *: *\"$STATEMENT_ID\"" <<<"$POLICY"; then
    change delete "statement $STATEMENT_ID (it names another target group)" lambda remove-permission --function-name "$FUNCTION_NAME" \
      --qualifier "$ALIAS_NAME" --statement-id "$STATEMENT_ID" >/dev/null
  fi
  change create "invoke permission $STATEMENT_ID" lambda add-permission --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" \
    --statement-id "$STATEMENT_ID" --principal elasticloadbalancing.amazonaws.com --action lambda:InvokeFunction \
    --source-arn "$TG_ARN" --source-account "$ACCOUNT" --query Statement >/dev/null
  plan_mode || info "added statement $STATEMENT_ID (source ARN: the target group)"
fi

# ------------------------------------------------------------------ 11. registration
step "registering $FUNCTION_NAME:$ALIAS_NAME in the target group"
TARGETS=()
if ! is_new "$TG_ARN"; then
  OUT=$(aws_do elbv2 describe-target-health --target-group-arn "$TG_ARN" --query 'TargetHealthDescriptions[].Target.Id')
  read -r -d "" -a TARGETS <<<"$OUT" || true
fi
REGISTERED=false
for t in "${TARGETS[@]}"; do
  if [[ $t == "$ALIAS_ARN" ]]; then
    REGISTERED=true
  else # one Lambda per target group: an old target (e.g. another alias) must go first
    change delete "target $t" elbv2 deregister-targets --target-group-arn "$TG_ARN" --targets "Id=$t" >/dev/null
    plan_mode || info "deregistered the old target $t"
  fi
done
if $REGISTERED; then
  info "already registered: $ALIAS_ARN"
else
  change create "target $FUNCTION_NAME:$ALIAS_NAME" elbv2 register-targets --target-group-arn "$TG_ARN" --targets "Id=$ALIAS_ARN" >/dev/null
  plan_mode || info "registered $ALIAS_ARN"
fi

# ------------------------------------------------------------------ 12. routing
# The actions in front of the function: the login (AUTH), then forward. Written to a file
# (mode 600): the client secret never appears on a command line or in the output.
write_actions() { # write_actions FILE
  local auth="" order=1 secret
  case $AUTH in
    oidc)
      secret=$(json_str "$CLIENT_SECRET")
      auth="{\"Type\":\"authenticate-oidc\",\"Order\":1,\"AuthenticateOidcConfig\":{\"Issuer\":\"$OIDC_ISSUER\",\"AuthorizationEndpoint\":\"$OIDC_AUTHORIZATION_ENDPOINT\",\"TokenEndpoint\":\"$OIDC_TOKEN_ENDPOINT\",\"UserInfoEndpoint\":\"$OIDC_USER_INFO_ENDPOINT\",\"ClientId\":\"$(json_str "$OIDC_CLIENT_ID")\",\"ClientSecret\":\"$secret\",\"OnUnauthenticatedRequest\":\"authenticate\"}}," ;;
    cognito)
      auth="{\"Type\":\"authenticate-cognito\",\"Order\":1,\"AuthenticateCognitoConfig\":{\"UserPoolArn\":\"$COGNITO_USER_POOL_ARN\",\"UserPoolClientId\":\"$COGNITO_CLIENT_ID\",\"UserPoolDomain\":\"$COGNITO_DOMAIN\",\"OnUnauthenticatedRequest\":\"authenticate\"}}," ;;
  esac
  [[ -n $auth ]] && order=2
  (umask 077 && printf '[%s{"Type":"forward","Order":%d,"TargetGroupArn":"%s"}]\n' "$auth" "$order" "$TG_ARN" >"$1")
}
# actions_summary LISTENER_OR_RULE_JSON_QUERY_RESULT: "type type tg" of what exists, to compare.
WANT_ACTIONS="forward $TG_ARN"
[[ $AUTH != none ]] && WANT_ACTIONS="authenticate-$AUTH $WANT_ACTIONS"
AUTH_TEXT=""
[[ $AUTH != none ]] && AUTH_TEXT="login ($AUTH), then "
if [[ -n $LISTENER_ARN ]]; then
  step "listener rule (priority $RULE_PRIORITY${RULE_PATH_PATTERNS:+, path $RULE_PATH_PATTERNS}${RULE_HOST_HEADERS:+, host $RULE_HOST_HEADERS}): ${AUTH_TEXT}forward"
  CONDITIONS=()
  [[ -n $RULE_PATH_PATTERNS ]] && CONDITIONS+=("{\"Field\":\"path-pattern\",\"PathPatternConfig\":{\"Values\":[$(csv_json "$RULE_PATH_PATTERNS")]}}")
  [[ -n $RULE_HOST_HEADERS ]] && CONDITIONS+=("{\"Field\":\"host-header\",\"HostHeaderConfig\":{\"Values\":[$(csv_json "$RULE_HOST_HEADERS")]}}")
  COND_JSON="[$(IFS=,; echo "${CONDITIONS[*]}")]"
  write_actions "$WORK/actions.json"
  RULE_ARN=""
  is_new "$TG_ARN" || RULE_ARN=$(find_rule "$TG_ARN")
  if [[ -z $RULE_ARN ]]; then
    RULE_ARN=$(change create "listener rule (priority $RULE_PRIORITY): ${AUTH_TEXT}forward to $TG_NAME" elbv2 create-rule \
      --listener-arn "$LISTENER_ARN" --priority "$RULE_PRIORITY" --conditions "$COND_JSON" --actions "file://$WORK/actions.json" \
      --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'Rules[0].RuleArn')
    plan_mode || info "created $RULE_ARN"
  else
    info "exists: $RULE_ARN"
    HAVE_PRIO=$(aws_do elbv2 describe-rules --rule-arns "$RULE_ARN" --query 'Rules[0].Priority')
    HAVE_ACTIONS=$(aws_do elbv2 describe-rules --rule-arns "$RULE_ARN" --query 'Rules[0].Actions[].[Type]' | tr '\n\t' '  ' | sed 's/ *$//')
    HAVE_COND=$(aws_do elbv2 describe-rules --rule-arns "$RULE_ARN" --output json --query 'Rules[0].Conditions[].[Field, PathPatternConfig.Values, HostHeaderConfig.Values]' | tr -d ' \n')
    WANT_COND=$(printf '%s' "[${RULE_PATH_PATTERNS:+[\"path-pattern\",[$(csv_json "$RULE_PATH_PATTERNS")],null]}${RULE_PATH_PATTERNS:+${RULE_HOST_HEADERS:+,}}${RULE_HOST_HEADERS:+[\"host-header\",null,[$(csv_json "$RULE_HOST_HEADERS")]]}]" | tr -d ' ')
    if [[ $AUTH == oidc || $HAVE_COND != "$WANT_COND" || $HAVE_ACTIONS != "${WANT_ACTIONS% *}" ]]; then
      change change "rule conditions and actions (${AUTH_TEXT}forward)" elbv2 modify-rule --rule-arn "$RULE_ARN" \
        --conditions "$COND_JSON" --actions "file://$WORK/actions.json" --query 'Rules[0].RuleArn' >/dev/null
      plan_mode || info "updated its conditions and actions"
    fi
    if [[ $HAVE_PRIO != "$RULE_PRIORITY" ]]; then
      change change "rule priority $HAVE_PRIO -> $RULE_PRIORITY" elbv2 set-rule-priorities \
        --rule-priorities "RuleArn=$RULE_ARN,Priority=$RULE_PRIORITY" --query 'Rules[0].RuleArn' >/dev/null
      plan_mode || info "priority $HAVE_PRIO -> $RULE_PRIORITY"
    fi
  fi
else
  if [[ -n $CERTIFICATE_ARN ]]; then
    step "listeners: HTTPS :443 (${AUTH_TEXT}forward) and HTTP :80 (301 to https)"
  else
    step "listener: HTTP :80 (forward; HTTP only)"
  fi
  write_actions "$WORK/actions.json"
  # listener_state ARN [tls] -> what matters of a listener, as compact JSON, to compare with what is wanted:
  # [protocol, action types, target groups, redirects(, certificates, TLS policy)]
  listener_state() {
    local q='Protocol, DefaultActions[].Type, DefaultActions[].TargetGroupArn, DefaultActions[].RedirectConfig.[Protocol,Port,StatusCode]'
    [[ ${2:-} == tls ]] && q+=', Certificates[].CertificateArn, SslPolicy'
    aws_do elbv2 describe-listeners --listener-arns "$1" --output json --query "Listeners[0].[$q]" | tr -d ' \n'
  }
  REDIRECT='[{"Type":"redirect","RedirectConfig":{"Protocol":"HTTPS","Port":"443","StatusCode":"HTTP_301"}}]'
  L80="" L443=""
  if ! is_new "$LB_ARN"; then
    OUT=$(aws_do elbv2 describe-listeners --load-balancer-arn "$LB_ARN" --query 'Listeners[].[Port,ListenerArn]')
    L80=$(awk '$1 == 80 {print $2}' <<<"$OUT")
    L443=$(awk '$1 == 443 {print $2}' <<<"$OUT")
  fi
  if [[ -n $CERTIFICATE_ARN ]]; then
    AUTH_TYPES=""
    [[ $AUTH != none ]] && AUTH_TYPES="\"authenticate-$AUTH\","
    WANT_443="[\"HTTPS\",[${AUTH_TYPES}\"forward\"],[\"$TG_ARN\"],[],[\"$CERTIFICATE_ARN\"],\"$TLS_POLICY\"]"
    if [[ -z $L443 ]]; then
      L443=$(change create "listener HTTPS :443 (${AUTH_TEXT}forward, $TLS_POLICY)" elbv2 create-listener --load-balancer-arn "$LB_ARN" \
        --protocol HTTPS --port 443 --certificates "CertificateArn=$CERTIFICATE_ARN" --ssl-policy "$TLS_POLICY" \
        --default-actions "file://$WORK/actions.json" --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'Listeners[0].ListenerArn')
      plan_mode || info "created listener HTTPS :443 -> ${AUTH_TEXT}$TG_NAME"
    else
      HAVE_443=$(listener_state "$L443" tls)
      # The OIDC client secret cannot be read back to compare: with AUTH=oidc it is always re-applied.
      if [[ $HAVE_443 != "$WANT_443" || $AUTH == oidc ]]; then
        change change "listener HTTPS :443 (certificate, $TLS_POLICY, ${AUTH_TEXT}forward)" elbv2 modify-listener --listener-arn "$L443" \
          --protocol HTTPS --port 443 --certificates "CertificateArn=$CERTIFICATE_ARN" --ssl-policy "$TLS_POLICY" \
          --default-actions "file://$WORK/actions.json" --query 'Listeners[0].ListenerArn' >/dev/null
        plan_mode || info "updated listener HTTPS :443 (${AUTH_TEXT}forward)"
      else
        info "listener HTTPS :443 unchanged"
      fi
    fi
    WANT_80='["HTTP",["redirect"],[],[["HTTPS","443","HTTP_301"]]]'
    L80_ACTIONS=$REDIRECT
    L80_TEXT="301 to https"
  else
    if [[ -n $L443 ]]; then
      change delete "listener HTTPS :443 (CERTIFICATE_ARN is empty now)" elbv2 delete-listener --listener-arn "$L443" >/dev/null
      plan_mode || info "deleted listener HTTPS :443 (CERTIFICATE_ARN is empty)"
    fi
    WANT_80="[\"HTTP\",[\"forward\"],[\"$TG_ARN\"],[]]"
    L80_ACTIONS="[{\"Type\":\"forward\",\"TargetGroupArn\":\"$TG_ARN\"}]"
    L80_TEXT="forward to $TG_NAME"
  fi
  if [[ -z $L80 ]]; then
    change create "listener HTTP :80 ($L80_TEXT)" elbv2 create-listener --load-balancer-arn "$LB_ARN" --protocol HTTP --port 80 \
      --default-actions "$L80_ACTIONS" --tags "Key=$TAG_KEY,Value=$STACK_NAME" --query 'Listeners[0].ListenerArn' >/dev/null
    plan_mode || info "created listener HTTP :80 ($L80_TEXT)"
  else
    HAVE_80=$(listener_state "$L80")
    if [[ $HAVE_80 != "$WANT_80" ]]; then
      change change "listener HTTP :80 -> $L80_TEXT" elbv2 modify-listener --listener-arn "$L80" --default-actions "$L80_ACTIONS" \
        --query 'Listeners[0].ListenerArn' >/dev/null
      plan_mode || info "listener HTTP :80 now: $L80_TEXT"
    else
      info "listener HTTP :80 unchanged ($L80_TEXT)"
    fi
  fi
fi

# ------------------------------------------------------------------ 13. DNS
if [[ -n $DOMAIN_NAME ]]; then
  step "Route 53: $DOMAIN_NAME -> the load balancer (alias record in $HOSTED_ZONE_ID)"
  if is_new "$LB_ARN"; then
    change create "alias record A $DOMAIN_NAME -> the new load balancer"
  else
    OUT=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].[DNSName,CanonicalHostedZoneId]')
    read -r LB_DNS LB_ZONE <<<"$OUT"
    HAVE=$(aws_do route53 list-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --start-record-name "$DOMAIN_NAME" \
      --start-record-type A --max-items 1 --query "ResourceRecordSets[?Type=='A' && Name=='$DOMAIN_NAME.'].AliasTarget.DNSName | [0]")
    HAVE=${HAVE%.}
    if [[ ${HAVE,,} == "${LB_DNS,,}" || ${HAVE,,} == "dualstack.${LB_DNS,,}" ]]; then
      info "exists: $DOMAIN_NAME -> $LB_DNS"
    else
      CHANGE_JSON="{\"Comment\":\"make deploy $STACK_NAME\",\"Changes\":[{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"$DOMAIN_NAME\",\"Type\":\"A\",\"AliasTarget\":{\"HostedZoneId\":\"$LB_ZONE\",\"DNSName\":\"$LB_DNS\",\"EvaluateTargetHealth\":false}}}]}"
      change "$([[ $HAVE == None || -z $HAVE ]] && echo create || echo change)" "alias record A $DOMAIN_NAME -> $LB_DNS" \
        route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --change-batch "$CHANGE_JSON" --query ChangeInfo.Id >/dev/null
      plan_mode || info "$DOMAIN_NAME -> $LB_DNS (alias record; DNS takes a minute to answer)"
    fi
  fi
else
  step "Route 53: no DOMAIN_NAME, no record"
  info "the site answers on the load balancer's own name"
fi

# front_result: what was deployed, and URL, where the site answers.
front_result() {
  FRONT_NAME="load balancer"
  OUT=$(aws_do elbv2 describe-load-balancers --load-balancer-arns "$LB_ARN" --query 'LoadBalancers[0].[DNSName,Scheme]')
  read -r DNS SCHEME_LB <<<"$OUT"
  if [[ -n $LISTENER_ARN ]]; then
    SCHEME=$(tr '[:upper:]' '[:lower:]' <<<"$LISTENER_PROTO")
    PORT=$LISTENER_PORT
  elif [[ -n $CERTIFICATE_ARN ]]; then
    SCHEME=https PORT=443
  else
    SCHEME=http PORT=80
  fi
  PORT_PART=""
  [[ ($SCHEME == http && $PORT != 80) || ($SCHEME == https && $PORT != 443) ]] && PORT_PART=":$PORT"
  HOST=${DOMAIN_NAME:-$DNS}
  URL="$SCHEME://$HOST$PORT_PART/"
  info "function $FN_ARN, version $VERSION behind alias $ALIAS_NAME"
  info "target group $TG_ARN"
  info "load balancer $DNS ($SCHEME_LB)"
  ((N_OFFLOAD == 0)) || info "files kept in S3: s3://$BUCKET; clients are sent to $OFFLOAD_BASE/<key>"
  [[ $AUTH != none ]] && info "login: $AUTH; the function verifies it with SITE_AUTH_SIGNER=$LB_ARN"
  if [[ -n $RULE_HOST_HEADERS ]]; then
    info "the rule only matches Host: $RULE_HOST_HEADERS (point that name at $DNS)"
  fi
  if [[ -n $CERTIFICATE_ARN && -z $DOMAIN_NAME ]]; then
    info "the certificate is for ${CERT_DOMAIN:-your domain}: point that name at $DNS (or set DOMAIN_NAME and HOSTED_ZONE_ID)"
  fi
  echo
  [[ $SCHEME == http ]] && echo "Note: HTTP only (no CERTIFICATE_ARN): traffic to this site is not encrypted."
  [[ $SCHEME_LB == internal ]] && echo "Note: internal load balancer: the URL answers only from inside $VPC_ID (or networks connected to it)."
  return 0
}
