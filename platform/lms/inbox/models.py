"""Messages and notifications to a user: an inbox with an unread count in the navigation
(and e-mailed by a task where they have an address). An instructor's message is one kind;
the site's notifications (a reply to your thread, a grade ready, a certificate earned, a
deadline coming) are the others, written by the producers in ``lms.inbox.receivers``."""

from django.conf import settings
from django.db import models


class Message(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"  # written by a person (an instructor)
        REPLY = "reply", "Reply to your thread"
        GRADE = "grade", "Grade ready"
        CERTIFICATE = "certificate", "Certificate earned"
        DEADLINE = "deadline", "Deadline coming"

    sender = models.ForeignKey(  # null: sent by the site, or the sender's account was erased
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)  # a path on this site the message is about
    # What a notification is about ("grade:<submission>"): one notification per key and
    # recipient, so a producer that runs twice (a redelivered task, a re-save) adds nothing.
    key = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read = models.DateTimeField(null=True, blank=True)  # when the recipient read or dismissed it
    emailed = models.DateTimeField(null=True, blank=True)  # when the e-mail copy went out

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["recipient", "read"], name="inbox_recipient_read")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~models.Q(key=""), name="inbox_unique_recipient_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} to user {self.recipient_id}: {self.subject}"
