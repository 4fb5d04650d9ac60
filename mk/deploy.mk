# Deploy to AWS (Lambda behind an ALB, or a Function URL with FRONT=function-url), inspect, roll
# back, tear down, and test it all offline against moto. Settings live in deploy/settings.env;
# override any of them on the command line,
# e.g. `make deploy FUNCTION_NAME=my-site AWS_REGION=eu-west-1 CERTIFICATE_ARN=arn:...`
# (command-line variables reach the scripts through the environment), or per environment with
# DEPLOY_ENV_FILE=deploy/prod.env. PREVIEW=name makes each of them act on that deploy preview.

TEST_TARGETS += test-deploy
TEST_TOOLS += awscli shellcheck

DEPLOY_SCRIPTS := deploy/deploy.sh deploy/destroy.sh deploy/rollback.sh deploy/status.sh deploy/logs.sh \
  deploy/lib.sh deploy/preview.sh deploy/settings.env

.PHONY: deploy plan destroy rollback status logs test-deploy lint-deploy awscli shellcheck

# DEPLOY_ENV_FILE may set what is built: SITE_DIR, SITE_CONFIG and ARCH. They are read from it
# before the build (a value on the command line or in the environment wins over the file's).
deploy_env_value = $(shell sed -nE 's/^[[:space:]]*(export[[:space:]]+)?$(1)=//p' '$(DEPLOY_ENV_FILE)' 2>/dev/null | tail -n1 | sed -E "s/^[\"']//; s/[\"']$$//")
deploy_build_var = $(if $(filter file undefined default,$(origin $(1))),$(if $(call deploy_env_value,$(1)),$(1)=$(call deploy_env_value,$(1))))
DEPLOY_BUILD_VARS = $(if $(DEPLOY_ENV_FILE),$(strip $(foreach v,SITE_DIR SITE_CONFIG ARCH,$(call deploy_build_var,$(v)))))

deploy: ## Build dist/bootstrap.zip and deploy the stack of deploy/template.yaml through a change set (settings: deploy/settings.env; PREVIEW=name: a deploy preview)
	@$(MAKE) --no-print-directory build $(DEPLOY_BUILD_VARS)
	$(DEPLOY_BUILD_VARS) deploy/deploy.sh

plan: ## Show the change set `make deploy` would apply (changes nothing)
	@$(MAKE) --no-print-directory deploy PLAN=1

destroy: ## Empty the offload bucket the stack made, then delete the stack (your certificate and hosted zone stay)
	deploy/destroy.sh

rollback: ## Move the alias to the previous version with different code (or VERSION=N)
	deploy/rollback.sh

status: ## The stack's status and drift, the live version, the last deploy, the address, the last hour, the previews
	deploy/status.sh

logs: ## Tail the function's logs (LOGS_SINCE=10m, LOGS_FOLLOW=true)
	deploy/logs.sh

# The AWS CLI v2 users have (Debian's awscli 2.x); the deploy tests run it.
awscli:
	@/usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2' || (apt-get update -qq && apt-get install -y -qq awscli)

shellcheck:
	@command -v shellcheck >/dev/null || (apt-get update -qq && apt-get install -y -qq shellcheck)

lint-deploy: venv shellcheck ## shellcheck the deploy scripts and cfn-lint deploy/template.yaml (each variant: make test-deploy)
	shellcheck -x $(DEPLOY_SCRIPTS)
	$(VENV)/bin/cfn-lint deploy/template.yaml

# The real package is used by the pre-traffic hook's tests (the stack tests use small fake
# packages: moto runs no code). Two workers, each with its own moto; a test file stays on one.
test-deploy: lint-deploy awscli build ## Lint, then run the real deploy scripts through moto's CloudFormation (offline)
	DEPLOY_TEST_BOOTSTRAP=$(abspath dist/bootstrap) $(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile tests/deploy
