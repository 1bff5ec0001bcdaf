"""Reading the event store: chunks of the events stored in a range of ``received``,
only the columns the fold uses, through a server-side cursor (PostgreSQL) or by rowid
(SQLite). No ORDER BY: the fold gives the same result in any order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from django.db import connection

from .fold import PAYLOAD_VERBS, TIMED_VERBS
from .sql import adapt


def events_received(after: dt.datetime | None, until: dt.datetime, chunk_size: int) -> Iterator[list[tuple]]:
    """Chunks of (learner, day, time, course, activity, verb, payload) stored in (after,
    until]. Only what the folds use is fetched: the UTC day of every event, the time of
    lab events and TIMED_VERBS, the payload of the verbs in PAYLOAD_VERBS."""
    verbs = ", ".join(f"'{verb}'" for verb in PAYLOAD_VERBS)
    timed = ", ".join(f"'{verb}'" for verb in TIMED_VERBS)
    where = "received <= %s" + (" AND received > %s" if after is not None else "")
    params = [adapt(until)] + ([adapt(after)] if after is not None else [])
    if connection.vendor == "postgresql":
        columns = (
            "learner_id, (time AT TIME ZONE 'UTC')::date, "
            f"CASE WHEN verb LIKE 'lab.%%' OR verb IN ({timed}) THEN time END, "
            f"course_id, activity_id, verb, CASE WHEN verb IN ({verbs}) THEN payload::text END"
        )
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM tracking_event WHERE {where}", params)
            while rows := cursor.fetchmany(chunk_size):
                yield [(*r[:6], json.loads(r[6]) if r[6] else None) for r in rows]
        return
    # SQLite: page by rowid (an index walk, no sort) while this connection also writes.
    columns = f"learner_id, time, course_id, activity_id, verb, CASE WHEN verb IN ({verbs}) THEN payload END"
    last = -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT rowid, {columns} FROM tracking_event WHERE {where} AND rowid > %s ORDER BY rowid LIMIT %s",
                [*params, last, chunk_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            out = []
            for _, learner, when, course, activity, verb, payload in rows:
                when = sqlite_time(when)
                out.append(
                    (
                        learner,
                        when.date(),
                        when,
                        course,
                        activity,
                        verb,
                        json.loads(payload) if payload else None,
                    )
                )
            yield out


def sqlite_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def first_received() -> dt.datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(received) FROM tracking_event")
        value = cursor.fetchone()[0]
    if value is None or connection.vendor == "postgresql":
        return value
    return sqlite_time(value)
