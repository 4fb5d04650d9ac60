#!/usr/bin/env bash
# `make status`: the stack's status and drift, the live version, the last deploy, the address. Reads only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_settings "$@"
setup_aws
check_credentials
read_stack
[[ $STATUS != NONE ]] || die "no stack $STACK_NAME in $AWS_REGION." "make deploy first"
echo "stack:        $STACK_NAME $STATUS (last change $(jq -r '.LastUpdatedTime // .CreationTime' <<<"$STACK_JSON"))"
if ID=$(aws_try cloudformation detect-stack-drift --stack-name "$STACK_NAME" --query StackDriftDetectionId); then
  for _ in {1..60}; do
    DRIFT=$(aws_do cloudformation describe-stack-drift-detection-status --stack-drift-detection-id "$ID" --query '[DetectionStatus,StackDriftStatus]')
    [[ $DRIFT == DETECTION_IN_PROGRESS* ]] || break
    sleep 2
  done
  echo "drift:        ${DRIFT##*[[:space:]]}"
  aws_do cloudformation describe-stack-resource-drifts --stack-name "$STACK_NAME" --stack-resource-drift-status-filters MODIFIED DELETED \
    --query 'StackResourceDrifts[].[LogicalResourceId,StackResourceDriftStatus]' | sed 's/^/              /'
else
  echo "drift:        not known (this endpoint cannot detect drift: $(tail -n 1 "$AWS_ERR"))"
fi
LIVE=$(aws_do lambda get-alias --function-name "$FUNCTION_NAME" --name "$ALIAS_NAME" --query FunctionVersion)
DEPLOYED=$(stack_output LiveVersion)
echo "live version: $LIVE (alias $ALIAS_NAME)$([[ $LIVE == "$DEPLOYED" ]] || echo "; the stack deployed $DEPLOYED (make rollback moved it)")"
echo "code:         $(aws_do lambda get-function-configuration --function-name "$FUNCTION_NAME" --qualifier "$LIVE" --query '[CodeSha256,Description]')"
echo "open:         $(site_url)"
