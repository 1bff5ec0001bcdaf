"""Following a suggested next step, choosing for oneself, and the personalization switch.
Each answer is recorded as an event; the learner always ends up where they chose."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from lms.core.access import SIGNED_IN, access
from lms.courses.models import Activity

from .services import personalization_set, recommendation_answered


@access(SIGNED_IN)
@login_required
@require_POST
def follow(request: HttpRequest, recommendation: str, activity: str) -> HttpResponse:
    """Record that the learner followed a suggestion, then take them there. A POST (the
    home page's button, with its CSRF token): a GET changes nothing, so a link prefetcher,
    a crawler or another site's <img> cannot record follows in the learner's name."""
    found = Activity.objects.select_related("course").filter(slug=activity, retired=False).first()
    if found is None:
        raise Http404("No such activity")
    recommendation_answered(
        learner=request.user, recommendation_id=recommendation, target=found.slug, followed=True
    )
    return redirect("activity-detail", found.course.slug, found.slug)


@access(SIGNED_IN)
@login_required
@require_POST
def choose_myself(request: HttpRequest, recommendation: str) -> HttpResponse:
    target = request.POST.get("target", "")
    if Activity.objects.filter(slug=target).exists():
        recommendation_answered(
            learner=request.user, recommendation_id=recommendation, target=target, followed=False
        )
    return redirect("/#my-courses")


@access(SIGNED_IN)
@login_required
@require_POST
def personalization(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled") == "on"
    personalization_set(user=request.user, enabled=enabled)
    messages.success(
        request,
        "Personalized next steps are on."
        if enabled
        else "Personalization is off: your next step follows the syllabus.",
    )
    return redirect("home")
