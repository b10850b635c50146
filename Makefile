PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

# The stamp is the installed command: reinstall whenever pyproject.toml changes.
$(BIN)/dealguard: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
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
