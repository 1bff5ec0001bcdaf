"""Write side of progress. Each function is idempotent for the same input, so a task or a
resent event that runs twice does no harm.

Completion rules (docs/course-site.md; the rules themselves live in
``course_content.rules``, shared with the dashboards and the simulator):
- reading: opened;
- video: at least 90% of the clip played (the union of played segments,
  not the furthest position: skipping to the end does not count);
- quiz: an attempt reached the quiz's pass mark;
- lab: a graded Submit reached the course's passing grade, or, for auditors (who cannot
  Submit), a Run passed every public test.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from course_content.rules import coverage, video_complete
from course_content.rules import merge_segments as segments_merge
from lms.courses.models import Activity, Enrollment
from lms.tracking.services import learners_touched

from .models import ActivityProgress, Certificate


def _row(learner_id: int, activity: Activity) -> ActivityProgress:
    row, _ = ActivityProgress.objects.select_for_update().get_or_create(
        learner_id=learner_id, activity=activity, defaults={"course_id": activity.course_id}
    )
    return row


def progress_activity_opened(*, learner, activity: Activity) -> ActivityProgress:
    """The learner opened an activity page: it is started; a reading is done."""
    reading = activity.kind == Activity.Kind.READING
    row, created = ActivityProgress.objects.get_or_create(
        learner=learner,
        activity=activity,
        defaults={"course_id": activity.course_id, "completed": timezone.now() if reading else None},
    )
    changed = created
    if reading and row.completed is None:
        row.completed = timezone.now()
        row.save(update_fields=["completed", "updated"])
        changed = True
    if changed:  # opening a page again changes nothing
        learners_touched([learner.pk])
    return row


@transaction.atomic
def progress_video_played(
    *, learner_id: int, activity: Activity, segments: list, duration: float | None = None
) -> ActivityProgress:
    """Merge newly reported played segments; coverage is measured against the length of
    the media the player actually played (it reports it), else the catalog's length."""
    row = _row(learner_id, activity)
    length = float(duration or activity.duration_seconds or 0)
    clean = [
        [max(0.0, float(s)), min(float(e), length) if length else float(e)]
        for s, e in segments
        if isinstance(s, int | float) and isinstance(e, int | float)
    ]
    row.segments = segments_merge([*row.segments, *clean])
    if length:
        row.coverage = coverage(row.segments, length)
    fields = ["segments", "coverage", "updated"]
    if row.completed is None and video_complete(row.coverage):
        row.completed = timezone.now()
        fields.append("completed")
    row.save(update_fields=fields)
    learners_touched([learner_id])
    return row


@transaction.atomic
def progress_scored(
    *, learner_id: int, activity: Activity, score: float | None, passed: bool
) -> ActivityProgress:
    """A graded result: keep the best score; passing completes the activity. ``score``
    None (an auditor's all-green Run) completes without a grade."""
    row = _row(learner_id, activity)
    fields = ["updated"]
    if score is not None and (row.score is None or score > row.score):
        row.score = score
        fields.append("score")
    if passed and score is not None and not row.passed:
        row.passed = True
        fields.append("passed")
    if passed and row.completed is None:
        row.completed = timezone.now()
        fields.append("completed")
    row.save(update_fields=fields)
    if passed and activity.graded:
        certificate_issue_if_earned(learner_id=learner_id, course_id=activity.course_id)
    learners_touched([learner_id])
    return row


@transaction.atomic
def certificate_issue_if_earned(*, learner_id: int, course_id: int) -> Certificate | None:
    """Issue the certificate when a verified learner has passed every graded item."""
    from .selectors import course_grade

    existing = Certificate.objects.filter(learner_id=learner_id, course_id=course_id).first()
    if existing is not None:
        return existing
    verified = Enrollment.objects.filter(
        user_id=learner_id, course_id=course_id, active=True, track=Enrollment.Track.VERIFIED
    ).exists()
    if not verified:
        return None
    grade = course_grade(learner_id=learner_id, course_id=course_id)
    if not grade.graded_total or grade.graded_passed < grade.graded_total:
        return None
    certificate, _ = Certificate.objects.get_or_create(
        learner_id=learner_id, course_id=course_id, defaults={"grade": grade.grade}
    )
    return certificate


def progress_from_events(*, learner_id: int, events: list[dict]) -> None:
    """Fold stored (already validated) browser events into progress: the played
    segments that video pauses and completions report."""
    played: dict[str, tuple[list, float | None]] = {}
    for event in events:
        if event.get("verb") not in ("video.paused", "video.completed") or not event.get("activity"):
            continue
        payload = event.get("payload") or {}
        segments, duration = played.get(event["activity"], ([], None))
        segments += payload.get("segments") or []
        played[event["activity"]] = (segments, payload.get("duration") or duration)
    if not played:
        return
    for activity in Activity.objects.filter(slug__in=played, kind=Activity.Kind.VIDEO):
        segments, duration = played[activity.slug]
        if segments:
            progress_video_played(
                learner_id=learner_id, activity=activity, segments=segments, duration=duration
            )
