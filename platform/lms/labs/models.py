"""Lab submissions and the grader's health.

A submission is a learner's notebook source sent with Run (public tests only, never
graded) or Submit (all tests, recorded grade), and a job (``lms.core.jobs``): its status
moves queued -> running -> graded | not_gradable | failed; the lab page polls it. A
learner has at most one submission queued or running per lab; one stuck past its limit
is failed by the sweeper (``labs.sweep_stale``).
"""

import uuid

from django.conf import settings
from django.db import models

from lms.core.jobs import Job


class Submission(Job):
    class Mode(models.TextChoices):
        RUN = "run"
        SUBMIT = "submit"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        GRADED = "graded"
        NOT_GRADABLE = "not_gradable"  # syntax error or untouched starter: no attempt charged
        FAILED = "failed"  # the grader could not grade it (sandbox broken, reference broken)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    activity = models.ForeignKey("courses.Activity", on_delete=models.CASCADE, related_name="submissions")
    mode = models.CharField(max_length=6, choices=Mode.choices)
    code = models.TextField()
    seed = models.BigIntegerField()  # hidden-test inputs are drawn per submission
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    score = models.FloatField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)  # per-test feedback (never expected hidden values)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["learner", "activity", "-created"], name="submission_learner_activity")
        ]
        constraints = [
            # Fairness: one learner's burst cannot fill the grading queue. A partial unique
            # index (PostgreSQL and SQLite both have them) backs the check in submission_create.
            models.UniqueConstraint(
                fields=["learner", "activity"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_pending_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} of {self.activity_id} by {self.learner_id} ({self.status})"

    @property
    def counts_as_attempt(self) -> bool:
        return self.mode == self.Mode.SUBMIT and self.status == self.Status.GRADED


class GraderStatus(models.Model):
    """The latest isolation self-test of each grading worker (shown by /healthz/ready)."""

    worker = models.CharField(max_length=200, unique=True)
    ok = models.BooleanField()
    detail = models.TextField()
    checked = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.worker}: {'ok' if self.ok else 'BROKEN'}"
