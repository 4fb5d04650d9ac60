#!/usr/bin/env bash
# The arm64 (Graviton) toolchain for `make build ARCH=arm64` on a machine that is not arm64.
#
#   tools/arm64.sh setup         pick a route to a compiler for aarch64-unknown-linux-gnu, install
#                                Debian's when there is none and this is Debian (as root), or stop
#                                with what to install; prints the route and the compiler
#   tools/arm64.sh cargo ARGS    run cargo ARGS with that route's compiler, linker and C compiler,
#                                in the arm64 target dir (target/arm64), so neither the x86_64
#                                build nor another compiler's artifacts are disturbed
#   tools/arm64.sh run BIN ARGS  run an aarch64 binary here (through qemu-user on x86_64)
#
# Routes, in order:
#   rustup   rustup's aarch64-unknown-linux-gnu target (`rustup target add`) + a cross gcc as linker
#   debian   Debian's rustc-web/cargo-web with its arm64 standard library (libstd-rust-web-dev:arm64,
#            a multiarch package) + gcc-aarch64-linux-gnu: no download outside the Debian archive
# Both link against the cross glibc in /usr/aarch64-linux-gnu (2.36 headers; the binary asks only
# for the symbol versions it uses, which tools/check-glibc.sh holds to Amazon Linux 2023's 2.34).
set -euo pipefail

TARGET=aarch64-unknown-linux-gnu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARM64_TARGET_DIR=${ARM64_TARGET_DIR:-$ROOT/target/arm64}
LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}
# The arm64 loader and libc (libc6-arm64-cross) that qemu-user loads the binary with.
QEMU_SYSROOT=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
# Where to look for things; overridable so the tests can play another machine.
OS_RELEASE=${ARM64_OS_RELEASE:-/etc/os-release}
DEBIAN_RUSTC=${ARM64_DEBIAN_RUSTC:-/usr/bin/rustc}
DEBIAN_CARGO=${ARM64_DEBIAN_CARGO:-/usr/bin/cargo}
DEBIAN_PACKAGES=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
LINKER_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)

say() { echo "arm64: $*" >&2; }

routes_message() {
  cat >&2 <<EOF
       Install one of these, then run the command again:
       - rustup's target and a cross linker:
           rustup target add $TARGET
           plus gcc for aarch64 (Debian/Ubuntu: apt-get install ${LINKER_PACKAGES[*]};
           elsewhere export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=<your aarch64 gcc>)
       - or cargo-lambda with zig, which links for Lambda's glibc itself (no cross gcc):
           pip install cargo-lambda ziglang && rustup target add $TARGET
           cargo lambda build --release --arm64 --bin bootstrap --output-format zip
           then: ARCH=arm64 ZIP=target/lambda/bootstrap/bootstrap.zip deploy/deploy.sh
       On Debian 12 as root, 'make build ARCH=arm64' installs Debian's cross toolchain itself:
           dpkg --add-architecture arm64 && apt-get update
           apt-get install ${DEBIAN_PACKAGES[*]}
EOF
}

# The rust-version floor in Cargo.toml: the compiler of every route must meet it.
floor() { sed -nE 's/^rust-version = "([0-9.]+)"/\1/p' "$ROOT/Cargo.toml"; }

rustup_ready() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$TARGET"
}

