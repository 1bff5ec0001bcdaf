"""Write side of the discussions. Every write is also a clickstream event
(``discussion.posted``, ``discussion.replied``, ``discussion.marked_answered``)."""

from __future__ import annotations

from django.db import transaction

from lms.courses.models import Activity
from lms.tracking.services import event_record

from .models import Post, Thread
from .selectors import participation

TITLE_MAX = 200
BODY_MAX = 10_000


class DiscussionRefused(Exception):
    """A write that is not allowed; the message is written for the person who tried it."""


def _clean(text: str, *, what: str, limit: int) -> str:
    # Browsers send CRLF line ends; count (and store) each line end as one character, as
    # the textarea's maxlength does.
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DiscussionRefused(f"The {what} cannot be empty.")
    if len(text) > limit:
        raise DiscussionRefused(f"The {what} is {len(text):,} characters long; the limit is {limit:,}.")
    if "\x00" in text:
        raise DiscussionRefused(f"The {what} contains a NUL character.")
    return text


def _check_may_post(*, user, activity: Activity) -> None:
    if activity.retired:
        raise DiscussionRefused("This activity has been retired; its discussion is closed.")
    if not participation(user=user, activity=activity).can_post:
        raise DiscussionRefused(
            f"Only learners enrolled in {activity.course.title} and its instructors can post here."
        )


@transaction.atomic
def thread_create(*, author, activity: Activity, title: str, body: str) -> Thread:
    title = _clean(title, what="title", limit=TITLE_MAX)
    body = _clean(body, what="post", limit=BODY_MAX)
    _check_may_post(user=author, activity=activity)
    thread = Thread.objects.create(activity=activity, author=author, title=title, body=body)
    event_record(
        learner_id=author.pk,
        verb="discussion.posted",
        activity=activity.slug,
        payload={"thread": str(thread.pk), "length": len(body)},
    )
    return thread


@transaction.atomic
def post_create(*, author, thread: Thread, body: str) -> Post:
    body = _clean(body, what="reply", limit=BODY_MAX)
    _check_may_post(user=author, activity=thread.activity)
    post = Post.objects.create(thread=thread, author=author, body=body)
    event_record(
        learner_id=author.pk,
        verb="discussion.replied",
        activity=thread.activity.slug,
        payload={"thread": str(thread.pk), "length": len(body)},
    )
    return post


@transaction.atomic
def thread_mark_answered(*, user, thread: Thread, post: Post) -> Thread:
    """Mark ``post`` as the answer of ``thread`` (replacing an earlier answer). Marking the
    current answer again changes nothing and records nothing."""
    if post.thread_id != thread.pk:
        raise DiscussionRefused("That reply belongs to another thread.")
    if user.pk != thread.author_id and not participation(user=user, activity=thread.activity).moderates:
        raise DiscussionRefused("Only the thread's author or an instructor can mark the answer.")
    if thread.answer_id == post.pk:
        return thread
    thread.answer = post
    thread.save(update_fields=["answer"])
    event_record(
        learner_id=user.pk,
        verb="discussion.marked_answered",
        activity=thread.activity.slug,
        payload={"thread": str(thread.pk)},
    )
    return thread
