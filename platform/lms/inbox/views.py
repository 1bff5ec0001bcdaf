"""The learner's inbox: messages and notifications, newest first, with a count of the
unread ones in the navigation (``lms.inbox.context_processors``); opening one marks it
read. An instructor's unread messages also show on the home page (``site/home.html``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from lms.core.access import SIGNED_IN, access

from .models import Message
from .selectors import inbox_messages
from .services import messages_mark_read


@access(*SIGNED_IN)
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "inbox/inbox.html", {"inbox": inbox_messages(user=request.user)})


def _message_id(request: HttpRequest) -> tuple[int | None, HttpResponse | None]:
    raw = request.POST.get("message", "").strip()
    if raw and not raw.isdigit():
        return None, HttpResponse("message must be a message id", status=400)
    return (int(raw) if raw else None), None


@access(*SIGNED_IN)
@login_required
@require_POST
def messages_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ``message`` read (only the signed-in user's own), or every unread
    message when none is named; back to ``next`` (a path on this site) or the home page."""
    message_id, refused = _message_id(request)
    if refused:
        return refused
    messages_mark_read(user=request.user, message_id=message_id)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("home")


@access(*SIGNED_IN)
@login_required
@require_POST
def message_open(request: HttpRequest) -> HttpResponse:
    """Open a notification: mark it read and go to what it is about (its own link, always
    a path on this site); someone else's message, or one without a link: the inbox."""
    message_id, refused = _message_id(request)
    if refused:
        return refused
    if message_id is None:
        return HttpResponse("message is required", status=400)
    messages_mark_read(user=request.user, message_id=message_id)
    link = (
        Message.objects.filter(pk=message_id, recipient=request.user).values_list("link", flat=True).first()
    )
    if link and link.startswith("/") and not link.startswith("//"):
        return redirect(link)
    return redirect("inbox")
