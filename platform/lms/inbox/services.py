"""Write side of the inbox: send a message, notify (the site's own messages, once per
key), mark messages read."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lms.courses.models import Activity, CourseSession, Enrollment
from lms.progress.models import ActivityProgress

from .models import Message
from .selectors import UNREAD_KEY, message_deliverable

log = logging.getLogger(__name__)

SUBJECT_MAX = 200
BODY_MAX = 10_000


def _unread_forget(recipient_id: int) -> None:
    """Drop the cached unread count now and again after the commit (a page rendered in
    between must not keep the old count for five minutes)."""
    key = UNREAD_KEY.format(recipient_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _email_queue(message: Message) -> None:
    """The e-mail copy goes out from a worker after the commit, never inside the request."""
    if message.recipient.email and getattr(settings, "INBOX_EMAIL", True):
        from .tasks import message_email_task  # tasks imports this module

        transaction.on_commit(lambda: message_email_task.delay(message.pk))


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
    _unread_forget(recipient.pk)
    _email_queue(message)
    log.info("message %s from user %s to user %s", message.pk, getattr(sender, "pk", None), recipient.pk)
    return message


@transaction.atomic
def notification_send(
    *, recipient, kind: str, key: str, subject: str, body: str, link: str = "", sender=None
) -> Message | None:
    """Notify ``recipient`` (a reply, a grade, a certificate, a deadline): in their inbox,
    and by e-mail after the commit where they have an address. Once per ``key``: a
    producer that runs again (a redelivered task, a row saved twice) returns None and sends
    nothing, as it does for a closed account and for simulated or imported learners."""
    if not key or not message_deliverable(recipient=recipient) or recipient.external_source:
        return None  # simulated and imported learners cannot log in: no one would read it
    message, created = Message.objects.get_or_create(
        recipient=recipient,
        key=key[:120],
        defaults={"kind": kind, "sender": sender, "subject": subject[:SUBJECT_MAX], "body": body[:BODY_MAX],
                  "link": link[:300]},
    )  # fmt: skip
    if not created:
        return None
    _unread_forget(recipient.pk)
    _email_queue(message)
    log.info("notification %s (%s) to user %s", message.pk, kind, recipient.pk)
    return message


def messages_mark_read(*, user, message_id: int | None = None) -> int:
    """Mark one of ``user``'s messages (or, with no id, all of them) read; returns how
    many changed. Another user's message is never touched (it matches nothing)."""
    unread = Message.objects.filter(recipient=user, read__isnull=True)
    if message_id is not None:
        unread = unread.filter(pk=message_id)
    changed = unread.update(read=timezone.now())
    if changed:
        _unread_forget(user.pk)
    return changed


DEADLINE_NOTICE_DAYS = 2  # a week's soft deadline is announced this many days ahead


def deadlines_notify(*, today: dt.date | None = None) -> int:
    """Notify each enrolled learner whose week's soft deadline falls within the next
    ``DEADLINE_NOTICE_DAYS`` days and who has graded items of that week not passed yet.
    Once per learner, session and week (the key); returns how many notifications were new.
    Simulated and imported learners (``external_source``) are not notified."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=DEADLINE_NOTICE_DAYS)
    sent = 0
    # A week's deadline is starts + 7 * position - 1: sessions that began at most a year ago.
    for session in CourseSession.objects.filter(
        starts__lte=horizon, starts__gte=today - dt.timedelta(days=366)
    ).select_related("course"):
        weeks = [w for w in session.course.weeks.filter(retired=False)
                 if today <= session.week_deadline(w.position) <= horizon]  # fmt: skip
        if not weeks:
            continue
        enrollments = list(
            Enrollment.objects.filter(session=session, active=True, user__is_active=True, user__external_source="")
            .select_related("user")
        )  # fmt: skip
        if not enrollments:
            continue
        for week in weeks:
            graded = dict(
                Activity.objects.filter(week=week, graded=True, retired=False).values_list("pk", "title")
            )
            if not graded:
                continue
            passed: dict[int, set[int]] = {}
            for learner_id, activity_id in ActivityProgress.objects.filter(
                learner_id__in=[e.user_id for e in enrollments], activity_id__in=graded, passed=True
            ).values_list("learner_id", "activity_id"):
                passed.setdefault(learner_id, set()).add(activity_id)
            deadline = session.week_deadline(week.position)
            for enrollment in enrollments:
                open_items = [
                    title for pk, title in graded.items() if pk not in passed.get(enrollment.user_id, ())
                ]
                if not open_items:
                    continue
                message = notification_send(
                    recipient=enrollment.user,
                    kind=Message.Kind.DEADLINE,
                    key=f"deadline:{session.pk}:{week.pk}",
                    subject=f"{week.title}: soft deadline on {deadline:%A %d %B}",
                    body=(f"{session.course.title}, {week.title}: still to pass before {deadline:%d %B}: "
                          f"{', '.join(open_items)}. Deadlines are soft: you can also move to the next "
                          "session from the course page, keeping all your work."),
                    link=reverse("course-progress", args=[session.course.slug]),
                )  # fmt: skip
                sent += message is not None
    return sent
