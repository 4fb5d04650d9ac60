#!/usr/bin/env bash
# Prints which compiler built a binary, read from the binary itself: rustc (and the C compiler
# of the crates with C inside) record their version in the ELF .comment section, which
# stripping keeps. x86_64 and arm64 may be built by different compilers (rustup's, Debian's
# rustc-web); this shows which one made the package that ships.
set -euo pipefail
bin=${1:?usage: built-by.sh BINARY}
comment=$(readelf -p .comment "$bin" 2>/dev/null | sed -nE 's/^ *\[ *[0-9a-f]+\] *//p')
rustc=$(grep -m1 '^rustc version' <<<"$comment" || true)
if [ -z "$rustc" ]; then
  echo "built by: unknown ($bin has no rustc version in its .comment section)"
else
  echo "built by: rustc ${rustc#rustc version }"
fi
