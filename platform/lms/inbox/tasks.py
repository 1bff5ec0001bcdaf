"""The e-mail copy of an in-site message (default queue)."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="inbox.message_email",
    acks_late=True,
    time_limit=60,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def message_email_task(message_id: int) -> str:
    """Send the message's e-mail copy once: the row is locked and stamped ``emailed``
    in the same transaction, so a redelivered message sends nothing twice; a message
    that is gone, or a recipient without an address, is skipped quietly."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.db import transaction
    from django.utils import timezone

    from .models import Message

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
        send_mail(
            message.subject,
            f"{message.body}{signature}\n\n(You can also read this message on your Cairn home page.)",
            getattr(settings, "DEFAULT_FROM_EMAIL", None),
            [message.recipient.email],
            fail_silently=False,
        )
        message.emailed = timezone.now()
        message.save(update_fields=["emailed"])
    return "sent"
