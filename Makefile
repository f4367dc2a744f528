# One-command entry points. `make demo` and `make test` set everything up first and are idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
SF ?= 0.1
# uv on PATH if the machine has one, else a private copy bootstrapped with pip into .tools/
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help setup demo test lint format lock bench clean airflow

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI) every process would
# otherwise recompile dbt, Airflow and GX from source, seconds per `crm` process (issue 9).
$(STAMP): requirements.lock pyproject.toml | $(UV)
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(VENV) $(UV) pip sync --quiet --require-hashes --compile-bytecode requirements.lock
	VIRTUAL_ENV=$(VENV) $(UV) pip install --quiet --no-deps --editable .
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv from the hashed lock (idempotent)
	@$(BIN)/python -m compileall -q crm ingestion quality seeds dags

demo: setup  ## generate sources, run the pipeline on the embedded defaults, say where to look
	$(BIN)/crm --data-dir $(DATA_DIR) demo --sf $(SF)

test: setup  ## run the whole test suite (PostgreSQL tests fail rather than skip when CI=true)
	$(BIN)/pytest -n 2 --dist loadscope $(PYTEST_ARGS)

lint: setup  ## ruff, formatting, mypy, sqlfluff (the dbt models and tests)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy crm seeds ingestion quality dags
	cd dbt_project && $(CURDIR)/$(BIN)/sqlfluff lint models tests

format: setup  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: | $(UV)  ## re-resolve requirements.lock from pyproject.toml (names, versions, hashes only)
	$(UV) pip compile --quiet pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --no-header -o requirements.lock

bench: setup  ## time every stage at SF (default 0.1; SF10=1 for SF 10); tables in bench/results/
	$(BIN)/crm bench --sf $(if $(SF10),10 --allow-large,$(SF)) $(BENCH_ARGS)

clean:  ## remove the virtualenv and generated data
	rm -rf $(VENV) .tools $(DATA_DIR)

airflow: setup  ## Airflow UI on :8080 (standalone, SQLite, DAGs of dags/) with the local support simulator
	@eval "$$($(BIN)/crm --data-dir $(DATA_DIR) dags env)" && \
	$(BIN)/crm --data-dir $(DATA_DIR) dags init && \
	{ $(BIN)/crm --data-dir $(DATA_DIR) sources serve-support & SUPPORT=$$!; \
	  trap 'kill $$SUPPORT' EXIT; PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/airflow standalone; }
