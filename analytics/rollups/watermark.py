"""Rollup runs: the watermark on ``tracking_event.received`` (which events are counted),
the safe horizon (how far a run may read), slices of received time each folded and
written in the transaction that moves the watermark, and rebuilds."""

from __future__ import annotations

import datetime as dt
import logging
import time as _time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import models as m

from .catalog import CatalogSnapshot
from .events import events_received, first_received
from .fold import Chunk
from .sql import STATE_MODELS, TABLES

log = logging.getLogger("analytics.rollups")

WATERMARK = "events"
# Events stored less than this ago are left for the next run (see ``analytics.rollups``);
# settings.ANALYTICS_ROLLUP_LAG_SECONDS overrides it.
DEFAULT_LAG_SECONDS = 15.0


def default_lag() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ANALYTICS_ROLLUP_LAG_SECONDS", DEFAULT_LAG_SECONDS))


# An open transaction holds the horizon back, but never by more than this (a session
# left idle in a transaction must not stop the dashboards).
MAX_HOLD = dt.timedelta(minutes=10)
SLICE = dt.timedelta(hours=1)  # received time per transaction, adapted to the event rate
CHUNK = 20_000  # events held in memory at once


@dataclass
class UpdateReport:
    events: int = 0
    slices: int = 0
    watermark: dt.datetime | None = None
    busy: bool = False  # another run held the watermark: nothing done
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.busy:
            return "another rollup run is in progress: nothing done"
        return (
            f"{self.events:,} events folded in {self.slices} slice(s) in {self.seconds:.1f} s; "
            f"rollups now cover events received up to {self.watermark:%Y-%m-%d %H:%M:%S} UTC"
            if self.watermark
            else f"{self.events:,} events; no events stored yet"
        )


def safe_horizon(*, lag: dt.timedelta | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """The latest ``received`` a run may count: ``lag`` before now, and ``lag`` before the
    start of the oldest transaction still open in this database (at most ``MAX_HOLD``)."""
    lag = default_lag() if lag is None else lag
    now = now or timezone.now()
    horizon = now - lag
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL would answer from the first snapshot it took.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND backend_type = 'client backend'"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None and oldest - lag < horizon:
            held = max(oldest - lag, now - MAX_HOLD)
            if held == now - MAX_HOLD:
                log.warning("a transaction open since %s holds the rollups back; not waiting for it", oldest)
            horizon = held
    return horizon


def rollups_update(
    *,
    rebuild: bool = False,
    until: dt.datetime | None = None,
    lag: dt.timedelta | None = None,
    chunk_size: int = CHUNK,
    budget_seconds: float | None = None,
) -> UpdateReport:
    """Fold events stored since the last run into the rollups (all of them, with
    ``rebuild``, in one transaction: the dashboards show the old figures until it
    commits). ``until`` overrides the horizon (tests); ``budget_seconds`` stops after
    the slice that exceeds it (the beat task: the next run carries on)."""
    began = _time.monotonic()
    horizon = until or safe_horizon(lag=lag)
    m.Watermark.objects.get_or_create(name=WATERMARK)
    if rebuild:
        with transaction.atomic():
            watermark = m.Watermark.objects.select_for_update().get(name=WATERMARK)
            rollups_clear()
            watermark.received, watermark.events = None, 0
            watermark.save(update_fields=["received", "events"])
            report = _advance(horizon, chunk_size, None, began)
    else:
        report = _advance(horizon, chunk_size, budget_seconds, began)
    report.seconds = _time.monotonic() - began
    return report


def rollups_clear() -> None:
    tables = [t.name for t in TABLES.values()] + [model._meta.db_table for model in STATE_MODELS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _advance(horizon: dt.datetime, chunk_size: int, budget: float | None, began: float) -> UpdateReport:
    report, catalog, width = UpdateReport(), CatalogSnapshot.load(), SLICE
    while True:
        with transaction.atomic():
            watermark = (
                m.Watermark.objects.select_for_update(skip_locked=True).filter(name=WATERMARK).first()
                if connection.features.has_select_for_update_skip_locked
                else m.Watermark.objects.get(name=WATERMARK)
            )
            if watermark is None:
                report.busy = True
                return report
            after = watermark.received
            if after is None:
                first = first_received()
                if first is None or first > horizon:
                    report.watermark = after
                    return report
            elif after >= horizon:
                report.watermark = after
                return report
            start = after if after is not None else first - dt.timedelta(microseconds=1)
            end = min(start + width, horizon)
            folded = 0
            for rows in events_received(after, end, chunk_size):
                chunk = Chunk(catalog)
                for row in rows:
                    chunk.fold(*row)
                chunk.flush()
                folded += len(rows)
            watermark.received, watermark.updated = end, timezone.now()
            watermark.events += folded
            watermark.save(update_fields=["received", "updated", "events"])
        report.events += folded
        report.slices += 1
        report.watermark = end
        # Few events: take longer slices; many: shorter ones (bounded transactions).
        width = (
            min(width * 4, dt.timedelta(days=7))
            if folded < 10 * chunk_size
            else max(width / 4, dt.timedelta(minutes=1))
        )
        if end >= horizon or (budget is not None and _time.monotonic() - began > budget):
            return report
