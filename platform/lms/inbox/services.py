"""Write side of the inbox: send a message, mark messages read."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Message
from .selectors import message_deliverable

log = logging.getLogger(__name__)

SUBJECT_MAX = 200
BODY_MAX = 10_000


@transaction.atomic
def message_send(*, sender, recipient, subject: str, body: str) -> Message:
    """Deliver a message to ``recipient``'s home page, and queue its e-mail copy when they
    have an address (``inbox.message_email``, after the commit). Raises ValidationError
    for an empty body or a recipient who cannot receive it (an inactive account)."""
    subject, body = subject.strip(), body.strip()
    if not body:
        raise ValidationError("Write a message before sending it.")
    if len(body) > BODY_MAX:
        raise ValidationError(f"A message is at most {BODY_MAX:,} characters.")
    if not message_deliverable(recipient=recipient):
        raise ValidationError("This account is closed: a message would reach no one.")
    message = Message.objects.create(
        sender=sender, recipient=recipient, subject=subject[:SUBJECT_MAX] or "(no subject)", body=body
    )
    if recipient.email:
        from .tasks import message_email_task

        transaction.on_commit(lambda: message_email_task.delay(message.pk))
    log.info("message %s from user %s to user %s", message.pk, getattr(sender, "pk", None), recipient.pk)
    return message


def messages_mark_read(*, user, message_id: int | None = None) -> int:
    """Mark one of ``user``'s messages (or, with no id, all of them) read; returns how
    many changed. Another user's message is never touched (it matches nothing)."""
    unread = Message.objects.filter(recipient=user, read__isnull=True)
    if message_id is not None:
        unread = unread.filter(pk=message_id)
    return unread.update(read=timezone.now())
