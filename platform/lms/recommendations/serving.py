"""Serving the active recommender.

Each worker process loads the active version once and keeps it; it looks up which
version is active at most every ``CHECK_SECONDS`` (one indexed query), so a promotion or
rollback reaches every process within that time. A version that fails to load (missing,
truncated, incompatible) is logged, remembered as broken, and serving falls back to the
rule-based policy: a broken artifact never takes recommendations down.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass

from .models import ModelVersion

log = logging.getLogger(__name__)
CHECK_SECONDS = 30.0


@dataclass
class Loaded:
    version: ModelVersion | None
    recommender: object | None  # recommender.artifact.Recommender
    error: str = ""


_lock = threading.Lock()
_state: dict = {"checked": -CHECK_SECONDS, "number": None, "loaded": Loaded(None, None), "broken": {}}


def active_model() -> Loaded:
    """The active version and its loaded recommender (``recommender`` None: fall back)."""
    now = time.monotonic()
    if now - _state["checked"] < CHECK_SECONDS:
        return _state["loaded"]
    with _lock:
        if now - _state["checked"] < CHECK_SECONDS:
            return _state["loaded"]
        version = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
        number = version.number if version else None
        if number != _state["number"]:
            _state["loaded"] = _load(version)
            _state["number"] = number
        _state["checked"] = now
        return _state["loaded"]


def active_model_age() -> float:
    """Seconds since this process last looked up the active version (at most
    ``CHECK_SECONDS`` while it serves; ``/healthz/ready`` reports it)."""
    return time.monotonic() - _state["checked"]


def _load(version: ModelVersion | None) -> Loaded:
    if version is None:
        return Loaded(None, None)
    if version.number in _state["broken"]:
        return Loaded(version, None, _state["broken"][version.number])
    try:
        from recommender.artifact import ArtifactError, Recommender

        try:
            recommender = Recommender.load(version.path, threads=1)  # one thread: see recommender/README.md
        except ArtifactError as exc:
            raise RuntimeError(str(exc)) from exc
        _freeze_long_lived()
        return Loaded(version, recommender)
    except Exception as exc:  # noqa: BLE001 - any load failure falls back, loudly
        message = f"{version.label} could not be loaded: {exc}"
        log.error(message)
        _state["broken"][version.number] = message
        return Loaded(version, None, message)


def _freeze_long_lived() -> None:
    """Move every object alive now (the framework, torch, the model) out of the cyclic
    garbage collector's reach. Its full collections would otherwise walk them all: about
    one request in 150 paused 100-120 ms for it (docs/benchmarks.md, recommender_serving).
    Garbage is collected first, so nothing unreachable is frozen."""
    gc.collect()
    gc.freeze()


def serving_recheck() -> None:
    """Look the active version up again at this process's next call: it has just changed
    it (the analyst who promotes sees it served at once; other processes within
    ``CHECK_SECONDS``)."""
    _state["checked"] = -CHECK_SECONDS


def serving_forget() -> None:
    """Drop this process's cached model (tests; the next call reloads)."""
    with _lock:
        _state.update(checked=-CHECK_SECONDS, number=None, loaded=Loaded(None, None), broken={})
