# Two commands set everything up on a fresh machine:
#   make run    create .venv and run the workflow on the default (demo) config
#   make test   create .venv and run the gates and the test suite
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2
TORCH ?= torch==2.13.0

.PHONY: run test lint format docs env

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

run: env
	$(BIN)/snakemake --cores $(CORES)

lint: env
	$(BIN)/ruff check src tests bench workflow/scripts
	$(BIN)/ruff format --check src tests bench workflow/scripts
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --cores 1

test: env lint
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/python -m pytest -q

docs: env
	$(BIN)/python -m sftlab.config --readme

format: env
	$(BIN)/ruff format src tests bench workflow/scripts
	$(BIN)/ruff check --fix src tests bench workflow/scripts
	$(BIN)/snakefmt Snakefile workflow/rules
