"""Lecture videos made from transcripts (``course_content.lecture``), one row per video
activity: the job's state while it is made, then where the files are and their timing.

The row is keyed on the activity and carries the *fingerprint* of what the video is made
from (generator version, titles, stated duration, text): when the course changes, the
fingerprint changes and the lecture is made again; until then the files are reused.
"""

from django.db import models


class LectureRender(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    activity = models.OneToOneField(
        "courses.Activity", on_delete=models.CASCADE, related_name="lecture_render"
    )
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # File stem under MEDIA_ROOT/lectures/ (``<activity-slug>-<fingerprint[:12]>``): .mp4, .vtt, .json
    stem = models.CharField(max_length=120, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds, as made
    cues = models.JSONField(default=list, blank=True)  # [{"start", "end", "text"}]: the captions
    error = models.TextField(blank=True)
    requested = models.DateTimeField()
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lecture of {self.activity_id} ({self.status})"
