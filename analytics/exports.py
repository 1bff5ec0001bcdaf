"""Exports of the event store as background jobs, and learner pseudonyms.

``export_job_create`` records an ``ExportJob`` (the audit trail) and queues
``analytics.export_run``; the task calls ``export_job_run``, which writes the file with
``lms.tracking.interop.export.events_export`` under ``settings.DATA_DIR / "exports"``,
updating the row's progress as events are written.

Pseudonymized exports (the default) carry no username and no learner id: every learner
is replaced by ``lms.accounts.roles.analytics_learner_pseudonym(id)``, a keyed hash (HMAC-SHA256 keyed by
``SECRET_KEY`` with a fixed salt). The same learner gets the same pseudonym in every
export and in ``analytics.api``; without the key it cannot be reversed. ``events_export``
has no hook for this, so the file is rewritten after it is written: the ``learner_id``
column (Parquet, CSV; ``learner_key``, an imported learner's id, is emptied), the ``username`` of each edX line, the actor's account name of
each xAPI statement. Every file's payloads and sessions have already been through the
ingestion's scrubber (``lms.tracking.scrub``), which ``events_export`` runs on each row.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction

from lms.accounts.models import User
from lms.accounts.roles import analytics_learner_pseudonym
from lms.core.dispatch import task_send_on_commit
from lms.core.jobs import job_fail, job_succeed, job_take
from lms.courses.models import Course
from lms.tracking.interop.export import PARQUET_SCHEMA, events_export, events_queryset
from lms.tracking.interop.naming import xapi_learner_pseudonym

from .models import ExportJob

log = logging.getLogger(__name__)

SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "edx": ".log.gz", "xapi": ".jsonl.gz"}
PROGRESS_ROWS = 20_000  # Parquet row group (and so progress step) of a job's export
PSEUDONYMIZED_SCHEMA = PARQUET_SCHEMA.set(
    PARQUET_SCHEMA.get_field_index("learner_id"), pa.field("learner_id", pa.string())
)


def export_dir() -> Path:
    return Path(settings.DATA_DIR) / "exports"


@transaction.atomic
def export_job_create(
    *,
    user: User,
    format: str,
    course: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    pseudonymize: bool = True,
) -> ExportJob:
    """Record an export and queue it (once the transaction commits)."""
    if format not in SUFFIXES:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(SUFFIXES)}")
    if course and not Course.objects.filter(slug=course).exists():
        raise ValueError(f"unknown course {course!r}")
    if since and until and until <= since:
        raise ValueError("the end of the range must be later than its start")
    job = ExportJob.objects.create(
        format=format,
        course=course or "",
        since=since,
        until=until,
        pseudonymize=pseudonymize,
        requested_by=user,
    )
    from .tasks import export_run_task

    task_send_on_commit(export_run_task, job.pk)  # broker down: re-sent later
    return job


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Run a queued job; a job that is gone or not queued (already run, running
    elsewhere) is left alone, so running twice does no harm."""
    job = job_take(ExportJob.objects.all(), job_id)
    if job is None:
        return None
    job.path = str(export_dir() / f"export-{job.pk}-{job.format}{SUFFIXES[job.format]}")
    job.save(update_fields=["path"])  # before any file is written: an erasure finds it
    out = Path(job.path)
    part = out.with_name(f"part-{out.name}")  # same suffix: events_export gzips on ".gz"
    failure = None
    try:
        course_id = Course.objects.get(slug=job.course).pk if job.course else None
        queryset = events_queryset(course_id=course_id, since=job.since, until=job.until)
        ExportJob.objects.filter(pk=job.pk).update(total=queryset.count())
        written = 0

        def progress(n: int) -> None:
            nonlocal written
            written += n
            ExportJob.objects.filter(pk=job.pk).update(progress=written)

        raw_format = "parquet" if job.format == "csv" else job.format
        if job.format == "csv":
            raw = out.with_name(f"raw-{out.stem}.parquet")
        elif job.pseudonymize:
            raw = out.with_name(f"raw-{out.name}")
        else:
            raw = part
        report = events_export(
            format=raw_format,
            out=raw,
            course=job.course or None,
            since=job.since,
            until=job.until,
            row_group_rows=PROGRESS_ROWS,
            progress=progress,
        )
        _rewrite(job.format, raw, part, queryset if job.pseudonymize else None)
        os.replace(part, out)
        size = out.stat().st_size
    except Exception as exc:  # noqa: BLE001 - any failure is the job's, shown on the page
        log.exception("export #%s failed", job.pk)
        failure = f"{type(exc).__name__}: {exc}"
        out.unlink(missing_ok=True)
    finally:
        for leftover in (part, out.with_name(f"raw-{out.stem}.parquet"), out.with_name(f"raw-{out.name}")):
            leftover.unlink(missing_ok=True)
    if failure is None:
        job_succeed(job, ExportJob.Status.DONE, progress=report.written, size=size)
    else:
        job_fail(job, failure, path="")
        job.refresh_from_db(fields=["progress"])  # as far as it got
    return job


class _Pseudonyms(dict):
    """learner id -> pseudonym, computed once per learner."""

    def __missing__(self, learner_id: int) -> str:
        value = self[learner_id] = analytics_learner_pseudonym(learner_id)
        return value


def _rewrite(format: str, raw: Path, out: Path, queryset) -> None:
    """Turn the file ``events_export`` wrote into the job's file: CSV from Parquet, and
    (``queryset`` given: the job's events) every learner replaced by their pseudonym."""
    pseudonyms = _Pseudonyms()
    if raw == out:
        return  # written in place: Parquet, edX or xAPI, not pseudonymized
    if format in ("parquet", "csv"):
        schema = PSEUDONYMIZED_SCHEMA if queryset is not None else PARQUET_SCHEMA
        source = pq.ParquetFile(raw)
        if format == "parquet":
            writer: pq.ParquetWriter | pacsv.CSVWriter = pq.ParquetWriter(out, schema, compression="zstd")
        else:
            writer = pacsv.CSVWriter(out, schema)
        with writer:
            for batch in source.iter_batches():
                table = pa.Table.from_batches([batch])
                if queryset is not None:
                    ids = table.column("learner_id").to_pylist()
                    table = table.set_column(
                        table.schema.get_field_index("learner_id"),
                        pa.field("learner_id", pa.string()),
                        pa.array([pseudonyms[i] for i in ids], pa.string()),
                    )
                    key = table.schema.get_field_index("learner_key")  # an imported id names them too
                    table = table.set_column(key, "learner_key", pa.nulls(len(table), pa.string()))
                writer.write_table(table)
        raw.unlink()
        return
    learners = User.objects.filter(pk__in=queryset.order_by().values("learner_id").distinct())
    if format == "edx":
        by_name = dict(learners.values_list("username", "pk"))
        _rewrite_lines(
            raw, out, lambda rec: rec.__setitem__("username", pseudonyms[by_name[rec["username"]]])
        )
    else:
        by_xapi = {xapi_learner_pseudonym(pk): pk for pk in learners.values_list("pk", flat=True)}

        def actor(rec: dict) -> None:
            account = rec["actor"]["account"]
            account["name"] = pseudonyms[by_xapi[account["name"]]]

        _rewrite_lines(raw, out, actor)


def _rewrite_lines(raw: Path, out: Path, change: Callable[[dict], None]) -> None:
    with gzip.open(raw, "rt", encoding="utf-8") as src, gzip.open(out, "wt", encoding="utf-8") as dst:
        for line in src:
            if line.strip():
                record = json.loads(line)
                change(record)
                dst.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
                dst.write("\n")
    raw.unlink()
