"""The analysts' Python API: pandas DataFrames from the live database or an export file.

In a notebook (docs/dashboards.md, "The analysts' Python API")::

    import os, sys
    sys.path.insert(0, "/path/to/cairn/platform")
    sys.path.insert(0, "/path/to/cairn")
    os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    import django
    django.setup()

    from analytics import api
    df = api.events(course="neural-networks-deep-learning", since="2026-05-01")
    df.groupby("verb").size()

Learners are pseudonymized by default: ``learner_id`` holds
``analytics.exports.analytics_learner_pseudonym(id)``, the same keyed hash as pseudonymized
exports, so a frame from the database and one from a pseudonymized export file join on
it. ``pseudonymize=False`` gives the numeric ids, for staff work only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from lms.courses.models import Activity, Course
from lms.tracking.interop.export import PARQUET_SCHEMA, events_queryset
from lms.tracking.scrub import payload_scrub, session_scrub

from .exports import analytics_learner_pseudonym
from .models import QuizItem, VideoSummary
from .stats import point_biserial

EVENT_COLUMNS = list(PARQUET_SCHEMA.names)  # the canonical export columns
CHUNK_ROWS = 20_000
_FIELDS = (
    "event_id", "learner_id", "time", "verb", "session_id", "course_id", "activity_id",
    "payload", "source", "received", "learner__username", "learner__external_source",
)  # fmt: skip


def _moment(value: str | dt.date | dt.datetime | None) -> pd.Timestamp | None:
    """A date, datetime or ISO string as a UTC timestamp (a date is midnight UTC)."""
    if value is None:
        return None
    moment = pd.Timestamp(value)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _pseudonymize(frame: pd.DataFrame, column: str = "learner_id") -> pd.DataFrame:
    if column in frame and pd.api.types.is_integer_dtype(frame[column]):
        pseudonyms = {i: analytics_learner_pseudonym(i) for i in frame[column].unique()}
        frame[column] = frame[column].map(pseudonyms).astype(object)
        if "learner_key" in frame:  # an imported learner's id names them too
            frame["learner_key"] = None
    return frame


def _course(course: str) -> Course:
    return Course.objects.get(slug=course)


def events(
    course: str | None = None,
    since: str | dt.date | dt.datetime | None = None,
    until: str | dt.date | dt.datetime | None = None,
    source: str | None = None,
    *,
    path: str | Path | None = None,
    pseudonymize: bool = True,
) -> pd.DataFrame:
    """Events as one row each, with the canonical export columns: ``event_id,
    learner_id, time, verb, session_id, course, activity, payload`` (JSON text),
    ``source, received``; ordered by time. ``since`` is inclusive, ``until`` exclusive
    (dates are midnight UTC); ``source`` is ``client``, ``server`` or ``import``.

    From the database (read in chunks)::

        >>> df = events(course="neural-networks-deep-learning", since="2026-05-04")
        >>> df.verb.value_counts().head()

    From an export file (Parquet or CSV, e.g. a download from /dashboards/exports/),
    with the same filters::

        >>> df = events(path="export-7-parquet.parquet", course="neural-networks-deep-learning")
        >>> df.payload.map(json.loads)  # the payloads as dicts

    ``learner_id`` is a pseudonym unless ``pseudonymize=False`` (numeric ids; staff only;
    a pseudonymized file stays pseudonymized).
    """
    start, end = _moment(since), _moment(until)
    if path is not None:
        frame = _events_file(Path(path))
        if course is not None:
            frame = frame[frame["course"] == course]
        if start is not None:
            frame = frame[frame["time"] >= start]
        if end is not None:
            frame = frame[frame["time"] < end]
        if source is not None:
            frame = frame[frame["source"] == source]
        frame = frame.reset_index(drop=True)
        return _pseudonymize(frame) if pseudonymize else frame
    queryset = events_queryset(
        course_id=_course(course).pk if course else None,
        since=start.to_pydatetime() if start is not None else None,
        until=end.to_pydatetime() if end is not None else None,
    )
    if source is not None:
        queryset = queryset.filter(source=source)
    courses = dict(Course.objects.values_list("pk", "slug"))
    activities = dict(Activity.objects.values_list("pk", "slug"))
    chunks, rows = [], []
    for row in queryset.values_list(*_FIELDS).iterator(chunk_size=CHUNK_ROWS):
        rows.append(row)
        if len(rows) >= CHUNK_ROWS:
            chunks.append(_events_chunk(rows, courses, activities))
            rows = []
    if rows or not chunks:
        chunks.append(_events_chunk(rows, courses, activities))
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    return _pseudonymize(frame) if pseudonymize else frame


def _events_chunk(rows: list[tuple], courses: dict[int, str], activities: dict[int, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(_FIELDS))
    frame["event_id"] = frame["event_id"].astype(str)
    frame["learner_id"] = frame["learner_id"].astype("int64")
    external = frame.pop("learner__external_source").astype(bool)
    frame["learner_key"] = frame.pop("learner__username").where(external, None)
    frame["course"] = frame.pop("course_id").map(courses)
    frame["activity"] = frame.pop("activity_id").map(activities)
    # The exports' scrubber (lms.tracking.scrub): rows stored before a rule leave clean.
    frame["payload"] = [
        json.dumps(payload_scrub(p, verb=v), separators=(",", ":"), ensure_ascii=False)
        for p, v in zip(frame["payload"], frame["verb"], strict=True)
    ]
    frame["session_id"] = frame["session_id"].map(session_scrub)
    for column in ("time", "received"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame[EVENT_COLUMNS]


def _events_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif path.name.endswith((".csv", ".csv.gz")):
        frame = pd.read_csv(path, dtype={"session_id": str, "course": str, "activity": str, "payload": str})
        for column in ("time", "received"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
    else:
        raise ValueError(f"{path}: read Parquet or CSV exports (edX and xAPI files are for other tools)")
    if "learner_key" not in frame:  # an export written before learner_key
        frame["learner_key"] = None
    missing = set(EVENT_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{path} is not an event export: no column {', '.join(sorted(missing))}")
    return frame[EVENT_COLUMNS]


def learner_progress(course: str, *, pseudonymize: bool = True) -> pd.DataFrame:
    """One row per learner and activity they opened in ``course``: ``learner_id, week,
    activity, kind, graded, started, completed, score, passed, coverage`` (video share
    played), from the course site's progress records::

        >>> p = learner_progress("neural-networks-deep-learning")
        >>> p.groupby("week").passed.mean()
    """
    from lms.progress.models import ActivityProgress

    columns = [
        "learner_id",
        "week",
        "activity",
        "kind",
        "graded",
        "started",
        "completed",
        "score",
        "passed",
        "coverage",
    ]
    rows = (
        ActivityProgress.objects.filter(course=_course(course))
        .order_by("learner_id", "activity__week__position", "activity__position")
        .values_list(
            "learner_id",
            "activity__week__slug",
            "activity__slug",
            "activity__kind",
            "activity__graded",
            "started",
            "completed",
            "score",
            "passed",
            "coverage",
        )  # fmt: skip
    )
    frame = pd.DataFrame(list(rows), columns=columns)
    frame["learner_id"] = frame["learner_id"].astype("int64")
    return _pseudonymize(frame) if pseudonymize else frame


def quiz_items(course: str) -> pd.DataFrame:
    """Item analysis of every quiz question in ``course``, from the dashboards' rollups
    (first attempts): ``quiz, question, n, difficulty`` (share right), ``discrimination``
    (point-biserial with the rest score), ``all_attempts, all_correct``::

        >>> items = quiz_items("neural-networks-deep-learning")
        >>> items[items.discrimination < 0.1]  # questions that do not separate learners

    Figures are as of the last rollup run (``manage.py rollups_update``).
    """
    rows = []
    for item in (
        QuizItem.objects.filter(activity__course=_course(course))
        .select_related("activity")
        .order_by("activity__week__position", "activity__position", "question")
    ):
        rows.append(
            {
                "quiz": item.activity.slug,
                "question": item.question,
                "n": item.n,
                "difficulty": item.sum_x / item.n if item.n else None,
                "discrimination": point_biserial(item.n, item.sum_x, item.sum_y, item.sum_yy, item.sum_xy),
                "all_attempts": item.all_n,
                "all_correct": item.all_correct,
            }
        )
    columns = ["quiz", "question", "n", "difficulty", "discrimination", "all_attempts", "all_correct"]
    return pd.DataFrame(rows, columns=columns)


def video_engagement(course: str) -> pd.DataFrame:
    """One row per video of ``course``, from the dashboards' rollups: ``video, title,
    openers, viewers, completions, completion_rate, mean_coverage`` (share of the video a
    viewer played, on average), ``plays, pauses, seeks_back, seeks_forward,
    speed_changers``::

        >>> video_engagement("neural-networks-deep-learning").sort_values("completion_rate")
    """
    rows = []
    for v in (
        VideoSummary.objects.filter(course=_course(course))
        .select_related("activity")
        .order_by("activity__week__position", "activity__position")
    ):
        rows.append(
            {
                "video": v.activity.slug,
                "title": v.activity.title,
                "openers": v.openers,
                "viewers": v.viewers,
                "completions": v.completions,
                "completion_rate": v.completions / v.viewers if v.viewers else None,
                "mean_coverage": v.watched_buckets / (v.viewers * v.buckets)
                if v.viewers and v.buckets
                else None,
                "plays": v.plays,
                "pauses": v.pauses,
                "seeks_back": v.seeks_back,
                "seeks_forward": v.seeks_forward,
                "speed_changers": v.speed_changers,
            }
        )
    columns = [
        "video", "title", "openers", "viewers", "completions", "completion_rate", "mean_coverage",
        "plays", "pauses", "seeks_back", "seeks_forward", "speed_changers",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def model_versions() -> pd.DataFrame:
    """The recommender's versions, newest first: ``number, status, created, finished,
    promoted, events, learners, reason`` and every metric of the evaluation report
    flattened to ``metrics.<path>`` columns::

        >>> mv = model_versions()
        >>> mv.filter(like="metrics.").columns
    """
    from lms.recommendations.models import ModelVersion

    base = ["number", "status", "created", "finished", "promoted", "events", "learners", "reason"]
    versions = list(ModelVersion.objects.order_by("-number").values(*base, "metrics"))
    frame = pd.DataFrame([{k: v[k] for k in base} for v in versions], columns=base)
    metrics = pd.json_normalize([v["metrics"] or {} for v in versions]) if versions else pd.DataFrame()
    metrics.columns = [f"metrics.{c}" for c in metrics.columns]
    return pd.concat([frame, metrics], axis=1)
