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
if [[ -z $PREVIEW ]]; then
  LEFT=$(previews)
  echo "previews:     ${LEFT:-none}" | sed '2,$s/^/              /'
fi

# The last hour of the access line's metrics (METRICS=on), summed over the hour, with the handler's
# p50 and p99 (asked apart: a percentile CloudWatch has no data for prints as -).
if [[ $METRICS == on ]]; then
  DOOR=v2 NOW=$(date -u +%s)
  [[ $FRONT != alb ]] || DOOR=alb
  metrics() { # metrics QUERY... (ID:METRIC:STAT): {ID: [values]} of the last hour, or nothing
    jq -cn --arg ns "$METRICS_NAMESPACE" --arg fn "$FUNCTION_NAME" --arg door "$DOOR" '$ARGS.positional
      | map(split(":") | {Id: .[0], MetricStat: {Metric: {Namespace: $ns, MetricName: .[1],
             Dimensions: [{Name: "FunctionName", Value: $fn}, {Name: "Door", Value: $door}]}, Period: 3600, Stat: .[2]}})' \
      --args "$@" | "${AWS[@]}" cloudwatch get-metric-data --metric-data-queries file:///dev/stdin \
      --start-time $((NOW - 3600)) --end-time "$NOW" --output json 2>"$AWS_ERR" |
      jq -c '.MetricDataResults | map({key: .Id, value: (.Values | map(select(. != null)))}) | from_entries'
  }
  if COUNTS=$(metrics requests:Requests:Sum s2:Status2xx:Sum s3:Status3xx:Sum s4:Status4xx:Sum s5:Status5xx:Sum bytes:BytesSent:Sum); then
    TIMES=$(metrics p50:HandlerTime:p50 p99:HandlerTime:p99) || TIMES='{}'
    jq -rn --argjson c "$COUNTS" --argjson t "$TIMES" '
      def sum($k): ($c[$k] // []) | add // 0;
      def ms($k): ($t[$k] // []) | if length == 0 then "-" else "\(max / 10 | round / 100) ms" end;
      sum("requests") as $n
      | "last hour:    \($n) requests: 2xx \(sum("s2")), 3xx \(sum("s3")), 4xx \(sum("s4")), 5xx \(sum("s5"))"
        + (if $n > 0 then " (\(sum("s5") * 1000 / $n | round / 10) % 5xx)" else "" end)
        + "; \(sum("bytes")) bytes sent; handler p50 \(ms("p50")), p99 \(ms("p99"))"'
  else
    echo "last hour:    not known (CloudWatch: $(tail -n 1 "$AWS_ERR"))"
  fi
fi
