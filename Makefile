# One Makefile holds the commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint unit clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

lint: install
	$(BIN)/ruff check .

unit: install
	$(BIN)/pytest tests/unit tests/api

test: lint
	$(BIN)/pytest tests

run: install
	$(BIN)/python -m infra.local

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
