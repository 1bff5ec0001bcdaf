"""Export of stored events: edX tracking-log lines, xAPI statements, or Parquet.

Every export streams: the events are read ordered by time with
``.iterator(chunk_size=...)`` and written as they come, so memory holds one chunk (plus
the catalog's slug maps). Filters: a course, ``since`` (inclusive), ``until`` (exclusive),
a learner (``learner_id``: their data download, ``lms.privacy``).

* ``edx``: one JSON line per event (gzipped when the path ends in ``.gz``), see
  ``edx.event_to_edx``; reading the file back with our importer gives the same events.
* ``xapi``: a JSON array of statements, or JSON lines when the path ends in ``.jsonl``
  or ``.ndjson`` (``.gz`` allowed), see ``xapi.event_to_statement``.
* ``parquet``: one row per event: ``event_id, learner_id, learner_key, time, verb,
  session_id, course, activity, payload`` (JSON text), ``source, received``; written in
  row groups. ``learner_key`` is the learner's id in the data an import read them from
  (the username of a learner created by an import), null for the site's own learners:
  their usernames are personal data and stay out of exports.

Every format writes each event's payload and session through ``lms.tracking.scrub`` (the
scrubber ingestion runs), so a row stored before a scrubbing rule existed leaves without
the personal data the rule removes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db.models import FloatField, Max
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import translation

from lms.courses.models import Activity, Course
from lms.tracking.models import Event
from lms.tracking.scrub import payload_scrub, session_scrub

from .edx import event_to_edx
from .naming import site_url, xapi_learner_pseudonym
from .xapi_statements import event_to_statement

FORMATS = ("edx", "xapi", "parquet")
CHUNK_ROWS = 5000
ROW_GROUP_ROWS = 100_000
PARQUET_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("learner_id", pa.int64()),
        ("learner_key", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("verb", pa.string()),
        ("session_id", pa.string()),
        ("course", pa.string()),
        ("activity", pa.string()),
        ("payload", pa.string()),
        ("source", pa.string()),
        ("received", pa.timestamp("us", tz="UTC")),
    ]
)
_FIELDS = (
    "event_id", "learner_id", "learner__username", "time", "verb", "session_id",
    "course_id", "activity_id", "payload", "source", "received", "learner__external_source",
)  # fmt: skip


@dataclass
class ExportReport:
    format: str
    path: str
    written: int = 0
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> list[str]:
        lines = [f"{self.format} export to {self.path}: {self.written} events written"]
        lines += [f"  skipped {n}: {why}" for why, n in self.skipped.most_common()]
        return lines


def events_queryset(
    *,
    course_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    learner_id: int | None = None,
):
    events = Event.objects.all()
    if learner_id is not None:  # one learner's events (their data download)
        events = events.filter(learner_id=learner_id)
    if course_id is not None:
        events = events.filter(course_id=course_id)
    if since is not None:
        events = events.filter(time__gte=since)
    if until is not None:
        events = events.filter(time__lt=until)
    return events.order_by("time", "learner_id", "event_id")


@contextmanager
def _text_out(path: Path) -> Iterator[IO[str]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
            yield out
    else:
        with open(path, "w", encoding="utf-8") as out:
            yield out


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def events_export(
    *,
    format: str,
    out: Path,
    course: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    learner_id: int | None = None,
    site: str | None = None,
    chunk_size: int = CHUNK_ROWS,
    row_group_rows: int = ROW_GROUP_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Write the events matching the filters to ``out``; raise ``Course.DoesNotExist``
    for an unknown course slug and ``ValueError`` for an unknown format."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
    course_id = Course.objects.get(slug=course).pk if course else None
    site = (site or site_url()).rstrip("/")
    courses = {pk: (slug, title) for pk, slug, title in Course.objects.values_list("pk", "slug", "title")}
    activities = {
        pk: (slug, kind, title)
        for pk, slug, kind, title in Activity.objects.values_list("pk", "slug", "kind", "title")
    }
    rows = (
        events_queryset(course_id=course_id, since=since, until=until, learner_id=learner_id)
        .values_list(*_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    report = ExportReport(format, str(out))
    if format == "parquet":
        _write_parquet(rows, out, courses, activities, report, row_group_rows, progress)
        return report
    pseudonyms: dict[int, str] = {}
    lengths = video_lengths(course_id) if format == "xapi" else {}
    language = translation.to_locale(settings.LANGUAGE_CODE).replace("_", "-")
    with _text_out(out) as stream:
        as_array = format == "xapi" and not out.name.removesuffix(".gz").endswith((".jsonl", ".ndjson"))
        if as_array:
            stream.write("[")
        for n, (
            event_id,
            learner_id,
            username,
            time,
            verb,
            session,
            cid,
            aid,
            payload,
            _src,
            _rec,
            _external,
        ) in enumerate(rows, 1):
            payload, session = payload_scrub(payload, verb=verb), session_scrub(session)
            course_slug, course_title = courses.get(cid, (None, None))
            activity_slug, kind, title = activities.get(aid, (None, None, None))
            if format == "edx":
                record = event_to_edx(
                    event_id=str(event_id), username=username, time=time, verb=verb, session=session,
                    course=course_slug, activity=activity_slug, activity_kind=kind,
                    activity_title=title, payload=payload, site=site,
                )  # fmt: skip
                stream.write(_dumps(record))
                stream.write("\n")
            else:
                if learner_id not in pseudonyms:
                    pseudonyms[learner_id] = xapi_learner_pseudonym(learner_id)
                statement = event_to_statement(
                    event_id=str(event_id), pseudonym=pseudonyms[learner_id], time=time, verb=verb,
                    session=session, course=course_slug, course_title=course_title,
                    activity=activity_slug, activity_kind=kind, activity_title=title,
                    payload=payload, site=site, video_length=lengths.get(aid), language=language,
                )  # fmt: skip
                if as_array:
                    stream.write(",\n" if report.written else "\n")
                    stream.write(_dumps(statement))
                else:
                    stream.write(_dumps(statement))
                    stream.write("\n")
            report.written += 1
            if progress is not None and not n % chunk_size:
                progress(chunk_size)
        if as_array:
            stream.write("\n]\n")
    if progress is not None:
        progress(report.written % chunk_size)
    return report


def video_lengths(course_id: int | None = None) -> dict[int, float]:
    """Each video's length in seconds, which the xAPI Video Profile requires on several
    statements: the course content's duration; for a video without one (an imported
    course), the longest duration its events reported, else the furthest position they
    reached (a lower bound)."""
    videos = Activity.objects.filter(kind="video")
    if course_id is not None:
        videos = videos.filter(course_id=course_id)
    lengths = {
        pk: float(d) for pk, d in videos.exclude(duration_seconds=None).values_list("pk", "duration_seconds")
    }
    unknown = list(videos.filter(duration_seconds=None).values_list("pk", flat=True))
    if not unknown:
        return lengths

    def largest(key: str) -> Max:
        return Max(Cast(KeyTextTransform(key, "payload"), FloatField()))

    seen = (
        Event.objects.filter(activity_id__in=unknown, verb__startswith="video.")
        .values("activity_id")
        .annotate(duration=largest("duration"), position=largest("position"), new_time=largest("new_time"))
    )
    for row in seen:
        found = row["duration"] or max(row["position"] or 0.0, row["new_time"] or 0.0)
        if found:
            lengths[row["activity_id"]] = found
    return lengths


def _write_parquet(rows, out: Path, courses, activities, report, row_group_rows, progress) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    columns: dict[str, list] = {name: [] for name in PARQUET_SCHEMA.names}

    def flush(writer: pq.ParquetWriter) -> None:
        n = len(columns["event_id"])
        if n:
            writer.write_table(pa.table(columns, schema=PARQUET_SCHEMA), row_group_size=n)
            for values in columns.values():
                values.clear()
            if progress is not None:
                progress(n)

    with pq.ParquetWriter(out, PARQUET_SCHEMA, compression="zstd") as writer:
        for (
            event_id, learner_id, username, time, verb, session, cid, aid, payload, source, received, external,
        ) in rows:  # fmt: skip
            columns["event_id"].append(str(event_id))
            columns["learner_id"].append(learner_id)
            columns["learner_key"].append(username if external else None)
            columns["time"].append(time)
            columns["verb"].append(verb)
            columns["session_id"].append(session_scrub(session))
            columns["course"].append(courses[cid][0] if cid in courses else None)
            columns["activity"].append(activities[aid][0] if aid in activities else None)
            columns["payload"].append(_dumps(payload_scrub(payload, verb=verb)))
            columns["source"].append(source)
            columns["received"].append(received)
            report.written += 1
            if len(columns["event_id"]) >= row_group_rows:
                flush(writer)
        flush(writer)
