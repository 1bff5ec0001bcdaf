"""The learner's "Your data" page: download an archive of everything kept about them,
or erase it all (confirmed with their password). The page polls the status endpoint
(``static/js/cairn-privacy.js``); the archive is served to its owner only."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from lms.core.access import OWNER, SIGNED_IN, access

from .archive import archive_dir
from .models import DataRequest
from .selectors import data_request_of, data_requests_for
from .services import (
    RequestRefused,
    archives_expire,
    download_request_create,
    download_served,
    erasure_request_create,
)


def _status(request: DataRequest) -> dict:
    ready = request.status == DataRequest.Status.DONE and request.kind == DataRequest.Kind.DOWNLOAD
    return {
        "id": str(request.pk),
        "kind": request.kind,
        "status": request.status,
        "stage": request.stage,
        "progress": round(request.progress, 3),
        "error": request.error,
        "size": request.size,
        "expires": request.expires.isoformat() if request.expires else None,
        "download": reverse("my-data-download", args=[request.pk]) if ready else None,
    }


@access(*SIGNED_IN)
@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST ``action=download``: queue an archive; ``action=erase`` with
    ``password``: queue the erasure and sign out at once."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "download":
            download_request_create(user=request.user)
            messages.success(request, "Your archive is being prepared; this page shows its progress.")
            return redirect("my-data")
        if action == "erase":
            try:
                erasure = erasure_request_create(user=request.user, password=request.POST.get("password", ""))
            except RequestRefused as exc:
                messages.error(request, str(exc))
                return redirect("my-data")
            logout(request)  # nothing more is recorded from this session
            return render(request, "privacy/erasure_requested.html", {"erasure": erasure})
        return redirect("my-data")
    archives_expire(learner=request.user)  # an archive past its seven days goes on the next visit
    requests = list(data_requests_for(user=request.user)[:10])
    return render(
        request,
        "privacy/my_data.html",
        {"requests": [(r, _status(r)) for r in requests]},
    )


@access(OWNER)
@login_required
@never_cache
@require_GET
def my_data_status(request: HttpRequest, request_id) -> JsonResponse:
    """The request's progress as JSON (the page polls it); someone else's is a 404."""
    found = data_request_of(user=request.user, request_id=request_id)
    if found is None:
        raise Http404("No such request")
    return JsonResponse(_status(found))


@access(OWNER)
@login_required
@never_cache
@require_GET
def my_data_download(request: HttpRequest, request_id) -> FileResponse:
    """The archive, for the learner it belongs to only (anyone else: 404)."""
    archives_expire(learner=request.user)
    found = data_request_of(user=request.user, request_id=request_id)
    if found is None or found.status != DataRequest.Status.DONE or not found.path:
        raise Http404("No such archive")
    path = Path(found.path)
    if not path.is_file() or archive_dir().resolve() not in path.resolve().parents:
        raise Http404("The archive is gone")
    download_served(request=found)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"cairn-data-{found.created:%Y-%m-%d}.zip"
    )
