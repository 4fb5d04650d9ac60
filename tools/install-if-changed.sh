#!/usr/bin/env bash
# install-if-changed.sh [--move] SRC DST: puts SRC (a file or a folder) at DST, unless DST holds
# the same bytes already, in which case DST is not touched at all. The new DST arrives by a
# rename, so a test that runs or reads DST at that moment sees the old one or the new one,
# never half of one: `make test` runs two groups at once, and each may run `make build`.
# --move: SRC is a temporary, taken (or removed when DST is the same).
set -euo pipefail
move=false
if [ "${1:-}" = --move ]; then move=true; shift; fi
src=${1:?usage: install-if-changed.sh [--move] SRC DST}
dst=${2:?usage: install-if-changed.sh [--move] SRC DST}
[ -e "$src" ] || { echo "install-if-changed.sh: $src does not exist" >&2; exit 1; }

same() {
  if [ -d "$src" ]; then [ -d "$dst" ] && diff -rq "$src" "$dst" >/dev/null 2>&1
  else [ -f "$dst" ] && cmp -s "$src" "$dst"; fi
}

if same; then
  if $move; then rm -rf "$src"; fi
  exit 0
fi
tmp="$dst.new.$$"
rm -rf "$tmp"
if $move; then mv "$src" "$tmp"; else cp -R "$src" "$tmp"; fi
if [ -d "$dst" ] && [ ! -L "$dst" ]; then
  # A folder cannot be renamed over a folder: the old one steps aside first.
  old="$dst.old.$$"
  mv "$dst" "$old" && mv "$tmp" "$dst" && rm -rf "$old"
else
  mv -f "$tmp" "$dst"
fi
