"""/healthz reports each part and names the failing one; the failures here are real
(a closed port, no worker), not mocks."""

import contextlib

import pytest
from django.db import connection

from lms.labs.models import GraderStatus


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


@contextlib.contextmanager
def broker_on_closed_port(monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    try:
        yield
    finally:
        monkeypatch.undo()


def test_healthy_when_database_broker_and_worker_answer(client, celery_worker):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
    assert body["checks"]["worker"]["ok"] and body["checks"]["worker"]["workers"]
    assert body["checks"]["model"]["ok"]


def test_worker_missing_is_named(client, sandbox_ok):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


@pytest.mark.django_db(transaction=True)
def test_database_down_is_named(client, celery_worker):
    with database_on_closed_port():
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert "OperationalError" in body["checks"]["database"]["detail"]


def test_broker_down_is_named(client, monkeypatch, sandbox_ok):
    with broker_on_closed_port(monkeypatch):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"broker", "worker"}


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_a_grading_worker_whose_sandbox_failed_its_self_test_is_named(client, celery_worker):
    GraderStatus.objects.update_or_create(
        worker="grader-2", defaults={"ok": False, "detail": "host paths visible"}
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["sandbox"]
    assert "grader-2: host paths visible" in response.json()["checks"]["sandbox"]["detail"]
