"""`make run`'s script serves the home page from SQLite with a worker on the filesystem
broker, with no PostgreSQL or Redis settings in its environment."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# Minutes of CPU (the demo seed simulates 300 learners): handed out first by make test, so it
# does not end the run alone (tests/conftest.py).
pytestmark = [pytest.mark.heavy, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_run_script_serves_home_and_health_from_sqlite(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(CAIRN_PORT=str(port), CAIRN_DATA_DIR=str(tmp_path))
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Ready when /healthz/ready says so: the demo seed takes 2 to 4 minutes on a quiet
        # 2-core machine, longer beside the rest of the suite; the ceiling only catches a hang.
        deadline = time.monotonic() + 900
        status, health = 0, {}
        while time.monotonic() < deadline:
            time.sleep(1)
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz/ready")
            except OSError:
                continue
            health = json.loads(body)
            if status == 200 and len(health["checks"]["worker"]["heartbeats"]) == 3:
                break  # ready, and the three workers have beaten
        assert status == 200, health
        assert health["checks"]["database"]["detail"] == "sqlite"
        assert health["checks"]["broker"]["detail"] == "filesystem://"
        # One cache for the web server and the workers: what the worker grades reaches the pages.
        assert health["checks"]["cache"]["detail"] == f"files in {tmp_path / 'cache'}"
        # The workers beat (over SQLite, with the filesystem transport's timer thread).
        beats = health["checks"]["worker"]["heartbeats"]
        names = {w.split("@")[0]: b for w, b in beats.items()}
        assert set(names) == {f"worker-{port}", f"trainer-{port}", f"media-{port}"}, beats
        assert sorted(names[f"media-{port}"]["queues"]) == ["media", "media-bulk"]
        assert all(0 <= b["age_s"] <= 60 for b in beats.values())
        assert (tmp_path / "cairn.sqlite3").exists()

        started = time.monotonic()
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["checks"] == {"database": {"ok": True, "detail": "sqlite"}}
        assert time.monotonic() - started < 1  # liveness asks the database only

        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert b"Cairn" in body
        assert "demo-student / cairn-demo-student" in (tmp_path / "run.log").read_text()
        # Every lecture of the curriculum was queued for the media worker, without waiting.
        assert "lectures: 0 ready, 191 queued or being made, 0 failed" in (tmp_path / "run.log").read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker still finishing a task: the test is over
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
