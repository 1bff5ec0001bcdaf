"""Read-side queries for the catalog."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Activity, Course, Week


def course_catalog() -> QuerySet[Course]:
    return Course.objects.annotate(week_count=Count("weeks", filter=Q(weeks__retired=False)))


def activity_for_learner(*, course_slug: str, activity_slug: str) -> Activity | None:
    return (
        Activity.objects.select_related("course", "week")
        .filter(course__slug=course_slug, slug=activity_slug, retired=False)
        .first()
    )


def course_outline(*, course_slug: str) -> Course | None:
    """A course with its live weeks and activities, in three queries."""
    activities = Activity.objects.filter(retired=False).order_by("position")
    weeks = (
        Week.objects.filter(retired=False)
        .order_by("position")
        .prefetch_related(Prefetch("activities", queryset=activities))
    )
    return Course.objects.filter(slug=course_slug).prefetch_related(Prefetch("weeks", queryset=weeks)).first()
