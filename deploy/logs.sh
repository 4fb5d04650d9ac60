#!/usr/bin/env bash
# `make logs`: the function's logs from LOGS_SINCE ago; LOGS_FOLLOW=true keeps following. Reads only.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_settings "$@"
[[ $LOGS_SINCE =~ ^[0-9]+[smhd]$ ]] || die "LOGS_SINCE='$LOGS_SINCE' must be a number and s, m, h or d (e.g. 10m)." "set LOGS_SINCE"
one_of LOGS_FOLLOW true false
setup_aws
FOLLOW=()
[[ $LOGS_FOLLOW == false ]] || FOLLOW=(--follow)
exec "${AWS[@]}" logs tail "/aws/lambda/$FUNCTION_NAME" --since "$LOGS_SINCE" --format short "${FOLLOW[@]}"
