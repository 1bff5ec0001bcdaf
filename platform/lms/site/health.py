"""Health checks behind ``/healthz`` (liveness) and ``/healthz/ready`` (readiness). Each
check returns a dict with ``ok`` and ``detail`` and never raises.

Both views answer in milliseconds, because nothing slow runs on the request path:

- ``/healthz`` runs :func:`check_database` only (``SELECT 1``): the process answers and
  its database does. It never touches the broker, the cache or a worker.
- ``/healthz/ready`` (:func:`run_checks`) reports every part. The database is asked
  live; the broker and the cache are probed at most every :data:`PROBE_EVERY` seconds
  per process (the result is kept with its time); the workers, their sandbox self-tests
  and the model are read from what they record themselves (``WorkerHeartbeat`` rows,
  ``GraderStatus`` rows, the serving cache). Each remembered result carries ``age_s``;
  one older than its bound is stale, and stale is not ok.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .heartbeat import FORGET_AFTER, STALE_AFTER

Check = Callable[[], dict[str, Any]]

PROBE_EVERY = 10.0  # broker and cache: probed at most this often by each web process
PROBE_TIMEOUT = 1.0  # seconds a probe may wait to connect (a host that drops packets)
SANDBOX_STALE_AFTER = 24 * 3600.0  # a self-test older than this says nothing (workers redo it every 6 h)

_probed: dict[str, tuple[float, dict[str, Any]]] = {}  # name -> (time.monotonic(), result)
_probe_locks = {"broker": threading.Lock(), "cache": threading.Lock()}


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported by name
        return {"ok": False, "detail": _failure(exc)}
    return {"ok": True, "detail": connection.vendor}


def check_broker() -> dict[str, Any]:
    """Connect to the broker once, no retry (kombu's default retry sleeps 2 s first)."""
    from lms.celery import app

    try:
        # A broker that accepts the connection and never answers must not hold the view
        # either: redis-py's reads wait forever unless given a socket timeout.
        options = {"socket_timeout": PROBE_TIMEOUT, "socket_connect_timeout": PROBE_TIMEOUT}
        with app.connection_for_write(connect_timeout=PROBE_TIMEOUT, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=PROBE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": _failure(exc)}
    return {"ok": True, "detail": settings.CELERY_BROKER_URL.split("@")[-1]}


def check_cache() -> dict[str, Any]:
    """The shared cache (Redis in production). The site keeps serving without it (see
    lms.core.cache), but sessions then load from the database and rate limits are off."""
    from django.core.cache import cache

    if not hasattr(cache, "ping"):
        config = settings.CACHES["default"]
        if config["BACKEND"].endswith("FileBasedCache"):  # make run: shared by its processes
            return {"ok": True, "detail": f"files in {config['LOCATION']}"}
        return {"ok": True, "detail": f"{config['BACKEND'].rsplit('.', 1)[-1]} (per process)"}
    try:
        cache.ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": _failure(exc)}
    return {"ok": True, "detail": settings.CACHES["default"]["LOCATION"].split("@")[-1]}


def probed(name: str, check: Check, every: float = PROBE_EVERY) -> dict[str, Any]:
    """``check()``'s result, run at most every ``every`` seconds in this process, with
    ``age_s``. While one request probes, the others answer the previous result at once."""
    held = _probed.get(name)
    if held is None or time.monotonic() - held[0] >= every:
        lock = _probe_locks[name]
        if lock.acquire(blocking=held is None):  # nothing to show yet: wait for the probe
            try:
                held = _probed.get(name)
                if held is None or time.monotonic() - held[0] >= every:
                    result = check()
                    held = _probed[name] = (time.monotonic(), result)
            finally:
                lock.release()
        else:
            held = _probed.get(name) or held
    at, result = held
    age = time.monotonic() - at
    if age > 3 * every:  # the probe under way has hung: what is held says nothing now
        return {
            "ok": False,
            "status": "stale",
            "detail": f"no probe answer for {age:.0f} s",
            "age_s": round(age, 1),
        }
    return {**result, "age_s": round(age, 1)}


def probes_forget() -> None:
    """Drop the remembered probes (tests; the next readiness call probes again)."""
    _probed.clear()


def check_worker() -> dict[str, Any]:
    """From the workers' own heartbeats (lms.site.heartbeat). Ok while at least one worker
    beat in the last ``STALE_AFTER`` seconds and every queue a recent worker consumed still
    has a live one; a worker that died without a clean stop is named stale, with its age,
    until it is forgotten a day later."""
    from lms.core.models import WorkerHeartbeat

    now = timezone.now()
    try:
        beats = list(WorkerHeartbeat.objects.filter(beat__gte=now - dt.timedelta(seconds=FORGET_AFTER)))
    except Exception:  # noqa: BLE001 - the database check names that failure
        return {
            "ok": True,
            "status": "unknown",
            "detail": "cannot read worker heartbeats without the database",
        }
    if not beats:
        return {
            "ok": False,
            "detail": "no worker heartbeat: no worker is running",
            "workers": [],
            "heartbeats": {},
        }
    ages = {b.worker: max((now - b.beat).total_seconds(), 0.0) for b in beats}
    fresh = sorted(b.worker for b in beats if ages[b.worker] <= STALE_AFTER)
    stale = sorted((b for b in beats if ages[b.worker] > STALE_AFTER), key=lambda b: ages[b.worker])
    served = {q for b in beats if b.worker in fresh for q in b.queues}
    orphaned = sorted({q for b in stale for q in b.queues} - served)
    problems = []
    if not fresh:
        problems.append(f"no worker heartbeat in the last {STALE_AFTER:g} s")
    if orphaned:
        problems.append(f"no live worker for queue(s) {', '.join(orphaned)}")
    parts = problems or [f"{len(fresh)} worker(s)"]
    if stale:
        parts.append("stale: " + ", ".join(f"{b.worker} ({ages[b.worker]:.0f} s ago)" for b in stale))
    return {
        "ok": not problems,
        "detail": "; ".join(parts),
        "age_s": round(min(ages.values()), 1),
        "workers": fresh,
        "heartbeats": {
            b.worker: {"age_s": round(ages[b.worker], 1), "queues": b.queues, "stale": b.worker not in fresh}
            for b in beats
        },
    }


def check_sandbox() -> dict[str, Any]:
    """The grading workers' isolation self-tests (each worker runs one when it starts and
    every six hours after); one older than ``SANDBOX_STALE_AFTER`` no longer counts."""
    from lms.labs.models import GraderStatus

    now = timezone.now()
    try:
        statuses = list(GraderStatus.objects.order_by("-checked"))
    except Exception:  # noqa: BLE001 - the database check names that failure
        return {
            "ok": True,
            "status": "unknown",
            "detail": "cannot read the graders' status without the database",
        }
    ages = {s.worker: max((now - s.checked).total_seconds(), 0.0) for s in statuses}
    recent = [s for s in statuses if ages[s.worker] <= SANDBOX_STALE_AFTER]
    if not recent:
        detail = "no grading worker has run its sandbox self-test"
        if statuses:
            detail += f" in the last {SANDBOX_STALE_AFTER / 3600:g} h (stale: {statuses[0].worker}, "
            detail += f"{ages[statuses[0].worker] / 3600:.1f} h ago)"
        return {"ok": False, "detail": detail}
    checked = {s.worker: {"age_s": round(ages[s.worker], 1), "ok": s.ok} for s in recent}
    age_s = round(ages[recent[0].worker], 1)
    broken = [f"{s.worker}: {s.detail}" for s in recent if not s.ok]
    if broken:
        return {"ok": False, "detail": "; ".join(broken), "age_s": age_s, "checked": checked}
    return {
        "ok": True,
        "detail": recent[0].detail,
        "age_s": age_s,
        "workers": sorted(s.worker for s in recent),
        "checked": checked,
    }


def check_model() -> dict[str, Any]:
    """The active recommender as this process serves it (looked up at most every 30 s by
    the serving cache itself). An active version that does not load fails the check
    (recommendations have fallen back to the rules); no model at all is a working state
    (a fresh site recommends by rules)."""
    from lms.recommendations.serving import CHECK_SECONDS, active_model, active_model_age

    try:
        loaded = active_model()
    except Exception:  # noqa: BLE001 - the database check names that failure
        return {
            "ok": True,
            "status": "unknown",
            "detail": "cannot read the active model without the database",
        }
    age = {"age_s": round(active_model_age(), 1)}
    if age["age_s"] > 2 * CHECK_SECONDS:  # cannot happen unless the serving cache is broken
        return {
            "ok": False,
            "status": "stale",
            "detail": f"active version last looked up {age['age_s']} s ago",
            **age,
        }
    if loaded.version is None:
        return {"ok": True, "status": "none", "detail": "no active model: rule-based recommendations", **age}
    if loaded.recommender is None:
        return {"ok": False, "status": "broken", "detail": loaded.error, **age}
    return {"ok": True, "status": "active", "detail": f"{loaded.version.label} serving", **age}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "broker": lambda: probed("broker", check_broker),
    "cache": lambda: probed("cache", check_cache),
    "worker": check_worker,
    "sandbox": check_sandbox,
    "model": check_model,
}


def run_checks() -> dict[str, dict[str, Any]]:
    """Every part, for ``/healthz/ready``."""
    return {name: check() for name, check in CHECKS.items()}
