"""The recommendations page: next steps shown, followed and dismissed by policy and by
week, and whether the recommended activity was completed, followed versus not."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.stats import fraction, wilson
from lms.courses.models import Course
from lms.progress.models import ActivityProgress

from .common import ACCENT, BLUE, GREY, ORANGE, RED

OUTCOME_DAYS = 7  # a recommended activity "completed" within this many days of being shown
POLICY_COLORS = (ACCENT, BLUE, ORANGE, RED, GREY)


def recommendation_effectiveness(*, course: Course) -> dict[str, Any]:
    """Shown, followed and dismissed next steps by policy and by week
    (``RecommendationDay``), and whether the recommended activity was completed within
    OUTCOME_DAYS of being shown, followed versus not (``LearnerRecommendation`` against the
    learners' progress rows). Two queries."""
    days = list(m.RecommendationDay.objects.filter(course=course).order_by("day", "policy"))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    weekly: dict[dt.date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in days:
        total = totals[row.policy]
        total[0] += row.shown
        total[1] += row.followed
        total[2] += row.dismissed
        week = row.day - dt.timedelta(days=row.day.weekday())
        weekly[week][row.policy][0] += row.shown
        weekly[week][row.policy][1] += row.followed
    policies = sorted(totals)
    by_policy = Chart(
        "by-policy",
        "Next steps shown, followed and dismissed, by policy",
        "bar",
        ["Policy", "Shown", "Followed", "Dismissed", "Follow rate"],
        [[p, *totals[p], fraction(totals[p][1], totals[p][0])] for p in policies],
        [
            Series(1, "Shown", color=GREY),
            Series(2, "Followed", color=ACCENT),
            Series(3, "Dismissed", color=RED),
        ],
        description="For each policy (model-vN, rules-v1, syllabus), how many recommendations learners "
        "were shown and how many they then followed or dismissed.",
        y_title="Recommendations",
        empty="No recommendations were shown in this course yet.",
    )
    over_time = Chart(
        "follow-rate",
        "Follow rate by week and policy",
        "line",
        ["Week", *(f"{p} follow rate" for p in policies), *(f"{p} shown" for p in policies)],
        [
            [week.isoformat()]
            + [fraction(weekly[week][p][1], weekly[week][p][0]) for p in policies]
            + [weekly[week][p][0] for p in policies]
            for week in sorted(weekly)
        ],
        [Series(i + 1, p, color=POLICY_COLORS[i % len(POLICY_COLORS)]) for i, p in enumerate(policies)],
        description="Share of the week's recommendations that were followed, one line per policy "
        "(weeks start on Monday, UTC).",
        x_title="Week",
        y_title="Followed",
        percent=True,
        empty="No recommendations were shown in this course yet.",
    )
    completed = ActivityProgress.objects.filter(
        learner_id=OuterRef("learner_id"),
        activity_id=OuterRef("target_id"),
        completed__gte=OuterRef("shown_at"),
        completed__lte=OuterRef("shown_at") + dt.timedelta(days=OUTCOME_DAYS),
    )
    groups = (
        m.LearnerRecommendation.objects.filter(course=course, shown_at__isnull=False, target__isnull=False)
        .annotate(done=Exists(completed))
        .values("policy", "followed")
        .annotate(n=Count("pk"), completed=Count("pk", filter=Q(done=True)))
        .order_by("policy", F("followed").desc())
    )
    outcome_rows = []
    for group in groups:
        low, high = wilson(group["completed"], group["n"])
        label = "followed" if group["followed"] else "not followed"
        outcome_rows.append(
            [f"{group['policy']} · {label}", group["policy"], label, group["n"], group["completed"],
             fraction(group["completed"], group["n"]), low, high]
        )  # fmt: skip
    outcomes = Chart(
        "outcomes",
        f"Recommended activity completed within {OUTCOME_DAYS} days, followed vs not",
        "hbar",
        [
            "Group",
            "Policy",
            "Followed",
            "Recommendations",
            "Completed",
            "Share completed",
            "95% low",
            "95% high",
        ],
        outcome_rows,
        [Series(5, "Share completed", color=ACCENT)],
        description=f"Of the recommendations shown, the share whose first suggested activity the learner "
        f"completed within {OUTCOME_DAYS} days, when they followed it and when they did not; the table "
        "gives 95% intervals (Wilson). Learners who follow may differ from those who do not: this is an "
        "association, not the effect of the recommendation.",
        percent=True,
        empty="No recommendations were shown in this course yet.",
    )
    return {"charts": [by_policy, over_time, outcomes], "outcomes": outcome_rows, "totals": by_policy.rows}
