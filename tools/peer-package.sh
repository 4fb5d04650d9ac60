#!/usr/bin/env bash
# A peer's Lambda package for `make bench-peers`: ZIP holding the given executables at its root
# (the first one named `bootstrap`) and the sample site as `site/`, as a user of a folder-serving
# server ships it. Each text file of the site gets precompressed `.gz` (gzip -9) and `.br`
# (brotli -q 11) copies beside it, which the peers are configured to serve (tower-http's
# precompressed_gzip/precompressed_br, static-web-server's --compression-static). Deterministic
# as `make build`'s zip: fixed mtimes, no extra fields.
# usage: tools/peer-package.sh ZIP SITE BOOTSTRAP [OTHER_EXECUTABLE...]
set -euo pipefail
zip_out=$(realpath -m "$1"); site=$2; bootstrap=$3; shift 3
# Unpacked beside it, in pkg/NAME: what the zip holds, for tools that run it in place.
stage="$(dirname "$zip_out")/pkg/$(basename "$zip_out" .zip)"
rm -rf "$stage" "$zip_out"
mkdir -p "$stage"
cp "$bootstrap" "$stage/bootstrap"
for exe in "$@"; do cp "$exe" "$stage/"; done
cp -r "$site" "$stage/site"
find "$stage/site" -type f \( -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.txt' \
  -o -name '*.svg' -o -name '*.json' -o -name '*.xml' -o -name '*.map' \) -print0 |
  while IFS= read -r -d '' f; do
    gzip -9 -n -k "$f"
    brotli -q 11 -k "$f"
  done
chmod -R u+rwX,go+rX "$stage"
find "$stage" -exec touch -h -d 1980-01-01T00:00:00Z {} +
(cd "$stage" && TZ=UTC zip -X -q -r "$zip_out" .)
echo "$zip_out: $(stat -c %s "$zip_out") bytes"
