"""The learner's side of the inbox: messages show on the home page (``core/home.html``);
this view marks them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from lms.core.access import SIGNED_IN, access

from .services import messages_mark_read


@access(*SIGNED_IN)
@login_required
@require_POST
def messages_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ``message`` read (only the signed-in user's own), or every unread
    message when none is named; back to the home page."""
    raw = request.POST.get("message", "").strip()
    if raw and not raw.isdigit():
        return HttpResponse("message must be a message id", status=400)
    messages_mark_read(user=request.user, message_id=int(raw) if raw else None)
    return redirect("home")
