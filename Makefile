# The two commands: `make run` and `make test`. Everything they need is installed on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INSTANCE ?= $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install services lint format pytest clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed

services:
	@scripts/system-deps.sh
	@scripts/services.sh

lint: install
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench

format: install
	$(BIN)/ruff check --fix backend tests bench
	$(BIN)/ruff format backend tests bench

pytest: install services
	$(BIN)/pytest

test: lint pytest

run: install
	@BASTION_INSTANCE=$(INSTANCE) scripts/run.sh $(HOST) $(PORT)

clean:
	rm -rf $(VENV) build *.egg-info
