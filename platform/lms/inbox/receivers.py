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
    notification_send(
        recipient=thread.author,
        sender=instance.author,
        kind=Message.Kind.REPLY,
        key=f"reply:{instance.pk}",
        subject=f"New reply to “{thread.title}”",
        body=f"Someone replied to your thread “{thread.title}” on {activity.title} ({activity.course.title}).",
        link=reverse("discussion-thread", args=[activity.course.slug, activity.slug, thread.pk]),
    )


def submission_graded(
    sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs
) -> None:
    """A graded Submit of a lab (a Run is the learner's own check, followed live on the page)."""
    if raw or instance.mode != "submit" or instance.status != "graded" or instance.score is None:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    activity = instance.activity
    notification_send(
        recipient=instance.learner,
        kind=Message.Kind.GRADE,
        key=f"grade:{instance.pk}",
        subject=f"Graded: {activity.title} · {round(100 * instance.score)}%",
        body=f"Your submission of {activity.title} ({activity.course.title}) scored "
        f"{round(100 * instance.score)}%. The lab page shows each test's feedback.",
        link=reverse("activity-detail", args=[activity.course.slug, activity.slug]),
    )


def certificate_issued(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    notification_send(
        recipient=instance.learner,
        kind=Message.Kind.CERTIFICATE,
        key=f"certificate:{instance.pk}",
        subject=f"Certificate earned: {instance.course.title}",
        body=f"Congratulations: you passed every graded item of {instance.course.title} "
        f"with a grade of {round(100 * instance.grade)}%. Your certificate has a public "
        "verification link you can share.",
        link=reverse("certificate", args=[instance.code]),
    )


def connect() -> None:
    """Called once from ``InboxConfig.ready``."""
    post_save.connect(reply_posted, sender="discussions.Post", dispatch_uid="inbox-reply")
    post_save.connect(submission_graded, sender="labs.Submission", dispatch_uid="inbox-grade")
    post_save.connect(certificate_issued, sender="progress.Certificate", dispatch_uid="inbox-certificate")
