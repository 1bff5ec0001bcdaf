"""Learner-facing course pages that need no other app: the activity URL (each kind's
page is registered by the app that owns it, ``lms.courses.pages``) and the reading page,
the curriculum's media, enrolment and moving to the next session. The course outline,
progress and journey pages are ``lms.progress``'s."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lms.core.access import EVERYONE, OWNER, SIGNED_IN, STUDENT, access
from lms.core.ranged import ranged_file_response

from .pages import activity_openers, activity_page
from .selectors import activity_for_learner


@access(SIGNED_IN)
@login_required
def activity_detail(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    """An activity's page: opened here, rendered by the page its kind's app registered
    (``lms.courses.pages``: the lab page in ``lms.labs``, the quiz page in ``lms.quizzes``,
    the video page in ``lms.lectures``, the reading page below)."""
    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None:
        raise Http404("No such activity")
    page = activity_page(found.kind)
    if page is None:
        raise Http404("No page shows this kind of activity")
    _activity_opened(request, found)
    return page(request, found)


def reading_page(request: HttpRequest, activity) -> HttpResponse:
    """A reading: the author's Markdown, rendered without raw HTML."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(activity.transcript)
    return render(
        request,
        "courses/activity_reading.html",
        {"activity": activity, "course": activity.course, "body": body},
    )


def _activity_opened(request: HttpRequest, activity) -> None:
    """What every activity page's header and navigation read, set on the request: the
    learner's enrollment, Previous and Next in syllabus order, and no unmet prerequisites
    until an opener says otherwise; then the registered openers run (progress records the
    opening and names unmet prerequisites, recommendations add the recommended step)."""
    from .models import Enrollment
    from .selectors import activity_neighbours

    request.cairn_enrollment = (
        Enrollment.objects.filter(user=request.user, course_id=activity.course_id, active=True)
        .select_related("session")
        .first()
    )
    request.cairn_missing = []
    previous, following = activity_neighbours(activity=activity)
    request.cairn_nav = {"previous": previous, "next": following}
    for opener in activity_openers():
        opener(request, activity)


@access(EVERYONE)
def course_media(request: HttpRequest, name: str) -> HttpResponse:
    """The curriculum's lecture clips (course_content/media/), seekable (Range support).
    Public like any published lecture; a name can never leave the media folder."""
    folder = (Path(settings.CONTENT_ROOT) / "media").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise Http404("No such media file")
    return ranged_file_response(request, path)


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
