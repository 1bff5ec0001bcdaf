"""The list of courses: those whose dashboards a user may see, each with its summary,
and how current the rollups are (every page says so)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from analytics import models as m
from analytics.rollups import WATERMARK
from lms.accounts import roles
from lms.courses.models import Course, CourseRole


def courses_for_dashboards(*, user) -> QuerySet[Course]:
    """The courses whose dashboards ``user`` may see: all for analysts (and staff), the
    courses they teach for instructors, none for anyone else."""
    if not user.is_authenticated:
        return Course.objects.none()
    if roles.is_analyst(user):
        return Course.objects.all()
    return Course.objects.filter(roles__user=user, roles__role=CourseRole.Role.INSTRUCTOR).distinct()


def rollups_as_of() -> dt.datetime | None:
    return m.Watermark.objects.filter(name=WATERMARK).values_list("received", flat=True).first()


def dashboard_index(*, user) -> list[dict[str, Any]]:
    courses = list(courses_for_dashboards(user=user).order_by("number", "slug"))
    summaries = {s.course_id: s for s in m.CourseSummary.objects.filter(course__in=courses)}
    return [{"course": c, "summary": summaries.get(c.pk) or m.CourseSummary(course=c)} for c in courses]
