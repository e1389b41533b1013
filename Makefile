# PushTask — `make run` to try it, `make test` to check it. `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-unit test-integration test-acceptance test-miniprogram test-web web lint fmt typecheck lock migrate clean bench bench-install

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

run: install web ## Start everything on http://127.0.0.1:8000 (SQLite under var/)
	$(VENV)/bin/pushtask serve --host $(HOST) --port $(PORT)

test: install test-miniprogram test-web web ## Run every test suite (MariaDB/Redis tests skip when neither URL is set nor answers)
	$(PY) -m pytest tests

test-unit: install ## Run the unit tests only
	$(PY) -m pytest tests/unit

test-integration: install ## Run the integration tests (SQLite, MariaDB, Redis)
	$(PY) -m pytest tests/integration

test-acceptance: install ## Run the acceptance tests (real `pushtask` processes over HTTP)
	$(PY) -m pytest tests/acceptance

test-miniprogram: ## Run the mini program's jest tests (needs Node.js >= 18; SKIP_MINIPROGRAM=1 to skip)
	@if [ -n "$(SKIP_MINIPROGRAM)" ]; then echo "mini program tests skipped (SKIP_MINIPROGRAM set)"; exit 0; fi; \
	command -v npm >/dev/null || { echo "npm not found: install Node.js >= 18, or set SKIP_MINIPROGRAM=1" >&2; exit 1; }; \
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error && npm test --silent

lint: install ## Check style, types and layers (ruff, mypy, import-linter contracts in .importlinter)
	$(VENV)/bin/ruff check pushtask tests bench
	$(VENV)/bin/ruff format --check pushtask tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: install ## Format the code
	$(VENV)/bin/ruff check --fix pushtask tests bench
	$(VENV)/bin/ruff format pushtask tests bench

lock: install ## Re-pin requirements.lock from pyproject.toml
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header -q -o requirements.lock

migrate: install ## Apply database migrations (PUSHTASK_DATABASE_URL or the SQLite default)
	$(VENV)/bin/pushtask db upgrade

bench-install: install ## Install the benchmark extra (APScheduler, Celery, matplotlib)
	$(PY) -m pip install -q -e '.[bench]'

bench: bench-install ## Benchmarks side by side (MariaDB + Redis DB 14; ~15 min); writes bench/results/
	$(PY) -m bench suite $(BENCH_ARGS)

clean: ## Remove the virtualenv and caches (keeps var/, your data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache .grimp_cache

WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html frontend/package-lock.json $(wildcard frontend/vite.config.*)

web: pushtask/web/index.html ## Build the admin (frontend/) into pushtask/web/ when its sources changed

pushtask/web/index.html: $(WEB_SOURCES)
	@command -v npm >/dev/null || { echo "npm not found: the admin UI is not built (the API works; install Node.js >= 20.19 for the UI)" >&2; exit 0; }; \
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

test-web: ## Run the admin's Vitest unit tests (needs Node.js >= 20.19; SKIP_WEB=1 to skip)
	@if [ -n "$(SKIP_WEB)" ]; then echo "admin tests skipped (SKIP_WEB set)"; exit 0; fi; \
	command -v npm >/dev/null || { echo "npm not found: install Node.js >= 20.19, or set SKIP_WEB=1" >&2; exit 1; }; \
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm test --silent
