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

.PHONY: help install sandbox run test test-citus docker-smoke lint format bench lock clean screenshots

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

# The suite runs in TEST_WORKERS processes (pytest-xdist; each its own test database, Celery
# key prefix and data folder: tests/conftest.py): a module's tests to one process so module
# fixtures are built once, except the modules tests/conftest.py lists in SPREAD (one lab per
# test), shared out test by test; `heavy` modules are handed out first (tests/conftest.py
# orders the tests, hence no xdist reordering). Then the `serial` tests (they stop
# PostgreSQL) run alone. Both passes always run; the target fails if either does (exit 5,
# nothing selected, is not a failure).
TEST_WORKERS ?= 4
test: install sandbox ## Run the test suite (PostgreSQL, Redis, real Celery worker)
	@export DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}; \
	status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not serial" $(PYTEST_ARGS) \
		|| status=$$?; \
	$(PY) -m pytest -p no:xdist -m serial $(PYTEST_ARGS); serial=$$?; \
	if [ $$serial -ne 0 ] && [ $$serial -ne 5 ]; then status=$$serial; fi; \
	[ $$status -eq 0 ] || [ $$status -eq 5 ]

# The second pass: the event store's suites on a Citus cluster (coordinator + 2 workers on
# 127.0.0.1:$(CITUS_PORT)-+2, scripts/citus.sh; tests/citus/plugin.py makes the test database on
# every node). The cluster stays up for reruns: `bash scripts/citus.sh stop` removes it.
CITUS_PORT ?= 9700
CITUS_TESTS ?= tests/platform/lms/tracking tests/platform/lms/progress tests/platform/lms/privacy \
	tests/analytics/test_exports.py tests/analytics/test_rollups.py tests/citus
test-citus: install sandbox ## Run the event store's suites against a local Citus cluster
	CITUS_PORT=$(CITUS_PORT) bash scripts/citus.sh start
	DATABASE_URL=postgres://postgres@127.0.0.1:$(CITUS_PORT)/cairn CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(PY) -m pytest -p no:xdist -p tests.citus.plugin $(CITUS_TESTS) $(PYTEST_ARGS)

# Build docker/'s images and run the compose stack on ports 58000 / 55432 / 56379, tested over
# HTTP (installs and starts Docker when missing; the stack is removed afterwards).
docker-smoke: install ## Build the images and smoke-test the compose stack (scripts/docker-smoke.sh)
	bash scripts/docker-smoke.sh

screenshots: install sandbox ## Retake docs/screenshots/ with the browser test of a learner's journey
	CAIRN_SCREENSHOTS=$(CURDIR)/docs/screenshots DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
		$(PY) -m pytest tests/platform/lms/test_learner_journey_browser.py \
			tests/platform/lms/test_course_flow_browser.py \
			tests/platform/lms/lectures/test_lecture_browser.py \
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
