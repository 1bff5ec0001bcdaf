"""Read side of the inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Message


def messages_unread(*, user) -> QuerySet[Message]:
    """The messages ``user`` has not read yet, newest first, with their senders."""
    if not user.is_authenticated:
        return Message.objects.none()
    return Message.objects.filter(recipient=user, read__isnull=True).select_related("sender")


def message_deliverable(*, recipient) -> bool:
    """Whether a message to ``recipient`` reaches them: an active account sees it on its
    home page (the e-mail copy is extra, sent only where there is an address). Callers
    offer "Message" only where this holds."""
    return bool(recipient is not None and recipient.is_active)
