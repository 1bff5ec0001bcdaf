"""Health checks behind ``/healthz``: each returns ``(ok, detail)`` and never raises.

Kept cheap: a ``SELECT 1``, a broker connection, a worker ping with a short timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

Check = Callable[[], dict[str, Any]]


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is "down", reported by name
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}".strip()}
    return {"ok": True, "detail": connection.vendor}


def check_broker() -> dict[str, Any]:
    from lms.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
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
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "detail": settings.CACHES["default"]["LOCATION"].split("@")[-1]}


def check_worker() -> dict[str, Any]:
    from lms.celery import app

    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"ok": False, "detail": "no worker answered a ping within 1 s"}
    return {"ok": True, "detail": f"{len(workers)} worker(s)", "workers": workers}


def check_sandbox() -> dict[str, Any]:
    """The grading workers' isolation self-tests (each worker runs one when it starts)."""
    import datetime as dt

    from django.utils import timezone

    from lms.labs.models import GraderStatus

    try:
        recent = list(GraderStatus.objects.filter(checked__gte=timezone.now() - dt.timedelta(days=1)))
    except Exception:  # noqa: BLE001 - the database check names that failure
        return {
            "ok": True,
            "status": "unknown",
            "detail": "cannot read the graders' status without the database",
        }
    if not recent:
        return {"ok": False, "detail": "no grading worker has run its sandbox self-test"}
    broken = [f"{s.worker}: {s.detail}" for s in recent if not s.ok]
    if broken:
        return {"ok": False, "detail": "; ".join(broken)}
    return {"ok": True, "detail": recent[0].detail, "workers": sorted(s.worker for s in recent)}


def check_model() -> dict[str, Any]:
    """The active recommender as this process serves it. An active version that does not
    load fails the check (recommendations have fallen back to the rules); no model at
    all is a working state (a fresh site recommends by rules)."""
    from lms.recommendations.serving import active_model

    try:
        loaded = active_model()
    except Exception:  # noqa: BLE001 - the database check names that failure
        return {
            "ok": True,
            "status": "unknown",
            "detail": "cannot read the active model without the database",
        }
    if loaded.version is None:
        return {"ok": True, "status": "none", "detail": "no active model: rule-based recommendations"}
    if loaded.recommender is None:
        return {"ok": False, "status": "broken", "detail": loaded.error}
    return {"ok": True, "status": "active", "detail": f"{loaded.version.label} serving"}


CHECKS: dict[str, Check] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
    "worker": check_worker,
    "sandbox": check_sandbox,
    "model": check_model,
}


def run_checks() -> dict[str, dict[str, Any]]:
    return {name: check() for name, check in CHECKS.items()}
