# arm64 (Graviton): `make build ARCH=arm64` on a machine that is not arm64. tools/arm64.sh picks the
# compiler (rustup's aarch64 target, or Debian's rustc-web with its arm64 standard library, which
# it installs on Debian when neither is there) and builds in target/arm64, apart from the x86_64
# build: the two may be different compilers.

ARM64_TARGET := aarch64-unknown-linux-gnu
ARM64_DIR := target/arm64
ARM64_BOOTSTRAP := $(ARM64_DIR)/$(ARM64_TARGET)/release/bootstrap
HOST_IS_ARM64 := $(filter aarch64 arm64,$(shell uname -m))

ifeq ($(ARCH)-$(HOST_IS_ARM64),arm64-)
# `make build ARCH=arm64` here: the compiler is set up (or the build stops, naming what to
# install) before any compile, and the binary runs through qemu-user for its checks.
CROSS_CHECK = tools/arm64.sh setup
build: CARGO = tools/arm64.sh cargo
BOOTSTRAP := $(ARM64_BOOTSTRAP)
RUN_BOOTSTRAP := tools/arm64.sh run
endif
