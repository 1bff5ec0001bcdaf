"""Instructor dashboards: server-rendered pages drawing charts from JSON embedded in the
page, each chart with its CSV. Pages read rollups only (``analytics.selectors``).

Who sees what: an instructor the courses they teach, staff (analysts) every course,
anyone else nothing (403); anonymous visitors are sent to log in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from lms.courses.models import Activity, Course
from lms.courses.selectors import is_instructor

from . import selectors
from .navigation import SECTIONS


def _course(request: HttpRequest, slug: str) -> Course:
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    if not is_instructor(user=request.user, course_id=course.pk):
        raise PermissionDenied("You do not teach this course.")
    return course


KINDS = {"videos": Activity.Kind.VIDEO, "quizzes": Activity.Kind.QUIZ, "labs": Activity.Kind.LAB}


def _activity(request: HttpRequest, course: str, section: str, slug: str) -> Activity:
    kind = KINDS.get(section)
    activity = (
        Activity.objects.select_related("course", "week")
        .filter(course__slug=course, slug=slug, kind=kind)
        .first()
        if kind
        else None
    )
    if activity is None:
        raise Http404("No such activity")
    if not is_instructor(user=request.user, course_id=activity.course_id):
        raise PermissionDenied("You do not teach this course.")
    return activity


# Course pages: name -> figures. An activity page: section -> figures.
COURSE_PAGES: dict[str, Callable[[Course, HttpRequest], dict[str, Any]]] = {
    "overview": lambda course, request: selectors.course_overview(
        course=course, period=request.GET.get("period", "90")
    ),
    "videos": lambda course, request: selectors.course_videos(course=course),
    "quizzes": lambda course, request: selectors.course_quizzes(course=course),
    "labs": lambda course, request: selectors.course_labs(course=course),
}
ACTIVITY_PAGES: dict[str, Callable[[Activity], dict[str, Any]]] = {
    "videos": lambda activity: selectors.video_detail(video=activity),
    "quizzes": lambda activity: selectors.quiz_detail(quiz=activity),
    "labs": lambda activity: selectors.lab_detail(lab=activity),
}


def _page(
    request, template: str, course: Course, section: str, figures: dict[str, Any], **context
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "course": course,
            "section": section,
            "sections": [(key, label, reverse(name, args=[course.slug])) for key, label, name in SECTIONS],
            "as_of": selectors.rollups_as_of(),
            **figures,
            **context,
        },
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    courses = selectors.dashboard_index(user=request.user)
    if not courses and not request.user.is_staff:
        raise PermissionDenied("Dashboards are for the instructors of a course.")
    return render(request, "analytics/index.html", {"courses": courses, "as_of": selectors.rollups_as_of()})


def _course_view(page: str, template: str):
    @login_required
    def view(request: HttpRequest, course: str) -> HttpResponse:
        course = _course(request, course)
        figures = COURSE_PAGES[page](course, request)
        query = f"?period={figures['period']}" if "period" in figures else ""
        for chart in figures["charts"]:
            chart.csv_url = reverse("analytics:course-csv", args=[course.slug, page, chart.slug]) + query
        return _page(request, template, course, page, figures)

    view.__name__ = page
    return view


def _activity_view(section: str, template: str):
    @login_required
    def view(request: HttpRequest, course: str, activity: str) -> HttpResponse:
        activity = _activity(request, course, section, activity)
        figures = ACTIVITY_PAGES[section](activity)
        for chart in [*figures["charts"], *figures.get("tables", [])]:
            chart.csv_url = reverse(
                "analytics:activity-csv", args=[activity.course.slug, section, activity.slug, chart.slug]
            )
        return _page(request, template, activity.course, section, figures, activity=activity)

    view.__name__ = section[:-1]
    return view


overview = _course_view("overview", "analytics/overview.html")
videos = _course_view("videos", "analytics/videos.html")
quizzes = _course_view("quizzes", "analytics/quizzes.html")
labs = _course_view("labs", "analytics/labs.html")
video = _activity_view("videos", "analytics/video.html")
quiz = _activity_view("quizzes", "analytics/quiz.html")
lab = _activity_view("labs", "analytics/lab.html")


def _csv(chart, filename: str) -> HttpResponse:
    response = HttpResponse(chart.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _pick(figures: dict[str, Any], slug: str):
    for chart in [*figures["charts"], *figures.get("tables", [])]:
        if chart.slug == slug:
            return chart
    raise Http404("No such chart")


@login_required
def course_csv(request: HttpRequest, course: str, page: str, chart: str) -> HttpResponse:
    if page not in COURSE_PAGES:
        raise Http404("No such page")
    course = _course(request, course)
    return _csv(_pick(COURSE_PAGES[page](course, request), chart), f"{course.slug}-{chart}")


@login_required
def activity_csv(request: HttpRequest, course: str, section: str, activity: str, chart: str) -> HttpResponse:
    activity = _activity(request, course, section, activity)
    return _csv(_pick(ACTIVITY_PAGES[section](activity), chart), f"{activity.slug}-{chart}")
