"""End-to-end event ingestion: batches of 100 events POSTed to /api/events by 16
concurrent authenticated learners (wrk on loopback) against gunicorn + PostgreSQL,
beside the raw floor: psycopg COPY with the same de-duplication storing the same rows
from 16 connections. Targets (issue 4): >= 30,000 events/s end to end, >= 40 % of the
raw rate, p99 batch latency <= 50 ms."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from psycopg.types.json import Jsonb

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.tracking import partitions
from lms.tracking.models import Event
from lms.tracking.store import COLUMNS, COPY_TYPES

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 16
BATCH = 100
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
CACHE_URL = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/14")

LUA = r"""
local cookies = {%(cookies)s}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("cookie", cookies[n])
  thread:set("seed", n)
end
function init(args)
  math.randomseed(os.time() * 100 + seed)
end
local hex = "0123456789abcdef"
local function uuid4()
  local t = {}
  for i = 1, 32 do
    local r = math.random(1, 16)
    if i == 13 then r = 5 elseif i == 17 then r = 9 + (r %% 4) end
    t[#t + 1] = hex:sub(r, r)
    if i == 8 or i == 12 or i == 16 or i == 20 then t[#t + 1] = "-" end
  end
  return table.concat(t)
end
function request()
  local now = os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ")
  local parts = {}
  for i = 1, %(batch)d do
    parts[i] = '{"id":"' .. uuid4() .. '","time":"' .. now .. '","verb":"video.paused",' ..
      '"session":"bench","activity":"bench-video","payload":{"position":' .. i ..
      ',"segments":[[0,' .. i .. ']]}}'
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/events",
    {["Content-Type"] = "application/json", ["Cookie"] = "sessionid=" .. cookie}, body)
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fixtures() -> list[str]:
    course, _ = Course.objects.get_or_create(slug="bench-course", defaults={"title": "Bench"})
    week, _ = Week.objects.get_or_create(
        slug="bench-w1", defaults={"course": course, "position": 1, "title": "W"}
    )
    Activity.objects.get_or_create(
        slug="bench-video",
        defaults={"course": course, "week": week, "position": 1, "kind": "video", "title": "V", "minutes": 1},
    )
    cookies = []
    for i in range(CLIENTS):
        user, _ = User.objects.get_or_create(username=f"bench-learner-{i}")
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def _start_gunicorn(port: int, cache_url: str = CACHE_URL) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": cache_url,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        # A few benchmark learners send what thousands of real ones would: lift the
        # per-learner event rate limit (lms.core.ratelimit) so it measures capacity.
        "CAIRN_RATE_EVENTS_USER": "100000000/m",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "lms.wsgi", "--chdir", str(ROOT / "platform"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"],
        env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _wrk(port: int, cookies: list[str]) -> dict[str, float]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies), "batch": BATCH})
    script.close()
    out = subprocess.run(
        ["wrk", f"-t{CLIENTS}", f"-c{CLIENTS}", f"-d{SECONDS}s", "--latency", "-s", script.name,
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50%"),
        "p99_ms": ms("99%"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def _raw_copy(rows_total: int) -> float:
    """16 connections, each storing batches of 100 rows exactly as the store does (binary
    COPY into the staging table, INSERT ... ON CONFLICT DO NOTHING RETURNING, TRUNCATE),
    with no HTTP, no Django and no validation."""
    dsn = connection.get_connection_params()
    learner = User.objects.get(username="bench-learner-0").pk
    activity = Activity.objects.get(slug="bench-video")
    per_thread = rows_total // CLIENTS // BATCH
    columns = ", ".join(COLUMNS)

    def worker() -> None:
        with psycopg.connect(**{k: v for k, v in dsn.items() if k != "cursor_factory"}) as conn:
            for _ in range(per_thread):
                now = timezone.now()
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(
                        f"CREATE TEMP TABLE IF NOT EXISTS event_staging (LIKE {partitions.TABLE}) "
                        "ON COMMIT DELETE ROWS"
                    )
                    with cur.copy(f"COPY event_staging ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                        copy.set_types(COPY_TYPES)
                        for i in range(BATCH):
                            copy.write_row((learner, now, uuid.uuid4(), now, "bench", activity.course_id,
                                            activity.pk, "video.paused",
                                            Jsonb({"position": i, "segments": [[0, i]]}), "client"))  # fmt: skip
                    cur.execute(
                        f"INSERT INTO {partitions.TABLE} ({columns}) SELECT {columns} FROM event_staging "
                        "ON CONFLICT DO NOTHING RETURNING learner_id, event_id"
                    )
                    cur.fetchall()
                    cur.execute("TRUNCATE event_staging")

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per_thread * BATCH * CLIENTS / (time.perf_counter() - t0)


def run() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("ingest_http needs DATABASE_URL=postgres://... (make bench sets it)")
    cookies = _fixtures()
    partitions.partitions_ensure_ahead()
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        before = Event.objects.count()
        t0 = time.perf_counter()
        result = _wrk(port, cookies)
        elapsed = time.perf_counter() - t0
        stored = Event.objects.count() - before
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    e2e = stored / elapsed
    raw = _raw_copy(stored)
    print(f"gunicorn sync workers: {WORKERS}; wrk: {CLIENTS} connections x batches of {BATCH}; {SECONDS} s")
    print("| measure | value |")
    print("|---|---|")
    print(f"| events stored end to end | {stored} in {elapsed:.1f} s = {e2e:,.0f} events/s |")
    print(f"| batches/s (wrk) | {result['requests_per_s']:,.0f} (non-2xx: {result['non_2xx']}) |")
    print(f"| batch latency p50 / p99 | {result['p50_ms']:.1f} ms / {result['p99_ms']:.1f} ms |")
    print(f"| raw psycopg COPY + ON CONFLICT, same rows, {CLIENTS} connections | {raw:,.0f} events/s |")
    print(f"| end to end / raw | {e2e / raw:.0%} |")
    print(f"| database | {settings.DATABASES['default']['NAME']} |")
