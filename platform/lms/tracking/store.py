"""The bulk write path of the event store.

PostgreSQL: a small batch (a server event, a few clicks) is one multi-row ``INSERT ...
ON CONFLICT DO NOTHING RETURNING``. A larger one is COPYed into a per-connection
temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
RETURNING`` moves it into the partitioned table. Either way the returned keys are the
new events; the rest were duplicates.
Other databases (SQLite): ``bulk_create(ignore_conflicts=True)`` after looking up which
keys already exist.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import struct
import uuid
import weakref
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from django.db import connections, transaction
from psycopg.types.json import Jsonb

from . import partitions
from .models import Event

# Database connections that already hold the temporary staging table (it lives as long
# as the connection: ON COMMIT DELETE ROWS empties it after every batch).
_staged: weakref.WeakSet = weakref.WeakSet()

COLUMNS = (
    "learner_id", "time", "event_id", "received", "session_id",
    "course_id", "activity_id", "verb", "payload", "source",
)  # fmt: skip


COPY_TYPES = [
    "int8",
    "timestamptz",
    "uuid",
    "timestamptz",
    "varchar",
    "int8",
    "int8",
    "varchar",
    "jsonb",
    "varchar",
]


class Row(NamedTuple):
    learner_id: int
    time: dt.datetime
    event_id: uuid.UUID
    received: dt.datetime
    session_id: str
    course_id: int | None
    activity_id: int | None
    verb: str
    payload: dict
    source: str


def rows_store(
    rows: Sequence[Row], *, using: str = "default", encoded: dict | None = None
) -> set[tuple[int, uuid.UUID]]:
    """Store rows, skipping keys already present; return the (learner, event id) of new rows.
    ``encoded`` (kept by the caller across calls: ``services.PayloadMemo``) remembers the
    JSON text of each payload object; by default one call shares it."""
    if not rows:
        return set()
    connection = connections[using]
    partitions.partitions_ensure({partitions.month_start(row.time) for row in rows}, using=using)
    if connection.vendor == "postgresql":
        return _store_postgresql(rows, using, returning=True, encoded=encoded)
    return _store_generic(rows, using)


def rows_store_count(rows: Sequence[Row], *, using: str = "default", encoded: dict | None = None) -> int:
    """Like ``rows_store`` but return only how many rows were new (bulk imports: no
    per-row keys to send back, so none are read back)."""
    if not rows:
        return 0
    connection = connections[using]
    partitions.partitions_ensure({partitions.month_start(row.time) for row in rows}, using=using)
    if connection.vendor == "postgresql":
        return _store_postgresql(rows, using, returning=False, encoded=encoded)
    return len(_store_generic(rows, using))


# Up to this many rows go in as one multi-row INSERT (one round trip, no staging);
# larger batches use COPY, which is faster per row.
SMALL_BATCH = 32


def _store_postgresql(rows: Sequence[Row], using: str, *, returning: bool, encoded: dict | None = None):
    connection = connections[using]
    columns = ", ".join(COLUMNS)
    if len(rows) <= SMALL_BATCH:
        values = ", ".join([f"({', '.join(['%s'] * len(COLUMNS))})"] * len(rows))
        params = [value for row in rows for value in row._replace(payload=Jsonb(row.payload))]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {partitions.TABLE} ({columns}) VALUES {values} ON CONFLICT DO NOTHING"
                + (" RETURNING learner_id, event_id" if returning else ""),
                params,
            )
            return {tuple(row) for row in cursor.fetchall()} if returning else cursor.rowcount
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _staging_ensure(connection, cursor, using)
        # Binary COPY: no text formatting of timestamps, UUIDs and JSON on either side.
        with cursor.cursor.copy(f"COPY event_staging ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(COPY_TYPES)
            # Rows sharing one payload object (an import's repeated rows) share its JSON
            # text, encoded once; the entry keeps the object alive, so its id stays its own.
            encoded = {} if encoded is None else encoded
            write = copy.write_row
            for row in rows:
                payload = row.payload
                hit = encoded.get(id(payload))
                if hit is None or hit[0] is not payload:
                    hit = encoded[id(payload)] = (payload, Jsonb(json.dumps(payload).encode(), dumps=bytes))
                write((*row[:8], hit[1], row[9]))
        return _staged_move(cursor, columns, returning)


def _staging_ensure(connection, cursor, using: str) -> None:
    """The connection's temporary staging table (created once per connection)."""
    if connection.connection not in _staged:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS event_staging (LIKE {partitions.TABLE}) ON COMMIT DELETE ROWS"
        )
        raw = connection.connection  # remember it once the creation is committed
        transaction.on_commit(lambda: _staged.add(raw), using=using)


def _staged_move(cursor, columns: str, returning: bool):
    """Move the staged rows into the event table, skipping keys already there."""
    insert = f"INSERT INTO {partitions.TABLE} ({columns}) SELECT {columns} FROM event_staging ON CONFLICT DO NOTHING"
    if returning:
        cursor.execute(insert + " RETURNING learner_id, event_id")
        stored = {tuple(row) for row in cursor.fetchall()}
    else:
        # Counted from RETURNING (one row comes back), not the command's row count: on
        # Citus an INSERT ... SELECT reports the rows it tried, conflicts included.
        cursor.execute(f"WITH new AS ({insert} RETURNING 1) SELECT count(*) FROM new")
        stored = cursor.fetchone()[0]
    # ON COMMIT DELETE ROWS empties the staging table only at the outermost commit;
    # a caller's enclosing transaction must not see these rows staged again.
    cursor.execute("TRUNCATE event_staging")
    return stored


