# make bench-peers: this project's Lambda package beside its peers' on the same site, machine
# and run (examples/bench_peers.rs; BENCHMARKS.md, "Peers"). The peers:
# - servedir: lambda_http + tower-http's ServeDir, benches/peers/servedir (its own workspace);
# - lwa-sws: AWS Lambda Web Adapter + static-web-server, both from crates.io at the versions
#   below (`cargo install --locked`: each crate's own Cargo.lock), run by
#   benches/peers/lwa-sws/bootstrap.
# Each is built into target/peers/ and packaged with the sample site by tools/peer-package.sh.
BENCH_TARGETS += bench-peers

PEERS := target/peers
PEER_LWA_VERSION := 1.0.0-rc1
PEER_SWS_VERSION := 2.44.1
# Invocations per request class per contender, and cold starts per contender.
PEERS_N ?= 4000
PEERS_COLD ?= 40
# 1: also count instructions per invocation (callgrind) of the contenders that run as one
# process; the adapter and its server are two, which tools/instructions-per-invocation.py cannot
# count together. 0 skips it (a minute or two).
PEERS_CALLGRIND ?= 1

.PHONY: bench-peers peers peer-tools
peer-tools:
	@missing=""; for t in zip:zip unzip:unzip brotli:brotli gzip:gzip callgrind_control:valgrind; do \
	  command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi

peers: peer-tools ## Build and package the peers for bench-peers (target/peers/*.zip)
	cd benches/peers/servedir && CARGO_TARGET_DIR=$(CURDIR)/$(PEERS)/servedir \
	  $(CARGO) build --release --locked
	$(CARGO) install --locked --quiet lambda_web_adapter --version $(PEER_LWA_VERSION) \
	  --root $(PEERS)/lwa --target-dir $(PEERS)/lwa-build
	$(CARGO) install --locked --quiet static-web-server --version $(PEER_SWS_VERSION) \
	  --root $(PEERS)/sws --target-dir $(PEERS)/sws-build
	tools/peer-package.sh $(PEERS)/servedir.zip site $(PEERS)/servedir/release/bootstrap
	tools/peer-package.sh $(PEERS)/lwa-sws.zip site benches/peers/lwa-sws/bootstrap \
	  $(PEERS)/lwa/bin/lambda-adapter $(PEERS)/sws/bin/static-web-server

bench-peers: build rie local-alb peers ## This project against lambda_http+ServeDir and Lambda Web Adapter+static-web-server: cold start, p50, inv/s, RSS, zip, ALB acceptance, instructions
	@# The adapter forwards to 127.0.0.1:8080 whatever listens there.
	@if ss -ltn 2>/dev/null | grep -qE '[:.]8080\b'; then echo "bench-peers: port 8080 is in use; the Web Adapter peer needs it"; exit 1; fi
	$(CARGO) build --release --locked --example bench_peers
	@mkdir -p target
	target/release/examples/bench_peers --rie $(abspath $(RIE_BIN)) -n $(PEERS_N) --cold $(PEERS_COLD) \
	  this=dist/bootstrap.zip servedir=$(PEERS)/servedir.zip lwa-sws=$(PEERS)/lwa-sws.zip \
	  > target/bench-peers.md
	@if [ "$(PEERS_CALLGRIND)" = 1 ]; then \
	  echo; echo "Instructions per invocation (callgrind; access line off):"; echo; \
	  python3 tools/instructions-per-invocation.py dist/bootstrap $(PEERS)/pkg/servedir/bootstrap; \
	fi >> target/bench-peers.md
	@cat target/bench-peers.md
	@echo "(written to target/bench-peers.md)"
