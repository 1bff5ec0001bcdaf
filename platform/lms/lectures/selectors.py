"""Reading lectures: where an activity's video comes from, and its render's state."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from course_content.lecture import GENERATOR_VERSION, sentences
from lms.courses.models import Activity

from .models import LectureRender

# What plays on a video page.
FILE, URL, GENERATED, ELSEWHERE, NONE = "file", "url", "generated", "elsewhere", "none"


def lecture_source(activity: Activity) -> str:
    """``file`` or ``url`` when the author named a video (``media:`` in course.yaml),
    ``generated`` when the video is made from the transcript (no ``media:``), ``elsewhere``
    for videos known from imported logs, ``none`` when there is nothing to show."""
    if activity.media.startswith("https://"):
        return URL
    if activity.media:
        return FILE
    if activity.external_source:
        return ELSEWHERE
    return GENERATED if lecture_text(activity) else NONE


def lecture_text(activity: Activity) -> str:
    """What is narrated: the transcript, or an interview's synopsis."""
    return activity.transcript.strip() or activity.synopsis.strip()


def lecture_fingerprint(activity: Activity) -> str:
    made_from = "\x1f".join(
        [str(GENERATOR_VERSION), activity.course.title, activity.title,
         str(activity.duration_seconds or 0), lecture_text(activity)]
    )  # fmt: skip
    return hashlib.sha256(made_from.encode("utf-8")).hexdigest()


def lecture_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "lectures"


def lecture_ready(activity: Activity) -> LectureRender | None:
    """The activity's lecture when its files are made from the current text and present."""
    render = LectureRender.objects.filter(activity=activity, status=LectureRender.Status.READY).first()
    if render is None or render.fingerprint != lecture_fingerprint(activity):
        return None
    if not (lecture_folder() / f"{render.stem}.mp4").is_file():
        return None
    return render


def lecture_moment_of_sentence(activity: Activity, sentence: int, render: LectureRender | None = None) -> int:
    """The second of the video where the transcript's sentence number ``sentence`` is
    said: measured for a generated lecture that is made (``render``, or looked up),
    otherwise the sentence's place in the transcript scaled to the stated duration."""
    if render is None:
        render = LectureRender.objects.filter(activity=activity, status=LectureRender.Status.READY).first()
    if render is not None and render.status == LectureRender.Status.READY:
        for cue in render.cues:
            if cue.get("sentence", -1) >= sentence:
                return int(cue["start"])
    said = sentences(activity.transcript)
    total = sum(len(s) for s in said) or 1
    return int(sum(len(s) for s in said[:sentence]) / total * (activity.duration_seconds or 0))
