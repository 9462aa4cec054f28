# footfall: every target is a thin call of a documented command (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark

# dbt finds its project and the top-level profiles.yml from anywhere (documented in the README).
export DBT_PROJECT_DIR := $(CURDIR)/dbt_project
export DBT_PROFILES_DIR := $(CURDIR)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup browser simulator load build publish docs docs-serve dashboard demo test \
        test-all test-spark setup-spark export-raw lint format bench bench-scale alerts run run-once api \
        clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "footfall needs Python 3.11 (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the pinned dependencies

$(SPARK_STAMP): $(STAMP) requirements-spark.txt
	$(BIN)/pip install --quiet -r requirements-spark.txt
	@touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP) ## also install the spark target's pieces (pyspark, dbt-spark; Java 17)
	@bash scripts/install-java.sh

browser: ## install Debian's Chromium for the browser tests (root: apt-get)
	@bash scripts/install-chromium.sh

simulator: setup ## serve the sensor API (FOOTFALL_SIM_HOST:FOOTFALL_SIM_PORT)
	$(BIN)/python -m simulator

load: setup ## pull the API into the warehouse's raw tables
	$(BIN)/python -m loaders

build: setup ## dbt build, then publish the serving snapshot
	$(BIN)/dbt build
	$(BIN)/python -m footfall.publish

publish: setup ## copy the marts into the dashboard's serving snapshot
	$(BIN)/python -m footfall.publish

docs: setup ## dbt docs generate
	$(BIN)/dbt docs generate

docs-serve: docs ## dbt docs serve (127.0.0.1:8080)
	$(BIN)/dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

dashboard: setup ## serve the Streamlit dashboard (FOOTFALL_DASHBOARD_PORT)
	$(BIN)/python -m dashboards

demo: setup ## the whole pipeline: simulator, load, build, docs, dashboard
	$(BIN)/python -m footfall.demo

api: setup ## serve the read API over the serving snapshot (FOOTFALL_ACCESS_HOST/PORT)
	$(BIN)/python -m access

alerts: setup ## print the open alerts; exit 1 when one is critical
	$(BIN)/python -m footfall.alerts

run: setup ## the pipeline on Dagster: UI, hourly schedule, failure alerts (127.0.0.1:3000)
	$(BIN)/python -m orchestration

run-once: setup ## one run of the whole pipeline on Dagster (load, build, publish, alerts)
	$(BIN)/python -m orchestration --once

test: setup browser ## every test (CI runs this)
	$(BIN)/python -m pytest

test-spark: setup-spark ## the Spark build of a sample against DuckDB's (CI runs it too)
	FOOTFALL_TEST_SPARK=1 $(BIN)/python -m pytest tests/spark

export-raw: setup ## the warehouse's raw tables as Parquet for the spark target (FOOTFALL_SPARK_RAW_DIR)
	$(BIN)/python -m footfall.export

test-all: setup browser ## every test, the slow ones too
	$(BIN)/python -m pytest --runslow

lint: setup ## ruff, sqlfluff and MetricFlow's validate-configs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project
	$(BIN)/dbt parse --quiet
	DBT_TARGET=serving $(BIN)/mf validate-configs --skip-dw

format: setup ## fix what ruff and sqlfluff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix dbt_project

bench: setup ## benchmarks against the issues' speed targets (prints figures)
	$(BIN)/python -m bench

bench-scale: setup ## the hourly cycle at 5, 25 and 100 stores (long; keeps its warehouses in .run/scale)
	$(BIN)/python -m bench scale --stores 5,25,100 --one-year 25

clean: ## remove generated data and dbt output (keeps .venv)
	rm -rf data dbt_project/target dbt_project/logs artifacts .run
