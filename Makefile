PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv only regenerates the lock files (make lock); installing needs nothing but pip.
UV_VERSION := 0.13.9
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet $(LOCK_ARGS)

.PHONY: install run test lint lock bench translations screenshots

# The stamp is the installed command: reinstall whenever pyproject.toml or the lock changes.
# The lock pins every package with its hashes; dealguard itself goes on top without a
# second resolution, and `pip check` fails when pyproject.toml asks for something the
# lock lacks (a dependency added without `make lock`).
$(BIN)/dealguard: pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# The console's languages: the .po catalogs are in the repository, the .mo files are
# compiled here (and in the Dockerfile), never committed.
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

%.mo: %.po $(BIN)/dealguard
	$(BIN)/pybabel compile --statistics -i $< -o $@

install: $(BIN)/dealguard $(COMPILED)

# After changing the console's texts: extract them and merge them into each catalog.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output \
	    -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations \
	    --no-fuzzy-matching

run: install
	mkdir -p instance
	$(BIN)/dealguard db upgrade
	$(BIN)/dealguard keys bootstrap
	@# The webhook worker runs beside the server. Ctrl-C reaches both; and whichever
	@# way gunicorn ends, the EXIT trap stops the worker and waits for it (a delivery
	@# under way is finished first).
	$(BIN)/dealguard worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

# README's pictures of the console (docs/screenshots/*.png, committed): a demo service with
# a few decisions, in Russian, in Debian's chromium (apt-get install -y chromium).
screenshots: install
	$(BIN)/python -m tests.console.browser.screenshots docs/screenshots

# Regenerate the locks from pyproject.toml: requirements.txt (what the service runs on,
# used by the Dockerfile) and requirements-dev.txt (that plus the dev extra, used by
# make install and CI), with the same versions for the packages they share. Pins already
# in the files are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the newest.
lock:
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.txt $(LOCK_FLAGS) \
	    -o requirements-dev.txt
