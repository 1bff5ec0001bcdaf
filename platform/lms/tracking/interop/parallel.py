"""Parallel import of line-based logs (Open edX): the parent process reads the files and
hands blocks of raw lines to worker processes, which parse, resolve and store them
through the same code as a sequential import, each on its own database connection.

Tables (``table_import_parallel``): the parent reads, parses and resolves (readable
names are given by one process: ``ExternalRecords``), and each worker validates and
stores its blocks through ``events_ingest_many``. A table's rows share payload objects
(``TableReader``); a block carries each payload its worker has not had yet, by number,
so a worker keeps sharing them and checks each one once (``services.PayloadMemo``).

Parsing and validation are CPU-bound Python, so threads cannot share them out; processes
can. Workers commit block by block, independently: the import is still idempotent (event
ids come from the lines) and a failure leaves the committed blocks stored, to be skipped
as duplicates when the import is run again. At most ``2 * workers`` blocks are in flight,
so memory stays bounded.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection, connections

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.services import MAX_MEMO, PayloadMemo

from .common import (
    ExternalRecords,
    ImportReport,
    Parsed,
    chunk_resolve,
    chunk_store,
    chunked,
    open_binary,
    records_ingest,
    result_note,
)
from .edx import EdxReader

_state: dict[str, Any] = {}  # per worker process


def _blocks(
    paths: list[Path], size: int, report: ImportReport, progress: Callable[[int], None] | None
) -> Iterator[tuple[str, int, list[bytes]]]:
    for path in paths:
        report.files += 1
        stream, raw = open_binary(path)
        last = 0
        with raw, stream:
            block: list[bytes] = []
            first = 1
            for lineno, line in enumerate(stream, 1):
                block.append(line)
                if len(block) >= size:
                    yield str(path), first, block
                    block, first = [], lineno + 1
                    if progress is not None:
                        position = raw.tell()
                        progress(position - last)
                        last = position
            if block:
                yield str(path), first, block
            if progress is not None:
                progress(raw.tell() - last)


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


# tables ------------------------------------------------------------------------------
def _init_table_worker(source: str) -> None:
    for conn in connections.all(initialized_only=True):
        conn.connection = None  # never a socket inherited from the parent (see _init_worker)
    _state.update(source=source, payloads={}, memo=PayloadMemo())


def _store_table_block(block: tuple[bool, dict[int, dict], list[tuple[int, dict[str, Any]]]]) -> tuple:
    """Store one block; (stored, duplicates, [(index, field, message) of each refused event])."""
    reset, payloads, items = block
    shared: dict[int, dict] = _state["payloads"]
    if reset:
        shared.clear()
    shared.update(payloads)
    for _, raw in items:
        raw["payload"] = shared[raw["payload"]]
    result = chunk_store(items, source=_state["source"], memo=_state["memo"])
    return result.stored_count, result.duplicate_count, [(e.index, e.field, e.message) for e in result.errors]


class _PayloadNumbers:
    """Numbers for the parent's payload objects, and which numbers each worker has: a
    block sends only its worker's new payloads (``reset`` when that worker's set, kept
    below ``MAX_MEMO``, starts again: the worker empties its own in step)."""

    def __init__(self, workers: int) -> None:
        self.numbers: dict[int, tuple[dict, int]] = {}  # id(payload) -> (payload, number)
        self.sent: list[set[int]] = [set() for _ in range(workers)]
        self._next = itertools.count(1).__next__  # never reused, even after a clear

    def block(self, worker: int, items: list[tuple[int, dict[str, Any]]]) -> tuple:
        numbers, sent = self.numbers, self.sent[worker]
        if len(numbers) > MAX_MEMO:
            numbers.clear()
        reset = len(sent) > MAX_MEMO
        if reset:
            sent.clear()
        new: dict[int, dict] = {}
        for _, raw in items:
            payload = raw["payload"]
            hit = numbers.get(id(payload))
            if hit is None or hit[0] is not payload:
                hit = numbers[id(payload)] = (payload, self._next())
            if hit[1] not in sent:
                sent.add(hit[1])
                new[hit[1]] = payload
            raw["payload"] = hit[1]
        return reset, new, items


def table_import_parallel(
    *,
    records: Iterable[Parsed],
    external: ExternalRecords,
    report: ImportReport,
    workers: int,
    chunk_size: int,
) -> None:
    """Store a table's parsed records with ``workers`` processes into ``report``."""
    if connection.in_atomic_block:
        raise ValueError("a parallel import commits block by block: it cannot run inside a transaction")
    connections.close_all()  # the children must not share the parent's sockets
    context = multiprocessing.get_context("fork")
    # One pool per worker: a block goes to a known worker, which has the payloads sent before.
    pools = [
        context.Pool(1, initializer=_init_table_worker, initargs=(external.source,)) for _ in range(workers)
    ]
    numbers = _PayloadNumbers(workers)
    pending: deque = deque()
    try:
        for count, chunk in enumerate(chunked(records, chunk_size)):
            chunk, items = chunk_resolve(chunk, external=external, report=report)
            worker = count % workers
            block = numbers.block(worker, items)
            pending.append(
                (pools[worker].apply_async(_store_table_block, (block,)), [r.where for r in chunk])
            )
            if len(pending) >= 2 * workers:
                waiting, wheres = pending.popleft()
                result_note(report, *waiting.get(), wheres)
        while pending:
            waiting, wheres = pending.popleft()
            result_note(report, *waiting.get(), wheres)
    finally:
        for pool in pools:  # after a failure, blocks still queued are dropped
            if pending:
                pool.terminate()
            else:
                pool.close()
            pool.join()
