# Two commands on a fresh machine:  make demo   and   make test
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench system serve clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

## Build the synthetic authority, compute, report, and say how to open the dashboard.
demo: $(STAMP)
	bash scripts/install-system-deps.sh report
	$(BIN)/cscperf demo

## System packages the tests need (Chromium, PostgreSQL, poppler), then lint and the full test suite.
test: $(STAMP) system
	bash scripts/run-tests.sh

system:
	bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/python -m benchmarks

serve: $(STAMP)
	$(BIN)/cscperf serve

clean:
	rm -rf $(VENV) cscperf.duckdb demo-output .pytest_cache
