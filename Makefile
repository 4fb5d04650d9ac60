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
# What the test suites build their own binaries with (Cargo.toml: release without fat LTO), and
# where those land. The shipped binary is `make build`'s dist/bootstrap, in the release profile.
TEST_PROFILE := test-release
TEST_OUT := target/$(TEST_PROFILE)
# Every suite's Rust tests are built in ONE cargo selection (the whole workspace, the planner's
# feature), and each suite picks its test targets from it. Cargo unifies features over the
# packages selected, so a narrower `-p` builds shared crates again with other features (`-p
# site-dev` alone recompiled 150 of 212 crates); with one selection they compile once.
TEST_SEL := --profile $(TEST_PROFILE) --locked --workspace --features site-core/plan
# $(call tests_of,DIR,EXCEPT...): `--test NAME` for each integration test in DIR: a file NAME.rs,
# or a folder NAME/ with a main.rs (one test binary split into modules; tests/common/ has none).
tests_of = $(foreach t,$(filter-out $(2),$(sort $(basename $(notdir $(wildcard $(1)/*.rs))) \
  $(notdir $(patsubst %/main.rs,%,$(wildcard $(1)/*/main.rs))))),--test $(t))
# tests/panic.rs needs the test-panic feature (test-panic); local-alb's arm64 tests need the
# arm64 build (test-arm64).
ROOT_TESTS = $(call tests_of,tests,panic) $(call tests_of,site-core/tests)
LOCAL_TESTS = $(call tests_of,local-alb/tests,arm64)
DEV_TESTS = $(call tests_of,dev/tests)
# $(call cargo_build,ARGS): `cargo build ARGS` that shows the site's encoding progress
# ("[alb-static-site …] encoding: N/M files (X MB of Y MB)" every ~3 s on a big site). Cargo
# shows a build script's output only with -vv; tools/cargo-progress.awk keeps those lines and
# what plain cargo prints (errors in full), and drops the rest of -vv. pipefail: the recipe
# fails when cargo does.
# $(call package_zip,DIR): DIR/bootstrap.zip from DIR/bootstrap, deterministic: the same binary
# gives the same zip (fixed mode and mtime, UTC, no extra fields), so an unchanged site deploys
# as no change. An unchanged zip is left as it was (tools/install-if-changed.sh), as are the
# files `make build` copies to dist/: two test groups may build at once while others read them.
package_zip = chmod 755 $(1)/bootstrap && touch -d 1980-01-01T00:00:00Z $(1)/bootstrap \
  && (cd $(1) && rm -f .bootstrap.zip.$$$$ && TZ=UTC zip -X -q .bootstrap.zip.$$$$ bootstrap) \
  && tools/install-if-changed.sh --move $(1)/.bootstrap.zip.$$$$ $(1)/bootstrap.zip
cargo_build = set -o pipefail; $(CARGO) build -vv $(1) 2>&1 | awk -f tools/cargo-progress.awk

