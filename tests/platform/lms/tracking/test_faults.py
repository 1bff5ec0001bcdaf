"""Under load, restarting a web worker and stopping PostgreSQL for a few seconds loses
no acknowledged event and stores no duplicate. Real gunicorn, real PostgreSQL stop."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

# serial: it stops the shared PostgreSQL, so `make test` runs it alone after the parallel pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]
ROOT = Path(__file__).resolve().parents[4]
PG_VERSION = sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else "15"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", action, *(
        ["-m", "fast"] if action == "stop" else [])], check=True)  # fmt: skip


def _wait_for_postgres() -> None:
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not come back")


class Learner(threading.Thread):
    """Sends batches like the tracker: a batch is re-sent until it is acknowledged."""

    def __init__(self, url: str, cookie: str, activity: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.cookie, self.activity, self.stop = url, cookie, activity, stop
        self.acknowledged: set[str] = set()
        self.retries = 0
        self.statuses: dict[int, int] = {}

    def post(self, batch: list[dict]) -> dict | None:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"events": batch}).encode(),
            headers={"Content-Type": "application/json", "Cookie": f"sessionid={self.cookie}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            self.statuses[error.code] = self.statuses.get(error.code, 0) + 1
        except OSError:
            self.statuses[0] = self.statuses.get(0, 0) + 1
        return None

    def run(self) -> None:
        while not self.stop.is_set():
            batch = [
                {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.played",
                 "activity": self.activity, "payload": {"position": i}}
                for i in range(20)
            ]  # fmt: skip
            while True:
                body = self.post(batch)
                if body is not None:
                    assert body["errors"] == []
                    self.acknowledged |= set(body["accepted"]) | set(body["duplicates"])
                    break
                self.retries += 1
                time.sleep(0.2)


def test_worker_restart_and_database_outage_lose_no_acknowledged_event():
    user = UserFactory(username="steady")
    video = ActivityFactory(slug="fault-video")
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lms.wsgi", "--chdir", str(ROOT / "platform"), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "20"],
        env=env, start_new_session=True,
    )  # fmt: skip
    stop = threading.Event()
    learners = [Learner(f"http://127.0.0.1:{port}/api/events", cookie, video.slug, stop) for _ in range(4)]
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for learner in learners:
            learner.start()
        time.sleep(2)

        # 1. Kill one web worker mid-load; the master starts another.
        workers = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        os.kill(int(workers[0]), signal.SIGKILL)
        time.sleep(2)

        # 2. Stop PostgreSQL for a few seconds.
        connection.close()
        _postgres("stop")
        time.sleep(3)
        _postgres("start")
        _wait_for_postgres()
        time.sleep(3)
    finally:
        stop.set()
        for learner in learners:
            learner.join(timeout=60)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode != 0:
            _postgres("start")
            _wait_for_postgres()
        connection.close()

    acknowledged = set().union(*(learner.acknowledged for learner in learners))
    stored = [str(i) for i in Event.objects.filter(learner=user).values_list("event_id", flat=True)]
    assert sum(learner.retries for learner in learners) > 0, "the faults should have caused retries"
    assert len(acknowledged) > 200
    assert len(stored) == len(set(stored)), "no event may be stored twice"
    assert set(stored) == acknowledged, "every acknowledged event is stored, and only those"
    statuses = {}
    for learner in learners:
        for status, count in learner.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    assert 500 not in statuses, statuses
