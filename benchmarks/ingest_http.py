"""End-to-end event ingestion: batches of 100 ``video.paused`` events POSTed to
/api/events by 16 concurrent authenticated learners (wrk on loopback) against gunicorn +
PostgreSQL, beside the raw floor: psycopg COPY with the same de-duplication storing the
same rows from 16 connections. Targets: >= 50 % of the raw rate (issue 19), p50/p99
batch latency reported.

Both designs of progress from events are measured in the same run (issue 19): the fold
by one statement in the request's transaction (``statement``, the default) and the
Celery consumer (``task``: gunicorn stores and acknowledges, a worker process beside it
folds each batch). Events/s counts until the progress of the last batch is written: for
``task``, until the worker has drained its queue. After each design every learner's
progress row is checked against the events it stored. ``BENCH_DESIGNS=statement`` runs
one."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from psycopg.types.json import Jsonb

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.progress.models import ActivityProgress
from lms.tracking import partitions
from lms.tracking.models import Event
from lms.tracking.store import COLUMNS, COPY_TYPES

from .timing import threads_timed

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 16
BATCH = 100
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
CACHE_URL = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/14")
DESIGNS = os.environ.get("BENCH_DESIGNS", "statement,task").split(",")

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


def _env(design: str, cache_url: str = CACHE_URL) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": cache_url,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        # A few benchmark learners send what thousands of real ones would: lift the
        # per-learner event rate limit (lms.core.ratelimit) so it measures capacity.
        "CAIRN_RATE_EVENTS_USER": "100000000/m",
        "CAIRN_PROGRESS_FROM_EVENTS": design,
    }


def _start_worker(design: str) -> subprocess.Popen:
    """The consumer of the ``task`` design: one worker process per core, default queue."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "--queues=default", "--loglevel=WARNING",
         f"--concurrency={os.cpu_count()}", "--without-gossip", "--without-mingle", "--hostname=bench-ingest@%h"],
        cwd=ROOT / "platform", env=_env(design), start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _drained(broker_url: str, ceiling_s: float = 600.0) -> float:
    """Seconds until the worker has taken and acknowledged every queued fold."""
    broker = redis.Redis.from_url(broker_url)
    t0 = time.perf_counter()
    while broker.llen("default") or broker.hlen("unacked"):
        if time.perf_counter() - t0 > ceiling_s:
            raise RuntimeError("the progress worker did not drain its queue")
        time.sleep(0.05)
    return time.perf_counter() - t0