# aarch64 and amd64 are other names of the same two machines; anything else is refused before
# any compile. The usual name is what sub-makes and the deploy scripts get (export).
ifneq ($(filter aarch64 amd64,$(ARCH)),)
override ARCH := $(if $(filter aarch64,$(ARCH)),arm64,x86_64)
export ARCH
endif
ifeq ($(ARCH),x86_64)
RUST_TARGET := x86_64-unknown-linux-gnu
else ifeq ($(ARCH),arm64)
RUST_TARGET := aarch64-unknown-linux-gnu
else
$(error ARCH must be x86_64 or arm64 (or their other names amd64 and aarch64), not '$(ARCH)')
endif
# On the host's own architecture build without --target, so `make build` and
# `cargo test --release` share one compilation.
ifeq ($(RUST_TARGET),$(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p'))
TARGET_FLAG :=
BOOTSTRAP := target/release/bootstrap
else
TARGET_FLAG := --target $(RUST_TARGET)
BOOTSTRAP := target/$(RUST_TARGET)/release/bootstrap
# Checked before any compile. mk/arm64.mk replaces it for arm64 (with its own routes and target dir).
CROSS_CHECK = if ! rustup target list --installed 2>/dev/null | grep -qx '$(RUST_TARGET)'; then \
	  echo "error: ARCH=$(ARCH) needs the Rust target $(RUST_TARGET), which this toolchain does not have."; \
	  echo "       Install it with 'rustup target add $(RUST_TARGET)' (and a linker for it), or build with ARCH=$(shell uname -m | sed 's/aarch64/arm64/')."; \
	  exit 1; fi
endif
# How to run the built binary on this machine (mk/arm64.mk: through qemu-user for arm64).
RUN_BOOTSTRAP :=

.PHONY: help venv build invoke check-glibc test test-quick test-rust test-bare test-package lint apt-tools
help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

venv: $(VENV)/.done ## Python tools for the tests (moto, cfn-lint, pytest, pytest-xdist)
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

build: apt-tools ## Build the release bootstrap and dist/bootstrap.zip for Lambda (ARCH=x86_64|arm64, or amd64|aarch64)
	@$(CROSS_CHECK)
	@# The library first (the build script's stages, then rustc on the library), then the binary
	@# (fat LTO, codegen, link), each timed: with the build script's own lines, every stage.
	@t0=$$(date +%s.%N); \
	  ($(call cargo_build,--release --locked $(TARGET_FLAG) --lib)) && t1=$$(date +%s.%N) && \
	  ($(call cargo_build,--release --locked $(TARGET_FLAG) --bin bootstrap)) && t2=$$(date +%s.%N) && \
	  awk -v a=$$t0 -v b=$$t1 -v c=$$t2 'BEGIN { \
	    printf "stage: compile %.1f s (the build script stages above, then the library)\n", b - a; \
	    printf "stage: link %.1f s (the binary: LTO, codegen and link)\n", c - b }'
	@mkdir -p dist
	tools/install-if-changed.sh $(BOOTSTRAP) dist/bootstrap
	@# The files kept in S3 (limits.too_large = "s3"), for the deploy to upload.
	tools/install-if-changed.sh $(dir $(BOOTSTRAP))site-offload dist/offload
	@# The build report (every file, its encodings, cache class, package or S3; the totals).
	tools/install-if-changed.sh $(dir $(BOOTSTRAP))report.html dist/report.html
	$(call package_zip,dist)
	@$(MAKE) --no-print-directory check-glibc
	@size=$$(stat -c %s dist/bootstrap); zsize=$$(stat -c %s dist/bootstrap.zip); \
	  echo "dist/bootstrap: $$size bytes; dist/bootstrap.zip: $$zsize bytes; dist/report.html: the build report"; \
	  $(RUN_BOOTSTRAP) dist/bootstrap info | sed 's/^/  /'
	@tools/built-by.sh dist/bootstrap

# The emulator suite runs once more on the shipped dist/bootstrap itself (the other suites run
# the binary cargo builds for them), when it is built for this machine.
test-package: build rie ## The Lambda package: zip layout, ELF machine, glibc <= 2.34, non-PIE, a health check, the emulator suite on dist/bootstrap
	RUN_BOOTSTRAP="$(RUN_BOOTSTRAP)" tools/check-package.sh dist/bootstrap.zip dist/bootstrap $(MAX_GLIBC) $(ARCH)
	$(if $(TARGET_FLAG),@echo "test-package: dist/bootstrap is for $(RUST_TARGET): the emulator suite runs on this machine's build only",\
	  RIE=$(abspath $(RIE_BIN)) RIE_BOOTSTRAP=$(abspath dist/bootstrap) $(CARGO) test $(TEST_SEL) --test rie -- --include-ignored)

check-glibc: ## Check that dist/bootstrap needs no glibc newer than Amazon Linux 2023's
	@tools/check-glibc.sh dist/bootstrap $(MAX_GLIBC)

invoke: ## Answer one ALB event locally, no AWS: make invoke EVENT=events/health.json
	@$(CARGO) build --release --locked --quiet --bin bootstrap
	@target/release/bootstrap invoke $(EVENT)

lint: ## rustfmt and clippy, warnings as errors; the deploy settings' reference page up to date; the docs' commands, links and named tests
	$(CARGO) fmt --check
	python3 tools/reference.py --check
	python3 tools/check-docs.py --static
	$(CARGO) clippy --profile $(TEST_PROFILE) --locked --workspace --all-targets -- -D warnings

# docs/reference/, generated from what it describes: site.toml's keys from site-core's config
# types (a unit test that fails on a stale page writes it with UPDATE_REFERENCE=1; test-rust runs
# it), the deploy settings from deploy/settings.env (tools/reference.py; --check in lint).
.PHONY: reference
reference: ## Regenerate docs/reference/: site.toml's keys (site-core's config.rs), the deploy settings (deploy/settings.env)
	UPDATE_REFERENCE=1 $(CARGO) test --locked -p site-core --features plan --lib -- plan::config::reference
	python3 tools/reference.py

# The tests that need a tool the project installs (the emulator, moto) are #[ignore]d, so a bare
# `cargo test` passes on a fresh clone; every `cargo test` here runs them too (--include-ignored).
# The unit tests of every crate run here; local-alb's and dev's integration tests run in
# test-local and test-dev, with the real bootstrap. (Building them all here is what lets those
# suites, test-package and test-arm64 reuse this build.)
test-rust: venv ## Every crate's unit tests; the server's and site-core's behaviour, fixture and golden tests
	RIE=$(abspath $(RIE_BIN)) $(CARGO) test $(TEST_SEL) --lib --bins $(ROOT_TESTS) -- --include-ignored
	$(CARGO) test $(TEST_SEL) --no-run $(LOCAL_TESTS) $(DEV_TESTS) --test arm64
	$(CARGO) test $(TEST_SEL) --doc

# A bare `cargo test`, as a new user runs it on a fresh clone: the tracked files (and new ones
# not yet committed) copied alone into target/bare/ (no .venv, no .tools, no dist), no tool
# variables, a debug build. Catches a test that needs something the project installs and is
# not #[ignore]d. (Cargo's cache of downloaded crates is shared; CI starts with an empty one.)
# The debug builds of one site each (the fixture sites, the browser test's, dev's equivalence
# fixtures) share it too: their crates are compiled once. Each copies the binary it built to
# target/sites/bin/ at once; the groups that build there take turns (TEST_APART, mk/sites.mk).
SITE_BUILD_DIR := target/bare-target
BARE_ENV := env -u RIE -u RIE_BOOTSTRAP -u BOOTSTRAP -u SITE_DIR -u SITE_CONFIG -u SOURCE_DATE_EPOCH \
  -u PROPTEST_CASES -u UPDATE_GOLDEN -u AWS_LAMBDA_RUNTIME_API -u SITE_AUTH_SIGNER -u SITE_AUTH_KEY_URL \
  CARGO_TARGET_DIR=$(CURDIR)/target/bare-target
test-bare: ## A bare `cargo test` on a copy of the checkout without the project's tools (what a fresh clone gets)
	rm -rf target/bare && mkdir -p target/bare
	git ls-files -z --cached --others --exclude-standard | \
	  while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
	  tar --null -T - -cf - | tar -xf - -C target/bare
	test ! -e target/bare/.venv && test ! -e target/bare/.tools
	cd target/bare && $(BARE_ENV) $(CARGO) test --locked

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

# Each group runs as its own make, timed; the end of the output is a table of where the time
# went and how many tests each group ran, and on a failure the group, the command that reruns
# it and its first failing test (tools/test-groups.py). KEEP_GOING=1 runs the rest after a failure.
# TEST_JOBS groups run at the same time (many keep one core idle for minutes: a fat-LTO link, a
# browser, qemu, moto); first TEST_TOOLS installs what they need, once (apt and pip must not run
# twice at once). Groups in one TEST_APART list write the same build directory and take turns.
# The long groups start first (the chain of groups that take turns in target/bare-target early,
# so it does not end alone), then the others in the fragments' order.
TEST_LONG := test-rust test-bare test-package lint test-sites test-arm64 test-deploy test-docs
TEST_ALL = lint test-rust test-bare test-package $(TEST_TARGETS)
TEST_GROUPS = $(foreach g,$(TEST_LONG),$(filter $(g),$(TEST_ALL))) $(filter-out $(TEST_LONG),$(TEST_ALL))
TEST_JOBS ?= 2
TEST_TOOLS += apt-tools venv rie
# The groups that need none of TEST_TOOLS: they start while it installs.
TEST_NO_TOOLS := test-bare lint
comma := ,
space := $(subst ,, )
test: ## Everything: lint, Rust tests (and a bare cargo test), and the suites in mk/*.mk, two groups at a time (TEST_JOBS), with a table of each group's time and tests
	@python3 tools/test-groups.py $(if $(KEEP_GOING),--keep-going) --jobs $(TEST_JOBS) \
	  --prepare "$(strip $(TEST_TOOLS))" --no-tools $(subst $(space),$(comma),$(strip $(TEST_NO_TOOLS))) \
	  $(foreach a,$(TEST_APART),--apart $(a)) $(TEST_GROUPS)

test-quick: ## The inner loop (minutes): fmt, then the workspace's unit, handler, conformance and config tests in a debug build; no browser, no moto, no release build
	$(CARGO) fmt --check
	$(CARGO) test --locked --workspace

bench: bench-handler bench-auth $(BENCH_TARGETS) ## Every benchmark behind BENCHMARKS.md
