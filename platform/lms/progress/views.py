"""The progress pages: the course page as one learner sees it (outline, progress,
deadlines, grade), their progress and journey pages, certificates and their
verification page."""

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.access import EVERYONE, INSTRUCTOR, SIGNED_IN, STAFF, access
from lms.courses.models import Course
from lms.courses.selectors import is_instructor

from .journey import journey_map
from .models import Certificate
from .selectors import CourseState, course_state_for, missing_prerequisites
from .selectors import course_certificates as certificates_of
from .services import progress_activity_opened


def _state_or_404(request: HttpRequest, course: str) -> CourseState:
    """The course as ``request``'s user stands in it; "not found" for an unknown course."""
    state = course_state_for(learner=request.user, course_slug=course)
    if state is None:
        raise Http404("No such course")
    return state


@access(EVERYONE)
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """The public verification page of a certificate (anyone with the link). Any text is
    accepted in the URL, so a mistyped code gets the site's own "not found" page."""
    try:
        code = uuid.UUID(code)
    except ValueError:
        raise Http404("No certificate with this code") from None
    found = Certificate.objects.select_related("learner", "course").filter(code=code).first()
    if found is None:
        raise Http404("No certificate with this code")
    return render(request, "progress/certificate.html", {"certificate": found})


@access(INSTRUCTOR, STAFF)
@login_required
def course_certificates(request: HttpRequest, course: str) -> HttpResponse:
    """The certificates of a course, for its instructors and staff: who earned one, when,
    with which grade, and its verification link."""
    found = Course.objects.filter(slug=course).first()
    if found is None:
        raise Http404("No such course")
    if not is_instructor(user=request.user, course_id=found.pk):
        raise PermissionDenied("Only the course's instructors see its certificates")
    return render(
        request,
        "progress/course_certificates.html",
        {"course": found, "certificates": certificates_of(course=found)},
    )


@access(EVERYONE)
def course_detail(request: HttpRequest, course: str) -> HttpResponse:
    """The course outline (public, like a syllabus); for an enrolled learner it shows
    their progress, weekly deadlines and grade, and offers the next session if behind."""
    state = _state_or_404(request, course)
    teaches = is_instructor(user=request.user, course_id=state.course.pk)
    return render(
        request, "progress/course_detail.html", {"course": state.course, "state": state, "teaches": teaches}
    )


@access(SIGNED_IN)
@login_required
def course_progress(request: HttpRequest, course: str) -> HttpResponse:
    state = _state_or_404(request, course)
    return render(request, "progress/course_progress.html", {"course": state.course, "state": state})


@access(SIGNED_IN)
@login_required
def course_journey(request: HttpRequest, course: str) -> HttpResponse:
    state = _state_or_404(request, course)
    return render(
        request,
        "progress/course_journey.html",
        {"course": state.course, "state": state, "map": journey_map(state)},
    )


def activity_opened(request: HttpRequest, activity) -> None:
    """Opening an activity page (registered in ``ProgressConfig.ready()``): an enrolled
    learner's progress records it, and the page's header names the prerequisites not
    covered yet (a soft lock: the page still opens)."""
    request.cairn_missing = missing_prerequisites(learner=request.user, activity=activity)
    if request.cairn_enrollment is not None:
        progress_activity_opened(learner=request.user, activity=activity)
