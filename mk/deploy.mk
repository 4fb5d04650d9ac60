# Deploy to AWS (Lambda behind an ALB, or a Function URL with FRONT=function-url), inspect, roll
# back, tear down, and test it all offline against moto. Settings live in deploy/settings.env;
# override any of them on the command line,
# e.g. `make deploy FUNCTION_NAME=my-site AWS_REGION=eu-west-1 CERTIFICATE_ARN=arn:...`
# (command-line variables reach the scripts through the environment), or per environment with
# DEPLOY_ENV_FILE=deploy/prod.env.

TEST_TARGETS += test-deploy

DEPLOY_SCRIPTS := deploy/deploy.sh deploy/destroy.sh deploy/rollback.sh deploy/status.sh deploy/logs.sh \
  deploy/lib.sh deploy/front-alb.sh deploy/front-url.sh deploy/settings.env
# The ALB response validator the pre-traffic check uses (a cargo example of local-alb).
CHECK_RESPONSE := $(TEST_OUT)/examples/check_response

.PHONY: deploy plan destroy rollback status logs test-deploy lint-deploy check-response

# DEPLOY_ENV_FILE may set what is built: SITE_DIR, SITE_CONFIG and ARCH. They are read from it
# before the build (a value on the command line or in the environment wins over the file's).
deploy_env_value = $(shell sed -nE 's/^[[:space:]]*(export[[:space:]]+)?$(1)=//p' '$(DEPLOY_ENV_FILE)' 2>/dev/null | tail -n1 | sed -E "s/^[\"']//; s/[\"']$$//")
deploy_build_var = $(if $(filter file undefined default,$(origin $(1))),$(if $(call deploy_env_value,$(1)),$(1)=$(call deploy_env_value,$(1))))
DEPLOY_BUILD_VARS = $(if $(DEPLOY_ENV_FILE),$(strip $(foreach v,SITE_DIR SITE_CONFIG ARCH,$(call deploy_build_var,$(v)))))

deploy: ## Build dist/bootstrap.zip and deploy it behind an ALB (or FRONT=function-url); PLAN=1 only prints what would change (settings: deploy/settings.env)
	@$(MAKE) --no-print-directory build $(DEPLOY_BUILD_VARS)
	$(DEPLOY_BUILD_VARS) deploy/deploy.sh

plan: ## What `make deploy` would create, change or leave alone (changes nothing)
	@$(MAKE) --no-print-directory deploy PLAN=1

destroy: ## Remove everything `make deploy` created (and only that; certificates and hosted zones stay)
	deploy/destroy.sh

rollback: ## Put the previously live version back (or VERSION=N), after checking it
	deploy/rollback.sh

status: ## What is live: version, alias, URL, listeners and target health (or Function URL and CloudFront), log retention
	deploy/status.sh

logs: ## Tail the function's logs (LOGS_SINCE=10m, LOGS_FOLLOW=true)
	deploy/logs.sh

check-response: $(CHECK_RESPONSE)
$(CHECK_RESPONSE): $(wildcard local-alb/src/*.rs local-alb/examples/*.rs) local-alb/Cargo.toml
	$(CARGO) build --profile $(TEST_PROFILE) --locked -q -p local-alb --example check_response

lint-deploy: venv ## shellcheck the deploy scripts and cfn-lint deploy/template.yaml
	@command -v shellcheck >/dev/null || (apt-get update && apt-get install -y shellcheck)
	shellcheck -x $(DEPLOY_SCRIPTS) tests/deploy/standin_invoke.sh
	$(VENV)/bin/cfn-lint deploy/template.yaml

# The real package and the real validator are used by the pre-traffic check tests (the rest use
# small fake packages and stand-ins: moto runs no code).
test-deploy: lint-deploy build $(CHECK_RESPONSE) ## Lint, then run the real deploy scripts against a local moto server (offline)
	DEPLOY_TEST_ZIP=$(abspath dist/bootstrap.zip) DEPLOY_TEST_VALIDATOR=$(abspath $(CHECK_RESPONSE)) \
	  $(PY) -m pytest -q tests/deploy
