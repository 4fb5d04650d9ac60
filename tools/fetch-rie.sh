#!/usr/bin/env bash
# Fetch AWS's Lambda Runtime Interface Emulator (RIE) into .tools/, with no Docker.
# The aws-sam-cli wheel on PyPI ships the emulator binary; this downloads the wheel
# (no dependencies, nothing installed) and extracts just the binary.
# Idempotent: does nothing when .tools/aws-lambda-rie-x86_64 is already a valid executable.
set -euo pipefail

SAM_VERSION="${SAM_VERSION:-1.170.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST_DIR="$ROOT/.tools"
DEST="$DEST_DIR/aws-lambda-rie-x86_64"
MEMBER="samcli/local/rapid/aws-lambda-rie-x86_64"

# An ELF executable? (Running it is not a safe check: even `--help` starts a server.)
is_elf() {
  [ -f "$1" ] && [ -x "$1" ] && [ "$(head -c 4 "$1" | od -An -c | tr -d ' \n')" = '177ELF' ]
}

if is_elf "$DEST"; then
  echo "RIE already present: ${DEST#"$ROOT"/}"
  exit 0
fi

if [ -x "$ROOT/.venv/bin/pip" ]; then
  PIP=("$ROOT/.venv/bin/pip")
else
  PIP=(python3 -m pip)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "Downloading aws-sam-cli==$SAM_VERSION (wheel only, no dependencies) for its RIE binary"
"${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  -d "$tmp" "aws-sam-cli==$SAM_VERSION"
wheel="$(ls "$tmp"/aws_sam_cli-*.whl)"

# Extract with Python's zipfile so no unzip package is needed.
python3 - "$wheel" "$MEMBER" "$tmp/rie" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(member))
PY

chmod +x "$tmp/rie"
if ! is_elf "$tmp/rie"; then
  echo "error: $MEMBER from the aws-sam-cli wheel is not an ELF executable" >&2
  exit 1
fi
mkdir -p "$DEST_DIR"
mv "$tmp/rie" "$DEST"
echo "RIE ready: ${DEST#"$ROOT"/} ($(stat -c %s "$DEST") bytes)"
