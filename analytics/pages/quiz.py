"""One quiz's page: first-attempt scores, the key against the most popular distractor
per question, and every option's counts."""

from __future__ import annotations

from typing import Any

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.stats import fraction
from course_content import rules
from lms.courses.models import Activity

from .common import ACCENT, RED, learners_by_bin
from .item_analysis import MIN_RESPONSES, question_analyses


def quiz_detail(*, quiz: Activity) -> dict[str, Any]:
    s = m.QuizSummary.objects.filter(activity=quiz).first() or m.QuizSummary(activity=quiz)
    questions = list(quiz.questions.filter(retired=False).order_by("position"))
    items = question_analyses([quiz], questions).get(quiz.pk, [])
    bins = dict(m.QuizScoreBin.objects.filter(activity=quiz).values_list("bin", "attempts"))
    scores = learners_by_bin(
        "scores",
        "First-attempt scores",
        ["score", "learners"],
        [f"{b * 10}–{b * 10 + 10}%" for b in range(10)],
        bins,
        f"Learners by first-attempt score (the pass mark is {round(rules.pass_mark(quiz.pass_fraction) * 100)}%).",
        "Score",
    )
    rows = []
    for item in items:
        keys = [o["first"] for o in item.options if o["correct"]]
        wrong = [o["first"] for o in item.options if not o["correct"] and o["index"] is not None]
        if not item.n or not keys:
            continue
        rows.append([item.label, item.n, min(keys) / item.n, max(wrong, default=0) / item.n])
    options = Chart(
        "options",
        "The key against the most popular distractor",
        "hbar",
        ["question", "first attempts", "share choosing the key", "share choosing the most popular distractor"],
        rows,
        [Series(2, "The key (the least chosen correct option)", color=ACCENT),
         Series(3, "The most popular distractor", color=RED)],
        "Shares of first attempts choosing the correct option and the most popular wrong one, per question "
        "(numeric questions have no options). A red bar longer than the green one: the distractor beats the key.",
        percent=True,
    )  # fmt: skip
    option_rows = [
        [item.label, o["index"] + 1 if o["index"] is not None else "", o["text"], "yes" if o["correct"] else "no",
         o["first"], o["share"], o["all"]]
        for item in items for o in item.options
    ]  # fmt: skip
    option_table = Chart(
        "option-counts",
        "Every option",
        "table",
        ["question", "option", "text", "correct", "chosen on first attempts", "share of first attempts", "chosen on any attempt"],
        option_rows,
        [],
    )  # fmt: skip
    return {
        "s": s,
        "items": items,
        "charts": [scores, options],
        "tables": [option_table],
        "mean": fraction(s.first_correct, s.first_questions),
        "first_pass": fraction(s.first_passed, s.first_attempts),
        "min_responses": MIN_RESPONSES,
    }
