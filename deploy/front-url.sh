# shellcheck shell=bash
# names set here are read by deploy.sh, which sources this file; the settings come from settings.env through it
# shellcheck disable=SC2034,SC2153
# The Function URL front door (FRONT=function-url), steps 9 to 12 of deploy.sh, which sources this
# file after the alias has moved: the URL on the alias, CloudFront in front of it (CLOUDFRONT=on),
# the statements on the alias's policy that let the URL be called, and the DNS records.
# front_result prints where the site answers.
#
# The URL belongs to the alias, not to a version: a deploy or a rollback moves the alias, and the
# URL (and CloudFront behind it) follows with nothing to change.

# AWS's managed cache policy CachingOptimized: no cookies, no query string and no header in the
# cache key but Accept-Encoding, normalised to gzip and br; the site's Cache-Control sets the TTL.
# With no origin request policy the function sees exactly what the cache key holds, so a cached
# answer is always the one the function would give.
CF_CACHE_POLICY=658327ea-f89d-4fab-a63d-7e88639e58f6
CF_ORIGIN_ID=lambda-url
# Lambda takes only signed requests from CloudFront (an unsigned one would be refused), so it signs them all.
OAC_CONFIG=$(jq -nc --arg name "$OAC_NAME" --arg description "$OAC_DESCRIPTION" '{Name: $name, Description: $description,
  SigningProtocol: "sigv4", SigningBehavior: "always", OriginAccessControlOriginType: "lambda"}')

# cf_config ORIGIN_DOMAIN OAC_ID CALLER_REFERENCE: the distribution configuration deploy wants.
cf_config() {
  jq -n --arg origin "$1" --arg oac "$2" --arg ref "$3" --arg comment "$CF_COMMENT" --arg domain "${DOMAIN_NAME%.}" \
    --arg cert "$CERTIFICATE_ARN" --arg price "$CLOUDFRONT_PRICE_CLASS" --arg cache "$CF_CACHE_POLICY" --arg id "$CF_ORIGIN_ID" '{
    CallerReference: $ref, Comment: $comment, Enabled: true, PriceClass: $price, HttpVersion: "http2and3",
    IsIPV6Enabled: true, DefaultRootObject: "",
    Aliases: (if $domain == "" then {Quantity: 0} else {Quantity: 1, Items: [$domain]} end),
    Origins: {Quantity: 1, Items: [{Id: $id, DomainName: $origin, OriginPath: "", OriginAccessControlId: $oac,
      CustomHeaders: {Quantity: 0},
      CustomOriginConfig: {HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only",
        OriginSslProtocols: {Quantity: 1, Items: ["TLSv1.2"]}, OriginReadTimeout: 30, OriginKeepaliveTimeout: 5},
      ConnectionAttempts: 3, ConnectionTimeout: 10, OriginShield: {Enabled: false}}]},
    DefaultCacheBehavior: {TargetOriginId: $id, ViewerProtocolPolicy: "redirect-to-https", CachePolicyId: $cache,
      Compress: true, AllowedMethods: {Quantity: 2, Items: ["GET", "HEAD"], CachedMethods: {Quantity: 2, Items: ["GET", "HEAD"]}}},
    ViewerCertificate: (if $cert == "" then {CloudFrontDefaultCertificate: true}
      else {CloudFrontDefaultCertificate: false, ACMCertificateArn: $cert, SSLSupportMethod: "sni-only",
        MinimumProtocolVersion: "TLSv1.2_2021"} end)}'
}

