# ShopStream: `make up` runs everything locally, `make test` runs the whole suite on a real broker.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# two stamps: RUNTIME = the package and its dependencies (what `make up` runs); INSTALLED = that plus
# the dev extras (test and deployment toolchain, linters). INSTALLED is built on RUNTIME, so a change
# of pyproject.toml redoes both, and `make test` after `make up` still adds the extras.
RUNTIME := $(VENV)/.installed-runtime
INSTALLED := $(VENV)/.installed
DASHBOARD_LIBS := consumers/query_api/dashboard/node_modules/.installed
# kustomize v5.8.2 is built on kustomize/api v0.21.2, the newest that this Go (1.26) builds
KUSTOMIZE_VERSION := v5.8.2
KUSTOMIZE := .local/bin/kustomize
KUSTOMIZE_STAMP := .local/bin/.kustomize-$(KUSTOMIZE_VERSION)
ASYNCAPI_LIBS := infra/asyncapi/node_modules/.installed
# promtool of Prometheus 3.16.0 (the Compose image's), without the cloud service discoveries that
# none of our configurations uses (build tag remove_all_sd): ~2 min to build on a fresh machine, not 4
PROMETHEUS_MODULE_VERSION := v0.316.0
PROMTOOL_STAMP := .local/bin/.promtool-$(PROMETHEUS_MODULE_VERSION)
OBSERVABILITY_CHECK := .local/bin/observability-check
OBSERVABILITY_CHECK_SOURCES := $(wildcard infra/observability/checker/*.go) infra/observability/checker/go.mod infra/observability/checker/go.sum

.PHONY: up test tour-test hostile faults bench soak setup setup-dev local-infra deploy-tools k8s-generate deploy-test browser load-generator lint format unit e2e kafka-start kafka-stop cluster-start cluster-stop clean

$(RUNTIME): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(INSTALLED): $(RUNTIME)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

## setup: what running needs: the virtualenv with the runtime dependencies (supervisord among them),
## Apache Kafka and Apicurio Registry from Maven Central, the dashboard's Chart.js from npm
setup: $(RUNTIME) local-infra

## setup-dev: setup, plus the test and deployment toolchain (dev extras, kustomize, @asyncapi/parser)
setup-dev: setup $(INSTALLED) deploy-tools

local-infra: $(RUNTIME) $(DASHBOARD_LIBS)
	$(PY) -m infra.local_kafka assemble
	$(PY) -m infra.local_registry assemble

$(DASHBOARD_LIBS): consumers/query_api/dashboard/package.json consumers/query_api/dashboard/package-lock.json
	npm ci --prefix consumers/query_api/dashboard --no-audit --no-fund --loglevel=error
	touch $@

## deploy-tools: kustomize, promtool and observability-check (Go module proxy) and @asyncapi/parser (npm)
## for the offline deployment tests
deploy-tools: $(KUSTOMIZE_STAMP) $(ASYNCAPI_LIBS) $(PROMTOOL_STAMP) $(OBSERVABILITY_CHECK)

$(KUSTOMIZE_STAMP):
	mkdir -p .local/bin
	GOTOOLCHAIN=local GOBIN=$(CURDIR)/.local/bin go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	touch $@

$(PROMTOOL_STAMP):
	mkdir -p .local/bin
	GOTOOLCHAIN=local GOBIN=$(CURDIR)/.local/bin go install -tags remove_all_sd \
	  github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_MODULE_VERSION)
	touch $@

# Grafana's dashboard schema (grafana-foundation-sdk) and Prometheus's PromQL parser, pinned in go.sum
$(OBSERVABILITY_CHECK): $(OBSERVABILITY_CHECK_SOURCES)
	mkdir -p .local/bin
	cd infra/observability/checker && GOTOOLCHAIN=local go build -o $(CURDIR)/$@ .

$(ASYNCAPI_LIBS): infra/asyncapi/package.json infra/asyncapi/package-lock.json
	npm ci --prefix infra/asyncapi --no-audit --no-fund --loglevel=error
	touch $@

## k8s-generate: rewrite infra/k8s/base/generated/ from schemas/topics.py and infra/services.py
k8s-generate: $(INSTALLED)
	$(PY) -m infra.k8s generate

## deploy-test: Dockerfile, Compose, both Kubernetes overlays, the AsyncAPI document, the dashboard and
## the alert rules, offline
deploy-test: $(INSTALLED) deploy-tools
	$(PY) -m pytest tests/deploy

## up: start Kafka, create topics, run every service under supervisord (restarted if it exits);
## Ctrl-C stops everything. It installs only what running needs (setup), not the dev extras.
# the clock starts when make reads this file, before setup runs, so make up can say how long set-up took
up: export SHOPSTREAM_UP_STARTED := $(shell $(PYTHON) -c 'import time; print(time.time())')
up: setup
	$(PY) -m infra.up

## test: lint, then the whole suite (unit, integration, e2e, browser, reliability with faults) against a real broker
test: setup-dev browser load-generator lint
	$(PY) -m pytest --durations=15

## faults: the broker-fault (3-node cluster) and worker-fault tests alone (about 7 minutes)
faults: setup-dev
	$(PY) -m pytest -m faults tests/reliability

## hostile: the hostile-input tests alone (schemathesis on both OpenAPI documents, malformed requests, poison records)
hostile: setup-dev
	$(PY) -m pytest tests/reliability/test_hostile_*.py

## browser: Debian's Chromium and ChromeDriver for the dashboard test (needs root and apt)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) || \
	  echo "could not install chromium: the browser test will be skipped and say why"

## load-generator: wrk, the native HTTP load generator of the bench (Debian's package; needs root and apt)
load-generator:
	@command -v wrk >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) || \
	  echo "could not install wrk: make bench cannot measure HTTP, and its test will be skipped and say why"

## bench: every figure beside its anchor, same run (bench/results/latest.{json,md} and PNG plots)
bench: setup-dev load-generator
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench

## tour-test: docs/tour.md run against make up's program; every output compared (make test runs it too)
tour-test: setup-dev
	$(PY) -m pytest tests/tour

## soak: the whole system at a steady rate (SOAK_SECONDS, default 600; SOAK_RATE calls/s, default 20);
## throughput, latency percentiles and RSS every 10 s, memory slope, ledger check: .local/soak/soak.{json,md}
SOAK_SECONDS ?= 600
SOAK_RATE ?= 20
soak: setup-dev
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_RATE=$(SOAK_RATE) $(PY) -m tests.reliability.soak

# the last step: no function over 50 lines (first decorator to last line), no service module over 300
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m infra.lint_sizes

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

unit: $(INSTALLED)
	$(PY) -m pytest tests/unit

kafka-start: setup
	$(PY) -m infra.local_kafka start
kafka-stop: $(RUNTIME)
	$(PY) -m infra.local_kafka stop
cluster-start: setup
	$(PY) -m infra.local_kafka start --cluster
cluster-stop: $(RUNTIME)
	$(PY) -m infra.local_kafka stop --cluster

## clean: stop local brokers and delete the venv and local data
clean:
	-$(PY) -m infra.local_registry stop
	-$(PY) -m infra.local_kafka stop
	-$(PY) -m infra.local_kafka stop --cluster
	rm -rf $(VENV) .local
