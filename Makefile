# One entry point for everything: build, run locally, test, benchmark, deploy.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
TOOLS := .tools

.PHONY: help venv
help:
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

venv: $(VENV)/.done ## Python tools for the tests (awscli, moto, cfn-lint, pytest)
$(VENV)/.done: tools/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

include $(sort $(wildcard mk/*.mk))
