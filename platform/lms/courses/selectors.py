"""Read-side queries for the catalog."""

from django.db.models import Count, Q, QuerySet

from .models import Course


def course_catalog() -> QuerySet[Course]:
    return Course.objects.annotate(week_count=Count("weeks", filter=Q(weeks__retired=False)))