# Binary COPY of columns (bulk imports, ``binary_rows``): the rows are built as one
# buffer of PostgreSQL's binary COPY format, without a Python object per value. In
# ``BINARY_COLUMNS`` order: the four that differ from chunk to chunk or row to row first,
# then those a row shares with the other rows of its template (``binary_tail``).
BINARY_COLUMNS = (
    "learner_id", "time", "event_id", "received",
    "session_id", "course_id", "activity_id", "verb", "payload", "source",
)  # fmt: skip
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # flags 0, no header extension
_TRAILER = b"\xff\xff"
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # binary timestamps: microseconds from here
_FIXED = np.dtype(
    [("fields", ">i2"), ("n1", ">i4"), ("learner", ">i8"), ("n2", ">i4"), ("time", ">i8"),
     ("n3", ">i4"), ("event_id", "V16"), ("n4", ">i4"), ("received", ">i8")]
)  # fmt: skip


def micros(value: dt.datetime) -> int:
    """An aware datetime as microseconds from 2000-01-01 UTC (PostgreSQL's binary timestamp)."""
    delta = value - _PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> dt.datetime:
    """``micros``' inverse."""
    return _PG_EPOCH + dt.timedelta(microseconds=int(value))


def months_of(times: np.ndarray) -> set[dt.date]:
    """The first days of the months of ``times`` (microseconds from 2000-01-01 UTC)."""
    months = np.unique((times + _UNIX_OFFSET).astype("datetime64[us]").astype("datetime64[M]"))
    return set(months.astype(object))


_UNIX_OFFSET = micros(dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) - micros(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


def _field(value: bytes | None) -> bytes:
    return b"\xff\xff\xff\xff" if value is None else struct.pack(">i", len(value)) + value


def binary_tail(
    *,
    session: str,
    course_id: int | None,
    activity_id: int | None,
    verb: str,
    payload_json: bytes,
    source: str,
) -> bytes:
    """The binary COPY fields from ``session_id`` to ``source``: what rows of one template share."""
    return b"".join(
        (
            _field(session.encode()),
            _field(None if course_id is None else struct.pack(">q", course_id)),
            _field(None if activity_id is None else struct.pack(">q", activity_id)),
            _field(verb.encode()),
            _field(b"\x01" + payload_json),  # jsonb's binary form: version 1, then the text
            _field(source.encode()),
        )
    )


def binary_rows(
    learner_ids: np.ndarray, times: np.ndarray, event_ids: bytes, received: dt.datetime, tails: list[bytes]
) -> bytes:
    """PostgreSQL binary COPY data (signature to trailer) of ``BINARY_COLUMNS``: row i is
    learner ``learner_ids[i]``, ``times[i]`` (microseconds from 2000-01-01 UTC), event id
    ``event_ids[16 i : 16 i + 16]``, ``received``, then ``tails[i]`` (``binary_tail``;
    rows of one template pass the same object)."""
    n = len(learner_ids)
    fixed = np.empty(n, _FIXED)
    fixed["fields"] = len(BINARY_COLUMNS)
    fixed["n1"] = fixed["n2"] = 8
    fixed["n3"] = 16
    fixed["n4"] = 8
    fixed["received"] = micros(received)
    fixed["learner"] = learner_ids
    fixed["time"] = times
    fixed["event_id"] = np.frombuffer(event_ids, "V16", n)
    view = memoryview(fixed.tobytes())
    size = _FIXED.itemsize
    heads = [view[i : i + size] for i in range(0, n * size, size)]
    return b"".join((_SIGNATURE, *itertools.chain.from_iterable(zip(heads, tails, strict=True)), _TRAILER))


def binary_store(data: bytes, months: set[dt.date], *, using: str = "default") -> int:
    """Store rows given as ``binary_rows`` data, skipping keys already present; return
    how many were new. PostgreSQL only; one transaction (a savepoint inside the caller's)."""
    connection = connections[using]
    partitions.partitions_ensure(months, using=using)
    columns = ", ".join(BINARY_COLUMNS)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _staging_ensure(connection, cursor, using)
        with cursor.cursor.copy(f"COPY event_staging ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(data)
        return _staged_move(cursor, columns, returning=False)


def _store_generic(rows: Sequence[Row], using: str) -> set[tuple[int, uuid.UUID]]:
    with transaction.atomic(using=using):
        existing = set()
        for learner_id in {row.learner_id for row in rows}:
            ids = [row.event_id for row in rows if row.learner_id == learner_id]
            existing |= {
                (learner_id, event_id)
                for event_id in Event.objects.using(using)
                .filter(learner_id=learner_id, event_id__in=ids)
                .values_list("event_id", flat=True)
            }
        new, seen = [], set(existing)
        for row in rows:
            key = (row.learner_id, row.event_id)
            if key not in seen:
                seen.add(key)
                new.append(Event(**row._asdict()))
        Event.objects.using(using).bulk_create(new, ignore_conflicts=True, batch_size=500)
    return {(event.learner_id, event.event_id) for event in new}
