"""Read side of the discussions: who may take part, the threads of an activity, one
thread with its replies. Each function runs a fixed number of queries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from lms.accounts.roles import can_identify, is_analyst, pseudonym_label
from lms.courses.models import Activity, Enrollment
from lms.courses.selectors import is_instructor

from .models import Post, Thread


@dataclass(frozen=True)
class Participation:
    can_post: bool  # enrolled (active) in the activity's course, or an instructor / staff
    moderates: bool  # an instructor of the course or staff: may mark any thread answered


def participation(*, user, activity: Activity) -> Participation:
    """What ``user`` may do in the activity's discussion (at most two queries)."""
    if not user.is_authenticated:
        return Participation(can_post=False, moderates=False)
    moderates = is_instructor(user=user, course_id=activity.course_id)
    enrolled = (
        moderates or Enrollment.objects.filter(user=user, course_id=activity.course_id, active=True).exists()
    )
    return Participation(can_post=enrolled, moderates=moderates)


def thread_list(*, activity: Activity) -> QuerySet[Thread]:
    """The activity's threads, newest first, each with its author and ``reply_count``
    (one query)."""
    return (
        Thread.objects.filter(activity=activity)
        .select_related("author")
        .annotate(reply_count=Count("posts"))
        .order_by("-created", "-id")
    )


def thread_detail(*, activity: Activity, thread_id: int) -> Thread | None:
    """One thread of this activity with its author, and its replies (oldest first) with
    theirs in ``thread.posts.all()`` (two queries); None if there is no such thread here."""
    posts = Post.objects.select_related("author").order_by("created", "id")
    return (
        Thread.objects.filter(activity=activity, pk=thread_id)
        .select_related("author")
        .prefetch_related(Prefetch("posts", queryset=posts))
        .first()
    )


# lms.privacy.erasure.PLACEHOLDER_USERNAME: the shared author of erased learners' kept
# threads (not a valid sign-up username), shown as it is.
DELETED_AUTHOR = "[deleted]"


def pseudonymous(*, user, activity: Activity) -> bool:
    """Does ``user`` see the discussion's people as pseudonyms? Analysts not granted
    learners' identities do (``roles.can_identify``: the dashboards' rule, so the same
    learner has the same ``learner-...`` label on every analyst page); learners,
    instructors, staff and analysts granted identities see names."""
    return is_analyst(user) and not can_identify(user, course_id=activity.course_id)


def _names(author) -> set[str]:
    names = {author.get_full_name(), author.display_name, author.username, str(author)}
    return {n.strip() for n in names if n and len(n.strip()) >= 3}


def authors_label(*, items: Iterable, viewer, pseudonymous: bool) -> None:
    """Set ``author_label``, ``shown_title`` and ``shown_body`` on each thread or post of
    a page: the author's name and their text as written, or, for a pseudonymous viewer,
    each author's pseudonym, and every author's names (full, display, username) in the
    titles and bodies replaced by that author's pseudonym. The viewer's own posts keep
    their name; the placeholder author of erased learners' threads stays "[deleted]".
    Runs in memory: no query."""
    items = list(items)
    labels: dict[int, str] = {}
    if pseudonymous:
        for item in items:
            author = item.author
            if author.pk != viewer.pk and author.username != DELETED_AUTHOR:
                labels[author.pk] = pseudonym_label(author.pk)
    by_name = {}
    for item in items:
        if item.author_id in labels:
            for name in _names(item.author):
                by_name[name.casefold()] = labels[item.author_id]
    pattern = None
    if by_name:
        alternatives = sorted(by_name, key=len, reverse=True)  # "Ada Lovelace" before "Ada"
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in alternatives), re.IGNORECASE)

    def shown(text: str) -> str:
        return pattern.sub(lambda m: by_name[m.group(0).casefold()], text) if pattern and text else text

    for item in items:
        item.author_label = labels.get(item.author_id) or str(item.author)
        item.shown_title = shown(getattr(item, "title", ""))
        item.shown_body = shown(item.body)
