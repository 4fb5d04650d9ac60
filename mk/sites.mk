# Fixture sites: behaviour that needs another site or other settings than the sample site.
# Each fixture under tests/sites/ is built (debug, shared target/sites) and asked through
# `bootstrap invoke -`; expected build failures are tests too.

TEST_TARGETS += test-sites

.PHONY: test-sites
test-sites: venv ## Build each fixture site in tests/sites/ and test it through `bootstrap invoke -`
	$(PY) -m pytest -q tests/sites
