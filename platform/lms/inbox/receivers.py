"""The producers of notifications, hooked to the rows that mean something happened
(``post_save``), so the apps that write those rows (discussions, labs, progress) import
nothing of the inbox. Each runs inside the writer's transaction: the notification exists
if and only if the reply, grade or certificate does, and its e-mail goes out after the
commit (``notification_send``). Keys make every producer idempotent."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.urls import reverse

from .models import Message
from .services import notification_send

# What each producer says, filled in with the values it passes to ``_notify``.
TEXTS = {
    Message.Kind.REPLY: (
        "New reply to “{thread}”",
        "Someone replied to your thread “{thread}” on {activity} ({course}).",
    ),
    Message.Kind.GRADE: (
        "Graded: {activity} · {score}%",
        "Your submission of {activity} ({course}) scored {score}%. The lab page shows each test's feedback.",
    ),
    Message.Kind.CERTIFICATE: (
        "Certificate earned: {course}",
        "Congratulations: you passed every graded item of {course} with a grade of {score}%. "
        "Your certificate has a public verification link you can share.",
    ),
}


def _notify(kind: Message.Kind, about, recipient, link: str, *, sender=None, **values) -> None:
    """Notify ``recipient`` of the row ``about`` with the texts of ``kind``: once, as the
    key is the kind and the row's id."""
    subject, body = TEXTS[kind]
    notification_send(
        recipient=recipient,
        sender=sender,
        kind=kind,
        key=f"{kind.value}:{about.pk}",
        subject=subject.format(**values),
        body=body.format(**values),
        link=link,
    )


def reply_posted(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Someone else replied to your thread. The notification names the replier through
    ``sender`` (shown as they are shown in the discussion) and copies none of their text:
    erasing the replier sets ``sender`` to null and leaves nothing of theirs behind."""
    if not created or raw:
        return
    thread = instance.thread
    if thread.author_id == instance.author_id:
        return
    activity = thread.activity
    link = reverse("discussion-thread", args=[activity.course.slug, activity.slug, thread.pk])
    _notify(Message.Kind.REPLY, instance, thread.author, link, sender=instance.author,
            thread=thread.title, activity=activity.title, course=activity.course.title)  # fmt: skip


def submission_graded(
    sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs
) -> None:
    """A graded Submit of a lab (a Run is the learner's own check, followed live on the page)."""
    if raw or instance.mode != "submit" or instance.status != "graded" or instance.score is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    activity = instance.activity
    link = reverse("activity-detail", args=[activity.course.slug, activity.slug])
    _notify(Message.Kind.GRADE, instance, instance.learner, link,
            activity=activity.title, course=activity.course.title, score=round(100 * instance.score))  # fmt: skip


def certificate_issued(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    link = reverse("certificate", args=[instance.code])
    _notify(Message.Kind.CERTIFICATE, instance, instance.learner, link,
            course=instance.course.title, score=round(100 * instance.grade))  # fmt: skip


def connect() -> None:
    """Called once from ``InboxConfig.ready``."""
    post_save.connect(reply_posted, sender="discussions.Post", dispatch_uid="inbox-reply")
    post_save.connect(submission_graded, sender="labs.Submission", dispatch_uid="inbox-grade")
    post_save.connect(certificate_issued, sender="progress.Certificate", dispatch_uid="inbox-certificate")
