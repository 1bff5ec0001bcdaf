"""Worker heartbeats: each Celery worker records that it is alive, so the readiness view
reads a row instead of pinging the workers (a ping waits out its whole timeout, 1 s, on
every call, and it needs the broker).

:class:`Heartbeat` is a worker bootstep (added to the app in ``lms.celery``): when the
worker starts, and every :data:`HEARTBEAT_EVERY` seconds after, it writes the worker's
:class:`~lms.core.models.WorkerHeartbeat` row (its node name, queues, pid, time); a clean
stop deletes the row. The timer runs on the worker's event loop, the same loop that
consumes messages, so a worker whose loop is stuck or cut off from the broker stops
beating and turns stale after :data:`STALE_AFTER` seconds. A grading worker also runs its
sandbox self-test again every :data:`SELFTEST_EVERY` seconds (in a thread), so the result
``/healthz/ready`` shows is never older than that while the worker lives.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

from celery import bootsteps

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 10.0  # seconds between two heartbeats of one worker
STALE_AFTER = 60.0  # a heartbeat older than this: the worker is named stale (six missed beats)
FORGET_AFTER = 24 * 3600.0  # rows of workers that died without a clean stop are deleted after this
SELFTEST_EVERY = 6 * 3600.0  # a grading worker's sandbox self-test is redone this often


def heartbeat_record(*, worker: str, queues: list[str], pid: int, started: dt.datetime) -> None:
    """Write ``worker``'s heartbeat now, and drop rows no worker has written for a day."""
    from django.utils import timezone

    from lms.core.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker, defaults={"queues": queues, "pid": pid, "started": started, "beat": now}
    )
    WorkerHeartbeat.objects.filter(beat__lt=now - dt.timedelta(seconds=FORGET_AFTER)).delete()


def heartbeat_forget(*, worker: str) -> None:
    """A clean stop: the worker is gone, not stale."""
    from lms.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker=worker).delete()


class Heartbeat(bootsteps.StartStopStep):
    """Beat on the worker's timer (started after the pool, so a prefork worker's children
    never inherit the database connection the beats use)."""

    requires = {"celery.worker.components:Timer", "celery.worker.components:Pool"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None
        self.started = None
        self.selftested = 0.0
        self.failing = False

    def start(self, parent) -> None:
        from django.utils import timezone

        self.started = timezone.now()
        self.selftested = time.monotonic()  # the first self-test runs on `worker_ready`
        self.beat(parent)
        self.tref = parent.timer.call_repeatedly(HEARTBEAT_EVERY, self.beat, (parent,), priority=10)

    def beat(self, parent) -> None:
        from django.db import close_old_connections

        queues = sorted(parent.app.amqp.queues.consume_from or parent.app.amqp.queues)
        try:
            close_old_connections()  # a connection broken by a database restart is replaced
            heartbeat_record(worker=parent.hostname, queues=queues, pid=os.getpid(), started=self.started)
        except Exception as exc:  # noqa: BLE001 - never break the worker's loop; say it once
            if not self.failing:
                log.warning(
                    "worker heartbeat not recorded (%s: %s); retrying every beat", type(exc).__name__, exc
                )
            self.failing = True
            return
        if self.failing:
            log.info("worker heartbeat recorded again")
        self.failing = False
        if "grading" in queues and time.monotonic() - self.selftested >= SELFTEST_EVERY:
            self.selftested = time.monotonic()
            threading.Thread(target=_selftest, name="sandbox-selftest", daemon=True).start()

    def stop(self, parent) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        from django.db import connection

        try:
            heartbeat_forget(worker=parent.hostname)
        except Exception as exc:  # noqa: BLE001 - the row turns stale instead
            log.warning("worker heartbeat not removed (%s: %s)", type(exc).__name__, exc)
        finally:
            connection.close()  # the connection the beats used (this thread's)

    terminate = stop


def _selftest() -> None:
    from django.db import connection

    from lms.labs.grading import selftest

    try:
        selftest(force=True)
    except Exception:  # noqa: BLE001 - the stale result shows on /healthz/ready
        log.exception("grading sandbox self-test crashed")
    finally:
        connection.close()  # this thread's own connection
