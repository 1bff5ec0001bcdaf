"""The videos page: for each video, the share watched and the completion rate."""

from __future__ import annotations

from typing import Any

from analytics import models as m
from analytics.charts import Series
from analytics.stats import fraction
from course_content import rules
from lms.courses.models import Activity, Course

from .common import ACCENT, BLUE, shares_per_activity, syllabus_activities


def course_videos(*, course: Course) -> dict[str, Any]:
    videos = syllabus_activities(course, Activity.Kind.VIDEO)
    summaries = {s.activity_id: s for s in m.VideoSummary.objects.filter(course=course)}
    watched = f"{rules.VIDEO_COMPLETE:.0%}"  # "90%": a viewer who played this much completed it
    rows, table = [], []
    for video in videos:
        s = summaries.get(video.pk) or m.VideoSummary(activity=video)
        coverage = fraction(s.watched_buckets, s.viewers * s.buckets) if s.buckets else None
        completion = fraction(s.completions, s.viewers)
        table.append({"video": video, "s": s, "coverage": coverage, "completion": completion,
                      "speed_share": fraction(s.speed_changers, s.viewers)})  # fmt: skip
        rows.append([video.title, s.viewers, coverage, completion, s.seeks_back, s.speed_changers])
    chart = shares_per_activity(
        "videos",
        "Share watched and completion, per video",
        ["video", "viewers", "mean share watched", "completion rate", "seeks back", "viewers who changed speed"],
        rows,
        [Series(2, "Mean share of the video watched", color=BLUE), Series(3, f"Viewers who played {watched} or more", color=ACCENT)],
        f"For each video in syllabus order: the mean share of it that viewers played, and the share who played at least {watched}.",
    )  # fmt: skip
    return {"charts": [chart], "videos": table}
