# conserje: `make run` to chat with the demo hotel, `make test` for the whole suite. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell for p in $$HOME/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do [ -x $$p ] && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := $(shell grep -v '^\#' system-packages.txt 2>/dev/null)
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 2

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@[ -n "$(PYTHON)" ] || { echo "Python 3.10 not found (pyenv's 3.10.x or /usr/bin/python3.10); set PYTHON=..."; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==24.0
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

# Schemathesis (the admin API fuzzer in the tests) needs newer jsonschema/anyio than Rasa allows: its own venv.
FUZZ_VENV := .venv-fuzz
$(FUZZ_VENV)/.installed: requirements-fuzz.lock
	@[ -x $(FUZZ_VENV)/bin/python ] || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install -q -r requirements-fuzz.lock
	@touch $@

install: $(STAMP) $(FUZZ_VENV)/.installed system ## Install Python dependencies (pinned) and the Debian packages the project needs

system: ## Install missing Debian packages listed in system-packages.txt (needs root)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; apt-get update -qq && apt-get install -y -qq $$missing; fi

migrate: install ## Apply database migrations (DATABASE_URL, default SQLite in var/)
	$(BIN)/alembic upgrade head

train: install ## Train the model if data/, domain/, config.yml or nlu/ changed
	$(BIN)/python -m scripts.train

seed: migrate ## Fill the local PMS with demo occupancy relative to the clock (idempotent)
	$(BIN)/python -m scripts.seed

run: migrate ## Set up, seed an empty database, train if needed, start the action server (5055) and Rasa (5005)
	$(BIN)/python -m scripts.seed --if-empty
	$(BIN)/python -m scripts.run "$$($(BIN)/python -m scripts.train | tail -n 1)"

shell: migrate ## Chat in the terminal (rasa shell) with the current model and a running action server
	CONSERJE_ACTION_SECRET="$${CONSERJE_ACTION_SECRET:-$$($(BIN)/python -c 'from scripts.run import local_action_secret as s; print(s())')}" \
		$(BIN)/rasa shell --model "$$($(BIN)/python -m scripts.train | tail -n 1)" --endpoints endpoints.yml

validate: install ## Check training data and domain (rasa data validate)
	$(BIN)/python -m scripts.validate

lint: install ## ruff (lint + format check) and mypy on the packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

services: ## Start the local PostgreSQL and Redis if they are installed but stopped
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { command -v pg_ctlcluster >/dev/null && \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n 1) main start || true; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { command -v redis-server >/dev/null && \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true; }

test: install services ## Everything: lint, types, validation, unit, NLU accuracy, integration, conversation tests
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory validate
	$(BIN)/python -m scripts.train
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-stories

test-stories: train ## rasa test on the test stories with --fail-on-prediction-errors
	$(BIN)/python -m scripts.test_stories

bench: install ## Throughput and latency: our assistant vs a vanilla `rasa init` bot
	$(BIN)/python -m scripts.bench

lock: ## Re-pin every dependency into requirements.lock from the current virtualenv
	$(BIN)/pip freeze --exclude-editable | grep -v '^conserje' > requirements.lock

SOCKET_IO_CLIENT := 4.8.4
web-vendor: ## Re-vendor the web widget's socket.io client (npm socket.io-client) into connectors/web_static/
	npm install --prefix build/web --no-save --no-package-lock socket.io-client@$(SOCKET_IO_CLIENT)
	cp build/web/node_modules/socket.io-client/dist/socket.io.min.js connectors/web_static/

clean: ## Remove trained models and local databases
	rm -rf models var results

.PHONY: help install system services migrate seed train run shell validate lint test test-stories bench lock web-vendor clean
