#!/usr/bin/env bash
# `make logs`: the function's logs from LOGS_SINCE (or SINCE) ago; LOGS_FOLLOW=true keeps following.
# STATUS=5xx|4xx|404 and PATH_PREFIX=/docs keep only the access lines of those answers: a
# CloudWatch Logs filter on the JSON line's fields, applied by CloudWatch. Reads only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
WANT_STATUS=${STATUS-} WANT_PATH=${PATH_PREFIX-}
load_settings "$@"
[[ -z ${SINCE-} ]] || LOGS_SINCE=$SINCE
[[ $LOGS_SINCE =~ ^[0-9]+[smhd]$ ]] || die "LOGS_SINCE='$LOGS_SINCE' must be a number and s, m, h or d (e.g. 10m)." "set LOGS_SINCE (or SINCE)"
one_of LOGS_FOLLOW true false
[[ -z $WANT_STATUS || $WANT_STATUS =~ ^[1-5]([0-9]{2}|xx)$ ]] || die "STATUS='$WANT_STATUS' is not a status or a class." "e.g. STATUS=5xx or STATUS=404"
[[ -z $WANT_PATH || $WANT_PATH =~ ^/[^[:space:]\"*]*$ ]] || die "PATH_PREFIX='$WANT_PATH' is not a path." "e.g. PATH_PREFIX=/docs"
[[ -z $WANT_STATUS$WANT_PATH || $LOG_FORMAT == JSON ]] ||
  die "STATUS and PATH_PREFIX filter the JSON access line, and LOG_FORMAT=$LOG_FORMAT." "run make logs without them"
case $WANT_STATUS in
  "") TERMS=() ;;
  ?xx) TERMS=("\$.fields.status >= ${WANT_STATUS:0:1}00" "\$.fields.status <= ${WANT_STATUS:0:1}99") ;;
  *) TERMS=("\$.fields.status = $WANT_STATUS") ;;
esac
[[ -z $WANT_PATH ]] || TERMS+=("\$.fields.path = \"$WANT_PATH*\"")
FILTER=()
if ((${#TERMS[@]})); then
  PATTERN="{ $(printf '(%s) && ' "${TERMS[@]}")"
  FILTER=(--filter-pattern "${PATTERN% && } }")
  echo "filter: ${FILTER[1]}" >&2
fi
setup_aws
FOLLOW=()
[[ $LOGS_FOLLOW == false ]] || FOLLOW=(--follow)
exec "${AWS[@]}" logs tail "/aws/lambda/$FUNCTION_NAME" --since "$LOGS_SINCE" --format short "${FILTER[@]}" "${FOLLOW[@]}"
