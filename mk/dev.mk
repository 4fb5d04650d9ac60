# make dev / make check / make explain: the site folder served from disk through the Lambda
# handler behind local-alb's ALB conversion, re-planned in memory on every change (dev/),
# without building the Lambda binary. `make test-dev` is its suite; `make bench-dev` measures
# the editing loop.

# The dev tool links the server library, whose build script embeds a site: it is built against
# the fixed stub in dev/stub/ in a target dir of its own, so the site being edited (or broken)
# never recompiles it, and no other build's SITE_DIR makes it rebuild. It is optimized (a re-plan
# of 10,000 files takes 3.5x less CPU than in a debug build) but without the Lambda binary's fat
# LTO and single codegen unit, which only a shipped binary is worth waiting for.
DEV_TARGET_DIR := target/dev
DEV_TOOL := $(DEV_TARGET_DIR)/release/site-dev
DEV_CARGO := env -u SOURCE_DATE_EPOCH SITE_DIR=$(CURDIR)/dev/stub/site \
  SITE_CONFIG=$(CURDIR)/dev/stub/site.toml CARGO_TARGET_DIR=$(CURDIR)/$(DEV_TARGET_DIR) \
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_STRIP=false $(CARGO)
# The site and settings, as for every other target (SITE_DIR=..., SITE_CONFIG=...).
DEV_SITE = $(or $(SITE_DIR),site)
DEV_CONFIG = $(or $(SITE_CONFIG),site.toml)
DEV_SITE_ARGS = --site "$(DEV_SITE)" --config "$(DEV_CONFIG)" --cache target/dev-cache \
  $(if $(SOURCE_DATE_EPOCH),--epoch $(SOURCE_DATE_EPOCH)) $(if $(MULTI_VALUE),--multi-value)

TEST_TARGETS += test-dev
BENCH_TARGETS += bench-dev

.PHONY: dev dev-tool check explain test-dev bench-dev dev-equiv-fixtures

# DEV_TOOL_BUILT=1 skips the cargo step (the test suite runs `make dev` with the tool it built).
dev-tool:
	$(if $(DEV_TOOL_BUILT),@true,$(DEV_CARGO) build --release --locked --quiet -p site-dev)

dev: dev-tool ## Edit the site and see it: serve SITE_DIR from disk at http://127.0.0.1:$(PORT) as ALB + Lambda would, re-planned on every change, pages reload themselves (MULTI_VALUE=1; POLL=1 where file events do not work)
	@exec $(DEV_TOOL) serve --listen 127.0.0.1:$(PORT) $(DEV_SITE_ARGS) $(if $(POLL),--poll)

check: dev-tool ## Validate SITE_DIR and SITE_CONFIG in seconds without building the Lambda binary: file:line: reason on any error (exit 1), warnings for rules that never fire
	@$(DEV_TOOL) check $(DEV_SITE_ARGS)

# make explain URL=/about H='Accept-Encoding: br'  (H may hold several headers separated by '|')
URL ?= /
H ?=
explain: dev-tool ## Which file or rule answers URL=/path (H='Accept-Encoding: br'), the status, and every header with where it came from
	@$(DEV_TOOL) explain "$(URL)" $(DEV_SITE_ARGS) \
	  $(foreach h,$(subst |, ,$(subst $(space),~,$(H))),-H "$(subst ~, ,$(h))")


# The suite: unit tests, the end-to-end run of `make dev` on a copy of the sample site, and dev
# against the built Lambda binary over events/ (the release bootstrap, built as for make test).
# The fixture sites too (tests/sites/<site>/ with <settings>.toml, `-` for the defaults), each
# built as test-sites builds them (debug, $(SITE_BUILD_DIR); a few seconds each once its
# dependencies are compiled there).
DEV_EQUIV_FIXTURES := notfound/- slashes/never slashes/always spa/site
dev-equiv-fixtures:
	@mkdir -p target/sites/bin
	@for f in $(DEV_EQUIV_FIXTURES); do site=$${f%%/*}; settings=$${f#*/}; \
	  config=$(CURDIR)/tests/sites/$$site/$$settings.toml; \
	  [ "$$settings" = - ] && config=$(CURDIR)/target/sites/gen/no-settings.toml; \
	  env -u SOURCE_DATE_EPOCH -u CARGO_TARGET_DIR SITE_DIR=$(CURDIR)/tests/sites/$$site/site SITE_CONFIG=$$config \
	    $(CARGO) build --locked --quiet --bin bootstrap --target-dir $(SITE_BUILD_DIR) || exit 1; \
	  cp $(SITE_BUILD_DIR)/debug/bootstrap target/sites/bin/dev-equiv-$$site-$$settings; done

test-dev: build dev-equiv-fixtures ## make dev, check and explain: end to end over HTTP, and dev against the built binaries (sample site, fixture sites) for every event
	BOOTSTRAP=$(CURDIR)/dist/bootstrap DEV_EQUIV_SITE="$(abspath $(DEV_SITE))" \
	  DEV_EQUIV_CONFIG="$(abspath $(DEV_CONFIG))" DEV_EQUIV_FIXTURES="$(DEV_EQUIV_FIXTURES)" \
	  $(CARGO) test $(TEST_SEL) $(DEV_TESTS) -- --include-ignored

bench-dev: dev-tool ## Start-up to first page, and an edit to the page seen in the browser, for make dev (tools/bench-dev.py; PAGES='10000 100000' for generated sites of that many pages)
	python3 tools/bench-dev.py --tool $(DEV_TOOL) $(if $(PAGES),--pages $(PAGES))

