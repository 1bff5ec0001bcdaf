"""Reading and writing the clickstream formats other platforms use: Open edX tracking
logs, xAPI statements, plain interaction tables (CSV / Parquet), public data-set layouts
read by ``recommender.datasets`` (``FRAME_FORMATS``), and Parquet for analysis. See
docs/events.md and the module docstrings for the mappings.

Everything goes through the one write path (``services.events_ingest_many``): imported
events are validated and de-duplicated like any other, so importing a file twice adds
nothing. Files are read and written as streams, a chunk at a time.

Where each part lives:

- ``records`` (``Parsed``, ``ImportReport``), ``naming`` (slugs, stable ids, the xAPI
  learner pseudonym), ``external`` (learners, courses and activities found or created
  by key), ``ingest`` (the chunked write: ``records_ingest``, ``table_ingest``),
  ``parallel`` (edX logs in several processes);
- Open edX: ``edx`` (reading and writing lines), ``edx_types`` (the event-type table),
  ``edx_payloads`` (an event's payload, verb by verb), ``edx_privacy`` (what is kept of
  a line's request fields and of a passed-through event);
- xAPI: ``xapi`` (reading), ``xapi_statements`` (writing), ``xapi_vocabulary`` (IRIs);
- tables: ``table`` (``TableReader``), ``table_columns`` (aliases, ``--map``),
  ``table_cells`` (cell values, ordering);
- course structures: ``structure`` (the parsed structure, JSON), ``structure_olx`` (OLX),
  ``structure_import`` (reading a file, writing the rows);
- ``export`` (edX, xAPI and Parquet exports).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from lms.tracking.models import Event
from lms.tracking.services import PayloadMemo

from .edx import EdxReader
from .external import ExternalRecords
from .ingest import CHUNK_EVENTS, CHUNK_ROWS, records_ingest, table_ingest
from .naming import site_url
from .parallel import edx_import_parallel
from .records import ImportReport
from .table import TableReader
from .table_columns import MappingError, mapping_check, table_header
from .xapi import XapiReader


def _akt(path: Path) -> pd.DataFrame:
    from recommender.datasets.akt import read_akt

    return read_akt(path)


def _ednet(read: str) -> Callable[[Path], Iterable[pd.DataFrame]]:
    """EdNet KT1 / KT4 (a folder of u*.csv with questions.csv, or one file beside it), by
    500 learners at a time: the full release has 297,915 files."""

    def frames(path: Path) -> Iterable[pd.DataFrame]:
        from recommender.datasets import ednet

        files = ednet.user_files(path)
        contents = path if path.is_dir() else path.parent
        for i in range(0, len(files), 500):
            if read == "kt4":
                yield ednet.read_ednet_kt4(files[i : i + 500], contents=contents)
            else:
                yield ednet.read_ednet_kt1(files[i : i + 500], questions=contents / "questions.csv")

    return frames


def _oulad(path: Path) -> pd.DataFrame:
    """OULAD: the folder, or any of its files (studentVle.csv)."""
    from recommender.datasets.oulad import read_oulad

    return read_oulad(path if path.is_dir() else path.parent)


def _kddcup2015(path: Path) -> pd.DataFrame:
    """KDD Cup 2015: ``log_<split>.csv`` (its enrollment file beside it), or the folder (train)."""
    from recommender.datasets.kddcup2015 import read_kddcup2015

    if path.is_dir():
        return read_kddcup2015(path)
    split = path.stem.removeprefix("log_") if path.stem.startswith("log_") else "train"
    return read_kddcup2015(path.parent, split)


def _pykt(path: Path) -> pd.DataFrame:
    from recommender.datasets.pykt import read_pykt

    return read_pykt(path)


def _assistments(path: Path) -> pd.DataFrame:
    from recommender.datasets.assistments import read_assistments

    return read_assistments(path)


def _junyi(path: Path) -> pd.DataFrame:
    from recommender.datasets.junyi import read_junyi

    return read_junyi(path)


# Data-set layouts: format name -> function(path) returning an interaction frame
# (``recommender.datasets.COLUMNS``) or an iterable of them, imported like a table
# (``TableReader.read_frames``). A new layout is one line here.
FRAME_FORMATS: dict[str, Callable[[Path], pd.DataFrame | Iterable[pd.DataFrame]]] = {
    "akt": _akt,
    "ednet-kt4": _ednet("kt4"),
    "ednet-kt1": _ednet("kt1"),
    "oulad": _oulad,
    "kddcup2015": _kddcup2015,
    "pykt": _pykt,
    "assistments": _assistments,
    "junyi": _junyi,
}
IMPORT_FORMATS = ("edx", "xapi", "table", *FRAME_FORMATS)
_SOURCES = {"edx": Event.Source.EDX, "xapi": Event.Source.XAPI}  # tables and data sets: TABLE


def events_import(
    *,
    format: str,
    paths: Iterable[Path],
    course: str | None = None,
    learner_prefix: str = "",
    site: str | None = None,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    threaded: bool = True,
    workers: int = 1,
    mapping: dict[str, str] | None = None,
) -> ImportReport:
    """Import files of one format; the report counts what was read, stored, skipped.

    ``course`` is the course key for rows/statements that name none (tables, data sets,
    xAPI); ``learner_prefix`` is put before every username from the files; ``progress``
    gets the bytes (rows for tables and data sets) consumed; ``threaded`` parses in a
    thread while the previous chunk is stored; ``chunk_size``: events (edX, xAPI:
    ``CHUNK_EVENTS``) or rows (tables, data sets: ``CHUNK_ROWS``) a chunk;
    ``workers`` > 1 parses and stores edX logs in that many processes, and stores tables
    and data sets in that many threads (read, parsed and resolved in this one: see
    ``ingest.table_ingest``); each commits on its own connection: not inside an outer
    transaction.
    ``mapping`` (tables) names their columns, ours -> theirs.
    Raises ``ValueError`` for an unknown format, ``MappingError`` for a mapping that
    names a column a table lacks (both before storing anything)."""
    if format not in IMPORT_FORMATS:
        raise ValueError(f"unknown format {format!r}; formats: {', '.join(IMPORT_FORMATS)}")
    paths = [Path(p) for p in paths]
    if mapping and format != "table":
        raise MappingError("--map applies to --format table only")
    for path in paths if mapping else ():
        mapping_check(mapping, table_header(path), str(path))
    report = ImportReport(format)
    source = _SOURCES.get(format, Event.Source.TABLE)
    if format == "edx" and workers > 1:
        edx_import_parallel(
            paths=paths, report=report, source=source, workers=workers,
            chunk_size=chunk_size or CHUNK_EVENTS, learner_prefix=learner_prefix, progress=progress,
        )  # fmt: skip
        return report
    readable = format not in _SOURCES  # tables and data sets: readable slugs (external.ExternalRecords)
    external = ExternalRecords(source=source, prefix=format, report=report, readable=readable)
    memo = PayloadMemo()  # tables and data sets: their rows share payload objects (TableReader)
    for path in paths:
        report.files += 1
        if format == "edx":
            records = EdxReader(report, learner_prefix=learner_prefix).read(path, progress)
        elif format == "xapi":
            reader = XapiReader(
                report, site=site or site_url(), default_course=course, learner_prefix=learner_prefix
            )
            records = reader.read(path, progress)
        else:
            reader = TableReader(
                report, default_course=course, learner_prefix=learner_prefix, mapping=mapping
            )
            size = chunk_size or CHUNK_ROWS
            if format == "table":
                chunks = reader.read(path, progress, chunk_size=size)
            else:
                chunks = reader.read_frames(FRAME_FORMATS[format](path), str(path), progress, chunk_size=size)
            table_ingest(
                chunks, external=external, report=report, memo=memo, workers=workers, threaded=threaded
            )
            continue
        records_ingest(
            records,
            external=external,
            report=report,
            chunk_size=chunk_size or CHUNK_EVENTS,
            threaded=threaded,
        )
    return report


__all__ = ["FRAME_FORMATS", "IMPORT_FORMATS", "ImportReport", "events_import"]
