# Passerelle: every command a developer needs. `make` alone lists them.
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# CLINC150's data_full.json (github.com/clinc/oos-eval): `make bench` also scores the pipeline on it when present.
CLINC150 ?= ../shared/datasets/clinc150/data_full.json
# SNIPS-fr's test set (another domain, French): `make bench` counts how many of its messages the bot declines.
SNIPS_FR ?= ../shared/datasets/snips-fr/test_fr_clean_and_typos.csv

.DEFAULT_GOAL := help
.PHONY: help setup train run chat doctor test test-fast lint audit format eval compare-tokenizers bench calibrate \
	compose-model compose-check k8s-check lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

setup: ## Create or refresh the Python 3.10 environment (.venv); seconds when nothing changed
	@bash scripts/setup.sh

train: setup ## Train the Rasa model, unless the cached one matches config, domain and data
	@$(BIN)/bot train

run: setup ## Set everything up, start Redis, actions and Rasa, and chat with the bot in the terminal
	@$(BIN)/bot run

chat: ## Chat in the terminal with an already running bot, through its gateway (GATEWAY_URL)
	@$(BIN)/bot chat

doctor: setup ## Check the settings (.env), tokens and every service, and say what to fix
	@$(BIN)/bot doctor

test: setup train ## Run every test: unit, actions, data checks, Rasa test stories, end to end (installs redis-server, chromium)
	@bash scripts/system-packages.sh
	@$(BIN)/pytest -q

test-fast: setup ## Run the tests that need no trained model nor running services
	@$(BIN)/pytest -q -m "not stack"

lint: setup ## Lint, check formatting and type-check
	@$(BIN)/ruff check bot actions tests scripts
	@$(BIN)/ruff format --check bot actions tests scripts
	@$(BIN)/mypy

audit: ## Check requirements.lock for known vulnerabilities (pip-audit in .venv-audit, exceptions: audit-ignore.toml)
	@$(if $(wildcard $(PY)),$(PY),python3) scripts/audit.py

format: setup ## Format the code
	@$(BIN)/ruff format bot actions tests scripts
	@$(BIN)/ruff check --fix bot actions tests scripts

eval: setup train ## Intent macro-F1 per language on the held-out split
	@$(BIN)/bot eval

compare-tokenizers: setup train ## Held-out F1 of spaCy (config.yml) vs WhitespaceTokenizer (config.whitespace.yml)
	@$(BIN)/bot eval
	@$(BIN)/bot eval --config config.whitespace.yml

bench: setup train ## Measure latencies, training time, CLINC150 and SNIPS-fr scores (if found); writes bench-results.json
	@$(BIN)/bot bench $(if $(wildcard $(CLINC150)),--clinc150 $(CLINC150)) $(if $(wildcard $(SNIPS_FR)),--snips-fr $(SNIPS_FR))

compose-model: train ## Copy the current model to build/docker/model.tar.gz for docker compose (docker/rasa.Dockerfile)
	@mkdir -p build/docker
	@cp "$$($(BIN)/bot train | tail -n 1)" build/docker/model.tar.gz
	@echo "build/docker/model.tar.gz ready: docker compose up -d --build"

calibrate: setup ## Choose the out-of-scope gate's threshold by cross-validation of data/nlu (prints it for config.yml)
	@$(BIN)/bot calibrate

compose-check: setup ## Validate docker-compose.yml without a Docker engine (needs Debian's docker-compose)
	@$(BIN)/pytest -q tests/unit/test_compose.py

k8s-check: setup ## Validate deploy/k8s against the Kubernetes API schema, offline (kubernetes-validate)
	@$(BIN)/pytest -q tests/unit/test_k8s_manifests.py

lock: ## Re-resolve requirements.txt into requirements.lock (needs a fresh venv)
	rm -rf /tmp/passerelle-lock && python3.10 -m venv /tmp/passerelle-lock
	/tmp/passerelle-lock/bin/pip install -q -r requirements.txt
	/tmp/passerelle-lock/bin/pip freeze | grep -v '^-e' > requirements.lock

clean: ## Remove trained models, logs and caches (keeps .venv)
	rm -rf models var results .pytest_cache .ruff_cache .mypy_cache
