# The front door: `make run` serves the API, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
THREADS ?= 8

.PHONY: run test test-services bench lint schema migrate superuser clean

# Pick Python 3.12+: pyenv's version from .python-version, then PATH.
PYTHON_BIN := $(shell ./scripts/find-python)

$(PY):
	@if [ -z "$(PYTHON_BIN)" ]; then \
	  echo "No Python 3.12 or newer found: install one (pyenv install 3.12)" \
	       "or put python3.12 on PATH." >&2; exit 1; fi
	$(PYTHON_BIN) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

run: $(STAMP)
	@$(PY) scripts/port-free $(HOST) $(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m gunicorn config.wsgi:application --bind $(HOST):$(PORT) \
	  --workers 1 --threads $(THREADS) --worker-class gthread --no-control-socket

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -m "not services"

# The whole suite on PostgreSQL and Redis, started on 127.0.0.1 for the run
# (installed with apt-get when missing) and stopped afterwards, pass or fail.
test-services: lint
	@trap 'scripts/services stop' EXIT; \
	set -a; eval "$$(scripts/services start)"; set +a; \
	$(PY) -m pytest

# A few minutes at most; never part of `make test`. Needs wrk (apt-get).
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk"; \
	  apt-get install -y -qq wrk >/dev/null; }
	$(PY) scripts/bench.py

schema: $(STAMP)
	$(PY) manage.py export_schema

superuser: migrate
	$(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache bench-results
