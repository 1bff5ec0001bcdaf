"""The chunked write of an import through the one write path.

An importer is a parser that turns its format into ``records.Parsed`` records and notes
bad and skipped input in the report. ``records_ingest`` resolves the keys, a chunk at a
time, to Cairn rows (``external.ExternalRecords``: creating the missing ones in bulk,
once per import) and stores the chunk through ``events_ingest_many``; ``table_ingest``
does the same for a table's columns (``events_ingest_columns``). Memory stays constant:
one chunk of records, plus the key -> id caches.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import OperationalError, connection, connections
from psycopg.errors import DeadlockDetected

from lms.tracking.columns import EventColumns, events_ingest_columns
from lms.tracking.listeners import erased_among, learners_touched
from lms.tracking.services import PayloadMemo, events_ingest_many

from .external import ExternalRecords
from .records import ImportReport, Parsed

if TYPE_CHECKING:
    from .table import TableChunk

CHUNK_EVENTS = 5000  # events per events_ingest_many call
CHUNK_ROWS = 20_000  # table rows per chunk (table_ingest: one binary COPY each)


def chunked(records: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    chunk: list[Parsed] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prefetched(chunks: Iterable[list[Parsed]], depth: int = 2) -> Iterator[list[Parsed]]:
    """Produce the chunks in a thread (parsing needs no database) while the caller
    stores the previous one: PostgreSQL's work and the parsing overlap."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            put(exc)

    thread = threading.Thread(target=produce, name="interop-parse", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _without_erased(chunk: list[Parsed], report: ImportReport, known: dict[str, str]) -> list[Parsed]:
    """Drop the records of learners erased on their request (``lms.privacy``): an old
    log read back must not bring them back. Matched by username or pseudonym; ``known``
    keeps each identifier's key for the whole import (an HMAC: worth computing once)."""
    identifiers = {r.learner for r in chunk} | {r.pseudonym for r in chunk if r.pseudonym}
    erased = erased_among(identifiers, known=known)
    if not erased:
        return chunk
    kept = [r for r in chunk if r.learner not in erased and r.pseudonym not in erased]
    report.skip("learner erased on request", len(chunk) - len(kept))
    return kept


def chunk_resolve(
    chunk: list[Parsed], *, external: ExternalRecords, report: ImportReport
) -> tuple[list[Parsed], list[tuple[int, dict[str, Any]]]]:
    """(the chunk without erased learners' records, its (learner id, raw event) items)."""
    chunk = _without_erased(chunk, report, external.erased_keys)
    items = external.resolve(chunk)
    report.events += len(items)
    return chunk, items


def chunk_store(items: list[tuple[int, dict[str, Any]]], *, source: str, memo: PayloadMemo | None = None):
    """``events_ingest_many`` for one chunk of an import (counts only), again when
    PostgreSQL broke a deadlock by rolling it back."""
    return _retried(lambda: events_ingest_many(items=items, source=source, with_ids=False, memo=memo))


def _retried(store: Callable[[], Any]) -> Any:
    """``store()``, again when PostgreSQL broke a deadlock by rolling it back."""
    for attempt in range(1, 4):
        try:
            return store()
        except OperationalError as exc:
            # Parallel workers storing the same key at once can deadlock; PostgreSQL
            # rolls one back, and storing its chunk again is safe (idempotent).
            if attempt == 3 or not isinstance(exc.__cause__, DeadlockDetected):
                raise
    raise AssertionError("unreachable")


def result_note(report: ImportReport, stored: int, duplicates: int, errors: list, wheres: list[str]) -> None:
    """Count a stored chunk in the report; ``errors``: (index, field, message) of each
    refused event, ``wheres`` the chunk's records' places."""
    report.stored += stored
    report.duplicates += duplicates
    report.invalid += len(errors)
    for index, name, message in errors:
        report.problem(wheres[index], f"{name or 'event'}: {message}")


def records_ingest(
    records: Iterable[Parsed],
    *,
    external: ExternalRecords,
    report: ImportReport,
    chunk_size: int = CHUNK_EVENTS,
    on_chunk: Callable[[], None] | None = None,
    threaded: bool = True,
    memo: PayloadMemo | None = None,
) -> None:
    """Store parsed records a chunk at a time through the one write path; ``memo``: for
    records that share payload objects (tables: ``services.PayloadMemo``)."""
    chunks = chunked(records, chunk_size)
    for chunk in prefetched(chunks) if threaded else chunks:
        chunk, items = chunk_resolve(chunk, external=external, report=report)
        result = chunk_store(items, source=external.source, memo=memo)
        errors = [(e.index, e.field, e.message) for e in result.errors]
        result_note(report, result.stored_count, result.duplicate_count, errors, [r.where for r in chunk])
        if on_chunk is not None:
            on_chunk()


# tables: columns ---------------------------------------------------------------------
MAX_TEMPLATES = 200_000  # (course, content) templates an import keeps (table_ingest)


def _table_prepare(
    chunk: TableChunk, *, external: ExternalRecords, report: ImportReport, templates: dict
) -> tuple[TableChunk, EventColumns]:
    """Resolve a table chunk's distinct learners, courses and activities (creating the
    missing ones) and make its events' columns; erased learners' rows are dropped."""
    erased = erased_among(set(chunk.learners), known=external.erased_keys)
    if erased:
        keep = np.array([learner not in erased for learner in chunk.learners], bool)
        report.skip("learner erased on request", int((~keep).sum()))
        chunk = chunk.taken(np.flatnonzero(keep))
    one_course = len(set(chunk.courses)) == 1  # the common case: rows keyed by their outcome alone
    oids = list(map(id, chunk.outcomes))
    if one_course:
        course = chunk.courses[0]
        distinct = {(course, key): o for key, o in zip(oids, chunk.outcomes, strict=True)}
    else:
        distinct = {(c, key): o for c, key, o in zip(chunk.courses, oids, chunk.outcomes, strict=True)}
    pairs: dict[tuple[str, str], Parsed] = {}
    for (course, _), outcome in distinct.items():
        if (course, outcome[3]) not in pairs:  # its kind and title, if it must be created
            pairs[(course, outcome[3])] = Parsed("", {}, "", course, outcome[3], outcome[4], outcome[3])
    external.resolve_keys(set(chunk.learners), set(chunk.courses), pairs)
    if len(templates) > MAX_TEMPLATES:
        templates.clear()
    made_for: dict[tuple[str, int], dict] = {}
    for key, outcome in distinct.items():
        hit = templates.get(key)
        if hit is None or hit[0] is not outcome:
            course, _ = key
            _, verb, payload, activity, _ = outcome
            template = {
                "verb": verb,
                "session": "",
                "course": external.courses[course][1],
                "activity": external.activities[(course, activity)],
                "payload": payload,
            }
            hit = templates[key] = (outcome, template)
        made_for[key] = hit[1]
    if one_course:
        by_outcome = {key: template for (_, key), template in made_for.items()}
        made = list(map(by_outcome.__getitem__, oids))
    else:
        made = [made_for[pair] for pair in zip(chunk.courses, oids, strict=True)]
    learners = external.learners
    columns = EventColumns(
        learner_ids=np.fromiter((learners[name] for name in chunk.learners), np.int64, len(chunk)),
        times=chunk.times,
        event_ids=chunk.event_ids,
        templates=made,
    )
    report.events += len(chunk)
    return chunk, columns


def table_ingest(
    chunks: Iterable[TableChunk],
    *,
    external: ExternalRecords,
    report: ImportReport,
    memo: PayloadMemo,
    workers: int = 1,
    threaded: bool = True,
) -> None:
    """Store a table's chunks (``TableReader``) through ``events_ingest_columns``.

    The chunks are read in a thread (``prefetched``: no database) while this one
    resolves their keys and makes their columns; ``workers`` > 1 threads, each on its
    own connection, store them (binary COPY and the move out of staging wait on
    PostgreSQL, not on Python), at most ``2 * workers`` chunks in flight, each committed
    on its own: not inside an outer transaction. The report counts chunks in order."""
    if workers > 1 and connection.in_atomic_block:
        raise ValueError("a parallel import commits block by block: it cannot run inside a transaction")
    templates: dict = {}
    source = external.source
    touched: set[int] = set()  # named to learners_touched once, at the end

    def store(columns: EventColumns):
        return _retried(
            lambda: events_ingest_columns(columns=columns, source=source, memo=memo, touched=touched)
        )

    def note(chunk: TableChunk, result) -> None:
        report.stored += result.stored_count
        report.duplicates += result.duplicate_count
        report.invalid += len(result.errors)
        for error in result.errors:
            report.problem(chunk.where(error.index), f"{error.field or 'event'}: {error.message}")

    prepared = (
        _table_prepare(chunk, external=external, report=report, templates=templates)
        for chunk in (prefetched(chunks) if threaded else chunks)
    )
    try:
        _table_store(prepared, store, note, workers)
    finally:  # what was stored, even when a later chunk failed
        learners_touched(touched)


def _table_store(prepared: Iterable[tuple], store: Callable, note: Callable, workers: int) -> None:
    if workers <= 1:
        for chunk, columns in prepared:
            note(chunk, store(columns))
        return
    with _Storers(workers, store) as storers:
        pending: deque = deque()
        for chunk, columns in prepared:
            pending.append((chunk, storers.submit(columns)))
            if len(pending) >= 2 * workers:
                chunk, future = pending.popleft()
                note(chunk, future.result())
        while pending:
            chunk, future = pending.popleft()
            note(chunk, future.result())


class _Storers:
    """``workers`` threads calling ``store``, each on its own database connection
    (closed when the thread ends)."""

    def __init__(self, workers: int, store: Callable[[Any], Any]) -> None:
        self.store = store
        self.inbox: queue.Queue = queue.Queue()
        self.threads = [
            threading.Thread(target=self._loop, name=f"interop-store-{i}", daemon=True)
            for i in range(workers)
        ]

    def _loop(self) -> None:
        try:
            while (item := self.inbox.get()) is not None:
                future, argument = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(self.store(argument))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
                        future.set_exception(exc)
        finally:
            connections.close_all()

    def submit(self, argument: Any) -> Future:
        future: Future = Future()
        self.inbox.put((future, argument))
        return future

    def __enter__(self) -> _Storers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[0] is not None:  # a failure: what is still queued is dropped
            while True:
                try:
                    future, _ = self.inbox.get_nowait()
                except queue.Empty:
                    break
                future.cancel()
        for _ in self.threads:
            self.inbox.put(None)
        for thread in self.threads:
            thread.join()
