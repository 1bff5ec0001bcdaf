# Cairn: every target installs what it needs, so a fresh clone works with
#   make run    (the site with demo data on SQLite, no services needed)
#   make test   (the test suite on PostgreSQL + Redis + a real Celery worker)

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

# Tests run on PostgreSQL (Django creates and drops test_<name>) and Redis.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cairn
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.DEFAULT_GOAL := help
# The grading sandbox's own Python (Debian's python3.11, outside /root so the sandbox
# user can read it) with the labs' packages at the same pins as the app.
SANDBOX_PREFIX ?= /opt/cairn-sandbox
SANDBOX_PINS := $(shell grep -E '^(numpy|torch)==' requirements.txt)

.PHONY: help install sandbox run test lint format bench lock clean screenshots

help: ## List the entry points
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

$(SANDBOX_PREFIX)/.installed: requirements.txt
	@test -x $(SANDBOX_PREFIX)/bin/python || /usr/bin/python3.11 -m venv $(SANDBOX_PREFIX)
	$(SANDBOX_PREFIX)/bin/pip install --quiet $(SANDBOX_PINS)
	@touch $@

sandbox: $(SANDBOX_PREFIX)/.installed ## Create the grading sandbox's Python in $(SANDBOX_PREFIX)

run: install sandbox ## Start the site with demo data on SQLite: http://127.0.0.1:8000
	@env -u DATABASE_URL -u CELERY_BROKER_URL bash scripts/run.sh

test: install sandbox ## Run the test suite (PostgreSQL, Redis, real Celery worker)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(PY) -m pytest $(PYTEST_ARGS)

screenshots: install sandbox ## Retake docs/screenshots/ with the browser test of a learner's journey
	CAIRN_SCREENSHOTS=$(CURDIR)/docs/screenshots DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(PY) -m pytest tests/platform/lms/test_learner_journey_browser.py \
			tests/platform/lms/tracking/test_course_structure_browser.py -q

lint: install ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## Run the benchmarks (never part of make test); figures go in docs/benchmarks.md
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'cairn'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres cairn
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) manage.py migrate --no-input -v 0
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(PY) -m benchmarks

lock: install ## Re-pin: install requirements.in and write the full lock to requirements.txt
	$(PY) -m pip install --quiet -r requirements.in
	$(PY) -m pip freeze --exclude-editable | sed 's/^torch==2.13.0+cpu/torch==2.13.0/' > requirements.txt

clean: ## Remove the venv and local data (var/)
	rm -rf $(VENV) var