# What deploy decides in a distribution's configuration, to compare the wanted one with the live
# one (AWS adds defaults to what it was given; what a person added by hand elsewhere is kept).
CF_SUMMARY='{Enabled, Comment, PriceClass, HttpVersion, IsIPV6Enabled,
  Aliases: ((.Aliases.Items // []) | sort),
  Origins: [.Origins.Items[] | {Id, DomainName, OriginPath: (.OriginPath // ""),
    OriginAccessControlId: (.OriginAccessControlId // ""), Protocol: .CustomOriginConfig.OriginProtocolPolicy}],
  Behavior: (.DefaultCacheBehavior | {TargetOriginId, ViewerProtocolPolicy, CachePolicyId, Compress,
    Methods: (.AllowedMethods.Items | sort)}),
  Certificate: (.ViewerCertificate | {Acm: (.ACMCertificateArn // ""), Default: (.CloudFrontDefaultCertificate // false),
    Tls: (if (.ACMCertificateArn // "") != "" then .MinimumProtocolVersion else "" end)})}'

# ------------------------------------------------------------------ Function URL
step "Function URL on $FUNCTION_NAME:$ALIAS_NAME (auth $FUNCTION_URL_AUTH, buffered)"
URL_ENDPOINT="" HAVE_AUTH=""
if [[ -n $HAVE_URL ]]; then
  IFS=$'\t' read -r HAVE_AUTH URL_ENDPOINT HAVE_MODE <<<"$HAVE_URL"
  info "exists: $URL_ENDPOINT (auth $HAVE_AUTH)"
  [[ $HAVE_AUTH == "$FUNCTION_URL_AUTH" ]] || info "its auth changes to $FUNCTION_URL_AUTH once the permissions for that are in place (step below)"
  if [[ ${HAVE_MODE^^} != BUFFERED ]]; then
    # The function answers with one JSON response, which only a buffered URL reads.
    change change "Function URL invoke mode $HAVE_MODE -> BUFFERED" lambda update-function-url-config --function-name "$FUNCTION_NAME" \
      --qualifier "$ALIAS_NAME" --invoke-mode BUFFERED --query FunctionUrl >/dev/null
    plan_mode || info "invoke mode: BUFFERED (was $HAVE_MODE)"
  fi
else
  URL_ENDPOINT=$(change create "Function URL on $FUNCTION_NAME:$ALIAS_NAME (auth $FUNCTION_URL_AUTH)" lambda create-function-url-config \
    --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --auth-type "$FUNCTION_URL_AUTH" --invoke-mode BUFFERED --query FunctionUrl)
  HAVE_AUTH=$FUNCTION_URL_AUTH
  if plan_mode; then URL_ENDPOINT="new:url"; else info "created $URL_ENDPOINT"; fi
fi
URL_DOMAIN=${URL_ENDPOINT#https://}
URL_DOMAIN=${URL_DOMAIN%/}

# ------------------------------------------------------------------ CloudFront
DIST_ID="" DIST_ARN="" DIST_DOMAIN=""
if [[ $CLOUDFRONT == on ]]; then
  step "CloudFront in front of the URL (origin access control $OAC_NAME, $CLOUDFRONT_PRICE_CLASS${DOMAIN_NAME:+, $DOMAIN_NAME})"
  if [[ -z $OAC_ID ]]; then
    OAC_ID=$(change create "origin access control $OAC_NAME (lambda, sigv4, signing always)" cloudfront create-origin-access-control \
      --origin-access-control-config "$OAC_CONFIG" \
      --query OriginAccessControl.Id)
    if plan_mode; then OAC_ID="new:oac"; else info "created origin access control $OAC_ID"; fi
  else
    HAVE=$(aws_do cloudfront get-origin-access-control --id "$OAC_ID" \
      --query 'OriginAccessControl.OriginAccessControlConfig.[OriginAccessControlOriginType,SigningProtocol,SigningBehavior]' | tr '\t' ' ')
    if [[ $HAVE != "lambda sigv4 always" ]]; then
      change change "origin access control $OAC_NAME: lambda sigv4 always (was: $HAVE)" cloudfront update-origin-access-control \
        --id "$OAC_ID" --if-match "$(aws_do cloudfront get-origin-access-control --id "$OAC_ID" --query ETag)" \
        --origin-access-control-config "$OAC_CONFIG" \
        --query OriginAccessControl.Id >/dev/null
      plan_mode || info "origin access control $OAC_ID signs every request (sigv4) again"
    else
      info "origin access control exists: $OAC_ID"
    fi
  fi
  if [[ -z $DIST ]]; then
    cf_config "$URL_DOMAIN" "$OAC_ID" "$STACK_NAME-$(date +%s)" >"$WORK/cf-config.json"
    jq --arg k "$TAG_KEY" --arg v "$STACK_NAME" '{DistributionConfig: ., Tags: {Items: [{Key: $k, Value: $v}]}}' \
      "$WORK/cf-config.json" >"$WORK/cf-create.json"
    OUT=$(change create "CloudFront distribution (origin the Function URL, CachingOptimized, redirect-to-https${DOMAIN_NAME:+, alias $DOMAIN_NAME})" \
      cloudfront create-distribution-with-tags --distribution-config-with-tags "file://$WORK/cf-create.json" \
      --query 'Distribution.[Id,ARN,DomainName]')
    if plan_mode; then
      DIST_ID="new:distribution" DIST_ARN="new:distribution" DIST_DOMAIN="(the new distribution's name)"
    else
      read -r DIST_ID DIST_ARN DIST_DOMAIN <<<"$OUT"
      info "created distribution $DIST_ID ($DIST_DOMAIN); CloudFront takes a few minutes to deploy it"
    fi
  else
    read -r DIST_ID DIST_ARN DIST_DOMAIN _ _ <<<"$DIST"
    info "distribution exists: $DIST_ID ($DIST_DOMAIN)"
    ETAG=$(aws_do cloudfront get-distribution-config --id "$DIST_ID" --query ETag)
    aws_do cloudfront get-distribution-config --id "$DIST_ID" --output json --query DistributionConfig >"$WORK/cf-live.json"
    cf_config "$URL_DOMAIN" "$OAC_ID" unused >"$WORK/cf-config.json"
    if [[ $(jq -cS "$CF_SUMMARY" "$WORK/cf-live.json") != "$(jq -cS "$CF_SUMMARY" "$WORK/cf-config.json")" ]]; then
      # Only what deploy decides is replaced; the rest of the live configuration (a web ACL, logging,
      # other behaviours added by hand) stays as it is.
      jq -s '.[0] + (.[1] | del(.CallerReference))' "$WORK/cf-live.json" "$WORK/cf-config.json" >"$WORK/cf-update.json"
      WHAT=$(jq -rn --slurpfile a "$WORK/cf-live.json" --slurpfile b "$WORK/cf-config.json" \
        "[(\$a[0] | $CF_SUMMARY) as \$x | (\$b[0] | $CF_SUMMARY) as \$y | \$y | keys[] | select(\$x[.] != \$y[.])] | join(\", \")")
      change change "CloudFront distribution $DIST_ID: $WHAT" cloudfront update-distribution --id "$DIST_ID" --if-match "$ETAG" \
        --distribution-config "file://$WORK/cf-update.json" --query Distribution.Status >/dev/null
      plan_mode || info "updated $WHAT; CloudFront takes a few minutes to deploy that"
    else
      info "configuration unchanged"
    fi
  fi
else
  step "CloudFront: off (the URL itself is the front door)"
  # CLOUDFRONT was on before when the alias still lets a distribution call it: that distribution goes.
  if [[ -n $(statement_summary "$(alias_policy)" "$CF_URL_SID") ]]; then
    info "CLOUDFRONT was on: its distribution and origin access control go once the URL's new permissions are in place"
    REMOVE_CLOUDFRONT=1
  fi
fi

# ------------------------------------------------------------------ permissions
# The statements on the alias's policy: NONE lets anyone call the URL (both actions a Function URL
# needs since October 2025); AWS_IAM with CloudFront lets only that distribution; AWS_IAM alone adds
# none (callers need an IAM policy of their own). New ones go in before the URL's auth changes and
# old ones come out after, so the URL is never closed to the callers it is meant for.
declare -A WANT_STATEMENT=() ADD_ARGS=()
if [[ $FUNCTION_URL_AUTH == NONE ]]; then
  step "permissions: anyone may call the URL (lambda:InvokeFunctionUrl, auth NONE; lambda:InvokeFunction through it)"
  WANT_STATEMENT[$URL_PUBLIC_SID]="lambda:InvokeFunctionUrl * -"
  ADD_ARGS[$URL_PUBLIC_SID]="--action lambda:InvokeFunctionUrl --principal * --function-url-auth-type NONE"
  WANT_STATEMENT[$URL_PUBLIC_INVOKE_SID]="lambda:InvokeFunction * -"
  ADD_ARGS[$URL_PUBLIC_INVOKE_SID]="--action lambda:InvokeFunction --principal * --invoked-via-function-url"
elif [[ $CLOUDFRONT == on ]]; then
  step "permissions: only the distribution $DIST_ID may call the URL (cloudfront.amazonaws.com, source ARN the distribution)"
  WANT_STATEMENT[$CF_URL_SID]="lambda:InvokeFunctionUrl cloudfront.amazonaws.com $DIST_ARN"
  ADD_ARGS[$CF_URL_SID]="--action lambda:InvokeFunctionUrl --principal cloudfront.amazonaws.com --source-arn $DIST_ARN --function-url-auth-type AWS_IAM"
  WANT_STATEMENT[$CF_INVOKE_SID]="lambda:InvokeFunction cloudfront.amazonaws.com $DIST_ARN"
  ADD_ARGS[$CF_INVOKE_SID]="--action lambda:InvokeFunction --principal cloudfront.amazonaws.com --source-arn $DIST_ARN --invoked-via-function-url"
else
  step "permissions: none on the alias (AWS_IAM: callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction on it in their own IAM policy)"
fi
POLICY='{"Statement":[]}'
is_new "$FN_ARN" || POLICY=$(alias_policy)
for sid in "${!WANT_STATEMENT[@]}"; do
  HAVE=$(statement_summary "$POLICY" "$sid")
  if [[ $HAVE == "${WANT_STATEMENT[$sid]}" ]]; then
    info "exists: statement $sid"
    continue
  fi
  if [[ -n $HAVE ]]; then
    change delete "statement $sid (it was: $HAVE)" lambda remove-permission --function-name "$FUNCTION_NAME" \
      --qualifier "$ALIAS_NAME" --statement-id "$sid" >/dev/null
  fi
  read -r -a args <<<"${ADD_ARGS[$sid]}"
  change create "statement $sid: ${WANT_STATEMENT[$sid]% -}" lambda add-permission --function-name "$FUNCTION_NAME" \
    --qualifier "$ALIAS_NAME" --statement-id "$sid" "${args[@]}" --query Statement >/dev/null
  plan_mode || info "added statement $sid"
done
if [[ -n $HAVE_AUTH && $HAVE_AUTH != "$FUNCTION_URL_AUTH" ]]; then
  change change "Function URL auth $HAVE_AUTH -> $FUNCTION_URL_AUTH" lambda update-function-url-config --function-name "$FUNCTION_NAME" \
    --qualifier "$ALIAS_NAME" --auth-type "$FUNCTION_URL_AUTH" --query FunctionUrl >/dev/null
  plan_mode || info "the URL's auth is $FUNCTION_URL_AUTH now (was $HAVE_AUTH)"
fi
while read -r sid; do
  [[ -n $sid && -z ${WANT_STATEMENT[$sid]-} ]] || continue
  change delete "statement $sid (no longer wanted with auth $FUNCTION_URL_AUTH, CloudFront $CLOUDFRONT)" lambda remove-permission \
    --function-name "$FUNCTION_NAME" --qualifier "$ALIAS_NAME" --statement-id "$sid" >/dev/null
  plan_mode || info "removed statement $sid"
done < <(url_sids_present "$POLICY")
if [[ -n ${REMOVE_CLOUDFRONT-} ]]; then
  DIST=$(find_distribution)
  [[ -n $DIST && $DIST != foreign ]] && remove_distribution "$DIST"
  OAC_ID=$(find_oac)
  if [[ -n $OAC_ID && $OAC_ID != foreign ]]; then
    change delete "origin access control $OAC_NAME ($OAC_ID)" cloudfront delete-origin-access-control --id "$OAC_ID" \
      --if-match "$(aws_do cloudfront get-origin-access-control --id "$OAC_ID" --query ETag)" >/dev/null
    plan_mode || info "deleted origin access control $OAC_NAME"
  fi
fi

# ------------------------------------------------------------------ DNS
if [[ $CLOUDFRONT == on && -n $DOMAIN_NAME ]]; then
  step "Route 53: $DOMAIN_NAME -> the distribution (A and AAAA alias records in $HOSTED_ZONE_ID)"
  for type in A AAAA; do
    if is_new "$DIST_ID"; then
      change create "alias record $type $DOMAIN_NAME -> the new distribution"
      continue
    fi
    HAVE=$(aws_do route53 list-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --start-record-name "$DOMAIN_NAME" \
      --start-record-type "$type" --max-items 1 --query "ResourceRecordSets[?Type=='$type' && Name=='$DOMAIN_NAME.'].AliasTarget.DNSName | [0]")
    HAVE=${HAVE%.}
    if [[ ${HAVE,,} == "${DIST_DOMAIN,,}" ]]; then
      info "exists: $type $DOMAIN_NAME -> $DIST_DOMAIN"
    else
      CHANGE_JSON="{\"Comment\":\"make deploy $STACK_NAME\",\"Changes\":[{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"$DOMAIN_NAME\",\"Type\":\"$type\",\"AliasTarget\":{\"HostedZoneId\":\"$CLOUDFRONT_ZONE\",\"DNSName\":\"$DIST_DOMAIN\",\"EvaluateTargetHealth\":false}}}]}"
      change "$([[ $HAVE == None || -z $HAVE ]] && echo create || echo change)" "alias record $type $DOMAIN_NAME -> $DIST_DOMAIN" \
        route53 change-resource-record-sets --hosted-zone-id "$HOSTED_ZONE_ID" --change-batch "$CHANGE_JSON" --query ChangeInfo.Id >/dev/null
      plan_mode || info "$type $DOMAIN_NAME -> $DIST_DOMAIN (alias record)"
    fi
  done
elif [[ $CLOUDFRONT == on ]]; then
  step "Route 53: no DOMAIN_NAME, no record"
  info "the site answers on the distribution's own name"
else
  step "Route 53: no record (a Function URL answers on its own name only)"
fi

# front_result: what was deployed, and URL, where the site answers.
front_result() {
  FRONT_NAME="Function URL"
  info "function $FN_ARN, version $VERSION behind alias $ALIAS_NAME"
  info "Function URL $URL_ENDPOINT (auth $FUNCTION_URL_AUTH)"
  URL=$URL_ENDPOINT
  if [[ $CLOUDFRONT == on ]]; then
    FRONT_NAME="CloudFront distribution"
    info "CloudFront distribution $DIST_ID: $DIST_DOMAIN${DOMAIN_NAME:+, as $DOMAIN_NAME}"
    URL="https://${DOMAIN_NAME:-$DIST_DOMAIN}/"
  fi
  ((N_OFFLOAD == 0)) || info "files kept in S3: s3://$BUCKET; clients are sent to $OFFLOAD_BASE/<key>"
  echo
  if [[ $FUNCTION_URL_AUTH == AWS_IAM && $CLOUDFRONT == off ]]; then
    echo "Note: FUNCTION_URL_AUTH=AWS_IAM: the URL answers only requests signed (SigV4) by a principal allowed to call it."
    CURL_CHECK=never
  fi
  [[ $CLOUDFRONT == on ]] && echo "Note: the URL itself answers only CloudFront (403 to anyone else); a new or changed distribution takes a few minutes to deploy."
  return 0
}
