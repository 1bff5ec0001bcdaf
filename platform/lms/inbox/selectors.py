"""Read side of the inbox."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from .models import Message

INBOX_PAGE = 50  # messages shown on the inbox page, newest first


def messages_unread(*, user, kind: str | None = None) -> QuerySet[Message]:
    """The messages ``user`` has not read yet (of one ``kind``, or all), newest first,
    with their senders."""
    if not user.is_authenticated:
        return Message.objects.none()
    unread = Message.objects.filter(recipient=user, read__isnull=True).select_related("sender")
    return unread.filter(kind=kind) if kind else unread


UNREAD_KEY = "inbox:unread:{}"
UNREAD_SECONDS = 300


def messages_unread_count(*, user) -> int:
    """The count the navigation shows on every page: cached per user (the services forget
    it whenever a message arrives or is read), so most pages spend no query on it."""
    if not user.is_authenticated:
        return 0
    key = UNREAD_KEY.format(user.pk)
    count = cache.get(key)
    if count is None:
        count = Message.objects.filter(recipient=user, read__isnull=True).count()
        cache.set(key, count, UNREAD_SECONDS)
    return count


def inbox_messages(*, user) -> list[Message]:
    """The inbox page: the latest messages and notifications, read or not."""
    return list(Message.objects.filter(recipient=user).select_related("sender")[:INBOX_PAGE])


def message_deliverable(*, recipient) -> bool:
    """Whether a message to ``recipient`` reaches them: an active account sees it in its
    inbox (the e-mail copy is extra, sent only where there is an address). Callers offer
    "Message" only where this holds."""
    return bool(recipient is not None and recipient.is_active)