debian_ready() {
  [ -x "$DEBIAN_RUSTC" ] && [ -x "$DEBIAN_CARGO" ] || return 1
  local sysroot
  sysroot=$("$DEBIAN_RUSTC" --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/$TARGET/lib" ] && command -v "$LINKER" >/dev/null 2>&1
}

# The route to use, or nothing.
route() {
  if rustup_ready; then echo rustup
  elif debian_ready; then echo debian
  fi
}

is_debian() {
  # shellcheck disable=SC1090
  [ -r "$OS_RELEASE" ] && (. "$OS_RELEASE" && [ "${ID:-}" = debian ])
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif sudo -n true 2>/dev/null; then sudo "$@"
  else return 99
  fi
}

apt_install() {
  # Waits for another apt run (other builds share the machine) instead of failing at once.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "$@"
}

install_debian() {
  say "no compiler for $TARGET yet: installing Debian's cross toolchain (${DEBIAN_PACKAGES[*]})"
  local rc=0
  { as_root dpkg --add-architecture arm64 &&
    as_root apt-get update -qq -o DPkg::Lock::Timeout=600 &&
    apt_install "${DEBIAN_PACKAGES[@]}"; } || rc=$?
  if [ "$rc" = 99 ]; then
    say "error: installing Debian's cross toolchain needs root (or sudo without a password)."
    routes_message; exit 1
  elif [ "$rc" != 0 ]; then
    say "error: apt could not install Debian's cross toolchain (${DEBIAN_PACKAGES[*]})."
    routes_message; exit 1
  fi
}

compiler_of() {
  case $1 in
    rustup) rustc -V ;;
    debian) "$DEBIAN_RUSTC" -V ;;
  esac
}

setup() {
  if [ "$(uname -m)" = aarch64 ]; then say "this machine is arm64: the build is native"; return; fi
  local r
  r=$(route)
  if [ -z "$r" ]; then
    if is_debian; then
      install_debian
      r=$(route)
      [ -n "$r" ] || { say "error: Debian's cross toolchain is installed, but $DEBIAN_RUSTC has no standard library for $TARGET."; routes_message; exit 1; }
    else
      say "error: ARCH=arm64 needs a Rust compiler for $TARGET, and this machine has none."
      routes_message; exit 1
    fi
  fi
  if ! command -v "$LINKER" >/dev/null 2>&1; then
    if is_debian || grep -qsE '^ID(_LIKE)?=.*(debian|ubuntu)' "$OS_RELEASE"; then
      say "the rustup target is installed but no linker for it: installing ${LINKER_PACKAGES[*]}"
      apt_install "${LINKER_PACKAGES[@]}" || { say "error: could not install ${LINKER_PACKAGES[*]} (needs root)."; routes_message; exit 1; }
    else
      say "error: rustup's $TARGET target is installed, but there is no linker for it ($LINKER)."
      routes_message; exit 1
    fi
  fi
  local version min
  version=$(compiler_of "$r" | awk '{print $2}')
  min=$(floor)
  if [ "$(printf '%s\n%s\n' "$min" "$version" | sort -V | head -1)" != "$min" ]; then
    say "error: the $r route's compiler is rustc $version, older than rust-version = \"$min\" in Cargo.toml."
    routes_message; exit 1
  fi
  say "building with the $r route: $(compiler_of "$r") (rust-version floor $min), linker $LINKER"
}

cargo_arm64() {
  local r
  r=$(route)
  [ -n "$r" ] || { say "error: no compiler for $TARGET here; 'make build ARCH=arm64' sets one up."; routes_message; exit 1; }
  export CARGO_TARGET_DIR=$ARM64_TARGET_DIR
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=$LINKER
  # ring and other crates with C inside compile it with the cc crate, which reads these.
  export CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}
  export AR_aarch64_unknown_linux_gnu=${AR_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-ar}
  case $r in
    rustup) exec cargo "$@" ;;
    # RUSTC pins Debian's compiler: rustup's proxies come first on PATH and would win otherwise.
    debian) RUSTC=$DEBIAN_RUSTC exec "$DEBIAN_CARGO" "$@" ;;
  esac
}

run_arm64() {
  local bin=${1:?usage: tools/arm64.sh run BINARY [ARGS...]}
  shift
  if [ "$(uname -m)" = aarch64 ]; then exec "$bin" "$@"; fi
  local qemu
  qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) ||
    { say "error: running an arm64 binary here needs qemu-user (apt-get install qemu-user)."; exit 1; }
  exec "$qemu" -L "$QEMU_SYSROOT" "$bin" "$@"
}

case ${1:-} in
  setup) setup ;;
  cargo) shift; cargo_arm64 "$@" ;;
  run) shift; run_arm64 "$@" ;;
  route) route ;;
  *) echo "usage: tools/arm64.sh setup | cargo ARGS... | run BINARY [ARGS...]" >&2; exit 2 ;;
esac
