#!/usr/bin/env bash
# STAND-IN for `aws lambda invoke --qualifier VERSION` (moto stores the code but runs none of it).
# deploy.sh runs it as PRE_TRAFFIC_INVOKER: `standin_invoke.sh EVENT_FILE`, with CHECK_FUNCTION
# and CHECK_VERSION set. It finds the package that version runs by its CodeSha256 among the
# zips in STANDIN_ZIPS (every zip the test made), and answers the event as that package would:
# - a real bootstrap (dist/bootstrap.zip) is run locally: `bootstrap invoke EVENT_FILE`;
# - a test's fake bootstrap carries its answer in a line "standin-response {JSON}", and may carry
#   another for one path in a line "standin-response-for PATH {JSON}".
set -euo pipefail
event=$1
# (the endpoint explicitly: a test wraps `aws` in a CLI that ignores AWS_ENDPOINT_URL)
sha=$(aws --endpoint-url "$STANDIN_ENDPOINT" lambda get-function-configuration --function-name "$CHECK_FUNCTION" --qualifier "$CHECK_VERSION" \
  --query CodeSha256 --output text)
for z in "$STANDIN_ZIPS"/*.zip; do
  if [[ $(openssl dgst -sha256 -binary "$z" | base64 -w0) == "$sha" ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    unzip -q -o "$z" bootstrap -d "$tmp"
    # (an ALB event's "path", or a Function URL event's "rawPath")
    path=$(grep -oE '"(path|rawPath)": *"[^"]*"' "$event" | head -n1 | sed -E 's/.*"([^"]*)"$/\1/')
    if line=$(grep -a -m1 -o -F "standin-response-for $path {" "$tmp/bootstrap" >/dev/null &&
      grep -a -m1 -o "standin-response-for $path {.*" "$tmp/bootstrap"); then
      printf '%s\n' "${line#"standin-response-for $path "}"
    elif line=$(grep -a -m1 -o 'standin-response {.*' "$tmp/bootstrap"); then
      printf '%s\n' "${line#standin-response }"
    else
      "$tmp/bootstrap" invoke "$event" 2>/dev/null
    fi
    exit 0
  fi
done
echo "stand-in: no zip in $STANDIN_ZIPS has CodeSha256 $sha (version $CHECK_VERSION)" >&2
exit 1
