#!/usr/bin/env bash
# Checks the Lambda package: dist/bootstrap.zip holds exactly one entry, `bootstrap`, at its
# root, executable; it is the same file as dist/bootstrap; and that binary needs no glibc newer
# than Amazon Linux 2023's (provided.al2023).
set -euo pipefail
zip=${1:-dist/bootstrap.zip}
bin=${2:-dist/bootstrap}
max=${3:-2.34}
fail() { echo "package check FAILED: $*"; exit 1; }

entries=$(unzip -Z1 "$zip")
[ "$entries" = "bootstrap" ] || fail "$zip must hold only 'bootstrap' at its root, holds: $entries"
perms=$(unzip -Z "$zip" bootstrap | awk '{print $1}')
case "$perms" in -rwx*) ;; *) fail "bootstrap in $zip is not executable ($perms)";; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
unzip -q "$zip" -d "$tmp"
cmp -s "$tmp/bootstrap" "$bin" || fail "$zip's bootstrap differs from $bin"
"$(dirname "$0")/check-glibc.sh" "$bin" "$max"
# SECURITY.md: linked non-PIE (build.rs), so the loader applies no relocations to the site's
# tables. The ELF header's e_type (2 bytes at offset 16, little-endian): 2 is EXEC (non-PIE),
# 3 is DYN (PIE or a shared object).
# The test-only panic (the test-panic feature, debug builds only) is not in the shipped binary.
! grep -q "test-panic: a panic induced" "$bin" || fail "$bin was built with the test-panic feature"
etype=$(od -An -tu2 -j16 -N2 "$bin" | tr -d ' ')
[ "$etype" = 2 ] || fail "$bin is not a position-dependent executable (ELF e_type $etype, want 2, EXEC)"
out=$(printf '{"httpMethod":"GET","path":"/health","headers":{"user-agent":"ELB-HealthChecker/2.0"}}' | "$tmp/bootstrap" invoke - 2>/dev/null)
echo "$out" | grep -q '"statusCode": 200' || fail "the packaged bootstrap does not answer a health check: $out"
echo "package check: $zip holds an executable, non-PIE bootstrap ($perms) that answers a health check"
