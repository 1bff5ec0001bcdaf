"""The event store on a Citus cluster beside the single node, in the same run.

Needs the local cluster (``bash scripts/citus.sh start``: coordinator on 127.0.0.1:9700,
two workers; ``CITUS_PORT`` overrides). Creates a fresh database on every node
(``cairn_bench_citus``), migrates it (tracking migration 0002 distributes
``tracking_event`` by learner) and drops it at the end. The single node is the
``default`` database (``make bench``: DATABASE_URL).

Both sides run the store's own code, ``lms.tracking.store``, through a database alias:

- **bulk**: ``rows_store_count``, 5,000 rows a call (binary COPY into the coordinator's
  temporary staging table, ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``), rows of
  many learners mixed, as an import stores them; 1 and ``CONNECTIONS`` connections.
- **batches**: ``rows_store``, 100 events of one learner a call (the API's batch: COPY
  then ``RETURNING`` the new keys), ``CONNECTIONS`` connections; on Citus each batch is
  routed to the one shard that holds its learner.
- **duplicates**: the same bulk rows stored again (every row a conflict).

Sides alternate (single, cluster, single, cluster) and each figure is the better of its
two rounds, so a burst of other work on the machine does not land on one side only.
Benchmark rows use learner ids from 900,000,000 up (no user rows: the table has no
foreign keys) and are deleted from the single node afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from lms.tracking import partitions
from lms.tracking.store import Row, rows_store, rows_store_count

from .timing import threads_timed

ROOT = Path(__file__).resolve().parents[1]
CITUS_PORT = int(os.environ.get("CITUS_PORT", "9700"))
DB = "cairn_bench_citus"
ALIAS = "citus"
ROWS = int(os.environ.get("CAIRN_BENCH_CITUS_ROWS", "100000"))
CONNECTIONS = int(os.environ.get("CAIRN_BENCH_CITUS_CONNECTIONS", "4"))
CHUNK = 5000
BATCH = 100
LEARNER0 = 900_000_000
LEARNERS = 2000
EPOCH = dt.datetime(2001, 1, 1, tzinfo=dt.UTC)  # two months of synthetic times from here


def _citus_sh(*args: str) -> None:
    env = {**os.environ, "CITUS_PORT": str(CITUS_PORT)}
    subprocess.run(["bash", str(ROOT / "scripts" / "citus.sh"), *args], check=True, env=env)


def _add_alias() -> None:
    config = {**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": CITUS_PORT, "NAME": DB}
    config["CONN_MAX_AGE"] = 0
    settings.DATABASES[ALIAS] = config
    connections.settings[ALIAS] = connections.configure_settings({"default": config, ALIAS: config})[ALIAS]


def _rows(seed: int, n: int, *, learner: int | None = None) -> list[Row]:
    rng = random.Random(seed)
    received = dt.datetime.now(dt.UTC)
    return [
        Row(learner if learner is not None else LEARNER0 + rng.randrange(LEARNERS),
            EPOCH + dt.timedelta(minutes=rng.randrange(80_000)), uuid.UUID(int=rng.getrandbits(128), version=4),
            received, "s", 1, 2, "quiz.graded",
            {"attempt": 1, "score": 1.0, "questions": [{"question": str(rng.randrange(900)), "correct": True}]},
            "simulation")
        for _ in range(n)
    ]  # fmt: skip


def _parallel(using: str, connections_n: int, work) -> float:
    """Seconds for ``connections_n`` threads, each on its own connection, to run work(i)."""

    def run(i: int) -> None:
        try:
            work(i)
        finally:
            connections[using].close()

    return threads_timed(run, [(i,) for i in range(connections_n)])


def _round(using: str, round_no: int) -> dict[str, float]:
    seed0 = round_no * 1000
    results = {}
    # The months' partitions exist before the clock starts on either side.
    partitions.partitions_ensure([EPOCH, EPOCH + dt.timedelta(days=40)], using=using)
    bulk = [_rows(seed0 + i, CHUNK) for i in range(ROWS // CHUNK)]
    t = _parallel(using, 1, lambda i: [rows_store_count(chunk, using=using) for chunk in bulk])
    results["bulk, 1 connection"] = len(bulk) * CHUNK / t
    t = _parallel(using, 1, lambda i: [rows_store_count(chunk, using=using) for chunk in bulk])
    results["duplicates, 1 connection"] = len(bulk) * CHUNK / t
    bulk = [_rows(seed0 + 500 + i, CHUNK) for i in range(ROWS // CHUNK)]
    share = len(bulk) // CONNECTIONS
    t = _parallel(
        using,
        CONNECTIONS,
        lambda i: [rows_store_count(chunk, using=using) for chunk in bulk[i * share : (i + 1) * share]],
    )
    results[f"bulk, {CONNECTIONS} connections"] = share * CONNECTIONS * CHUNK / t
    batches = [
        _rows(seed0 + 900 + i, BATCH, learner=LEARNER0 + LEARNERS + round_no * 10_000 + i)
        for i in range(ROWS // BATCH // 2)
    ]
    share = len(batches) // CONNECTIONS
    stored = []

    def api(i: int) -> None:
        for batch in batches[i * share : (i + 1) * share]:
            stored.append(len(rows_store(batch, using=using)))

    t = _parallel(using, CONNECTIONS, api)
    assert sum(stored) == share * CONNECTIONS * BATCH, "every batch event is new"
    results[f"batches of {BATCH} (one learner), {CONNECTIONS} connections"] = share * CONNECTIONS * BATCH / t
    return results


def _cleanup_single() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM tracking_event WHERE learner_id >= %s", [LEARNER0])
        for month in (EPOCH.date(), dt.date(2001, 2, 1), dt.date(2001, 3, 1)):
            name = partitions.partition_name(month)
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                cursor.execute(f"VACUUM {name}")


def run() -> None:
    _citus_sh("start")
    _citus_sh("dropdb", DB)
    _citus_sh("createdb", DB)
    _add_alias()
    try:
        call_command("migrate", database=ALIAS, verbosity=0, interactive=False)
        with connections[ALIAS].cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = %s::regclass", [partitions.TABLE]
            )
            shards = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM pg_dist_node WHERE groupid > 0")
            workers = cursor.fetchone()[0]
        _cleanup_single()
        best: dict[str, dict[str, float]] = {"default": {}, ALIAS: {}}
        for round_no in range(2):
            for using in ("default", ALIAS):
                for name, rate in _round(using, round_no * 2 + (using == ALIAS)).items():
                    best[using][name] = max(rate, best[using].get(name, 0.0))
                    print(f"round {round_no + 1} {using}: {name}: {rate:,.0f} rows/s", flush=True)
        print(
            f"\nCitus: {workers} workers, {shards} shards of tracking_event (parent); {os.cpu_count()} cores"
        )
        print(
            "| rows/s (better of 2 rounds) | single node | Citus (coordinator + 2 workers) | Citus / single |"
        )
        print("|---|---|---|---|")
        for name, single in best["default"].items():
            cluster = best[ALIAS][name]
            print(f"| {name} | {single:,.0f} | {cluster:,.0f} | {cluster / single:.0%} |")
    finally:
        _cleanup_single()
        connections[ALIAS].close()
        _citus_sh("dropdb", DB)
