"""The labs page: for each lab, the pass rate and the attempts and time it took."""

from __future__ import annotations

from typing import Any

from analytics import models as m
from analytics.charts import Series
from analytics.stats import fraction
from lms.courses.models import Activity, Course

from .common import ACCENT, shares_per_activity, syllabus_activities


def course_labs(*, course: Course) -> dict[str, Any]:
    labs = syllabus_activities(course, Activity.Kind.LAB)
    summaries = {s.activity_id: s for s in m.LabSummary.objects.filter(course=course)}
    rows, table = [], []
    for lab in labs:
        s = summaries.get(lab.pk) or m.LabSummary(activity=lab)
        pass_rate = fraction(s.passed, s.attempted)
        mean_attempts = fraction(s.attempts_to_pass, s.passed)
        mean_hours = fraction(s.minutes_to_pass, s.passed * 60)
        table.append(
            {
                "lab": lab,
                "s": s,
                "pass_rate": pass_rate,
                "mean_attempts": mean_attempts,
                "mean_hours": mean_hours,
            }
        )
        rows.append([lab.title, s.learners, s.attempted, s.passed, pass_rate,
                     round(mean_attempts, 3) if mean_attempts else None])  # fmt: skip
    chart = shares_per_activity(
        "labs",
        "Pass rate per lab",
        ["lab", "learners", "attempted", "passed", "pass rate", "mean attempts to pass"],
        rows,
        [Series(4, "Passed, of those who were graded", color=ACCENT)],
        "The share of learners with a graded attempt who passed the lab.",
    )
    return {"charts": [chart], "labs": table}
