# Deploy to AWS (Lambda behind an ALB), tear down, and test both offline against moto.
# Settings live in deploy/settings.env; override any of them on the command line,
# e.g. `make deploy FUNCTION_NAME=my-site AWS_REGION=eu-west-1 LISTENER_ARN=arn:...`
# (command-line variables reach the scripts through the environment).

TEST_TARGETS += test-deploy

DEPLOY_SCRIPTS := deploy/deploy.sh deploy/destroy.sh deploy/lib.sh deploy/settings.env

.PHONY: deploy destroy test-deploy lint-deploy

# `make deploy ARCH=arm64` deploys what it builds: ARCH on the command line sets ARCHITECTURE
# (unless that is given too).
deploy: build ## Build dist/bootstrap.zip and deploy it behind an ALB (settings: deploy/settings.env)
	$(if $(filter command line,$(origin ARCH)),ARCHITECTURE="$${ARCHITECTURE:-$(ARCH)}") deploy/deploy.sh

destroy: ## Remove everything `make deploy` created (and only that)
	deploy/destroy.sh

lint-deploy: venv ## shellcheck the deploy scripts and cfn-lint deploy/template.yaml
	@command -v shellcheck >/dev/null || (apt-get update && apt-get install -y shellcheck)
	shellcheck -x $(DEPLOY_SCRIPTS)
	$(VENV)/bin/cfn-lint deploy/template.yaml

test-deploy: lint-deploy ## Lint, then run the real deploy/destroy against a local moto server (offline)
	$(PY) -m pytest -q tests/deploy
