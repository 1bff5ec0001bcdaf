"""/healthz (liveness: the database only) and /healthz/ready (every part, from what the
parts record themselves, with ages). The failures here are real (a closed port, a broker
that never answers, no worker, a heartbeat left by a worker that died), not mocks."""

import contextlib
import datetime as dt
import socket
import statistics
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from lms.core.models import WorkerHeartbeat
from lms.labs.models import GraderStatus
from lms.site import heartbeat
from tests.conftest import running_worker


@pytest.fixture
def sandbox_ok(db):
    GraderStatus.objects.create(worker="grader-1", ok=True, detail="isolated")


@contextlib.contextmanager
def database_on_closed_port():
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = 1
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


def assert_database_down_is_named(client, url: str) -> None:
    """With the database unreachable, ``url`` answers 503 naming it alone, with the error."""
    with database_on_closed_port():
        response = client.get(url)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert "OperationalError" in body["checks"]["database"]["detail"]


@contextlib.contextmanager
def broker_at(monkeypatch, url: str):
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    try:
        yield
    finally:
        monkeypatch.undo()


@contextlib.contextmanager
def silent_server():
    """A TCP port that accepts connections and never answers; counts what connected."""
    accepted: list[socket.socket] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()


# --- /healthz: liveness ------------------------------------------------------------------


@pytest.mark.django_db
def test_liveness_asks_the_database_only_and_answers_at_once(client, monkeypatch):
    """No worker, and a broker that would hang anyone who asked it: still 200, in
    milliseconds, and nothing ever connected to the broker."""
    with silent_server() as (port, accepted), broker_at(monkeypatch, f"redis://127.0.0.1:{port}/0"):
        client.get("/healthz")
        timings, statuses = [], set()
        for _ in range(200):
            started = time.perf_counter()
            response = client.get("/healthz")
            timings.append(time.perf_counter() - started)
            statuses.add(response.status_code)
        assert accepted == []
    assert statuses == {200}
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": {"ok": True, "detail": "postgresql"}},
    }
    timings.sort()
    # Typically about 1 ms here (docs/benchmarks.md, health); the bound leaves room for a busy CI machine.
    assert statistics.median(timings) < 0.05 and timings[197] < 0.25, timings[-5:]
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db(transaction=True)
def test_liveness_names_the_database_when_it_is_down(client):
    assert_database_down_is_named(client, "/healthz")