def gunicorn_start(
    port: int,
    *,
    env: dict,
    app: str = "lms.wsgi",
    chdir: Path = ROOT / "platform",
    extra: tuple = (),
    probe: str = "/",
    tries: int = 100,
) -> subprocess.Popen:
    """Gunicorn (``WORKERS`` sync workers) serving ``app`` on 127.0.0.1:``port``, once it
    answers ``probe``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--chdir", str(chdir), "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning", *extra],
        env=env, start_new_session=True,
    )  # fmt: skip
    for _ in range(tries):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _start_gunicorn(port: int, cache_url: str = CACHE_URL, design: str = "statement") -> subprocess.Popen:
    return gunicorn_start(port, env=_env(design, cache_url))


def _wrk(port: int, cookies: list[str]) -> dict[str, float]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies), "batch": BATCH})
    script.close()
    out = subprocess.run(
        # A 30 s timeout: on a loaded machine a batch can take over wrk's default 2 s, and a
        # timed-out request would be left out of the latency percentiles.
        ["wrk", f"-t{CLIENTS}", f"-c{CLIENTS}", f"-d{SECONDS}s", "--timeout", "30s", "--latency",
         "-s", script.name, f"http://127.0.0.1:{port}"],
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

    return per_thread * BATCH * CLIENTS / threads_timed(worker, [()] * CLIENTS)


def _design(design: str, cookies: list[str]) -> dict[str, float]:
    ActivityProgress.objects.filter(learner__username__startswith="bench-learner-").delete()
    broker_url = settings.CELERY_BROKER_URL
    port = _free_port()
    worker = _start_worker(design) if design == "task" else None
    server = _start_gunicorn(port, design=design)
    try:
        before = Event.objects.count()
        t0 = time.perf_counter()
        result = _wrk(port, cookies)
        wrk_s = time.perf_counter() - t0
        drain_s = _drained(broker_url) if worker else 0.0
        elapsed = time.perf_counter() - t0
        stored = Event.objects.count() - before
    finally:
        for proc in (server, worker):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
    # Every learner's row holds what its events played ([0, i] for i up to the batch).
    rows = ActivityProgress.objects.filter(
        learner__username__startswith="bench-learner-", activity__slug="bench-video"
    )
    wrong = [r.learner_id for r in rows if r.segments != [[0, BATCH]]]
    if len(rows) != CLIENTS or wrong:
        raise RuntimeError(f"{design}: progress rows {len(rows)} of {CLIENTS}, wrong for learners {wrong}")
    return {**result, "stored": stored, "elapsed": elapsed, "wrk_s": wrk_s, "drain_s": drain_s}


def _batch() -> list[dict]:
    now = timezone.now().isoformat()
    return [{"id": str(uuid.uuid4()), "time": now, "verb": "video.paused", "session": "bench", "activity": "bench-video",
             "payload": {"position": i, "segments": [[0, i]]}} for i in range(1, BATCH + 1)]  # fmt: skip


STAGES_QUEUE = "bench-ingest-stages"


def _stages(rounds: int = 100) -> dict[str, float]:
    """Milliseconds per batch of the request's work after parsing, in this one process,
    for each design and for the fold of the per-video service that the request ran before
    issue 19; the designs take turns so the machine's load falls on each alike. ``task``
    is split into what the request does (store, then queue at the commit) and what the
    worker does (read the batch's events again, fold them, mark the learner stale)."""
    from django.db import transaction

    from lms.progress.services import progress_from_events, progress_video_played, videos_played
    from lms.progress.tasks import events_fold, events_fold_later
    from lms.tracking.services import events_ingest

    learner = User.objects.get(username="bench-learner-0").pk
    video = Activity.objects.get(slug="bench-video")

    def before(events: list[dict]) -> None:  # what POST /api/events ran until issue 19
        played = videos_played(events)
        for activity in Activity.objects.filter(slug__in=played, kind=Activity.Kind.VIDEO):
            segments, duration = played[activity.slug]
            progress_video_played(learner_id=learner, activity=activity, segments=segments, duration=duration)

    queued: list[tuple] = []
    designs = {
        "store only (no progress)": lambda events: None,
        "per-video service in the request (before)": before,
        "statement": lambda events: progress_from_events(learner_id=learner, events=events, signalled=True),
        "task, request side (store, queue at commit)": lambda events: events_fold_later(
            learner_id=learner, events=events, queue=STAGES_QUEUE),
    }  # fmt: skip
    spent = {name: 0.0 for name in designs} | {"task, worker side (read again, fold, mark stale)": 0.0}
    for _ in range(rounds):
        for name, fold in designs.items():
            events = _batch()
            t0 = time.perf_counter()
            with transaction.atomic():
                result = events_ingest(learner_id=learner, events=events)
                fold(events)
            spent[name] += time.perf_counter() - t0
            if name.startswith("task"):
                queued.append((learner, result.accepted, events[0]["time"], events[-1]["time"]))
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(STAGES_QUEUE)  # nobody consumes these
    for args in queued:
        t0 = time.perf_counter()
        events_fold.run(*args)
        spent["task, worker side (read again, fold, mark stale)"] += time.perf_counter() - t0
    ActivityProgress.objects.filter(learner_id=learner, activity=video).delete()
    return {name: 1000 * total / rounds for name, total in spent.items()}


def run() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("ingest_http needs DATABASE_URL=postgres://... (make bench sets it)")
    cookies = _fixtures()
    partitions.partitions_ensure_ahead()
    results = {design: _design(design, cookies) for design in DESIGNS}
    raw = _raw_copy(max(r["stored"] for r in results.values()))
    print(f"gunicorn sync workers: {WORKERS}; wrk: {CLIENTS} connections x batches of {BATCH}; {SECONDS} s")
    print(
        "| progress design | events stored end to end | batches/s (non-2xx) | p50 / p99 batch | end to end / raw |"
    )
    print("|---|---|---|---|---|")
    for design, r in results.items():
        e2e = r["stored"] / r["elapsed"]
        drained = f", queue drained {r['drain_s']:.1f} s after wrk" if design == "task" else ""
        print(
            f"| {design} | {r['stored']:,} in {r['elapsed']:.1f} s{drained} = {e2e:,.0f} events/s "
            f"| {r['requests_per_s']:,.0f} ({r['non_2xx']}) | {r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms "
            f"| **{e2e / raw:.0%}** |"
        )
    print(
        f"| raw psycopg COPY + ON CONFLICT, same rows, {CLIENTS} connections | {raw:,.0f} events/s | | | 100 % |"
    )
    print(f"| database | {settings.DATABASES['default']['NAME']} | | | |")
    print()
    print("| in one process, per batch of 100 (mean of 100, designs in turn) | ms |")
    print("|---|---|")
    for name, ms in _stages().items():
        print(f"| {name} | {ms:.2f} |")
