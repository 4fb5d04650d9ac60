#!/usr/bin/env bash
# Put an earlier version of the function live again (`make rollback`, `make rollback VERSION=7`).
#
# Without VERSION: the version that was live before the current one (deploy and rollback record
# it in the alias's description), else the newest version older than the live one. The version
# is checked like a deploy's (health check and GET /, PRE_TRAFFIC_CHECK) before the alias moves;
# nothing else changes: the front door (target group, or Function URL) already points at the alias.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=rollback
STEPS=3
parse_args "$@"
load_settings

step "finding the live version and the one to go back to (no changes yet)"
check_name_settings
[[ -z $VERSION || $VERSION =~ ^[0-9]+$ ]] || die "VERSION='$VERSION' is not a version number." "make status lists the versions; e.g. make rollback VERSION=3"
setup_aws
FN_ARN=$(find_function)
[[ -n $FN_ARN ]] || die "there is no function $FUNCTION_NAME in $AWS_REGION: nothing to roll back." "deploy first (make deploy)"
[[ $FN_ARN == foreign ]] && die "the function $FUNCTION_NAME was not created by this stack (no tag $TAG_KEY=$STACK_NAME)." "check FUNCTION_NAME / STACK_NAME"
OUT=$(alias_info)
[[ -n $OUT ]] || die "the function has no alias $ALIAS_NAME: no version was ever put live." "deploy first (make deploy)"
IFS=$'\t' read -r LIVE DESC <<<"$OUT"
OUT=$(aws_do lambda list-versions-by-function --function-name "$FUNCTION_NAME" --query 'Versions[].Version')
mapfile -t ALL < <(tr '\t' '\n' <<<"$OUT" | grep -E '^[0-9]+$' | sort -n)
if [[ -z $VERSION ]]; then
  VERSION=$(previous_of "$DESC")
  if [[ -z $VERSION ]] || ! printf '%s\n' "${ALL[@]}" | grep -qx "$VERSION"; then
    VERSION=""
    for v in "${ALL[@]}"; do ((v < LIVE)) && VERSION=$v; done
  fi
  [[ -n $VERSION ]] || die "version $LIVE is live and there is no earlier version to go back to." "make status lists the versions"
  info "going back to version $VERSION (live before $LIVE)"
fi
printf '%s\n' "${ALL[@]}" | grep -qx "$VERSION" || die "version $VERSION of $FUNCTION_NAME does not exist (versions: ${ALL[*]})." "pick one of those: make rollback VERSION=N"
[[ $VERSION != "$LIVE" ]] || die "version $VERSION is already live." "nothing to do"
info "live now: version $LIVE"

step "checking version $VERSION before traffic moves"
TG_ARN=$(find_tg)
HEALTH=$HEALTH_PATH
MV=false
if [[ -n $TG_ARN && $TG_ARN != foreign ]]; then
  [[ -n $HEALTH ]] || HEALTH=$(aws_do elbv2 describe-target-groups --target-group-arns "$TG_ARN" --query 'TargetGroups[0].HealthCheckPath')
  MV=$(aws_do elbv2 describe-target-group-attributes --target-group-arn "$TG_ARN" \
    --query "Attributes[?Key=='lambda.multi_value_headers.enabled'].Value | [0]")
fi
# Behind a Function URL (no target group) the check sends a Function URL's events, and the version
# says its health path in its description (deploy writes it there).
FRONT=alb
if [[ -z $TG_ARN || $TG_ARN == foreign ]] && [[ -n $(find_url) ]]; then
  FRONT=function-url
  [[ -n $HEALTH ]] || HEALTH=$(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$VERSION" \
    --query Description | sed -nE 's/.*, health (\/[^ ,]*).*/\1/p')
fi
HEALTH=${HEALTH:-/health}
if [[ $PRE_TRAFFIC_CHECK == on ]] && ! plan_mode; then
  LOGIN=""  # a version with SITE_AUTH_SIGNER sits behind a login (see check_version)
  [[ $(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$VERSION" \
    --query Environment.Variables.SITE_AUTH_SIGNER) != None ]] && LOGIN=login
  if ! check_version "$VERSION" "$HEALTH" "$MV" "$LOGIN"; then
    CHECK_FAILED=1
    die "version $VERSION failed the pre-traffic check: $CHECK_WHY" "the alias $ALIAS_NAME stays on version $LIVE; pick another: make rollback VERSION=N"
  fi
else
  info "not checked (PRE_TRAFFIC_CHECK=$PRE_TRAFFIC_CHECK${PLAN:+, PLAN=$PLAN})"
fi

step "alias $ALIAS_NAME -> version $VERSION"
point_alias "$VERSION" "$LIVE" "make rollback"
if plan_mode; then
  echo "Nothing was changed (PLAN=1)."
else
  echo
  echo "Live: version $VERSION (was $LIVE). Undo with: make rollback VERSION=$LIVE"
fi
