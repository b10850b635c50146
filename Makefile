PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

$(BIN)/dealguard: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/dealguard

run: install
	mkdir -p instance
	$(BIN)/dealguard db upgrade
	$(BIN)/dealguard keys bootstrap
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
