"""Redis down (broker and cache), for real: a private redis-server is started, used,
killed and started again. Pages keep serving, a lab submission is recorded and queued
again once Redis is back; /healthz (liveness) stays 200 and /healthz/ready names the
broker and the cache."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.test import Client, override_settings

from lms.core import dispatch
from lms.courses.models import Activity, CourseRole, Enrollment
from lms.labs.models import GraderStatus, Submission
from lms.site import health as health_module
from tests.factories import ActivityFactory, UserFactory

FIXTURES = Path(__file__).parents[1] / "labs" / "fixtures"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def queued(self, queue: str) -> int:
        from lms.celery import app

        # under pytest-xdist each worker's queues carry its key prefix (tests/conftest.py)
        prefix = app.conf.broker_transport_options.get("global_keyprefix", "")
        return redis.Redis(port=self.port, db=1).llen(prefix + queue)


@pytest.fixture
def private_redis(monkeypatch):
    from lms.celery import app

    server = PrivateRedis()
    server.start()
    # Celery reads CELERY_BROKER_URL from the environment first; drop its pooled connections.
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{server.port}/1")
    app._pool, app.amqp._producer_pool = None, None
    cache_settings = {"default": {"BACKEND": "lms.core.cache.DegradingRedisCache",
                                  "LOCATION": f"redis://127.0.0.1:{server.port}/0",
                                  "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}  # fmt: skip
    with override_settings(CACHES=cache_settings):
        yield server
    server.stop()
    monkeypatch.undo()
    app._pool, app.amqp._producer_pool = None, None


@pytest.fixture
def learner_with_lab(settings, client):
    settings.CONTENT_ROOT = FIXTURES
    lab = ActivityFactory(slug="outage-lab", kind=Activity.Kind.LAB, lab_path="matrix-lab")
    user = UserFactory()
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.AUDIT)
    GraderStatus.objects.create(worker="grader-1", ok=True, detail="isolated")
    client.force_login(user)
    return lab


def _pages(client, lab) -> dict[str, int]:
    urls = ["/", f"/courses/{lab.course.slug}/", f"/courses/{lab.course.slug}/{lab.slug}/",
            f"/courses/{lab.course.slug}/progress/", "/accounts/login/"]  # fmt: skip
    return {url: client.get(url).status_code for url in urls}


def _dashboards(client, lab) -> dict[str, int]:
    base = f"/dashboards/{lab.course.slug}/"
    urls = ["/dashboards/", base, f"{base}videos/", f"{base}quizzes/", f"{base}labs/", f"{base}at-risk/",
            f"{base}recommendations/", f"{base}labs/{lab.slug}/"]  # fmt: skip
    return {url: client.get(url).status_code for url in urls}


@pytest.fixture
def instructor(learner_with_lab):
    user = UserFactory()
    CourseRole.objects.create(user=user, course=learner_with_lab.course, role=CourseRole.Role.INSTRUCTOR)
    other = Client()
    other.force_login(user)
    return other


def _submit(client, lab):
    return client.post(f"/api/labs/{lab.slug}/submissions", {"code": "x = 1", "mode": "run"},
                       content_type="application/json")  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_pages_serve_jobs_wait_and_health_names_the_outage(
    client, private_redis, learner_with_lab, instructor, monkeypatch
):
    lab = learner_with_lab
    # Up: pages, the cache and the broker all work.
    assert set(_pages(client, lab).values()) == {200}
    assert set(_dashboards(instructor, lab).values()) == {200}
    cache.set("probe", 1)
    assert cache.get("probe") == 1
    first = _submit(client, lab)
    assert first.status_code == 202
    assert private_redis.queued("grading") == 1
    # One submission per learner and lab is pending at a time: the first is graded meanwhile.
    Submission.objects.filter(pk=first.json()["id"]).update(status=Submission.Status.GRADED)

    private_redis.stop()
    assert set(_pages(client, lab).values()) == {200}  # the session comes from the database
    assert set(_dashboards(instructor, lab).values()) == {200}, _dashboards(instructor, lab)
    assert cache.get("probe") is None  # a miss, not an exception
    started = time.monotonic()
    response = _submit(client, lab)
    assert response.status_code == 202, response.content  # recorded; its message waits
    assert time.monotonic() - started < 10
    waiting = Submission.objects.get(pk=response.json()["id"])
    assert waiting.status == Submission.Status.QUEUED
    started = time.monotonic()
    assert client.get("/healthz").status_code == 200  # alive: the database answers
    assert time.monotonic() - started < 1
    health = client.get("/healthz/ready")
    assert health.status_code == 503
    assert {"broker", "cache"} <= set(health.json()["failing"])
    assert "Error" in health.json()["checks"]["cache"]["detail"]

    private_redis.start()
    from lms.labs.tasks import redispatch_queued

    monkeypatch.setattr(dispatch, "REDISPATCH_AFTER", dispatch.dt.timedelta(0))
    assert redispatch_queued() == 1  # the row still queued is sent again
    assert private_redis.queued("grading") == 1  # the restarted Redis had lost nothing else
    # A web process probes Redis at most every PROBE_EVERY seconds: until then it shows the
    # outage it saw, with its age; the next probe sees Redis back.
    cache_check = client.get("/healthz/ready").json()["checks"]["cache"]
    assert cache_check["ok"] is False and cache_check["age_s"] < health_module.PROBE_EVERY
    health_module.probes_forget()
    after = client.get("/healthz/ready").json()["checks"]
    assert after["cache"]["ok"] is True and after["broker"]["ok"] is True and after["cache"]["age_s"] == 0


def test_every_cache_call_degrades_to_an_empty_cache_when_redis_is_unreachable():
    from lms.core.cache import DegradingRedisCache

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = DegradingRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert down.get("k", "fallback") == "fallback"
    assert down.get_many(["a", "b"]) == {} and down.has_key("k") is False
    assert down.add("k", 1) is False and down.set("k", 1) is None and down.touch("k") is False
    assert down.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert down.delete("k") is False and down.delete_many(["a"]) is None and down.clear() is False
    with pytest.raises(ValueError):
        down.incr("k")
    with pytest.raises(redis.RedisError):
        down.ping()  # the health check's probe still sees the outage
