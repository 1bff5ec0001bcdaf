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

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from course_content import rules
from course_content.rules import coverage, merge_segments, video_complete
from lms.courses.models import Activity, Enrollment
from lms.tracking.listeners import learners_touched

from .models import ActivityProgress, Certificate
from .selectors import course_grade


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
    row.segments = merge_segments([*row.segments, *clean])
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


VIDEO_SEGMENT_VERBS = ("video.paused", "video.completed")


def _number(value: object) -> bool:
    return type(value) in (int, float) and value == value  # not a bool, not NaN


def _played(events: Iterable[tuple[object, object, object]]) -> dict:
    """Activity (slug or id, as the events name it) -> (played segments, last media
    length) from (verb, activity, payload) triples: what video pauses and completions
    say. Only [number, number] pairs count (validation already demands them; a stored
    payload is read again by the task)."""
    played: dict = {}
    for verb, activity, payload in events:
        if verb not in VIDEO_SEGMENT_VERBS or not activity:
            continue
        payload = payload or {}
        segments, duration = played.get(activity, ([], None))
        segments += [
            [s[0], s[1]]
            for s in payload.get("segments") or ()
            if isinstance(s, list | tuple) and len(s) == 2 and _number(s[0]) and _number(s[1])
        ]
        length = payload.get("duration")
        played[activity] = (segments, length if _number(length) and length else duration)
    return {activity: entry for activity, entry in played.items() if entry[0]}


def videos_played(events: Iterable[dict]) -> dict[str, tuple[list, float | None]]:
    """Activity slug -> (the played segments the events report, the last media length they
    report), from raw events (``_played``)."""
    return _played((event.get("verb"), event.get("activity"), event.get("payload")) for event in events)


# One statement for a whole batch: every video the batch played, joined to the catalog
# (videos only) by slug or by id, inserted or folded into the learner's row (the row lock
# of ON CONFLICT orders concurrent batches of the same learner). progress_video_fold
# (migration 0002) is the completion rule in SQL; ``completed`` is set once, when
# coverage first reaches it.
_FOLD_SQL = """
WITH played AS (
    SELECT a.id AS activity_id, a.course_id, n.segments,
           coalesce(nullif(n.duration, 0), a.duration_seconds, 0)::float8 AS length
    FROM jsonb_to_recordset(%(played)s) AS n(activity {type}, segments jsonb, duration float8)
    JOIN courses_activity AS a ON a.{column} = n.activity AND a.kind = 'video'
)
INSERT INTO progress_activityprogress AS p
    (learner_id, activity_id, course_id, started, updated, completed, score, passed, coverage, segments)
SELECT %(learner)s, played.activity_id, played.course_id, now(), now(),
       CASE WHEN f.coverage >= %(complete)s THEN now() END, NULL, false, f.coverage, f.segments
FROM played, progress_video_fold('[]', played.segments, played.length, 0) AS f
ON CONFLICT (learner_id, activity_id) DO UPDATE SET (segments, coverage, completed, updated) = (
    SELECT f.segments, f.coverage, coalesce(p.completed, CASE WHEN f.coverage >= %(complete)s THEN now() END),
           now()
    FROM played, progress_video_fold(p.segments, played.segments, played.length, p.coverage) AS f
    WHERE played.activity_id = excluded.activity_id
)
"""
_FOLD_BY = {
    "slug": _FOLD_SQL.format(column="slug", type="text"),
    "id": _FOLD_SQL.format(column="id", type="int8"),
}


def progress_from_events(*, learner_id: int, events: Iterable[dict], signalled: bool = False) -> int:
    """Fold stored (already validated) events, as raw events naming activities by slug,
    into progress: the played segments that video pauses and completions report. Returns
    how many videos were folded.

    Idempotent: segments are merged as a union, so the same events folded twice (a task
    retried, a batch re-sent) change nothing; ``completed`` keeps its first time.
    PostgreSQL: one statement (``_FOLD_SQL``), whatever the number of events and videos.
    Other databases (SQLite): ``progress_video_played`` per video.
    ``signalled``: the caller already named the learner to ``learners_touched`` inside
    the same transaction (the ingestion does, for every event it stores), so the bump at
    commit covers this change too; otherwise it is done here."""
    return _fold(learner_id, videos_played(events), "slug", signalled)


def progress_from_rows(*, learner_id: int, rows: Iterable, signalled: bool = False) -> int:
    """``progress_from_events`` for stored events whose activity is already resolved:
    rows with ``verb``, ``activity_id`` and ``payload`` (``lms.tracking.store.Row``, or
    an ``Event`` values row), joined to the catalog by id, not looked up by slug again."""
    return _fold(
        learner_id, _played((row.verb, row.activity_id, row.payload) for row in rows), "id", signalled
    )


def _fold(learner_id: int, played: dict, by: str, signalled: bool) -> int:
    if not played:
        return 0
    if connection.vendor == "postgresql":
        # Merged here first (a batch's pauses overlap): fewer pairs to send and sort.
        # Clipping to the clip's length after the union gives what clipping before gives.
        rows = [
            {"activity": activity, "segments": merge_segments(segments), "duration": duration}
            for activity, (segments, duration) in played.items()
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                _FOLD_BY[by], {"played": Jsonb(rows), "learner": learner_id, "complete": rules.VIDEO_COMPLETE}
            )
            folded = cursor.rowcount
        if folded and not signalled:
            learners_touched([learner_id])
        return folded
    folded = 0
    for activity in Activity.objects.filter(**{f"{by}__in": list(played)}, kind=Activity.Kind.VIDEO):
        segments, duration = played[getattr(activity, by)]
        progress_video_played(learner_id=learner_id, activity=activity, segments=segments, duration=duration)
        folded += 1
    return folded
