"""Where each learner stands: one row per (learner, activity) they have touched, and the
certificates they earned.

Rows are written by ``lms.progress.services`` as things happen (a page opened, video
segments played, a quiz or lab graded), so pages read progress without scanning events.
"""

import uuid

from django.conf import settings
from django.db import models


class ActivityProgress(models.Model):
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress")
    activity = models.ForeignKey("courses.Activity", on_delete=models.CASCADE, related_name="progress")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="progress")
    started = models.DateTimeField(auto_now_add=True)  # first opened: the order of the learner's path
    completed = models.DateTimeField(null=True, blank=True)  # when the completion rule first held
    score = models.FloatField(null=True, blank=True)  # best graded score (quiz, lab Submit)
    passed = models.BooleanField(default=False)  # best graded score reached the pass mark
    coverage = models.FloatField(default=0.0)  # video: share of the clip actually played
    segments = models.JSONField(default=list, blank=True)  # video: merged played [start, end] seconds
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["started"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "activity"], name="progress_unique_learner_activity")
        ]
        indexes = [models.Index(fields=["learner", "course"], name="progress_learner_course")]

    def __str__(self) -> str:
        return f"{self.learner_id} on {self.activity_id}: {'done' if self.completed else 'started'}"


class Certificate(models.Model):
    """Issued to a verified learner who passed every graded item of a course. ``code``
    is the public verification id in the certificate's URL."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="certificates")
    grade = models.FloatField()
    issued = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "course"], name="certificate_unique")]

    def __str__(self) -> str:
        return f"certificate {self.code} ({self.learner_id}, {self.course_id})"
