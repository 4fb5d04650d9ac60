#!/usr/bin/env bash
# Fails when a binary needs a glibc symbol version newer than the given one (Lambda's
# provided.al2023 runtime has glibc 2.34), or passes when it is statically linked.
set -euo pipefail
bin=${1:?usage: check-glibc.sh BINARY MAX_VERSION}
max=${2:?usage: check-glibc.sh BINARY MAX_VERSION}
if ! objdump -p "$bin" | grep -q 'NEEDED'; then
  echo "glibc check: $bin is statically linked"
  exit 0
fi
highest=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
if [ -z "$highest" ]; then
  echo "glibc check: $bin needs no versioned glibc symbol"
  exit 0
fi
if [ "$(printf '%s\n%s\n' "$highest" "$max" | sort -V | tail -1)" != "$max" ]; then
  echo "glibc check FAILED: $bin needs GLIBC_$highest, newer than the limit, GLIBC_$max (Amazon Linux 2023 has 2.34):"
  objdump -T "$bin" | grep "GLIBC_$highest" | sed 's/^/  /'
  exit 1
fi
echo "glibc check: $bin needs at most GLIBC_$highest (limit $max)"
