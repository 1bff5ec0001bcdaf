import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.access import EVERYONE, INSTRUCTOR, STAFF, access

from .models import Certificate


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
    from lms.courses.models import Course
    from lms.courses.selectors import is_instructor

    from .selectors import course_certificates as certificates_of

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
