"""Read side of the discussions: who may take part, the threads of an activity, one
thread with its replies. Each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

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
