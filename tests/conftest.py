"""Suite-wide fixtures. The suite runs on the real services (`make test` points
DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis); it stops loudly, never
skips, when one of them is missing."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.axe import axe_watch, no_accessibility_violations  # noqa: F401 - an autouse fixture


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    # Real hashing costs ~0.3 s per password on an idle core; tests need none of it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests that check the next steps shown expect the policy's own order: no exploration
    # (tests/platform/lms/recommendations/test_propensities.py sets it where it is tested).
    settings.RECOMMENDATION_EXPLORATION = 0.0
    # The promotion gate on a budget (fewer resamples, a small simulated cohort): a retrain
    # in a test takes seconds, not minutes (tests/recommender/test_compare.py tests the gate).
    settings.RECOMMENDER_GATE = {"n_boot": 200, "sim_learners": 20, "sim_days": 21, "sim_seeds": [101],
                                 "invariant_learners": 6}  # fmt: skip
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The test suite runs on PostgreSQL: use `make test` (or set DATABASE_URL).", returncode=2)
    if not _reachable(f"//{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}", 5432):
        pytest.exit(
            f"PostgreSQL is not reachable at {db.get('HOST')}:{db.get('PORT')}: start it (see README).", 2
        )
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis://"):
        pytest.exit(
            "Celery tests need Redis: set CELERY_BROKER_URL=redis://... (make test does).", returncode=2
        )
    if not _reachable(broker, 6379):
        pytest.exit(f"Redis is not reachable at {broker}: start it (see README).", returncode=2)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        _isolate_xdist_worker(worker)


# How `make test` (``-n 4 --dist loadfile --no-loadscope-reorder``) shares the tests out: a
# module's tests go to one process, so module fixtures (a trained model, a simulated cohort, a
# database built once in a transaction) are built once; the modules listed here have
# independent tests (one lab each) and are shared out test by test. (Listed, not marked: the
# scheduler runs in the controlling process and sees node ids only. xdist's own
# ``--dist loadgroup`` would read marks, but it groups nothing on pytest 9.2:
# pytest-dev/pytest-xdist#1386.)
SPREAD = ("tests/platform/lms/courses/test_check_content.py",)


def _scope(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return nodeid if module in SPREAD else module


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``, except the SPREAD modules, shared out test by test."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModulesAndSpreadTests(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return ModulesAndSpreadTests(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker, the order in which the scheduler hands the modules out
    (``--no-loadscope-reorder`` keeps it): modules marked ``heavy`` (minutes of training,
    simulation or lab checks) first, then the others by their number of tests (xdist's own
    order), so the run does not end with one long module alone on one process while the
    others wait. A module's tests keep their order (a stable sort). In one process
    (``-p no:xdist`` or ``-n 0``) nothing changes."""
    if not hasattr(config, "workerinput"):
        return
    sizes: dict[str, int] = {}
    for item in items:
        sizes[_scope(item.nodeid)] = sizes.get(_scope(item.nodeid), 0) + 1
    items.sort(key=lambda item: (item.get_closest_marker("heavy") is None, -sizes[_scope(item.nodeid)]))


def _isolate_xdist_worker(worker: str) -> None:
    """Under pytest-xdist (``make test`` runs ``-n 4``) every worker process gets what two
    processes must not share. pytest-django already gives each its own test database
    (test_<name>_gwN); here: the Celery queues and results (a key prefix on the shared Redis
    db, so one worker's ``purge`` or consumer never touches another's tasks) and the data
    folder (model registry, media, exports, queue files). Django's cache is per process
    (locmem) unless CACHE_URL is set; then it gets the same prefix. The live server picks a
    free port and Playwright a fresh profile per process already."""
    from lms.celery import app

    prefix = f"cairn-test-{worker}:"
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "global_keyprefix": prefix}
    app.conf.result_backend_transport_options = {
        **(app.conf.result_backend_transport_options or {}),
        "global_keyprefix": prefix,
    }
    for alias in settings.CACHES.values():
        alias["KEY_PREFIX"] = prefix + alias.get("KEY_PREFIX", "")
    old = Path(settings.DATA_DIR)
    new = old / f"xdist-{worker}"
    new.mkdir(parents=True, exist_ok=True)
    settings.DATA_DIR = new
    for name in ("STATIC_ROOT", "MEDIA_ROOT", "MODEL_REGISTRY_DIR"):
        value = Path(getattr(settings, name))
        if value.is_relative_to(old):  # derived from the data folder, not set on its own
            setattr(settings, name, new / value.relative_to(old))
    os.environ["CAIRN_DATA_DIR"] = str(new)  # subprocesses the tests start (manage.py, gunicorn)
    # Several workers share the cores already: a second torch thread in each only spins
    # against the others (torch is not imported yet; it reads this when it is).
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def caches_forget() -> None:
    """Drop every cache that can outlive a test's (rolled-back) data: Django's cache
    (navigation flags, rate limits, sessions) and the per-process catalog, serving,
    experiment and health-probe caches. A stale slug -> id map or a model cached for 30 s
    made one module's data leak into the next (tests/analytics/test_at_risk.py after the
    recommendations)."""
    from django.core.cache import cache

    from lms.courses.selectors import catalog_graph_forget
    from lms.recommendations.experiments import experiments_forget
    from lms.recommendations.serving import serving_forget
    from lms.site.health import probes_forget
    from lms.tracking.services import catalog_index_forget

    cache.clear()
    catalog_graph_forget()
    catalog_index_forget()
    serving_forget()
    experiments_forget()
    probes_forget()


@pytest.fixture(autouse=True)
def isolated_caches() -> Iterator[None]:
    """Each test starts and ends with empty caches (ending matters too: module-scoped
    fixtures of the next module are set up before this fixture runs again)."""
    caches_forget()
    yield
    caches_forget()


@contextlib.contextmanager
def running_worker(queues: tuple[str, ...] = ("default", "grading")) -> Iterator[object]:
    """A real Celery worker (threads pool) consuming from Redis inside the test process."""
    from celery.contrib.testing.worker import start_worker

    from lms.celery import app

    app.control.purge()
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, queues=list(queues), shutdown_timeout=10
    ) as worker:
        # A real worker runs the sandbox self-test on `worker_ready`; the in-process test
        # worker does not send that signal, so run the same hook here.
        from lms.labs.grading import selftest

        selftest(force=True)
        yield worker


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A live worker for one test; tasks see committed data (hence transactional_db)."""
    with running_worker() as worker:
        yield worker


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def new_context_watching_csp(*args, **kwargs):
            context = new_context(*args, **kwargs)
            context.on("console", _csp_console)
            axe_watch(context)  # accessibility: tests/axe.py
            return context

        browser.new_context = new_context_watching_csp
        yield browser
        browser.close()


CSP_VIOLATIONS: list[str] = []


def _csp_console(message) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.location.get('url', '')}: {message.text}")


@pytest.fixture(autouse=True)
def no_csp_violations():
    """Every page a browser test opens obeys the Content-Security-Policy (Chromium logs
    each refused script, style or frame to the console)."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "Content-Security-Policy violations:\n" + "\n".join(CSP_VIOLATIONS)


@pytest.fixture
def logged_in_page(browser, live_server, client):
    """A browser page whose session belongs to ``page.user`` (set with ``login(user)``)."""
    context = browser.new_context()
    page = context.new_page()

    def login(user):
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        return page

    page.login = login
    yield page
    context.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where browser tests put their screenshots: $CAIRN_SCREENSHOTS when set (`make
    screenshots` points it at docs/screenshots/), else a temporary folder."""
    folder = Path(os.environ.get("CAIRN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
