# Scribbles: the two commands a newcomer needs are `make serve` and `make test`.
# Set-up is idempotent: it re-runs only when pyproject.toml, constraints.txt or
# package-lock.json changed, or when a piece (venv, npm assets, Chromium) is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true
export PYTHONHASHSEED := 0

.PHONY: setup serve test docs bench offline lint format lock clean chromium

setup: $(STAMP) node_modules/.package-lock.json chromium

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[docs,test]"
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Browser tests drive Debian's Chromium (never `playwright install`, which downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

serve: setup
	SCRIBBLES_SHOW_TRACEBACKS=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

docs: setup
	$(BIN)/mkdocs build --strict --clean

test: setup
	$(BIN)/ruff check src tests hooks benchmarks
	$(BIN)/ruff format --check src tests hooks benchmarks
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/run.py

offline: setup
	$(BIN)/python benchmarks/offline.py

lint:
	$(BIN)/ruff check src tests hooks benchmarks

format:
	$(BIN)/ruff format src tests hooks benchmarks
	$(BIN)/ruff check --fix src tests hooks benchmarks

# Re-resolve every Python dependency to its newest allowed version and record it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet torch==2.13.0 -e ".[docs,test]"
	( echo "# Exact versions installed by 'make' (pip install -c constraints.txt). Regenerate with 'make lock'."; \
	  .lock-venv/bin/pip freeze --exclude-editable | sed 's/+cpu//' ) > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf site site-offline dist .pytest_cache .ruff_cache
