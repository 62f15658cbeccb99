# GovHub developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml hatch_build.py src/govhub/data/quality/kernels.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "GovHub needs Python 3.11 or newer (found $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'pycanon>=1.3'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install GovHub with its development tools

run: install ## Install, migrate the embedded database, load demo data and serve on :8000
	$(BIN)/govhub db upgrade
	$(BIN)/govhub demo load
	$(BIN)/govhub serve

test: install chromium ## Install, then run ruff, mypy and the whole test suite with coverage
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered

lint: install ## Check style, formatting and types (ruff, mypy --strict)
	$(BIN)/ruff check src tests bench migrations hatch_build.py
	$(BIN)/ruff format --check src tests bench migrations hatch_build.py
	$(BIN)/mypy src tests bench hatch_build.py

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests bench migrations hatch_build.py
	$(BIN)/ruff format src tests bench migrations hatch_build.py

chromium: ## Install Debian's Chromium and a CJK font for the browser tests when missing
	@bash scripts/install_chromium.sh

migration: install ## Generate a migration from model changes: make migration m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"
	$(BIN)/ruff format migrations

bench: install ## Run the benchmarks (tables printed, JSON in bench/results/)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean: ## Remove the virtualenv, caches and local state under var/
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .coverage htmlcov

.PHONY: help install run test lint format chromium migration bench clean
