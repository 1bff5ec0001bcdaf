"""Monthly partitions of ``tracking_event`` on PostgreSQL.

Partitions are created ahead (this month and the next ``MONTHS_AHEAD``) by the
migration, by a daily Celery beat task, and on demand by the write path for any month a
batch touches. A browser batch can only touch the months of the client window
(``validation.CLIENT_MAX_AGE`` back, a few minutes ahead); imports of old logs and the
simulator land in their own months. There is no DEFAULT
partition: a row for a month without a partition would block creating it later.
On other databases every function here is a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connections, transaction

TABLE = "tracking_event"
MONTHS_AHEAD = 3
_known: set[tuple[str, dt.date]] = set()  # (database alias, first day of month) seen to exist

CREATE_PARENT_SQL = f"""
CREATE TABLE {TABLE} (
    learner_id  bigint       NOT NULL,
    time        timestamptz  NOT NULL,
    event_id    uuid         NOT NULL,
    received    timestamptz  NOT NULL,
    session_id  varchar(64)  NOT NULL,
    course_id   bigint       NULL,
    activity_id bigint       NULL,
    verb        varchar(40)  NOT NULL,
    payload     jsonb        NOT NULL,
    source      varchar(10)  NOT NULL,
    PRIMARY KEY (learner_id, time, event_id)
) PARTITION BY RANGE (time);
CREATE INDEX event_course_time ON {TABLE} (course_id, time);
CREATE INDEX event_time ON {TABLE} USING brin (time);
"""


def month_start(value: dt.datetime | dt.date) -> dt.date:
    """The first day of the month ``value`` falls in; an aware datetime in UTC, as the
    partition bounds are (a local date near midnight can be the neighbouring month)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return dt.date(value.year, value.month, 1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def partitions_ensure(months: Iterable[dt.date], *, using: str = "default") -> list[str]:
    """Create the monthly partitions for ``months`` that do not exist; return their names."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    wanted = sorted({month_start(m) for m in months} - {m for alias, m in _known if alias == using})
    if not wanted:
        return []
    created = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # One creator at a time across processes; the others find the tables made.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [TABLE])
        for month in wanted:
            name = partition_name(month)
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if not cursor.fetchone()[0]:
                cursor.execute(
                    f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                    [month.isoformat(), _next_month(month).isoformat()],
                )
                created.append(name)
    transaction.on_commit(lambda: _known.update((using, m) for m in wanted), using=using)
    return created


def partitions_ensure_ahead(*, today: dt.date | None = None, using: str = "default") -> list[str]:
    month = month_start(today or dt.date.today())
    months = [month]
    for _ in range(MONTHS_AHEAD):
        months.append(_next_month(months[-1]))
    return partitions_ensure(months, using=using)


def partitions_list(*, using: str = "default") -> list[str]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        return [row[0] for row in cursor.fetchall()]


def forget_known_partitions() -> None:
    """Drop the in-process cache (tests that recreate the database call this)."""
    _known.clear()
