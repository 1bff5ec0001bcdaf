"""Off-policy estimates on the registry page: for a model version, the follow rate and
the 7-day progress its policy would have had on the showings the platform logged, next
to the logging policies' own and syllabus order (``recommender.ope``; docs/recommender.md).

Computed by a task on the ``training`` queue on a bounded sample (the learners of the
latest ``SHOWINGS`` showings old enough for their 7 days to be over, at most
``DECISIONS`` showings), stored beside the version's artifact as ``ope.json``; the page
only reads that file, so it stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from lms.core.dispatch import task_send_on_commit

from .models import ModelVersion

log = logging.getLogger(__name__)

SHOWINGS = 1000  # the latest showings whose learners make the sample
DECISIONS = 3000  # at most this many showings estimated (a model policy predicts at each)
RESULT_FILE = "ope.json"
BOOTSTRAP = 500
STALE = dt.timedelta(minutes=40)  # a "running" estimate older than this (the task's limit is 30 min) is dead


class OPERefused(Exception):
    pass


def ope_result_path(version: ModelVersion) -> Path | None:
    return Path(version.path).parent / RESULT_FILE if version.path else None


def ope_result(*, version: ModelVersion) -> dict | None:
    """The stored estimate of ``version`` (None: never asked)."""
    path = ope_result_path(version)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("status") == "running":  # a task that never ran or died stops blocking a new one
        requested = dt.datetime.fromisoformat(data.get("requested") or "1970-01-01T00:00:00+00:00")
        if timezone.now() - requested > STALE:
            return {
                "status": "failed",
                "error": "the estimate did not finish (is the training worker running?)",
            }
    return data


def _write(version: ModelVersion, data: dict) -> None:
    path = ope_result_path(version)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


def ope_request(*, version: ModelVersion) -> None:
    """Queue the estimate of ``version`` (its artifact must be there)."""
    from .tasks import ope_estimate

    if not version.path or not Path(version.path).is_dir():
        raise OPERefused(f"{version} has no artifact to estimate")
    current = ope_result(version=version) or {}
    if current.get("status") == "running":
        raise OPERefused(f"an estimate of {version} is already running")
    _write(version, {"status": "running", "requested": timezone.now().isoformat()})
    task_send_on_commit(ope_estimate, version.pk)


def ope_events_frame(*, showings: int = SHOWINGS, horizon_days: float = 7.0):
    """The sample, in the canonical export schema: every event of the learners behind the
    latest ``showings`` showings with propensities whose ``horizon_days`` are over."""
    import pandas as pd

    from lms.tracking.models import Event

    cutoff = timezone.now() - dt.timedelta(days=horizon_days)
    latest = (
        Event.objects.filter(verb="recommendation.shown", payload__has_key="propensities", time__lte=cutoff)
        .order_by("-time")
        .values_list("learner_id", flat=True)[:showings]
    )
    learners = set(latest)
    rows = Event.objects.filter(learner_id__in=learners).values_list(
        "event_id", "learner_id", "time", "verb", "session_id", "course__slug", "activity__slug", "payload"
    )
    frame = pd.DataFrame(
        list(rows),
        columns=["event_id", "learner_id", "time", "verb", "session_id", "course", "activity", "payload"],
    )
    frame["event_id"] = frame["event_id"].astype(str)
    return frame


def ope_compute(*, version_id: int) -> dict | None:
    """The task's body: estimate the version's policy, syllabus order and the logging
    policies on the sample; the result (or the reason there is none) goes to the file."""
    from recommender import ope
    from recommender.simulate import Curriculum

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or not version.path:
        return None
    began = timezone.now()
    try:
        frame = ope_events_frame()
        if frame.empty:
            raise ope.OPEError("no showing with propensities is old enough yet (7 days)")
        curriculum = Curriculum.load(Path(settings.CONTENT_ROOT))
        logged = ope.logged_decisions(frame, passing_grade=curriculum.passing_grade)
        label = f"v{version.number}"
        results = ope.evaluate_candidates(logged, ["logging", "syllabus", f"model:{version.path}"], curriculum,
                                          limit=DECISIONS, bootstrap=BOOTSTRAP)  # fmt: skip
        results[-1].policy = label
        decisions = logged.decisions.iloc[:DECISIONS]
        data = {
            "status": "done",
            "computed": timezone.now().isoformat(),
            "seconds": round((timezone.now() - began).total_seconds(), 1),
            "showings": len(decisions),
            "learners": int(decisions["learner_id"].nunique()),
            "logging": sorted(set(decisions["model"])),
            "period": [decisions["time"].min().isoformat(), decisions["time"].max().isoformat()],
            "results": [r.as_dict() for r in results],
        }
    except (ope.OPEError, ValueError, FileNotFoundError) as exc:
        data = {"status": "failed", "computed": timezone.now().isoformat(), "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - the page must say it failed, not spin forever
        log.exception("off-policy estimate of v%s failed", version.number)
        data = {
            "status": "failed",
            "computed": timezone.now().isoformat(),
            "error": f"{type(exc).__name__}: {exc}",
        }
    _write(version, data)
    return data


def ope_rows(data: dict | None) -> list[dict]:
    """The page's rows: per candidate, the doubly robust estimates with intervals."""
    out = []
    for r in (data or {}).get("results", []):
        dr = {k: r["estimates"][k]["dr"] for k in ("followed", "progress")}
        snips = {k: r["estimates"][k]["snips"] for k in ("followed", "progress")}
        out.append({"policy": r["policy"], "support": r["support"], "showings": r["decisions"], "dr": dr,
                    "snips": snips})  # fmt: skip
    return out
