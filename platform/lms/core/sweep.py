"""Failing background jobs that will never finish on their own.

Every job is a row (a submission, an export, a data request, a model version) that its
task moves from queued to running to an end state. Two things leave a row in between for
ever: a worker killed mid-run (hard time limit, out of memory, a deploy) leaves it
running, and a message lost for longer than anyone waits leaves it queued. A periodic
task per app calls :func:`stale_jobs_fail` so that such a row ends failed, with a reason
the page shows, instead of being polled for ever:

* running rows started longer ago than the task's ``time_limit`` plus :data:`SLACK`
  (:func:`run_limit`): the task cannot still be running, Celery has killed it;
* queued rows older than ``queued_for``: too old to be worth sending again (younger ones
  are re-sent by ``lms.core.dispatch.queued_redispatch``).

Each row is re-read under a row lock that skips rows a worker holds, with the same
staleness filter, so a job that finished meanwhile is left alone and running the sweep
twice (or two sweeps at once) fails each row once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)
SLACK = dt.timedelta(minutes=2)  # a worker's clock, its last save, the beat's own period
BATCH = 500


def run_limit(task) -> dt.timedelta:
    """How long a row of ``task`` can be running: its hard time limit plus :data:`SLACK`."""
    return dt.timedelta(seconds=task.time_limit) + SLACK


def stale_jobs_fail(
    *,
    jobs: QuerySet,
    queued: Q,
    running: Q,
    queued_for: dt.timedelta,
    running_for: dt.timedelta,
    fail: Callable[[Model], object],
    created_field: str = "created",
    started_field: str = "started",
) -> int:
    """Call ``fail(row)`` (which marks the row failed) for each row of ``jobs`` that is
    ``queued`` and created more than ``queued_for`` ago, or ``running`` and started more
    than ``running_for`` ago; how many were failed (at most :data:`BATCH` per call)."""
    now = timezone.now()
    stale = jobs.filter(
        (queued & Q(**{f"{created_field}__lt": now - queued_for}))
        | (running & Q(**{f"{started_field}__lt": now - running_for}))
    )
    failed = 0
    for pk in list(stale.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            row = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:  # finished, or being taken by a worker, since the list was read
                continue
            fail(row)
            failed += 1
    if failed:
        log.warning("failed %d stale %s job(s)", failed, jobs.model._meta.label)
    return failed
