from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .access import EVERYONE, access
from .health import check_database, run_checks


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 (``handler404``): JSON under /api/, as every API answer is; the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "no such API resource"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 (``handler400``): Django refused the request before any view could (a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, too many fields or files, a bad host...). JSON
    under /api/, as every API answer is, with a message a page can show; the page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        size = f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"
        message = f"the request is larger than the {size} the server accepts; send less"
        return JsonResponse({"error": message}, status=413)
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return JsonResponse({"error": "the request has too many fields or files"}, status=400)
    return JsonResponse({"error": "bad request: the server could not read it"}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 (``handler500``): JSON under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "internal error; it has been logged"}, status=500)
    return defaults.server_error(request)


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
    read from what they record themselves, each with its ``age_s`` (lms.core.health)."""
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
            inbox=list(messages_unread(user=request.user)[:20]),
        )
    return render(request, "core/home.html", context)
