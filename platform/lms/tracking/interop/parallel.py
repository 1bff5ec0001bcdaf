"""Parallel import of line-based logs (Open edX): the parent process reads the files and
hands blocks of raw lines to worker processes, which parse, resolve and store them
through the same code as a sequential import, each on its own database connection.

Tables and data sets are stored by threads (``ingest.table_ingest``): their rows are
checked per distinct content and sent as binary COPY data, so what is left per row waits
on PostgreSQL, which threads can share.

Parsing and validation are CPU-bound Python, so threads cannot share them out; processes
can. Workers commit block by block, independently: the import is still idempotent (event
ids come from the lines) and a failure leaves the committed blocks stored, to be skipped
as duplicates when the import is run again. At most ``2 * workers`` blocks are in flight,
so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection, connections

from lms.accounts.models import User
from lms.courses.models import Activity, Course

from .edx import EdxReader
from .external import ExternalRecords
from .ingest import records_ingest
from .records import BytesRead, ImportReport, open_binary

_state: dict[str, Any] = {}  # per worker process


def _blocks(
    paths: list[Path], size: int, report: ImportReport, progress: Callable[[int], None] | None
) -> Iterator[tuple[str, int, list[bytes]]]:
    for path in paths:
        report.files += 1
        stream, raw = open_binary(path)
        bytes_read = BytesRead(raw, progress)
        with raw, stream:
            block: list[bytes] = []
            first = 1
            for lineno, line in enumerate(stream, 1):
                block.append(line)
                if len(block) >= size:
                    yield str(path), first, block
                    block, first = [], lineno + 1
                    bytes_read()
            if block:
                yield str(path), first, block
            bytes_read()


def _init_worker(source: str, prefix: str, learner_prefix: str) -> None:
    # Forked from the parent: never use a database socket inherited from it (the parent
    # closes its own before forking, but a connection held in another context of the
    # same thread, e.g. under an event loop, survives and may be long dead). Dropping
    # the objects without closing them sends nothing on the shared sockets.
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    report = ImportReport(prefix)
    _state["reader"] = EdxReader(report, learner_prefix=learner_prefix)
    _state["external"] = ExternalRecords(source=source, prefix=prefix, report=report)


def _work(block: tuple[str, int, list[bytes]]) -> ImportReport:
    path, first, lines = block
    reader: EdxReader = _state["reader"]
    external: ExternalRecords = _state["external"]
    report = ImportReport(external.prefix)
    reader.report = external.report = report

    def records():
        parse = reader.parse
        for lineno, line in enumerate(lines, first):
            if line.strip():
                report.lines += 1
                parsed = parse(line, f"{path}:{lineno}")
                if parsed is not None:
                    yield parsed

    records_ingest(records(), external=external, report=report, chunk_size=len(lines), threaded=False)
    return report


def _created(source: str) -> tuple[int, int, int]:
    return (
        User.objects.filter(external_source=source).count(),
        Course.objects.filter(external_source=source).count(),
        Activity.objects.filter(external_source=source).count(),
    )


def edx_import_parallel(
    *,
    paths: list[Path],
    report: ImportReport,
    source: str,
    workers: int,
    chunk_size: int,
    learner_prefix: str = "",
    progress: Callable[[int], None] | None = None,
) -> None:
    """Import edX logs with ``workers`` processes into ``report``."""
    if connection.in_atomic_block:
        raise ValueError("a parallel import commits block by block: it cannot run inside a transaction")
    before = _created(source)
    connections.close_all()  # the children must not share the parent's sockets
    context = multiprocessing.get_context("fork")
    with context.Pool(
        workers, initializer=_init_worker, initargs=(source, report.format, learner_prefix)
    ) as pool:
        pending: deque = deque()
        for block in _blocks(paths, chunk_size, report, progress):
            pending.append(pool.apply_async(_work, (block,)))
            if len(pending) >= 2 * workers:
                report.merge(pending.popleft().get())
        while pending:
            report.merge(pending.popleft().get())
    # Workers racing to create the same learner would each count it: count in the database.
    after = _created(source)
    report.learners_created, report.courses_created, report.activities_created = (
        a - b for a, b in zip(after, before, strict=True)
    )
