# Two commands on a fresh machine:  make demo   and   make test
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# DfE's validation rules pin pandas 1.5 and numpy 1.24: they get an environment of their own.
DFE_VENV ?= .venv-dfe-rules
DFE_STAMP := $(DFE_VENV)/.installed-stamp
AXE := tests/web/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test lint bench system serve clean dfe-rules

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

$(DFE_STAMP): requirements-dfe-rules.lock
	$(PYTHON) -m venv $(DFE_VENV)
	$(DFE_VENV)/bin/python -m pip install -q --upgrade pip
	$(DFE_VENV)/bin/python -m pip install -q -r requirements-dfe-rules.lock
	touch $(DFE_STAMP)

## DfE's validation rules (Data to Insight's validators), for `cscperf validate --year` and the returns.
dfe-rules: $(DFE_STAMP)

## Build the synthetic authority, compute, report, and say how to open the dashboard.
demo: $(STAMP)
	bash scripts/install-system-deps.sh report
	$(BIN)/cscperf demo

## System packages the tests need (Chromium, PostgreSQL, poppler, npm), axe-core, then lint and the full test suite.
test: $(STAMP) $(DFE_STAMP) system $(AXE)
	bash scripts/run-tests.sh

# axe-core for the accessibility tests, from the npm registry at the version package-lock.json pins (never at run time).
$(AXE): tests/web/axe/package.json tests/web/axe/package-lock.json | system
	npm ci --prefix tests/web/axe --no-audit --no-fund --ignore-scripts
	touch $(AXE)

system:
	bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/python -m benchmarks

serve: $(STAMP)
	$(BIN)/cscperf serve

clean:
	rm -rf $(VENV) $(DFE_VENV) cscperf.duckdb demo-output .pytest_cache
