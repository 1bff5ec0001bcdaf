"""Sending jobs to Celery without losing them when the broker is down.

Every background job here is a database row first (a queued submission, export or model
version), and its task takes only the row's id and works on a row that is still queued.
So a job whose message could not be sent is not lost: :func:`task_send` logs the outage
and leaves the row queued, and a periodic task per app calls :func:`queued_redispatch`
to send again every row that has waited longer than ``REDISPATCH_AFTER``. A message sent
twice does no harm (the second run finds the row no longer queued).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)
REDISPATCH_AFTER = dt.timedelta(minutes=2)


def task_send(task, *args) -> bool:
    """``task.delay(*args)``; False (logged) when the broker cannot be reached."""
    try:
        task.apply_async(args=args, retry_policy={"max_retries": 2, "interval_start": 0.2})
    except Exception as exc:  # noqa: BLE001 - kombu raises several types for "broker down"
        log.warning("could not send %s%r (%s: %s); it stays queued and is sent again later",
                    task.name, args, type(exc).__name__, exc)  # fmt: skip
        return False
    return True


def task_send_on_commit(task, *args) -> None:
    """Send once the current transaction commits (the worker must see the row)."""
    from django.db import transaction

    transaction.on_commit(lambda: task_send(task, *args))


def queued_redispatch(*, queued: QuerySet, task, created_field: str = "created") -> int:
    """Send ``task(pk)`` again for each row of ``queued`` older than ``REDISPATCH_AFTER``;
    how many were sent."""
    cutoff = timezone.now() - REDISPATCH_AFTER
    sent = 0
    for pk in queued.filter(**{f"{created_field}__lt": cutoff}).values_list("pk", flat=True)[:500]:
        sent += task_send(task, str(pk) if not isinstance(pk, int) else pk)
    if sent:
        log.info("sent %s again for %d queued row(s)", task.name, sent)
    return sent
