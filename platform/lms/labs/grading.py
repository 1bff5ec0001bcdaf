"""The grader inside a Celery worker: the sandbox runner, its isolation self-test, and
turning a labkit GradeResult into what learners see and what the event store keeps."""

from __future__ import annotations

import logging
import math
import socket
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_state: dict[str, Any] = {"runner": None, "ok": None, "detail": ""}


def worker_name() -> str:
    return f"{socket.gethostname()}"


def selftest(*, force: bool = False) -> tuple[bool, str]:
    """Run (once per process, unless forced) the sandbox isolation self-test and record it."""
    from course_content.labkit.sandbox.bubblewrap import BubblewrapRunner, SandboxUnavailable
    from course_content.labkit.sandbox.selftest import isolation_selftest

    from .models import GraderStatus

    if _state["ok"] is None or force:
        try:
            runner = BubblewrapRunner(python=settings.SANDBOX_PYTHON, user=settings.SANDBOX_USER)
            ok, detail = isolation_selftest(runner)
        except (SandboxUnavailable, KeyError) as exc:
            runner, ok, detail = None, False, f"sandbox unavailable: {exc}"
        _state.update(runner=runner if ok else None, ok=ok, detail=detail)
        GraderStatus.objects.update_or_create(worker=worker_name(), defaults={"ok": ok, "detail": detail})
        (log.info if ok else log.error)("grading sandbox self-test: %s", detail)
    return _state["ok"], _state["detail"]


def selftest_on_worker_ready(sender=None, **kwargs) -> None:
    queues = (
        {q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", [])} if sender else set()
    )
    if not queues or "grading" in queues:
        try:
            selftest(force=True)
        except Exception:  # noqa: BLE001 - a broken self-test must not stop the worker starting
            log.exception("grading sandbox self-test crashed")


def sandbox_runner():
    ok, detail = selftest()
    if not ok:
        raise SandboxBroken(detail)
    return _state["runner"]


class SandboxBroken(RuntimeError):
    pass


def feedback(result: dict[str, Any]) -> dict[str, Any]:
    """What the learner sees: the labkit result minus anything internal. Hidden tests
    never carry expected values (labkit never puts them in messages).

    Every text goes through ``clean_text`` again (labkit already did): this dict is stored
    in PostgreSQL and sent on every poll, so a NUL, a lone surrogate or a megabyte message
    must not reach it whatever produced the result. Numbers are finite floats.
    """
    from course_content.labkit.messages import MAX_HINT, MAX_NAME, MAX_TEXT, MAX_TRACEBACK, clean_text

    tests = [
        {
            "name": clean_text(t["name"], MAX_NAME),
            "public": bool(t["public"]),
            "passed": bool(t["passed"]),
            "points": _finite(t["points"]),
            "max_points": _finite(t["max_points"]),
            "kind": clean_text(t["kind"], 40),
            "message": clean_text(t["message"], MAX_TEXT),
            "hint": clean_text(t["hint"], MAX_HINT),
            "traceback": clean_text(t["traceback"], MAX_TRACEBACK),
            "seconds": round(_finite(t["wall_s"]), 3),
        }
        for t in result["tests"]
    ]
    return {
        "gradable": bool(result["gradable"]),
        "reason": clean_text(result["reason"], MAX_TEXT),
        "score": _finite(result["score"]),
        "points": _finite(result["points"]),
        "max_points": _finite(result["max_points"]),
        "notebook_error": clean_text(result["notebook_error"], MAX_TRACEBACK),
        "tests": tests,
    }


def _finite(value: Any) -> float:
    """A number JSON and PostgreSQL accept (NaN, infinities and non-numbers become 0)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0
