"""Maintenance of the event store."""

from celery import shared_task

from . import partitions


@shared_task(name="tracking.partitions_ensure_ahead", acks_late=True, time_limit=120)
def partitions_ensure_ahead_task() -> list[str]:
    """Create this month's and the next months' partitions (idempotent; beat runs it daily)."""
    return partitions.partitions_ensure_ahead()
