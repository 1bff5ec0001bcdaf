"""Messages to a user, shown on their home page until read (and e-mailed when they have
an address). Kept general on purpose: today an instructor writes to a learner flagged
at risk; the same table is meant to grow into a notifications inbox."""

from django.conf import settings
from django.db import models


class Message(models.Model):
    sender = models.ForeignKey(  # null: sent by the site, or the sender's account was erased
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    read = models.DateTimeField(null=True, blank=True)  # when the recipient read or dismissed it
    emailed = models.DateTimeField(null=True, blank=True)  # when the e-mail copy went out

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["recipient", "read"], name="inbox_recipient_read")]

    def __str__(self) -> str:
        return f"message #{self.pk} to user {self.recipient_id}: {self.subject}"
