"""Reading and writing the clickstream formats other platforms use: Open edX tracking
logs, xAPI statements, plain interaction tables (CSV / Parquet), and Parquet for
analysis. See /docs and the module docstrings for the mappings.

Everything goes through the one write path (``services.events_ingest_many``): imported
events are validated and de-duplicated like any other, so importing a file twice adds
nothing. Files are read and written as streams, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from lms.tracking.models import Event

from .common import CHUNK_EVENTS, ExternalRecords, ImportReport, records_ingest, site_url
from .edx import EdxReader
from .parallel import edx_import_parallel
from .table import TableReader
from .xapi import XapiReader

IMPORT_FORMATS = ("edx", "xapi", "table")
_SOURCES = {"edx": Event.Source.EDX, "xapi": Event.Source.XAPI, "table": Event.Source.TABLE}


def events_import(
    *,
    format: str,
    paths: Iterable[Path],
    course: str | None = None,
    learner_prefix: str = "",
    site: str | None = None,
    chunk_size: int = CHUNK_EVENTS,
    progress: Callable[[int], None] | None = None,
    threaded: bool = True,
    workers: int = 1,
) -> ImportReport:
    """Import files of one format; the report counts what was read, stored, skipped.

    ``course`` is the course key for rows/statements that name none (tables, xAPI);
    ``learner_prefix`` is put before every username from the files; ``progress`` gets
    the bytes (rows for tables) consumed; ``threaded`` parses in a thread while the
    previous chunk is stored; ``workers`` > 1 parses and stores edX logs in that many
    processes (each commits on its own connection: not inside an outer transaction)."""
    if format not in IMPORT_FORMATS:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(IMPORT_FORMATS)}")
    report = ImportReport(format)
    if format == "edx" and workers > 1:
        edx_import_parallel(
            paths=[Path(p) for p in paths], report=report, source=_SOURCES[format], workers=workers,
            chunk_size=chunk_size, learner_prefix=learner_prefix, progress=progress,
        )  # fmt: skip
        return report
    external = ExternalRecords(source=_SOURCES[format], prefix=format, report=report)
    for path in paths:
        path = Path(path)
        report.files += 1
        if format == "edx":
            records = EdxReader(report, learner_prefix=learner_prefix).read(path, progress)
        elif format == "xapi":
            reader = XapiReader(
                report, site=site or site_url(), default_course=course, learner_prefix=learner_prefix
            )
            records = reader.read(path, progress)
        else:
            reader = TableReader(report, default_course=course, learner_prefix=learner_prefix)
            records = reader.read(path, progress, chunk_size=chunk_size)
        records_ingest(records, external=external, report=report, chunk_size=chunk_size, threaded=threaded)
    return report


__all__ = ["IMPORT_FORMATS", "ImportReport", "events_import"]
