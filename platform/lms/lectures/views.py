"""The video activity page (registered for the video kind in ``LecturesConfig.ready()``,
served at the activity URL by ``lms.courses``), and a generated lecture's files and
state. Public like any published lecture (as the curriculum's own clips are); only a
signed-in learner's page view queues a job, so an anonymous client cannot make the site
generate anything."""

import re

from django import shortcuts
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from lms.core.access import EVERYONE, access
from lms.core.ranged import ranged_file_response
from lms.courses.models import Activity

from .models import LectureRender
from .selectors import lecture_folder, lecture_ready

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'])")


def _ready(activity: str) -> LectureRender:
    found = Activity.objects.filter(slug=activity, retired=False, kind=Activity.Kind.VIDEO).first()
    render = lecture_ready(found) if found is not None else None
    if render is None:
        raise Http404("This lecture is not ready")
    return render


@access(EVERYONE)
def lecture_video(request: HttpRequest, activity: str) -> HttpResponse:
    return ranged_file_response(request, lecture_folder() / f"{_ready(activity).stem}.mp4")


@access(EVERYONE)
def lecture_captions(request: HttpRequest, activity: str) -> HttpResponse:
    response = ranged_file_response(request, lecture_folder() / f"{_ready(activity).stem}.vtt")
    response["Content-Type"] = "text/vtt; charset=utf-8"
    return response


@access(EVERYONE)
def lecture_status(request: HttpRequest, activity: str) -> JsonResponse:
    """``{"status": "queued" | "running" | "ready" | "failed" | "none"}``: the video page
    polls it while the lecture is prepared. A failure's reason (tool output, which may
    name server paths) goes to staff only."""
    render = LectureRender.objects.filter(activity__slug=activity).first()
    if render is None:
        return JsonResponse({"status": "none"})
    failed = render.status == "failed" and request.user.is_staff
    return JsonResponse({"status": render.status, "error": render.error if failed else ""})


def lecture_page_context(activity: Activity) -> dict:
    """What the video page needs: where the video comes from and, for a generated
    lecture, its render (queued here on the first visit, never made in the request) and
    the transcript as timed sentences once it is made."""
    from .selectors import GENERATED, lecture_source
    from .services import lecture_request

    source = lecture_source(activity)
    render = lecture_request(activity=activity) if source == GENERATED else None
    ready = render is not None and lecture_ready(activity) is not None
    timed = []
    if ready:
        for cue in render.cues:  # one line per sentence, starting where it is spoken
            if timed and timed[-1]["sentence"] == cue["sentence"]:
                timed[-1]["text"] += " " + cue["text"]
            else:
                timed.append(dict(cue))
    return {"lecture_source": source, "lecture": render, "lecture_ready": ready, "timed_cues": timed}


def transcript_cues(text: str, *, per_cue: int = 2) -> list[dict]:
    """Split a transcript into cues of a couple of sentences, each placed at the fraction
    of the lecture where it starts (proportional to its position in the text)."""
    sentences = [
        s.strip() for paragraph in text.split("\n\n") for s in _SENTENCE_END.split(paragraph) if s.strip()
    ]
    chunks = [" ".join(sentences[i : i + per_cue]) for i in range(0, len(sentences), per_cue)]
    total = sum(len(c) for c in chunks) or 1
    from markdown_it import MarkdownIt

    inline = MarkdownIt("commonmark", {"html": False}).renderInline  # escapes any raw HTML
    cues, offset = [], 0
    for chunk in chunks:
        cues.append({"fraction": round(offset / total, 4), "html": inline(chunk.lstrip("# "))})
        offset += len(chunk)
    return cues


def video_page(request: HttpRequest, activity: Activity) -> HttpResponse:
    """The video activity page: the player, the transcript as cues, and for a generated
    lecture its render's state."""
    return shortcuts.render(
        request,
        "lectures/activity_video.html",
        {"activity": activity, "course": activity.course, "cues": transcript_cues(activity.transcript),
         **lecture_page_context(activity)},
    )  # fmt: skip
