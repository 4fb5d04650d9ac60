# The docs kept true: tools/check-docs.py checks every page's commands, settings, site.toml,
# _headers and _redirects fragments, links and named tests, and runs the blocks marked safe
# offline (```sh run); its own tests; and the newcomer test, the README's first commands run in
# order on a clean clone (tests/deploy/test_newcomer.py, `make deploy` against moto).

TEST_TARGETS += test-docs

.PHONY: check-docs test-docs

check-docs: venv dev-tool ## Check the docs: commands, settings, config fragments, links, named tests; run the ```sh run blocks
	$(PY) tools/check-docs.py

test-docs: venv awscli build check-docs ## The doc checker and its tests, and the README's first commands on a clean clone (against moto)
	$(PY) -m pytest -q -p no:cacheprovider tests/docs tests/tools
	NEWCOMER_TEST=1 $(PY) -m pytest -q -p no:cacheprovider tests/deploy/test_newcomer.py
