"""Lecture videos made from transcripts (``course_content.lecture``), one row per video
activity: the job's state while it is made, then where the files are and their timing.

The row is keyed on the activity and carries the *fingerprint* of what the video is made
from (generator version, titles, stated duration, text): when the course changes, the
fingerprint changes and the lecture is made again; until then the files are reused.
"""

from django.db import models

from lms.core.jobs import Job


class LectureRender(Job):
    """A video activity's lecture: a job (``lms.core.jobs``) whose ``created`` is when it
    was last queued (a request queues it again when its fingerprint changed or it was lost),
    then the files made and their timing."""

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

    def __str__(self) -> str:
        return f"lecture of {self.activity_id} ({self.status})"