def test_health_views_are_get_only(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/healthz/ready").status_code == 405


# --- /healthz/ready: readiness -----------------------------------------------------------


def test_ready_when_every_part_answers_with_ages(client, celery_worker):
    response = client.get("/healthz/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    checks = body["checks"]
    assert checks["database"] == {"ok": True, "detail": "postgresql"}
    assert checks["broker"]["ok"] and "127.0.0.1:6379" in checks["broker"]["detail"]
    assert checks["cache"]["ok"] and checks["model"]["ok"] and checks["sandbox"]["ok"]
    worker = checks["worker"]
    assert worker["workers"] == [celery_worker.hostname], worker
    beat = worker["heartbeats"][celery_worker.hostname]
    assert beat["queues"] == ["default", "grading"] and beat["stale"] is False
    assert 0 <= beat["age_s"] <= heartbeat.STALE_AFTER and worker["age_s"] == beat["age_s"]
    for name in ("broker", "cache", "worker", "sandbox", "model"):
        assert isinstance(checks[name]["age_s"], float), name

    # The broker and the cache are probed at most every PROBE_EVERY seconds: the next
    # call within that time shows the same probe, older.
    time.sleep(0.3)
    again = client.get("/healthz/ready").json()["checks"]
    assert again["broker"]["age_s"] >= checks["broker"]["age_s"] + 0.3


@pytest.mark.django_db(transaction=True)
def test_heartbeats_are_written_by_the_worker_itself_and_removed_when_it_stops(monkeypatch):
    monkeypatch.setattr(heartbeat, "HEARTBEAT_EVERY", 0.2)
    with running_worker(queues=("default",)) as worker:
        first = WorkerHeartbeat.objects.get(worker=worker.hostname).beat
        deadline = time.monotonic() + 10
        while WorkerHeartbeat.objects.get(worker=worker.hostname).beat == first:
            assert time.monotonic() < deadline, "the worker wrote no second heartbeat in 10 s"
            time.sleep(0.1)
        row = WorkerHeartbeat.objects.get(worker=worker.hostname)
        assert row.queues == ["default"] and row.started <= first < row.beat
    assert not WorkerHeartbeat.objects.filter(worker=worker.hostname).exists()  # a clean stop


def test_no_worker_heartbeat_is_named(client, sandbox_ok):
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"] == "no worker heartbeat: no worker is running"


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_is_named_stale_with_its_age(client, sandbox_ok):
    """What a grading worker killed without a clean stop leaves: its last heartbeat, two
    minutes old. While a live worker serves its queue it is reported, not failing; when
    no live worker consumes the grading queue any more, readiness fails naming both."""
    WorkerHeartbeat.objects.create(
        worker="grader@gone", queues=["grading"], pid=1, started=timezone.now() - dt.timedelta(hours=1),
        beat=timezone.now() - dt.timedelta(seconds=120),
    )  # fmt: skip
    with running_worker(queues=("default", "grading")) as worker:
        response = client.get("/healthz/ready")
        assert response.status_code == 200, response.json()
        check = response.json()["checks"]["worker"]
        assert check["ok"] and check["workers"] == [worker.hostname]
        assert check["detail"].startswith("1 worker(s); stale: grader@gone (12")
        assert check["heartbeats"]["grader@gone"]["stale"] is True
        assert check["heartbeats"]["grader@gone"]["age_s"] >= 120

    with running_worker(queues=("default",)) as worker:
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["detail"].startswith(
        "no live worker for queue(s) grading; stale: grader@gone"
    )


def test_a_stale_heartbeat_alone_is_not_ready(client, sandbox_ok):
    WorkerHeartbeat.objects.create(
        worker="celery@old", queues=["default"], pid=1, started=timezone.now(),
        beat=timezone.now() - dt.timedelta(seconds=heartbeat.STALE_AFTER + 5),
    )  # fmt: skip
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    detail = response.json()["checks"]["worker"]["detail"]
    assert detail.startswith(f"no worker heartbeat in the last {heartbeat.STALE_AFTER:g} s")
    assert "celery@old (65 s ago)" in detail


def test_an_old_sandbox_self_test_is_stale(client, celery_worker):
    GraderStatus.objects.update(checked=timezone.now() - dt.timedelta(days=2))
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["sandbox"]
    assert "in the last 24 h (stale:" in response.json()["checks"]["sandbox"]["detail"]


@pytest.mark.django_db(transaction=True)
def test_database_down_is_named(client, celery_worker):
    assert_database_down_is_named(client, "/healthz/ready")


def test_broker_down_is_named(client, monkeypatch, sandbox_ok):
    with broker_at(monkeypatch, "redis://127.0.0.1:1/0"):
        started = time.monotonic()
        response = client.get("/healthz/ready")
        assert time.monotonic() - started < 1.5  # one try, no retry
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"broker", "worker"}
    assert "Error" in response.json()["checks"]["broker"]["detail"]


def test_a_broker_that_never_answers_costs_one_probe_timeout_per_interval(client, monkeypatch, sandbox_ok):
    from lms.site.health import PROBE_TIMEOUT

    with silent_server() as (port, accepted), broker_at(monkeypatch, f"redis://127.0.0.1:{port}/0"):
        started = time.monotonic()
        first = client.get("/healthz/ready")
        took = time.monotonic() - started
        started = time.monotonic()
        second = client.get("/healthz/ready")
        again = time.monotonic() - started
    assert accepted  # the probe did reach the broker
    assert PROBE_TIMEOUT <= took < PROBE_TIMEOUT + 2
    assert again < 0.5  # the remembered answer, not another wait
    assert first.status_code == second.status_code == 503
    broker = second.json()["checks"]["broker"]
    assert broker["ok"] is False and "Timeout" in broker["detail"] and broker["age_s"] >= 0


def test_a_grading_worker_whose_sandbox_failed_its_self_test_is_named(client, celery_worker):
    GraderStatus.objects.update_or_create(
        worker="grader-2", defaults={"ok": False, "detail": "host paths visible"}
    )
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["sandbox"]
    assert "grader-2: host paths visible" in response.json()["checks"]["sandbox"]["detail"]
