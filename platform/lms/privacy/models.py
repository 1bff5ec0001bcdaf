"""Learner data rights: requests (download my data, erase me), their append-only audit
log, and the exclusion list that keeps erased learners out of later imports.

A ``DataRequest`` is the job's state while it runs (``lms.core.jobs``; the page polls it). Its ``learner``
is set to null when the learner is erased, so afterwards nothing links a request to
anyone; the audit log never names a learner at all, only the request's opaque id.
"""

import uuid

from django.conf import settings
from django.db import models

from lms.core.jobs import StagedJob


class DataRequest(StagedJob):
    class Kind(models.TextChoices):
        DOWNLOAD = "download", "Download my data"
        ERASURE = "erasure", "Erase my data"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        EXPIRED = "expired"  # a download whose archive was deleted (7 days, or the learner erased)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the opaque request id
    kind = models.CharField(max_length=10, choices=Kind.choices)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="data_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    path = models.CharField(max_length=500, blank=True)  # the archive, under DATA_DIR / "privacy"
    size = models.BigIntegerField(null=True, blank=True)  # bytes
    expires = models.DateTimeField(null=True, blank=True)  # downloads: when the archive is deleted

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind} request {self.id} ({self.status})"


class AuditEntry(models.Model):
    """One line of the append-only audit log: a request asked for, finished, failed,
    downloaded or expired. Rows are never changed nor deleted (``save`` and ``delete``
    refuse; on PostgreSQL a trigger refuses UPDATE and DELETE too)."""

    class Action(models.TextChoices):
        REQUESTED = "requested"
        DONE = "done"
        FAILED = "failed"
        DOWNLOADED = "downloaded"
        EXPIRED = "expired"

    request_id = models.UUIDField(db_index=True)  # DataRequest.id (no foreign key: the log outlives it)
    kind = models.CharField(max_length=10, choices=DataRequest.Kind.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    asked_by = models.CharField(max_length=40, default="the learner (self-service)")
    at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict, blank=True)  # {"app.Model" or "file kind": rows or files}
    detail = models.TextField(blank=True)  # the failure's reason, the files touched (never a name)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.request_id}: {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the audit log is append-only")


class ErasedLearner(models.Model):
    """A keyed hash (HMAC-SHA256 with SECRET_KEY, ``lms.privacy.selectors.erased_key``)
    of an erased learner's username and pseudonyms. Importers drop records whose
    learner matches one, so re-importing an old log cannot bring the learner back. The
    hash names nobody by itself: it only matches when the identifier is presented."""

    key = models.CharField(max_length=64, primary_key=True)

    def __str__(self) -> str:
        return self.key[:12]
