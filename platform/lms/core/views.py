"""The floor's views: error pages (JSON under /api/), the favicon and the API's
documentation and schema. The home page and the health checks are ``lms.site``'s."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views import defaults
from django.views.decorators.http import require_GET

from .access import EVERYONE, access


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 (``handler404``): JSON under /api/, as every API answer is; elsewhere a page
    that leads back home (``404.html``), never Django's list of URL patterns."""
    if _api(request):
        return JsonResponse({"error": "no such API resource"}, status=404)
    return defaults.page_not_found(request, exception or Http404())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 (``handler403``): JSON under /api/; the page (``403.html``) elsewhere, which says
    whose page it is and offers the log-in to a visitor."""
    if _api(request):
        return JsonResponse({"error": "you may not access this resource"}, status=403)
    return defaults.permission_denied(request, exception or PermissionDenied())


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 (``handler400``): Django refused the request before any view could (a body over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413, too many fields or files, a bad host...). JSON
    under /api/, as every API answer is, with a message a page can show; the page elsewhere."""
    if not _api(request):
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
    """500 (``handler500``): JSON under /api/, the page elsewhere (``500.html``, rendered
    without a request context: no query, whatever broke)."""
    if _api(request):
        return JsonResponse({"error": "internal error; it has been logged"}, status=500)
    return defaults.server_error(request)


@access(EVERYONE)
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page links: the site's icon."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@access(EVERYONE)
@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API documentation: Swagger UI (vendored from the swagger-ui-dist npm package,
    served from this site, no CDN) reading ``/api/schema/?format=json``."""
    return render(request, "core/api_docs.html")


def _schema_view():
    from drf_spectacular.utils import extend_schema
    from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView

    class SchemaView(SpectacularAPIView):
        """``/api/schema/``: the OpenAPI document (YAML; ``?format=json`` or ``?format=yaml``).
        A browser opening it (``Accept: text/html``, no format asked) is sent to the
        documentation page instead of downloading a file; tools get the document."""

        @extend_schema(**SCHEMA_KWARGS)  # described as drf-spectacular describes its own view
        def get(self, request, *args, **kwargs):
            if "format" not in request.GET and "text/html" in request.headers.get("Accept", ""):
                return HttpResponseRedirect(reverse("api-docs"))
            return super().get(request, *args, **kwargs)

    return access(EVERYONE)(SchemaView.as_view())


api_schema = _schema_view()
