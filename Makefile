# ShopStream: `make up` runs everything locally, `make test` runs the whole suite on a real broker.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: up test setup local-infra lint format unit e2e kafka-start kafka-stop cluster-start cluster-stop clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## setup: the virtualenv with every dependency; Apache Kafka and Apicurio Registry from Maven Central
setup: $(INSTALLED) local-infra

local-infra: $(INSTALLED)
	$(PY) -m infra.local_kafka assemble
	$(PY) -m infra.local_registry assemble

## up: start Kafka, create topics, run every service; Ctrl-C stops everything
up: setup
	$(PY) -m infra.up

## test: lint, then the whole suite (unit, integration, e2e) against a real broker
test: setup lint
	$(PY) -m pytest

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

unit: $(INSTALLED)
	$(PY) -m pytest tests/unit

kafka-start: setup
	$(PY) -m infra.local_kafka start
kafka-stop: $(INSTALLED)
	$(PY) -m infra.local_kafka stop
cluster-start: setup
	$(PY) -m infra.local_kafka start --cluster
cluster-stop: $(INSTALLED)
	$(PY) -m infra.local_kafka stop --cluster

## clean: stop local brokers and delete the venv and local data
clean:
	-$(PY) -m infra.local_registry stop
	-$(PY) -m infra.local_kafka stop
	-$(PY) -m infra.local_kafka stop --cluster
	rm -rf $(VENV) .local
