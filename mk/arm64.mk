# arm64 (Graviton): `make build ARCH=arm64` on a machine that is not arm64, and test-arm64, which
# runs the arm64 function under qemu-user against the x86_64 one. tools/arm64.sh picks the
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

ifeq ($(HOST_IS_ARM64),)
TEST_TARGETS += test-arm64
TEST_TOOLS += arm64-tools
endif

.PHONY: test-arm64 arm64-bootstrap arm64-package arm64-tools

# The compiler for arm64 and qemu-user, installed when missing (make test installs them first).
arm64-tools:
	@tools/arm64.sh setup

# The same compile as `make build ARCH=arm64` (same arguments and target dir), so either one
# leaves the other nothing to do.
arm64-bootstrap: CARGO = tools/arm64.sh cargo
arm64-bootstrap:
	@tools/arm64.sh setup
	$(call cargo_build,--release --locked --target $(ARM64_TARGET) --bin bootstrap)

# The arm64 package as `make build ARCH=arm64` makes it, kept apart from dist/ (which holds the
# x86_64 package the other suites test), and checked like it.
ARM64_PACKAGE := $(ARM64_DIR)/package
arm64-package: arm64-bootstrap apt-tools
	rm -rf $(ARM64_PACKAGE) && mkdir -p $(ARM64_PACKAGE)
	cp $(ARM64_BOOTSTRAP) $(ARM64_PACKAGE)/bootstrap
	$(call package_zip,$(ARM64_PACKAGE))
	RUN_BOOTSTRAP="tools/arm64.sh run" tools/check-package.sh $(ARM64_PACKAGE)/bootstrap.zip $(ARM64_PACKAGE)/bootstrap $(MAX_GLIBC) arm64
	@tools/built-by.sh $(ARM64_PACKAGE)/bootstrap

# tests/arm64: what `make build ARCH=...` builds for, and its errors (dry runs: seconds).
# local-alb/tests/arm64.rs: every sample event answered byte for byte alike by the x86_64 and the
# arm64 release builds, and the arm64 function behind local-alb (the Runtime API) through
# qemu-user. The x86_64 side is the shipped dist/bootstrap; the test itself compiles with the
# other local-alb tests (the test profile).
test-arm64: build arm64-package venv ## arm64: ARCH handling; the package checked, then run under qemu-user against the x86_64 build (every sample event, the Runtime API path)
	$(PY) -m pytest -q tests/arm64
	BOOTSTRAP=$(CURDIR)/dist/bootstrap ARM64_BOOTSTRAP=$(CURDIR)/$(ARM64_BOOTSTRAP) \
	  ARM64_RUN=$(CURDIR)/tools/arm64.sh \
	  $(CARGO) test $(TEST_SEL) --test arm64 -- --ignored
