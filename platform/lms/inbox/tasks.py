"""The e-mail copy of an in-site message or notification, and the deadlines beat task
(default queue)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from celery import shared_task
from lms.core.tasks import retried_task

from .models import Message
from .services import deadlines_notify


@retried_task("inbox.message_email", retry_for=(OSError,))
def message_email_task(message_id: int) -> str:
    """Send the message's e-mail copy once: the row is locked and stamped ``emailed``
    in the same transaction, so a redelivered message sends nothing twice; a message
    that is gone, or a recipient without an address, is skipped quietly."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("recipient", "sender")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.emailed is not None or not message.recipient.email:
            return "skipped"
        sender = message.sender
        signature = f"\n\n-- \n{sender.get_full_name() or sender.username}, via Cairn" if sender else ""
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{message.link}" if message.link.startswith("/") else ""
        send_mail(
            message.subject,
            f"{message.body}{link}{signature}\n\n(You can also read this in your Cairn inbox.)",
            getattr(settings, "DEFAULT_FROM_EMAIL", None),
            [message.recipient.email],
            fail_silently=False,
        )
        message.emailed = timezone.now()
        message.save(update_fields=["emailed"])
    return "sent"


@shared_task(name="inbox.deadlines_notify", acks_late=True, time_limit=600)
def deadlines_notify_task() -> int:
    """Beat (every six hours): deadlines coming. Running it twice sends nothing twice
    (one notification per learner, session and week)."""
    return deadlines_notify()
