"""Learner-facing catalog pages. (The full course site grows here: outline, quiz and
lab pages; this module starts with the video page the tracker instruments.)"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.ranged import ranged_file_response

from .selectors import activity_for_learner

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'])")


def transcript_cues(text: str, *, per_cue: int = 2) -> list[dict]:
    """Split a transcript into cues of a couple of sentences, each placed at the fraction
    of the lecture where it starts (proportional to its position in the text)."""
    sentences = [
        s.strip() for paragraph in text.split("\n\n") for s in _SENTENCE_END.split(paragraph) if s.strip()
    ]
    chunks = [" ".join(sentences[i : i + per_cue]) for i in range(0, len(sentences), per_cue)]
    total = sum(len(c) for c in chunks) or 1
    cues, offset = [], 0
    for chunk in chunks:
        cues.append({"fraction": round(offset / total, 4), "text": chunk.lstrip("# ")})
        offset += len(chunk)
    return cues


@login_required
def activity_detail(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None:
        raise Http404("No such activity")
    if found.kind != found.Kind.VIDEO:
        raise Http404("This page shows videos; other activity pages arrive with the course site")
    return render(
        request,
        "courses/activity_video.html",
        {"activity": found, "course": found.course, "cues": transcript_cues(found.transcript)},
    )


def course_media(request: HttpRequest, name: str) -> HttpResponse:
    """The curriculum's lecture clips (course_content/media/), seekable (Range support).
    Public like any published lecture; a name can never leave the media folder."""
    folder = (Path(settings.CONTENT_ROOT) / "media").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise Http404("No such media file")
    return ranged_file_response(request, path)
