"""The site's own pages: the home page (the catalog, and a learner's next steps and
courses) and the health checks (``/healthz``, ``/healthz/ready``)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lms.core.access import EVERYONE, access

from .health import check_database, run_checks


def _health(checks: dict[str, dict]) -> JsonResponse:
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {"status": "ok" if not failing else "unhealthy", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)


@access(EVERYONE)
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness, for load balancers and container health checks: this process answers and
    its database does (``SELECT 1``). 200, or 503 naming the database. Nothing else is
    touched, so it answers in milliseconds whatever the broker, the cache or the workers do."""
    return _health({"database": check_database()})


@access(EVERYONE)
@require_GET
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """Readiness, every part (database, broker, cache, worker, sandbox, model): 200 when all
    are ok, otherwise 503 naming the failing or stale ones. Fast too: the slow parts are
    read from what they record themselves, each with its ``age_s`` (lms.site.health)."""
    return _health(run_checks())


@access(EVERYONE)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Visitors see the catalog; learners see their next step (with its reason, two
    alternatives and "I'll choose myself"), their courses and the rest of the catalog."""
    from lms.courses.selectors import course_catalog

    context = {"courses": course_catalog()}
    if request.user.is_authenticated:
        from lms.inbox.selectors import messages_unread
        from lms.recommendations.selectors import learner_course_states
        from lms.recommendations.services import next_steps_show

        states = learner_course_states(learner=request.user)
        mine = {s.course.pk for s in states}
        context.update(
            states=states,
            steps=next_steps_show(learner=request.user, states=states),
            courses=[c for c in context["courses"] if c.pk not in mine],
            # a learner in no course yet: enrolling in the first course is their first step
            first_course=None
            if states
            else next((c for c in context["courses"] if not c.external_source), None),
            inbox=list(messages_unread(user=request.user, kind="message")[:20]),
        )
    return render(request, "site/home.html", context)
