"""Rows the core keeps about the running system itself."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of one Celery worker, written by the worker itself every
    ``lms.site.heartbeat.HEARTBEAT_EVERY`` seconds and deleted when it stops cleanly.
    ``/healthz/ready`` reads these rows instead of pinging the workers (a ping waits out
    its whole timeout on every call)."""

    worker = models.CharField(max_length=200, unique=True)  # Celery's node name, "celery@host"
    queues = models.JSONField(default=list)
    pid = models.IntegerField()
    started = models.DateTimeField()
    beat = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} ({', '.join(self.queues)}) at {self.beat:%H:%M:%S}"
