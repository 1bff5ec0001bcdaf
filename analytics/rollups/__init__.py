"""Incremental maintenance of the dashboard rollups (docs/dashboards.md).

``rollups_update()`` folds the events stored since the last run into the rollup tables
of ``analytics.models``; a Celery beat task runs it every minute and
``manage.py rollups_update [--rebuild]`` runs it by hand.

- **Which events.** A watermark on ``tracking_event.received`` (the server's clock when
  the row was stored). Each run reads ``watermark < received <= horizon`` and moves the
  watermark to the horizon in the same transaction as the rollup writes, so a run that
  fails or runs twice counts nothing twice. The horizon trails the clock by a lag (15 s) and
  stays behind the start of any open transaction in the database (minus the lag): rows a
  slow writer stamped earlier but has not committed yet are not skipped.
- **Reading.** Slices of received time, each in its own transaction; inside a slice,
  chunks of ``CHUNK`` events through a server-side cursor (PostgreSQL) or by rowid
  (SQLite). No ORDER BY: every fold gives the same result in any order, which is
  also what makes incremental runs equal a rebuild. The read uses an index on
  ``received`` (a BRIN index on PostgreSQL: ``received`` grows with the insert order).
- **Writing.** Counters get deltas with ``INSERT ... ON CONFLICT DO UPDATE SET c = c +
  excluded.c``. Distinct learners are counted through membership rows inserted with
  ``ON CONFLICT DO NOTHING RETURNING``: only rows new to the table count. Per-learner
  video and lab state is read, folded with the new events, and the difference between
  the learner's old and new contribution is added (retract and add).

The package, by concern: ``catalog`` (the snapshot of the course catalog a run reads
once), ``contributions`` (bins, bucket ranges and each learner's share of a rollup, the
unit of retract and add), ``fold`` (``Chunk``: the deltas of a chunk of events),
``sql`` (the rollup tables and the upsert writer), ``events`` (reading the event store)
and ``watermark`` (runs: the horizon, slices and the watermark).
"""

from .catalog import MAX_BUCKETS, ActivityInfo, CatalogSnapshot, video_buckets
from .contributions import (
    ATTEMPT_BINS,
    TIME_BIN_LABELS,
    TIME_BINS,
    bucket_ranges,
    lab_contribution,
    option_keys,
    video_contribution,
)
from .fold import Chunk
from .sql import STATE_MODELS, TABLES, Table
from .watermark import (
    DEFAULT_LAG_SECONDS,
    WATERMARK,
    UpdateReport,
    default_lag,
    rollups_clear,
    rollups_update,
    safe_horizon,
)

__all__ = [
    "ATTEMPT_BINS",
    "DEFAULT_LAG_SECONDS",
    "MAX_BUCKETS",
    "STATE_MODELS",
    "TABLES",
    "TIME_BINS",
    "TIME_BIN_LABELS",
    "WATERMARK",
    "ActivityInfo",
    "CatalogSnapshot",
    "Chunk",
    "Table",
    "UpdateReport",
    "bucket_ranges",
    "default_lag",
    "lab_contribution",
    "option_keys",
    "rollups_clear",
    "rollups_update",
    "safe_horizon",
    "video_buckets",
    "video_contribution",
]
