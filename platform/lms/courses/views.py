"""Learner-facing catalog pages. (The full course site grows here: outline, quiz and
lab pages; this module starts with the video page the tracker instruments.)"""

import re
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lms.core.access import EVERYONE, OWNER, SIGNED_IN, STUDENT, access
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
    from markdown_it import MarkdownIt

    inline = MarkdownIt("commonmark", {"html": False}).renderInline  # escapes any raw HTML
    cues, offset = [], 0
    for chunk in chunks:
        cues.append({"fraction": round(offset / total, 4), "html": inline(chunk.lstrip("# "))})
        offset += len(chunk)
    return cues


@access(SIGNED_IN)
@login_required
def activity_detail(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None:
        raise Http404("No such activity")
    _activity_opened(request, found)
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
    from lms.lectures.views import lecture_page_context

    return render(
        request,
        "courses/activity_video.html",
        {"activity": found, "course": found.course, "cues": transcript_cues(found.transcript),
         **lecture_page_context(found)},
    )  # fmt: skip


def _activity_opened(request: HttpRequest, activity) -> None:
    """Record progress for enrolled learners and note unmet prerequisites on the request
    (the activity header shows them: a soft lock, the page still opens)."""
    from lms.progress.selectors import missing_prerequisites
    from lms.progress.services import progress_activity_opened

    from .models import Enrollment

    enrollment = (
        Enrollment.objects.filter(user=request.user, course_id=activity.course_id, active=True)
        .select_related("session")
        .first()
    )
    request.cairn_enrollment = enrollment
    request.cairn_missing = missing_prerequisites(learner=request.user, activity=activity)
    if enrollment is not None:
        progress_activity_opened(learner=request.user, activity=activity)
    request.cairn_nav = _activity_nav(request, activity)


def _activity_nav(request: HttpRequest, activity) -> dict:
    """Previous and Next in syllabus order, and the learner's recommended step when it is
    neither this activity nor its Next (read from the home page's cached choice: opening
    a page never runs the recommender)."""
    from lms.recommendations.selectors import next_step_cached

    from .selectors import activity_neighbours

    previous, following = activity_neighbours(activity=activity)
    exclude = (activity.slug, following.slug if following else "")
    return {"previous": previous, "next": following,
            "recommended": next_step_cached(learner=request.user, exclude=exclude)}  # fmt: skip


@access(EVERYONE)
def course_media(request: HttpRequest, name: str) -> HttpResponse:
    """The curriculum's lecture clips (course_content/media/), seekable (Range support).
    Public like any published lecture; a name can never leave the media folder."""
    folder = (Path(settings.CONTENT_ROOT) / "media").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise Http404("No such media file")
    return ranged_file_response(request, path)


def _lab_page(request: HttpRequest, activity) -> HttpResponse:
    """The lab page. A POST uploads a completed .ipynb without JavaScript: the page comes
    back with its code in the editor (the script does the same through the notebook API)."""
    from markdown_it import MarkdownIt

    from course_content.labkit.notebook import make_starter, parse_cells
    from lms.labs.notebooks import NotebookRefused, notebook_upload_code, notebook_upload_wait
    from lms.labs.selectors import latest_submission

    lab_dir = Path(settings.CONTENT_ROOT) / activity.lab_path
    source = (lab_dir / "lab.py").read_text(encoding="utf-8")
    starter = make_starter(source)
    markdown = MarkdownIt("commonmark", {"html": False})  # authors' text, rendered without raw HTML
    instructions = [markdown.render(cell.source) for cell in parse_cells(source) if cell.kind == "markdown"]
    last = latest_submission(learner=request.user, activity=activity)
    enrollment = request.cairn_enrollment  # looked up once by activity_detail
    code, upload_message, upload_error, status = last.code if last else starter, "", False, 200
    wait = notebook_upload_wait(request) if request.method == "POST" else None
    if wait is not None:
        upload_message = f"Too many uploads: try again in {wait} seconds."
        upload_error, status = True, 429
    elif request.method == "POST":
        try:
            code = notebook_upload_code(upload=request.FILES.get("notebook"), lab_dir=lab_dir)
            upload_message = "Loaded your code from the notebook: Run or Submit it to grade it."
        except NotebookRefused as exc:
            upload_message, upload_error, status = f"Could not use this notebook: {exc}", True, 400
    return render(
        request,
        "courses/activity_lab.html",
        {
            "activity": activity,
            "course": activity.course,
            "instructions": instructions,
            "code": code,
            "starter": starter,
            "last": last,
            "enrollment": enrollment,
            "upload_message": upload_message,
            "upload_error": upload_error,
        },
        status=status,
    )


@access(SIGNED_IN)
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


@access(EVERYONE)
def course_detail(request: HttpRequest, course: str) -> HttpResponse:
    """The course outline (public, like a syllabus); for an enrolled learner it shows
    their progress, weekly deadlines and grade, and offers the next session if behind."""
    from lms.progress.selectors import course_state_for

    from .selectors import is_instructor

    state = course_state_for(learner=request.user, course_slug=course)
    if state is None:
        raise Http404("No such course")
    teaches = is_instructor(user=request.user, course_id=state.course.pk)
    return render(
        request, "courses/course_detail.html", {"course": state.course, "state": state, "teaches": teaches}
    )


@access(SIGNED_IN)
@login_required
@require_POST
def course_enroll(request: HttpRequest, course: str) -> HttpResponse:
    from .models import Course, Enrollment
    from .services import enrollment_create

    found = Course.objects.filter(slug=course, external_source="").first()
    if found is None:
        raise Http404("No such course")
    track = request.POST.get("track", Enrollment.Track.AUDIT)
    if track not in (Enrollment.Track.AUDIT, Enrollment.Track.VERIFIED):
        messages.error(request, "Choose the audit or the verified track.")
        return redirect("course-detail", course)
    enrollment_create(user=request.user, course=found, track=track)
    messages.success(request, f"You are enrolled on the {track} track. Welcome!")
    return redirect("course-detail", course)


@access(OWNER, STUDENT)  # the learners enrolled in the course
@login_required
@require_POST
def course_session_next(request: HttpRequest, course: str) -> HttpResponse:
    from .models import Enrollment
    from .services import enrollment_session_move

    enrollment = Enrollment.objects.filter(user=request.user, course__slug=course, active=True).first()
    if enrollment is None:
        raise Http404("You are not enrolled in this course")
    enrollment = enrollment_session_move(enrollment=enrollment)
    messages.success(
        request,
        f"You moved to the session starting {enrollment.session.starts:%d %B %Y}. All your work is kept.",
    )
    return redirect("course-detail", course)


@access(SIGNED_IN)
@login_required
def course_progress(request: HttpRequest, course: str) -> HttpResponse:
    from lms.progress.selectors import course_state_for

    state = course_state_for(learner=request.user, course_slug=course)
    if state is None:
        raise Http404("No such course")
    return render(request, "courses/course_progress.html", {"course": state.course, "state": state})


@access(SIGNED_IN)
@login_required
def course_journey(request: HttpRequest, course: str) -> HttpResponse:
    from lms.progress.journey import journey_map
    from lms.progress.selectors import course_state_for

    state = course_state_for(learner=request.user, course_slug=course)
    if state is None:
        raise Http404("No such course")
    return render(
        request,
        "courses/course_journey.html",
        {"course": state.course, "state": state, "map": journey_map(state)},
    )


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
