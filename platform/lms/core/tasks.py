"""Infrastructure tasks: a round-trip probe used by tests and operators; and
:func:`retried_task`, the options of a task that waits out a passing outage."""

import socket

from django.db import connection

from celery import shared_task


def retried_task(name: str, *, retry_for: tuple[type[Exception], ...], time_limit: int = 60):
    """``shared_task`` for a short task that an outage (the mail server, the database)
    may fail for a while: acknowledged once done, and retried on ``retry_for`` with
    growing waits, five times at most. Its body must be safe to run twice."""
    return shared_task(
        name=name,
        acks_late=True,
        time_limit=time_limit,
        autoretry_for=retry_for,
        retry_backoff=True,
        max_retries=5,
    )


@shared_task(name="core.probe", acks_late=True, time_limit=30)
def probe(token: str) -> dict[str, str]:
    """Echo ``token`` with the worker's host and database vendor: proves broker,
    worker and database are wired together."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"token": token, "host": socket.gethostname(), "database": connection.vendor}
