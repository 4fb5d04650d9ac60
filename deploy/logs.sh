#!/usr/bin/env bash
# Show the function's logs (`make logs`): from LOGS_SINCE ago (default 10m), and with
# LOGS_FOLLOW=true keep following new ones (Ctrl-C to stop). Uses `aws logs tail` where the CLI
# has it (v2), and polls filter-log-events otherwise (v1). Reads only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ACTION=logs
STEPS=1
STEP=1
parse_args "$@"
load_settings
check_name_settings
[[ $LOGS_SINCE =~ ^([0-9]+)([smhd])$ ]] || die "LOGS_SINCE='$LOGS_SINCE' must be a number and s, m, h or d (e.g. 10m, 2h)." "set LOGS_SINCE"
AMOUNT=${BASH_REMATCH[1]}
case ${BASH_REMATCH[2]} in s) UNIT=1 ;; m) UNIT=60 ;; h) UNIT=3600 ;; *) UNIT=86400 ;; esac
SECONDS_BACK=$((10#$AMOUNT * UNIT))
case $LOGS_FOLLOW in true | false) ;; *) die "LOGS_FOLLOW='$LOGS_FOLLOW' must be true or false." "set LOGS_FOLLOW" ;; esac
setup_aws
GROUP="/aws/lambda/$FUNCTION_NAME"
if ! aws_try logs describe-log-groups --log-group-name-prefix "$GROUP" --query "logGroups[?logGroupName=='$GROUP'].logGroupName | [0]" | grep -qxF "$GROUP"; then
  die "the log group $GROUP does not exist (yet)." "deploy first; Lambda writes there once the function has run"
fi
if "${AWS[@]}" logs tail help >/dev/null 2>&1; then
  FOLLOW=()
  [[ $LOGS_FOLLOW == true ]] && FOLLOW=(--follow)
  exec "${AWS[@]}" logs tail "$GROUP" --since "$LOGS_SINCE" --format short "${FOLLOW[@]}"
fi
# AWS CLI v1: no `logs tail`; poll.
START=$((($(date +%s) - SECONDS_BACK) * 1000))
echo "logs of $GROUP since $LOGS_SINCE ago${LOGS_FOLLOW/true/ (following; Ctrl-C to stop)}" | sed 's/ agofalse$/ ago/'
while :; do
  OUT=$(aws_do logs filter-log-events --log-group-name "$GROUP" --start-time "$START" \
    --query 'events[].[timestamp,logStreamName,message]')
  while IFS=$'\t' read -r ts stream msg; do
    [[ -z $ts || $ts == None ]] && continue
    printf '%s %s %s\n' "$(date -u -d "@$((ts / 1000))" +%Y-%m-%dT%H:%M:%S)" "${stream##*]}" "$msg"
    ((ts + 1 > START)) && START=$((ts + 1))
  done <<<"$OUT"
  [[ $LOGS_FOLLOW == true ]] || break
  sleep 2
done
