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
# `make bench`: Lighthouse from the npm registry, outside the site's own package.json.
LIGHTHOUSE_VERSION := 12.8.2
BENCH_TOOLS := .bench-tools
LIGHTHOUSE_STAMP := $(BENCH_TOOLS)/.lighthouse-$(LIGHTHOUSE_VERSION)
# `make zensical`: Zensical in its own venv, so that it cannot change the main toolchain.
ZENSICAL_VERSION := 0.0.73
ZVENV := .venv-zensical
ZBIN := $(ZVENV)/bin
ZSTAMP := $(ZVENV)/.setup-stamp-$(ZENSICAL_VERSION)

.PHONY: setup serve test docs bench offline zensical zensical-setup lint format lock clean chromium java

setup: $(STAMP) node_modules/.package-lock.json chromium java

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

# The HTML check (tests/test_html.py) runs the Nu HTML Checker, a Java program.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Java from Debian's packages..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless >/dev/null; }

serve: setup
	SCRIBBLES_SHOW_TRACEBACKS=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload --dirty

docs: setup
	$(BIN)/mkdocs build --strict --clean

test: setup zensical-setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/pytest

bench: setup $(LIGHTHOUSE_STAMP)
	$(BIN)/python -m benchmarks.run

$(LIGHTHOUSE_STAMP):
	npm i -E --no-save --no-audit --no-fund --loglevel=error --prefix $(BENCH_TOOLS) \
	  lighthouse@$(LIGHTHOUSE_VERSION)
	@test "$$($(BENCH_TOOLS)/node_modules/.bin/lighthouse --version)" = $(LIGHTHOUSE_VERSION)
	@touch $@

offline: setup
	$(BIN)/python -m benchmarks.offline

# The same sources built by Zensical (executed blocks and API reference included) into
# site-zensical/; tests/test_zensical.py checks the result.
zensical: zensical-setup node_modules/.package-lock.json
	$(ZBIN)/python -m benchmarks.zensical

zensical-setup: $(ZSTAMP)

$(ZSTAMP): pyproject.toml constraints.txt
	@test -x $(ZBIN)/python || $(PYTHON) -m venv $(ZVENV)
	$(ZBIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(ZBIN)/python -m pip install --quiet -c constraints.txt -e ".[docs]" "zensical==$(ZENSICAL_VERSION)"
	@rm -f $(ZVENV)/.setup-stamp-*
	@touch $@

lint:
	$(BIN)/ruff check src tests benchmarks

format:
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# Re-resolve every Python dependency to its newest allowed version and record it.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet torch==2.13.0 -e ".[docs,test]"
	( echo "# Exact versions installed by 'make' (pip install -c constraints.txt). Regenerate with 'make lock'."; \
	  .lock-venv/bin/pip freeze --exclude-editable | sed 's/+cpu//' ) > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf site site-offline dist .pytest_cache .ruff_cache
