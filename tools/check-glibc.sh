#!/usr/bin/env bash
# Fails when a binary needs a glibc symbol version newer than the given one (Lambda's
# provided.al2023 runtime has glibc 2.34), or passes when it is statically linked.
set -euo pipefail
bin=${1:?usage: check-glibc.sh BINARY MAX_VERSION}
max=${2:?usage: check-glibc.sh BINARY MAX_VERSION}
# objdump's output is read only once it succeeded: a missing tool or an unreadable file must
# fail the check, not pass as "statically linked".
headers=$(objdump -p "$bin") || { echo "glibc check FAILED: objdump -p $bin failed"; exit 1; }
if ! grep -q 'NEEDED' <<<"$headers"; then
  echo "glibc check: $bin is statically linked"
  exit 0
fi
symbols=$(objdump -T "$bin") || { echo "glibc check FAILED: objdump -T $bin failed"; exit 1; }
highest=$(grep -o 'GLIBC_[0-9][0-9.]*' <<<"$symbols" | sed 's/GLIBC_//' | sort -uV | tail -1 || true)
if [ -z "$highest" ]; then
  echo "glibc check: $bin needs no versioned glibc symbol"
  exit 0
fi
if [ "$(printf '%s\n%s\n' "$highest" "$max" | sort -V | tail -1)" != "$max" ]; then
  echo "glibc check FAILED: $bin needs GLIBC_$highest, newer than the limit, GLIBC_$max (Amazon Linux 2023 has 2.34):"
  grep "GLIBC_$highest" <<<"$symbols" | sed 's/^/  /'
  exit 1
fi
echo "glibc check: $bin needs at most GLIBC_$highest (limit $max)"
