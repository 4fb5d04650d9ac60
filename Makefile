# One entry point for everything: build, run locally, test, benchmark, deploy.
# Fragments in mk/ add the local ALB, the Runtime API tests, the browser test and deploy.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
TOOLS := .tools
CARGO ?= cargo
# x86_64 (default) or arm64: the Lambda architecture to build for.
ARCH ?= x86_64
# Amazon Linux 2023 (provided.al2023) ships glibc 2.34: the binary may need nothing newer.
MAX_GLIBC := 2.34
EVENT ?= events/health.json
# $(call cargo_build,ARGS): `cargo build ARGS` that shows the site's encoding progress
# ("[alb-static-site …] encoding: N/M files (X MB of Y MB)" every ~3 s on a big site). Cargo
# shows a build script's output only with -vv; tools/cargo-progress.awk keeps those lines and
# what plain cargo prints (errors in full), and drops the rest of -vv. pipefail: the recipe
# fails when cargo does.
cargo_build = set -o pipefail; $(CARGO) build -vv $(1) 2>&1 | awk -f tools/cargo-progress.awk

ifeq ($(ARCH),x86_64)
RUST_TARGET := x86_64-unknown-linux-gnu
else ifeq ($(ARCH),arm64)
RUST_TARGET := aarch64-unknown-linux-gnu
else
$(error ARCH must be x86_64 or arm64, not '$(ARCH)')
endif
# On the host's own architecture build without --target, so `make build` and
# `cargo test --release` share one compilation.
ifeq ($(RUST_TARGET),$(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p'))
TARGET_FLAG :=
BOOTSTRAP := target/release/bootstrap
else
TARGET_FLAG := --target $(RUST_TARGET)
BOOTSTRAP := target/$(RUST_TARGET)/release/bootstrap
endif

.PHONY: help venv build invoke check-glibc test test-rust test-package lint apt-tools
help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

venv: $(VENV)/.done ## Python tools for the tests (awscli, moto, cfn-lint, pytest)
$(VENV)/.done: tools/requirements.txt
	@# Debian's python3 makes a venv only with python3-venv (ensurepip) installed.
	@python3 -c 'import ensurepip' 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3-venv)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

# Debian packages the build, the tests and the deploy use (jq reads the offload manifest), installed when missing.
apt-tools:
	@missing=""; for t in zip:zip unzip:unzip objdump:binutils jq:jq; do \
	  command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

build: apt-tools ## Build the release bootstrap and dist/bootstrap.zip for Lambda (ARCH=x86_64|arm64)
	@if [ -n "$(TARGET_FLAG)" ] && ! rustup target list --installed 2>/dev/null | grep -qx '$(RUST_TARGET)'; then \
	  echo "error: ARCH=$(ARCH) needs the Rust target $(RUST_TARGET), which this toolchain does not have."; \
	  echo "       Install it with 'rustup target add $(RUST_TARGET)' (and a linker for it), or build with ARCH=x86_64."; \
	  exit 1; fi
	@# The library first (the build script's stages, then rustc on the library), then the binary
	@# (fat LTO, codegen, link), each timed: with the build script's own lines, every stage.
	@t0=$$(date +%s.%N); \
	  ($(call cargo_build,--release --locked $(TARGET_FLAG) --lib)) && t1=$$(date +%s.%N) && \
	  ($(call cargo_build,--release --locked $(TARGET_FLAG) --bin bootstrap)) && t2=$$(date +%s.%N) && \
	  awk -v a=$$t0 -v b=$$t1 -v c=$$t2 'BEGIN { \
	    printf "stage: compile %.1f s (the build script stages above, then the library)\n", b - a; \
	    printf "stage: link %.1f s (the binary: LTO, codegen and link)\n", c - b }'
	@mkdir -p dist
	cp $(BOOTSTRAP) dist/bootstrap
	@# The files kept in S3 (limits.too_large = "s3"), for the deploy to upload.
	rm -rf dist/offload && cp -r $(dir $(BOOTSTRAP))site-offload dist/offload
	rm -f dist/bootstrap.zip
	cd dist && zip -X -q bootstrap.zip bootstrap
	@$(MAKE) --no-print-directory check-glibc
	@size=$$(stat -c %s dist/bootstrap); zsize=$$(stat -c %s dist/bootstrap.zip); \
	  echo "dist/bootstrap: $$size bytes; dist/bootstrap.zip: $$zsize bytes"; \
	  dist/bootstrap info | sed 's/^/  /'

test-package: build ## The Lambda package: zip layout, executable bit, glibc <= 2.34, answers a health check
	tools/check-package.sh dist/bootstrap.zip dist/bootstrap $(MAX_GLIBC)

check-glibc: ## Check that dist/bootstrap needs no glibc newer than Amazon Linux 2023's
	@tools/check-glibc.sh dist/bootstrap $(MAX_GLIBC)

invoke: ## Answer one ALB event locally, no AWS: make invoke EVENT=events/health.json
	@$(CARGO) build --release --locked --quiet --bin bootstrap
	@target/release/bootstrap invoke $(EVENT)

lint: ## rustfmt and clippy, warnings as errors
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --workspace --all-targets -- -D warnings

# RIE is set, so the emulator tests fail (rather than skip) if the emulator cannot run.
# local-alb's tests run in test-local, with the real bootstrap.
test-rust: venv ## The server's and site-core's unit, behaviour, fixture and golden tests
	RIE=$(abspath $(RIE_BIN)) $(CARGO) test --release --locked -p alb-static-site -p site-core --features site-core/plan

BENCH_SITE := target/bench-site
.PHONY: bench bench-handler bench-auth
bench-auth: ## Criterion: the login check with a cached key, and a private page against a public one
	$(CARGO) bench --locked --bench auth

bench-handler: ## Criterion: handling + serializing vs serializing a ready-made response (generated site)
	rm -rf $(BENCH_SITE) && python3 tools/gen-site.py $(BENCH_SITE) --js-kb 200 --png-kb 500
	SITE_DIR=$(BENCH_SITE) CARGO_TARGET_DIR=target/bench $(CARGO) bench --locked --bench handler
	@python3 tools/criterion-table.py target/bench/criterion

# Each fragment adds its suite to TEST_TARGETS (and benchmarks to BENCH_TARGETS). (TEST_TARGETS += test-xyz).
include $(sort $(wildcard mk/*.mk))

test: lint test-rust test-package $(TEST_TARGETS) ## Everything: lint, Rust tests, and the suites in mk/*.mk
	@echo "make test: all suites passed"

bench: bench-handler bench-auth $(BENCH_TARGETS) ## Every benchmark behind BENCHMARKS.md
