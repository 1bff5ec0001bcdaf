"""Read-side queries for the catalog."""

from django.db.models import Count, Q, QuerySet

from .models import Activity, Course


def course_catalog() -> QuerySet[Course]:
    return Course.objects.annotate(week_count=Count("weeks", filter=Q(weeks__retired=False)))


def activity_for_learner(*, course_slug: str, activity_slug: str) -> Activity | None:
    return (
        Activity.objects.select_related("course", "week")
        .filter(course__slug=course_slug, slug=activity_slug, retired=False)
        .first()
    )
