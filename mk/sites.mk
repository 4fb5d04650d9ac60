# Fixture sites that need a real build: build failures, SOURCE_DATE_EPOCH, reproducible builds
# (behaviour that only depends on a site's files or settings is in tests/sites.rs, in memory).
# Each fixture under tests/sites/ is built (debug, in target/bare-target beside test-bare) and asked through
# `bootstrap invoke -`; expected build failures are tests too.

TEST_TARGETS += test-sites
# Each builds into $(SITE_BUILD_DIR) and uses the binary it leaves there: they take turns.
TEST_APART += test-bare,test-sites,test-panic,test-dev,test-browser

.PHONY: test-sites
test-sites: venv ## Build failures, SOURCE_DATE_EPOCH and reproducible builds of the fixture sites in tests/sites/
	$(PY) -m pytest -q tests/sites
