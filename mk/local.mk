# make local: the embedded site behind local-alb, a stand-in for ALB + the Lambda Runtime API,
# and the tests that go through it (local-alb's own suite and the headless-browser test).

PORT ?= 3000
LOCAL_ALB := target/release/local-alb
# The tests' own local-alb (the test profile); the function they run is the shipped dist/bootstrap.
TEST_LOCAL_ALB := $(TEST_OUT)/local-alb
TEST_TARGETS += test-local test-browser
TEST_TOOLS += browser-tools

.PHONY: local local-alb test-local test-browser browser-tools

local-alb:
	$(CARGO) build --release --locked -p local-alb

LOCAL_ALB_FLAGS ?=

# FRONT=DOOR: another front door in front instead of an ALB, each with its own events, response
# rules and error answers: function-url (a Lambda Function URL), http-api (an API Gateway HTTP
# API), rest-api (an API Gateway REST API, the site under /$(STAGE)/, STAGE=prod by default) or
# vpc-lattice (a VPC Lattice service).
# LOGIN=1: local-alb plays ALB's login (a local form; the function verifies the signed token).
# LOGIN_AS=EMAIL[:GROUP,...]: every request logged in as that user, no form.
# MULTI_VALUE, LOGIN and LOGIN_AS are an ALB's: local-alb refuses them with another FRONT.
LOCAL_SITE_PATH := /$(if $(filter rest-api,$(FRONT)),$(or $(STAGE),prod)/)
local: local-alb ## Serve the embedded site at http://127.0.0.1:$(PORT) as ALB + Lambda would (MULTI_VALUE=1: multi-value mode; LOGIN=1 or LOGIN_AS=EMAIL: behind a login; FRONT=function-url|http-api|rest-api|vpc-lattice: another front door)
	$(call cargo_build,--release --locked --bin bootstrap)
	@echo "Serving the embedded site at http://127.0.0.1:$(PORT)$(LOCAL_SITE_PATH) (Ctrl-C to stop)"
	$(LOCAL_ALB) --listen 127.0.0.1:$(PORT) $(if $(FRONT),--front $(FRONT)) $(if $(STAGE),--stage $(STAGE)) \
	  $(if $(MULTI_VALUE),--multi-value) \
	  $(if $(LOGIN_AS),--login-as "$(LOGIN_AS)",$(if $(LOGIN),--login)) --offload-dir target/release/site-offload \
	  $(LOCAL_ALB_FLAGS) -- target/release/bootstrap

# The arm64 tests (which need the arm64 build too) run in test-arm64; local-alb's unit tests in
# test-rust.
test-local: build ## local-alb's own tests (HTTP <-> each front door's event, Runtime API, 502 rules), with the shipped bootstrap
	BOOTSTRAP=$(CURDIR)/dist/bootstrap $(CARGO) test $(TEST_SEL) $(LOCAL_TESTS) -- --include-ignored

# Debian's Chromium and the pinned playwright-core (which downloads no browser), and
# swagger-ui-dist, a real site for the build report's test. No install scripts: none is needed,
# and swagger-ui-dist's dependency @scarf/scarf would report the install over the network.
browser-tools:
	@missing=""; for t in chromium:chromium node:nodejs npm:npm; do \
	  command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && apt-get install -y -qq $$missing; fi
	cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --silent

# A second function for the browser test: a small single-page app (tests/browser/spa-site),
# built in the fixture sites' target dir (debug) so it does not disturb the main build.
SPA_BOOTSTRAP := target/sites/bin/browser-spa
$(SPA_BOOTSTRAP): $(wildcard tests/browser/spa-site/* tests/browser/spa-site/*/*) tests/browser/spa.toml
	SITE_DIR=tests/browser/spa-site SITE_CONFIG=tests/browser/spa.toml \
	  $(CARGO) build --locked --bin bootstrap --target-dir $(SITE_BUILD_DIR)
	mkdir -p $(dir $@) && cp $(SITE_BUILD_DIR)/debug/bootstrap $@

# A third: the sample site made private (tests/browser/private.toml), behind local-alb --login.
# Always handed to cargo (which rebuilds only on change): the sample site has names with spaces,
# which make cannot list as prerequisites.
PRIVATE_BOOTSTRAP := target/sites/bin/browser-private
.PHONY: $(PRIVATE_BOOTSTRAP)
$(PRIVATE_BOOTSTRAP): $(SPA_BOOTSTRAP)
	SITE_DIR=site SITE_CONFIG=tests/browser/private.toml \
	  $(CARGO) build --locked --bin bootstrap --target-dir $(SITE_BUILD_DIR)
	mkdir -p $(dir $@) && cp $(SITE_BUILD_DIR)/debug/bootstrap $@

# local-alb and the dev tool as the test build makes them (test-rust's selection: nothing compiles
# again).
# The build report too (report.test.mjs): make build's dist/report.html, and swagger-ui-dist's
# through `site-dev report`.
test-browser: build browser-tools $(SPA_BOOTSTRAP) $(PRIVATE_BOOTSTRAP) ## The sample site (an SPA, a private copy) in headless Chromium through local-alb; the build report of the sample site and of swagger-ui-dist
	$(CARGO) test $(TEST_SEL) --no-run $(LOCAL_TESTS) $(DEV_TESTS)
	cd tests/browser && LOCAL_ALB=$(CURDIR)/$(TEST_LOCAL_ALB) BOOTSTRAP=$(CURDIR)/dist/bootstrap \
	  REPORT=$(CURDIR)/dist/report.html DEV_TOOL=$(CURDIR)/$(TEST_OUT)/site-dev \
	  SPA_BOOTSTRAP=$(CURDIR)/$(SPA_BOOTSTRAP) PRIVATE_BOOTSTRAP=$(CURDIR)/$(PRIVATE_BOOTSTRAP) npm test
