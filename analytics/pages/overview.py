"""The overview page: enrollment and activity over time, and the funnel by week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.stats import fraction
from lms.courses.models import Course

from .common import ACCENT, BLUE, ORANGE, RED

PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


def course_overview(*, course: Course, period: str = "90") -> dict[str, Any]:
    summary = m.CourseSummary.objects.filter(course=course).first() or m.CourseSummary(course=course)
    days = list(m.CourseDay.objects.filter(course=course).order_by("day"))
    enrolled, series = 0, []
    if days:
        by_day = {d.day: d for d in days}
        day, last = days[0].day, days[-1].day
        while day <= last:  # every day, quiet ones included
            row = by_day.get(day) or m.CourseDay(day=day)
            enrolled += row.enrollments - row.unenrollments
            series.append((row, enrolled))
            day += dt.timedelta(days=1)
    window = PERIODS.get(period, 90)
    if window:
        series = series[-window:]
    labels = [row.day.isoformat() for row, _ in series]
    enrollment = Chart(
        "enrollment",
        "Enrollment over time",
        "bar",
        ["day", "new enrollments", "unenrollments", "enrolled (net, cumulative)"],
        [
            [label, row.enrollments, row.unenrollments, total]
            for label, (row, total) in zip(labels, series, strict=True)
        ],
        [
            Series(1, "New enrollments", color=ACCENT),
            Series(2, "Unenrollments", color=RED),
            Series(3, "Enrolled (cumulative)", type="line", axis="y2", color=BLUE),
        ],  # fmt: skip
        "New enrollments and unenrollments per day (bars) and the number enrolled (line, right axis).",
        x_title="Day (UTC)",
        y_title="Per day",
        y2_title="Enrolled",
    )
    active = Chart(
        "active",
        "Active learners per day",
        "bar",
        ["day", "active learners"],
        [[label, row.active] for label, (row, _) in zip(labels, series, strict=True)],
        [Series(1, "Active learners", color=ACCENT)],
        "Learners with any event in the course each day.",
        x_title="Day (UTC)",
        y_title="Learners",
    )
    activity = Chart(
        "activity",
        "What learners did",
        "line",
        ["day", "video plays", "quiz attempts", "lab gradings"],
        [
            [label, row.video_plays, row.quiz_attempts, row.lab_gradings]
            for label, (row, _) in zip(labels, series, strict=True)
        ],
        [
            Series(1, "Video plays", color=BLUE),
            Series(2, "Quiz attempts", color=ORANGE),
            Series(3, "Lab gradings (Run or Submit)", color=RED),
        ],  # fmt: skip
        "Video plays, quiz attempts and lab gradings per day.",
        x_title="Day (UTC)",
        y_title="Per day",
    )
    weeks = list(course.weeks.filter(retired=False).order_by("position"))
    funnel_rows = {f.week_id: f for f in m.WeekFunnel.objects.filter(course=course)}
    net = summary.enrollments - summary.unenrollments
    rows = [["Enrolled", net, None]]
    table = []
    for week in weeks:
        f = funnel_rows.get(week.pk) or m.WeekFunnel(week=week)
        rows.append([f"Week {week.position}: {week.title}", f.reached, f.completed])
        table.append({"week": week, "reached": f.reached, "completed": f.completed,
                      "reached_share": fraction(f.reached, net), "completed_share": fraction(f.completed, net)})  # fmt: skip
    funnel = Chart(
        "funnel",
        "Funnel by week",
        "hbar",
        ["stage", "learners who reached it", "learners who passed all its graded items"],
        rows,
        [Series(1, "Reached the week", color=BLUE), Series(2, "Passed all its graded items", color=ACCENT)],
        "How many enrolled learners opened something in each week, and how many passed every graded item of it.",
        x_title="Learners",
    )
    return {
        "summary": summary,
        "enrolled": net,
        "active_days": sum(1 for row, _ in series if row.active),
        "charts": [enrollment, active, activity, funnel],
        "weeks": table,
        "period": period if period in PERIODS else "90",
        "periods": [("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last year"), ("all", "All")],
    }
