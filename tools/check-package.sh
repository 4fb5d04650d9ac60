#!/usr/bin/env bash
# Checks the Lambda package: dist/bootstrap.zip holds exactly one entry, `bootstrap`, at its
# root, executable; it is the same file as dist/bootstrap; it is an ELF executable for the
# architecture asked for (x86_64 or arm64); and that binary needs no glibc newer than Amazon
# Linux 2023's (provided.al2023). RUN_BOOTSTRAP is how to run it here (tools/arm64.sh run for
# an arm64 package on x86_64).
set -euo pipefail
zip=${1:-dist/bootstrap.zip}
bin=${2:-dist/bootstrap}
max=${3:-2.34}
arch=${4:-x86_64}
fail() { echo "package check FAILED: $*"; exit 1; }
case $arch in
  x86_64) want_machine=3e00 ;;
  arm64) want_machine=b700 ;;
  *) fail "unknown architecture '$arch' (x86_64 or arm64)" ;;
esac

entries=$(unzip -Z1 "$zip")
[ "$entries" = "bootstrap" ] || fail "$zip must hold only 'bootstrap' at its root, holds: $entries"
perms=$(unzip -Z "$zip" bootstrap | awk '{print $1}')
case "$perms" in -rwx*) ;; *) fail "bootstrap in $zip is not executable ($perms)";; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
unzip -q "$zip" -d "$tmp"
cmp -s "$tmp/bootstrap" "$bin" || fail "$zip's bootstrap differs from $bin"
# e_ident (ELF magic, 64-bit, little-endian) and e_machine, as Lambda's loader reads them.
[ "$(od -An -tx1 -N6 "$bin" | tr -d ' \n')" = 7f454c460201 ] || fail "$bin is not a 64-bit little-endian ELF executable"
machine=$(od -An -tx1 -j18 -N2 "$bin" | tr -d ' \n')
[ "$machine" = "$want_machine" ] || fail "$bin is built for ELF machine $machine, not $arch ($want_machine)"
"$(dirname "$0")/check-glibc.sh" "$bin" "$max"
# SECURITY.md: linked non-PIE (build.rs), so the loader applies no relocations to the site's
# tables. The ELF header's e_type (2 bytes at offset 16, little-endian): 2 is EXEC (non-PIE),
# 3 is DYN (PIE or a shared object).
etype=$(od -An -tu2 -j16 -N2 "$bin" | tr -d ' ')
[ "$etype" = 2 ] || fail "$bin is not a position-dependent executable (ELF e_type $etype, want 2, EXEC)"
# The test-only panic (the test-panic feature, debug builds only) is not in the shipped binary.
! grep -q "test-panic: a panic induced" "$bin" || fail "$bin was built with the test-panic feature"
out=$(printf '{"httpMethod":"GET","path":"/health","headers":{"user-agent":"ELB-HealthChecker/2.0"}}' | ${RUN_BOOTSTRAP:-} "$tmp/bootstrap" invoke - 2>/dev/null)
echo "$out" | grep -q '"statusCode": 200' || fail "the packaged bootstrap does not answer a health check: $out"
echo "package check: $zip holds an executable, non-PIE $arch bootstrap ($perms) that answers a health check"
