"""The quizzes page: first-attempt mean score and pass rate per quiz, and every
question's difficulty against its discrimination."""

from __future__ import annotations

from typing import Any

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.stats import fraction
from lms.courses.models import Activity, Course, Question

from .common import ACCENT, BLUE, shares_per_activity
from .item_analysis import MIN_RESPONSES, question_analyses


def course_quizzes(*, course: Course) -> dict[str, Any]:
    questions = list(
        Question.objects.filter(activity__course=course, activity__kind=Activity.Kind.QUIZ, activity__retired=False,
                                retired=False).select_related("activity__week")
        .order_by("activity__week__position", "activity__position", "position")
    )  # fmt: skip
    quizzes = list({q.activity_id: q.activity for q in questions}.values())
    summaries = {s.activity_id: s for s in m.QuizSummary.objects.filter(course=course)}
    items = question_analyses(quizzes, questions)
    table, quiz_rows, scatter = [], [], []
    for quiz in quizzes:
        s = summaries.get(quiz.pk) or m.QuizSummary(activity=quiz)
        mean = fraction(s.first_correct, s.first_questions)
        table.append({"quiz": quiz, "s": s, "items": items.get(quiz.pk, []), "mean": mean,
                      "first_pass": fraction(s.first_passed, s.first_attempts),
                      "flagged": sum(bool(i.flags) for i in items.get(quiz.pk, []))})  # fmt: skip
        quiz_rows.append([quiz.title, s.first_attempts, mean, fraction(s.first_passed, s.first_attempts)])
        for item in items.get(quiz.pk, []):
            if item.p is not None and item.r is not None:
                scatter.append([f"{quiz.title} {item.label}", item.n, round(item.p, 4), round(item.r, 4),
                                "; ".join(item.flags)])  # fmt: skip
    charts = [
        shares_per_activity(
            "quizzes",
            "First attempts: mean score and pass rate",
            ["quiz", "first attempts", "mean score", "pass rate"],
            quiz_rows,
            [Series(2, "Mean score", color=BLUE), Series(3, "Passed on the first attempt", color=ACCENT)],
            "For each quiz, the mean first-attempt score and the share of learners who passed on their first attempt.",
        ),
        Chart(
            "items",
            "Item difficulty and discrimination",
            "scatter",
            [
                "item",
                "first attempts",
                "difficulty (share right)",
                "discrimination (point-biserial)",
                "flags",
            ],
            scatter,
            [Series(3, "Items", color=BLUE)],
            "Each dot is a question: right = easier, up = better at separating strong from weak learners. "
            "Items low on the chart (below 0.1) or at the far left or right deserve a look.",
            x_title="Difficulty: share right on first attempts",
            y_title="Point-biserial",
            label_column=0,
            extra={"x_column": 2, "flag_column": 4},
        ),
    ]
    return {"charts": charts, "quizzes": table, "min_responses": MIN_RESPONSES}
