"""The snapshot of the course catalog a rollup run reads once: every activity's course,
week, kind, whether it counts toward its week, its video buckets; pass marks; questions."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from course_content import rules
from lms.courses.models import Activity, Course, Question

MAX_BUCKETS = 3600  # a video's heatmap has at most this many buckets (1 s up to an hour)


@dataclass(frozen=True)
class ActivityInfo:
    course: int
    week: int
    kind: str
    graded: bool
    bucket_seconds: int = 1
    buckets: int = 0  # 0: length unknown


@dataclass
class CatalogSnapshot:
    """The catalog as the fold reads it, loaded once per run (``load``)."""

    activities: dict[int, ActivityInfo]
    passing: dict[int, float]  # course -> passing grade
    week_course: dict[int, int]
    week_graded: dict[int, int]  # week -> graded items that count for completing it
    questions: dict[tuple[int, str], tuple[str, int]]  # (quiz, slug) -> (type, options)
    quiz_pass: dict[int, float]
    slugs: dict[tuple[int, str], int] = field(default_factory=dict)  # (course, activity slug) -> id

    @classmethod
    def load(cls) -> CatalogSnapshot:
        activities, week_course, week_graded, quiz_pass, slugs = {}, {}, Counter(), {}, {}
        for (
            pk,
            course,
            week,
            kind,
            graded,
            retired,
            seconds,
            pass_fraction,
            slug,
        ) in Activity.objects.values_list(
            "id",
            "course_id",
            "week_id",
            "kind",
            "graded",
            "retired",
            "duration_seconds",
            "pass_fraction",
            "slug",
        ):
            slugs[course, slug] = pk
            width, buckets = video_buckets(seconds)
            # A retired graded item no longer counts toward completing its week.
            activities[pk] = ActivityInfo(course, week, kind, graded and not retired, width, buckets)
            week_course[week] = course
            if graded and not retired:
                week_graded[week] += 1
            quiz_pass[pk] = rules.pass_mark(pass_fraction)
        questions = {
            (quiz, slug): (kind, len(options or []))
            for quiz, slug, kind, options in Question.objects.values_list(
                "activity_id", "slug", "type", "options"
            )
        }
        passing = dict(Course.objects.values_list("id", "passing_grade"))
        return cls(activities, passing, week_course, dict(week_graded), questions, quiz_pass, slugs)


def video_buckets(seconds: float | None) -> tuple[int, int]:
    """(bucket width in seconds, number of buckets) for a video of this length: 1 s
    buckets up to an hour, wider ones beyond, so a heatmap never exceeds MAX_BUCKETS."""
    if not seconds:
        return 1, MAX_BUCKETS
    width = max(1, math.ceil(seconds / MAX_BUCKETS))
    return width, max(1, math.ceil(seconds / width))
