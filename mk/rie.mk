# AWS's Lambda Runtime Interface Emulator (RIE), from the aws-sam-cli wheel (no Docker):
# the release bootstrap under the real Runtime API, tested (test-rie) and measured (bench-e2e).
# test-rust runs tests/rie.rs with RIE set (it fails rather than skips without the emulator), so
# `make test` does not run test-rie again; it stays for running just those tests.
BENCH_TARGETS += bench-e2e

RIE_BIN := $(TOOLS)/aws-lambda-rie-x86_64
# Invocations per file class per contender, and cold-start runs per function.
BENCH_N ?= 8000
BENCH_COLD ?= 40

.PHONY: rie test-rie bench-e2e

# test-rust runs tests/rie.rs too (--include-ignored), which needs the emulator: fetch it first.
test-rust: rie

rie: ## Fetch AWS's Runtime Interface Emulator into .tools/ (from the aws-sam-cli wheel; skipped when present)
	@tools/fetch-rie.sh

test-rie: rie ## Run the release bootstrap under the RIE and check every kind of response
	RIE=$(abspath $(RIE_BIN)) $(CARGO) test $(TEST_SEL) --test rie -- --include-ignored

bench-e2e: rie ## Measure bootstrap end to end through the RIE vs a ready-made floor; cold start vs hello world; peak RSS
	$(CARGO) build --release --locked --bin bootstrap --example floor --example hello --example bench_e2e
	@mkdir -p target
	target/release/examples/bench_e2e --rie $(abspath $(RIE_BIN)) -n $(BENCH_N) --cold $(BENCH_COLD) > target/bench-e2e.md
	@cat target/bench-e2e.md
	@echo "(written to target/bench-e2e.md)"

# A panic answered as the invocation's error, with the next invocation served by the same warm
# process (tests/panic.rs): a debug build with the test-panic feature, in the bare test's target
# dir (its debug dependencies are built there). Then the proof that no release build takes the
# feature: `cargo check --profile test-release --features test-panic` (release's cfgs: no
# debug assertions; checked without codegen, on the dependencies lint already checked) must fail
# with main.rs's compile_error.
TEST_TARGETS += test-panic
.PHONY: test-panic
test-panic: rie ## The function's panic path under the RIE (a test-only feature that release builds refuse)
	RIE=$(abspath $(RIE_BIN)) CARGO_TARGET_DIR=$(CURDIR)/target/bare-target \
	  $(CARGO) test --locked --features test-panic --test panic -- --include-ignored
	@if $(CARGO) check --profile $(TEST_PROFILE) --locked --features test-panic --bin bootstrap \
	    >target/test-panic-release.log 2>&1; then \
	  echo "test-panic: a release build took the test-panic feature"; exit 1; \
	elif grep -q 'debug test builds only' target/test-panic-release.log; then \
	  echo "test-panic: a release build refuses the test-panic feature (compile_error)"; \
	else cat target/test-panic-release.log; exit 1; fi
