"""Suite-wide fixtures. The suite runs on the real services (`make test` points
DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis); it stops loudly, never
skips, when one of them is missing."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings


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
        yield browser
        browser.close()


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
