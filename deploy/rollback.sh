#!/usr/bin/env bash
# `make rollback`: point the alias at the newest earlier version whose code differs from the live
# one (or VERSION=N). The stack still names the version it deployed: the next `make deploy` of new
# code moves the alias on as usual (status shows the difference as drift).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STEPS=2
load_settings "$@"
step "finding the live version and the one before it"
setup_aws
check_credentials
LIVE=$(aws_try lambda get-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --query FunctionVersion) ||
  die "there is no alias $ALIAS_NAME on $FUNCTION_NAME: nothing is deployed." "make deploy first"
VERSIONS=$(aws_do lambda list-versions-by-function --function-name "$FUNCTION_NAME" --query 'Versions[].[Version,CodeSha256]' --output json)
sha_of() { jq -r --arg v "$1" '.[] | select(.[0] == $v) | .[1]' <<<"$VERSIONS"; }
LIVE_SHA=$(sha_of "$LIVE")
if [[ -z $VERSION ]]; then
  VERSION=$(jq -r --arg live "$LIVE" --arg sha "$LIVE_SHA" '[.[] | select(.[0] != "$LATEST" and (.[0] | tonumber) < ($live | tonumber)
    and .[1] != $sha) | .[0] | tonumber] | max // empty' <<<"$VERSIONS")
  [[ -n $VERSION ]] || die "no earlier version of $FUNCTION_NAME has other code than the live version $LIVE." "nothing to roll back to; deploy the code you want"
fi
[[ -n $(sha_of "$VERSION") ]] || die "$FUNCTION_NAME has no version $VERSION." "see the versions: aws lambda list-versions-by-function --function-name $FUNCTION_NAME"
step "moving the alias $ALIAS_NAME from version $LIVE to $VERSION"
aws_do lambda update-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --function-version "$VERSION" >/dev/null
info "live: version $VERSION (code sha256 $(sha_of "$VERSION")); was $LIVE"
