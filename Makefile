# The two commands: `make run` and `make test`. Everything they need is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INSTANCE ?= $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 8000
SPA := frontend
SPA_PORT ?= 5173
NPM_STAMP := $(SPA)/node_modules/.installed
LOCK := requirements.lock

.PHONY: run test install lock services lint format pytest clean spa-install spa-build spa-check spa-test

# Python packages come from the lock, pinned with their hashes, so every machine installs what CI ran;
# the project itself is then installed without resolving anything again.
$(VENV)/.installed: pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

# Refresh the lock after changing pyproject.toml's dependencies: the newest versions that satisfy them.
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --extra test --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

# The admin SPA's packages, reinstalled exactly from the lock file whenever it changes.
$(NPM_STAMP): $(SPA)/package-lock.json
	cd $(SPA) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

spa-install: $(NPM_STAMP)

spa-build: spa-install
	cd $(SPA) && npm run --silent build

spa-check: spa-install
	cd $(SPA) && npm run --silent check

spa-test: spa-install
	cd $(SPA) && npm test

services:
	@scripts/system-deps.sh
	@scripts/services.sh

lint: install
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

format: install
	$(BIN)/ruff check --fix backend tests bench
	$(BIN)/ruff format backend tests bench

pytest: install services spa-install
	$(BIN)/pytest

test: lint spa-check spa-test pytest

# The demo runs as the terminal's foreground group, so Ctrl-C stops it cleanly and make ends with status 0.
run: install spa-build
	@BASTION_INSTANCE=$(INSTANCE) SPA_PORT=$(SPA_PORT) $(PY) scripts/foreground.py scripts/run.sh $(HOST) $(PORT)

clean:
	rm -rf $(VENV) build *.egg-info $(SPA)/node_modules $(SPA)/dist

# The data API load benchmark (not part of `make test`); see bench/README.md. BENCH_ARGS="--rounds 3".
.PHONY: bench
bench: install
	$(PY) bench/data_bench.py $(BENCH_ARGS)

# Every suite (100k, 1M rows, deep pages, admin lists at scale, PostgreSQL) in one run; see bench/README.md.
.PHONY: bench-all
bench-all: install
	$(PY) bench/data_bench.py --suite all $(BENCH_ARGS)

.PHONY: bench-cors
bench-cors: install
	$(PY) bench/cors_bench.py $(BENCH_ARGS)

# The soak run under database faults with a ledger audit (not part of `make test`); see bench/README.md.
# SOAK_ARGS="--engines sqlite --writers 10 --seconds 15".
.PHONY: soak
soak: install
	$(PY) bench/soak.py $(SOAK_ARGS)
