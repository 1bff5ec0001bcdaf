"""Making lectures: a request queues the job once, the task makes the files.

``lecture_request`` is what a video page calls: it never makes anything itself, it
makes sure exactly one job is queued (the row is locked while deciding, so concurrent
first requests queue one job between them) and returns the row the page shows.
``lecture_make`` is the task's body; it works only on a row it can claim, so a message
delivered twice makes the lecture once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from course_content.lecture import LectureError
from course_content.lecture import lecture_make as video_make
from lms.core.dispatch import task_send_on_commit
from lms.core.jobs import job_fail
from lms.courses.models import Activity

from .models import LectureRender
from .selectors import GENERATED, lecture_fingerprint, lecture_folder, lecture_source, lecture_text

log = logging.getLogger(__name__)
# A job queued or running for longer than this lost its worker (the task's own time
# limit is shorter): the next request queues it again.
STALE_AFTER = dt.timedelta(minutes=16)
_SAFE_STEM = re.compile(r"^[a-z0-9-]{1,120}$")


def lecture_request(*, activity: Activity, bulk: bool = False, send: bool = True) -> LectureRender | None:
    """The activity's lecture row, its job queued if the video is missing or out of date
    (``bulk``: on the background queue that ``lectures_prepare`` fills, so a learner's
    page view goes first; ``send=False``: the caller makes it itself). None when the
    activity's video is not generated."""
    if lecture_source(activity) != GENERATED:
        return None
    fingerprint = lecture_fingerprint(activity)
    now = timezone.now()
    try:
        with transaction.atomic():
            render, created = LectureRender.objects.get_or_create(
                activity=activity, defaults={"fingerprint": fingerprint}
            )
    except IntegrityError:  # a concurrent first request inserted it: that one queues the job
        return LectureRender.objects.get(activity=activity)
    if created:
        if send:
            _queue(render, bulk=bulk)
        return render
    if render.fingerprint == fingerprint:
        if (
            render.status == LectureRender.Status.READY
            and (lecture_folder() / f"{render.stem}.mp4").is_file()
        ):
            return render
        if render.status == LectureRender.Status.FAILED:
            return render  # shown with its reason; `lectures_prepare --retry` tries again
        since = render.started if render.status == LectureRender.Status.RUNNING else render.created
        if since is not None and since > now - STALE_AFTER:
            return render  # queued or being made
    # Out of date, lost, or its files gone: queue it again, once. The update matches only
    # the state read above, so of two concurrent requests only one queues a job.
    again = LectureRender.objects.filter(pk=render.pk, status=render.status, created=render.created).update(
        fingerprint=fingerprint, status=LectureRender.Status.QUEUED, created=now, started=None, finished=None,
        error="",
    )  # fmt: skip
    render.refresh_from_db()
    if again and send:
        _queue(render, bulk=bulk)
    return render


def _queue(render: LectureRender, *, bulk: bool) -> None:
    from .tasks import lecture_make_bulk_task, lecture_make_task  # tasks imports this module

    task_send_on_commit(lecture_make_bulk_task if bulk else lecture_make_task, render.pk)


def lecture_retry(*, activity: Activity) -> LectureRender | None:
    """Queue a failed lecture again (an operator fixed ffmpeg, say)."""
    LectureRender.objects.filter(activity=activity, status=LectureRender.Status.FAILED).update(
        status=LectureRender.Status.QUEUED, created=timezone.now() - STALE_AFTER * 2
    )
    return lecture_request(activity=activity)


def _claim(render_id: int) -> LectureRender | None:
    with transaction.atomic():
        render = (
            LectureRender.objects.select_for_update()
            .select_related("activity__course")
            .filter(pk=render_id)
            .first()
        )
        if render is None:
            return None
        if render.status == LectureRender.Status.READY and render.fingerprint == lecture_fingerprint(
            render.activity
        ):
            if (lecture_folder() / f"{render.stem}.mp4").is_file():
                return None
        if render.status == LectureRender.Status.FAILED:
            return None
        if render.status == LectureRender.Status.RUNNING and render.started > timezone.now() - STALE_AFTER:
            return None  # another worker is making it
        render.save(update_fields=render.mark_taken(timezone.now()))
        return render


def lecture_make(*, render_id: int) -> LectureRender | None:
    """Make the lecture of a queued row; None when there was nothing to do (gone,
    already made, being made elsewhere)."""
    render = _claim(render_id)
    if render is None:
        return None
    activity = render.activity
    fingerprint = lecture_fingerprint(activity)
    stem = f"{activity.slug}-{fingerprint[:12]}"
    if not _SAFE_STEM.match(stem):  # slugs are kebab-case; never build a path from anything else
        raise ValueError(f"unsafe lecture name {stem!r}")
    folder = lecture_folder()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        lecture = video_make(
            title=activity.title,
            course=activity.course.title,
            transcript=lecture_text(activity),
            duration=float(activity.duration_seconds or 60),
            out=folder / stem,
        )
    except LectureError as exc:
        log.warning("lecture of %s failed: %s", activity.slug, exc)
        job_fail(render, str(exc))
        return render
    with transaction.atomic():
        render = LectureRender.objects.select_for_update().get(pk=render.pk)
        old = render.stem
        render.status, render.stem, render.fingerprint = LectureRender.Status.READY, stem, fingerprint
        render.duration, render.finished, render.error = lecture.duration, timezone.now(), ""
        render.cues = [dataclasses.asdict(c) for c in lecture.cues]
        render.save()
    if old and old != stem and _SAFE_STEM.match(old):
        for suffix in (".mp4", ".vtt", ".json"):
            (folder / f"{old}{suffix}").unlink(missing_ok=True)
    return render
