"""Friendly error pages in development too. With ``DEBUG`` on, Django answers a view's
``Http404`` or ``PermissionDenied`` with its technical page (settings, the URL list);
the demo (``make run``) is where people first see the site, so a view's refusal gets the
same page (or JSON under /api/) as in production. Errors Django raises before any view
(an unknown URL) keep the technical page in development: that is what it is for."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse


class FriendlyErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG:
            return None  # the handlers (handler403, handler404) answer as they are
        from .views import not_found, permission_denied

        if isinstance(exception, Http404):
            return not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        return None
