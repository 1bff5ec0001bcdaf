"""Learner-facing catalog pages. (The full course site grows here: outline, quiz and
lab pages; this module starts with the video page the tracker instruments.)"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.ranged import ranged_file_response

from .selectors import activity_for_learner, course_outline

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'])")


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


@login_required
def activity_detail(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None:
        raise Http404("No such activity")
    if found.kind == found.Kind.LAB:
        return _lab_page(request, found)
    if found.kind == found.Kind.QUIZ:
        return _quiz_page(request, found)
    if found.kind == found.Kind.READING:
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark", {"html": False}).render(found.transcript)
        return render(
            request,
            "courses/activity_reading.html",
            {"activity": found, "course": found.course, "body": body},
        )
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


def _lab_page(request: HttpRequest, activity) -> HttpResponse:
    from markdown_it import MarkdownIt

    from course_content.labkit.notebook import make_starter, parse_cells
    from lms.labs.selectors import latest_submission

    source = (Path(settings.CONTENT_ROOT) / activity.lab_path / "lab.py").read_text(encoding="utf-8")
    starter = make_starter(source)
    markdown = MarkdownIt("commonmark", {"html": False})  # authors' text, rendered without raw HTML
    instructions = [markdown.render(cell.source) for cell in parse_cells(source) if cell.kind == "markdown"]
    last = latest_submission(learner=request.user, activity=activity)
    enrollment = activity.course.enrollments.filter(user=request.user, active=True).first()
    return render(
        request,
        "courses/activity_lab.html",
        {
            "activity": activity,
            "course": activity.course,
            "instructions": instructions,
            "code": last.code if last else starter,
            "starter": starter,
            "last": last,
            "enrollment": enrollment,
        },
    )


@login_required
def lab_download(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    """The lab as a Jupyter notebook (starter code and public tests; never the solution)."""
    import nbformat

    from course_content.labkit.notebook import to_ipynb

    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None or found.kind != found.Kind.LAB:
        raise Http404("No such lab")
    notebook = to_ipynb(Path(settings.CONTENT_ROOT) / found.lab_path, solution=False)
    response = HttpResponse(nbformat.writes(notebook), content_type="application/x-ipynb+json")
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.ipynb"'
    return response


def course_detail(request: HttpRequest, course: str) -> HttpResponse:
    """The course outline: weeks and their activities (public, like a syllabus)."""
    found = course_outline(course_slug=course)
    if found is None:
        raise Http404("No such course")
    return render(request, "courses/course_detail.html", {"course": found})


def _quiz_answers(request: HttpRequest, questions) -> dict:
    answers = {}
    for q in questions:
        key = f"q-{q.slug}"
        if q.type == q.Type.MULTIPLE:
            answers[q.slug] = sorted(int(v) for v in request.POST.getlist(key) if v.isdigit())
        elif q.type == q.Type.SINGLE:
            value = request.POST.get(key, "")
            answers[q.slug] = int(value) if value.isdigit() else None
        else:
            answers[q.slug] = request.POST.get(key, "").strip() or None
    return answers


def _quiz_page(request: HttpRequest, activity) -> HttpResponse:
    from django.contrib import messages
    from django.shortcuts import redirect

    from lms.quizzes.models import QuizAttempt
    from lms.quizzes.services import AttemptRefused, attempts_left, quiz_attempt_submit

    questions = list(activity.questions.filter(retired=False))
    if request.method == "POST":
        try:
            quiz_attempt_submit(
                learner=request.user, activity=activity, answers=_quiz_answers(request, questions)
            )
        except AttemptRefused as exc:
            messages.error(request, str(exc))
        return redirect(request.path)
    last = QuizAttempt.objects.filter(learner=request.user, activity=activity).first()
    shown = []
    for q in questions:
        answer = last.answers.get(q.slug) if last else None
        chosen = set(answer if isinstance(answer, list) else [answer]) if answer is not None else set()
        options = [{**o, "index": i, "chosen": i in chosen} for i, o in enumerate(q.options)]
        shown.append(
            {
                "q": q,
                "options": options,
                "answer": answer,
                "correct": last.results.get(q.slug) if last else None,
            }
        )
    return render(
        request,
        "courses/activity_quiz.html",
        {
            "activity": activity,
            "course": activity.course,
            "questions": shown,
            "last": last,
            "attempts_left": attempts_left(learner=request.user, activity=activity),
        },
    )
