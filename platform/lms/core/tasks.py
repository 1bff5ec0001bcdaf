"""Infrastructure tasks: a round-trip probe used by tests and operators."""

import socket

from django.db import connection

from celery import shared_task


@shared_task(name="core.probe", acks_late=True, time_limit=30)
def probe(token: str) -> dict[str, str]:
    """Echo ``token`` with the worker's host and database vendor: proves broker,
    worker and database are wired together."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"token": token, "host": socket.gethostname(), "database": connection.vendor}
