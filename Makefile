# logwarden task runner: the same targets locally and in CI.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
DEMO    ?= demo-data
export LOGWARDEN_DATA_DIR ?= $(CURDIR)/$(DEMO)/store

.PHONY: help venv run serve demo test test-deps lint bench bench-tools clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/logwarden: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv: $(BIN)/logwarden  ## create .venv and install logwarden with its dev tools

run: venv  ## generate the demo logs, ingest and search them, then serve them (UI, API, syslog) until Ctrl-C
	@$(BIN)/python -m logwarden.demo.run --out $(DEMO) --serve

test: venv test-deps  ## run the test suite
	$(BIN)/pytest

test-deps:  ## install what the server and UI tests drive (rsyslog, logger, chromium) when missing
	@command -v rsyslogd >/dev/null && command -v logger >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	    $$(command -v rsyslogd >/dev/null || echo rsyslog) $$(command -v logger >/dev/null || echo bsdutils))
	@test -x /usr/bin/chromium || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)  # the web UI's e2e tests

serve: venv  ## run the server on the data directory (LOGWARDEN_DATA_DIR; http://127.0.0.1:8080)
	$(BIN)/logwarden serve

lint: venv  ## ruff over the code
	$(BIN)/ruff check src tests bench

bench-tools:  ## install the reference tools the benchmark compares against
	command -v rg >/dev/null && command -v lnav >/dev/null && command -v zstd >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq ripgrep lnav zstd)

bench: venv bench-tools  ## run the benchmark (LINES=5000000 by default)
	$(BIN)/python bench/run.py --lines $${LINES:-5000000}

clean:  ## remove the environment and demo data
	rm -rf $(VENV) $(DEMO) build src/*.egg-info
