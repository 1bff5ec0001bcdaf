"""The event store as the Citus pass runs it: distributed by learner over two workers,
new months distributed with the rest, one learner's reads and writes on one shard, per-
course reads fanned out to every shard."""

import datetime as dt
import uuid

import pytest
from django.db import connection

from lms.tracking import partitions
from lms.tracking.store import Row, rows_store

pytestmark = pytest.mark.django_db

MONTH = dt.datetime(2035, 5, 3, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def known_partitions_restored():
    known = set(partitions._known)
    yield
    partitions._known.clear()
    partitions._known.update(known)


def _one(sql: str, params=()) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _rows(learner: int, n: int) -> list[Row]:
    return [
        Row(learner, MONTH + dt.timedelta(minutes=i), uuid.uuid4(), MONTH, "s", 7, None, "page.viewed", {"i": i},
            "client")
        for i in range(n)
    ]  # fmt: skip


def test_events_are_distributed_by_learner_over_both_workers():
    column = "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition WHERE logicalrelid = %s::regclass"
    assert _one(column, [partitions.TABLE]) == "learner_id"
    workers = _one(
        "SELECT count(DISTINCT p.nodeport) FROM pg_dist_shard s JOIN pg_dist_shard_placement p USING (shardid) "
        "WHERE s.logicalrelid = %s::regclass",
        [partitions.TABLE],
    )
    assert workers == 2


def test_a_month_created_later_is_distributed_and_colocated():
    partitions.forget_known_partitions()
    assert partitions.partitions_ensure([MONTH]) == ["tracking_event_y2035m05"]
    colocation = "SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = %s::regclass"
    assert _one(colocation, ["tracking_event_y2035m05"]) == _one(colocation, [partitions.TABLE])


def test_a_learners_batch_is_stored_once_and_read_from_one_shard():
    partitions.forget_known_partitions()
    rows = _rows(424242, 50)  # more than SMALL_BATCH: COPY into staging, then INSERT ... SELECT
    assert rows_store(rows) == {(424242, row.event_id) for row in rows}
    assert rows_store(rows) == set()  # re-sent: every key already on its shard
    assert rows_store(rows[:3] + _rows(424242, 2)) != set()
    assert _one("SELECT count(*) FROM tracking_event WHERE learner_id = %s", [424242]) == 52

    per_learner = _plan("SELECT verb, time FROM tracking_event WHERE learner_id = %s ORDER BY time", [424242])
    assert "Task Count: 1" in per_learner, per_learner
    per_course = _plan("SELECT count(*) FROM tracking_event WHERE course_id = %s", [7])
    shards = _one("SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = %s::regclass", [partitions.TABLE])
    assert shards > 1
    assert f"Task Count: {shards}" in per_course, per_course  # each shard of the parent, all its months
