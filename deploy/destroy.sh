#!/usr/bin/env bash
# `make destroy`: empty the offload bucket the stack made, delete the stack (CloudFormation removes
# exactly what it made: a certificate, hosted zone, listener or bucket you gave stays), and remove
# this stack's packages from the packages' bucket. PREVIEW=name deletes only that preview's stack
# (production stays as it was); production goes only when it has no previews left.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
STEPS=3
load_settings "$@"
step "finding the stack $STACK_NAME"
setup_aws
check_credentials
read_stack
if [[ $STATUS == NONE ]]; then
  info "no stack $STACK_NAME in $AWS_REGION: nothing to delete"
  aws_try lambda get-function --function-name "$FUNCTION_NAME" >/dev/null &&
    warn "a function $FUNCTION_NAME exists outside any stack: see docs/deploy.md, 'Moving a deployment made before CloudFormation'"
  exit 0
fi
[[ $STATUS != *_IN_PROGRESS || $STATUS == REVIEW_IN_PROGRESS ]] || die "the stack is $STATUS." "wait until it is done, then run again"
if [[ -n $PREVIEW ]]; then
  [[ $(jq -r --arg k "$PREVIEW_TAG" '[.Tags[]? | select(.Key == $k) | .Value][0] // ""' <<<"$STACK_JSON") == "$PRODUCTION_STACK" ]] ||
    die "the stack $STACK_NAME is not a preview of $PRODUCTION_STACK." "check PREVIEW and STACK_NAME"
else
  LEFT=$(previews)
  [[ -z $LEFT ]] || die "production has previews, whose rules are on its listener:
    ${LEFT//$'\n'/$'\n'    }" "remove each first: make destroy PREVIEW=name"
fi
step "emptying the bucket of the files kept in S3 the stack made"
STORE=$(stack_resource OffloadStore)
if [[ -n $STORE ]] && aws_try s3api head-bucket --bucket "$STORE"; then
  aws_do s3 rm "s3://$STORE" --recursive --only-show-errors
  info "emptied $STORE"
else
  info "the stack made none"
fi
step "deleting the stack $STACK_NAME"
aws_do cloudformation delete-stack --stack-name "$STACK_NAME"
"${AWS[@]}" cloudformation wait stack-delete-complete --stack-name "$STACK_NAME" 2>"$AWS_ERR" ||
  die "the stack could not be deleted: $(tail -n 1 "$AWS_ERR")" "see aws cloudformation describe-stack-events --stack-name $STACK_NAME, then run again"
BUCKET=${DEPLOY_BUCKET:-alb-static-site-deploy-$ACCOUNT-$AWS_REGION}
if aws_try s3api head-bucket --bucket "$BUCKET"; then
  aws_do s3 rm "s3://$BUCKET/$STACK_NAME/" --recursive --only-show-errors
fi
info "deleted: the stack and its packages in s3://$BUCKET/$STACK_NAME/ (the packages' bucket stays for other stacks)"
