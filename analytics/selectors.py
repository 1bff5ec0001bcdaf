"""Read side of the dashboards: each function builds one page's figures from the rollups
(and the catalog), never from ``tracking_event``. Every chart is a ``Chart`` whose rows
are also its CSV."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from course_content import rules
from lms.accounts import roles
from lms.courses.models import Activity, Course, CourseRole, Question

from . import models as m
from .charts import Chart, Series
from .rollups import ATTEMPT_BINS, TIME_BIN_LABELS, TIME_BINS, WATERMARK

ACCENT, BLUE, ORANGE, RED, GREY = "#2f6f4e", "#3b6ea8", "#d98c1f", "#c0392b", "#9aa5b1"
MIN_RESPONSES = 10  # fewer first attempts than this: no flags, too noisy
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


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


def _fraction(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _mmss(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else (
        f"{seconds // 60}:{seconds % 60:02d}"
    )  # fmt: skip


# --- The list of courses -------------------------------------------------------------


def dashboard_index(*, user) -> list[dict[str, Any]]:
    courses = list(courses_for_dashboards(user=user).order_by("number", "slug"))
    summaries = {s.course_id: s for s in m.CourseSummary.objects.filter(course__in=courses)}
    return [{"course": c, "summary": summaries.get(c.pk) or m.CourseSummary(course=c)} for c in courses]


# --- Overview: enrollment and activity over time, funnel by week ---------------------


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
                      "reached_share": _fraction(f.reached, net), "completed_share": _fraction(f.completed, net)})  # fmt: skip
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


# --- Videos ---------------------------------------------------------------------------


def _activities(course: Course, kind: str) -> list[Activity]:
    return list(
        Activity.objects.filter(course=course, kind=kind, retired=False)
        .select_related("week")
        .order_by("week__position", "position")
    )


def course_videos(*, course: Course) -> dict[str, Any]:
    videos = _activities(course, Activity.Kind.VIDEO)
    summaries = {s.activity_id: s for s in m.VideoSummary.objects.filter(course=course)}
    rows, table = [], []
    for video in videos:
        s = summaries.get(video.pk) or m.VideoSummary(activity=video)
        coverage = _fraction(s.watched_buckets, s.viewers * s.buckets) if s.buckets else None
        completion = _fraction(s.completions, s.viewers)
        table.append({"video": video, "s": s, "coverage": coverage, "completion": completion,
                      "speed_share": _fraction(s.speed_changers, s.viewers)})  # fmt: skip
        rows.append([video.title, s.viewers, coverage, completion, s.seeks_back, s.speed_changers])
    chart = Chart(
        "videos",
        "Share watched and completion, per video",
        "hbar",
        ["video", "viewers", "mean share watched", "completion rate", "seeks back", "viewers who changed speed"],
        rows,
        [Series(2, "Mean share of the video watched", color=BLUE), Series(3, "Viewers who played 90% or more", color=ACCENT)],
        "For each video in syllabus order: the mean share of it that viewers played, and the share who played at least 90%.",
        percent=True,
    )  # fmt: skip
    return {"charts": [chart], "videos": table}


@dataclass
class Hotspot:
    start: float
    end: float
    replays: int

    @property
    def label(self) -> str:
        return f"{_mmss(self.start)}–{_mmss(self.end)}"


def _prefix(deltas: dict[int, int], n: int) -> list[int]:
    out, total = [], 0
    for bucket in range(n):
        total += deltas.get(bucket, 0)
        out.append(total)
    return out


def rewatch_hotspots(replays: list[int], width: int, top: int = 5) -> list[Hotspot]:
    """The most replayed stretches: around each highest remaining peak, the run of
    buckets replayed at least half as often as the peak."""
    taken = [False] * len(replays)
    spots = []
    for peak in sorted(range(len(replays)), key=lambda b: (-replays[b], b)):
        if len(spots) == top or replays[peak] <= 0:
            break
        if taken[peak]:
            continue
        low = high = peak
        while low > 0 and not taken[low - 1] and replays[low - 1] * 2 >= replays[peak]:
            low -= 1
        while high + 1 < len(replays) and not taken[high + 1] and replays[high + 1] * 2 >= replays[peak]:
            high += 1
        for b in range(max(0, low - 5), min(len(replays), high + 6)):
            taken[b] = True
        spots.append(Hotspot(low * width, (high + 1) * width, replays[peak]))
    return spots


def video_detail(*, video: Activity) -> dict[str, Any]:
    s = m.VideoSummary.objects.filter(activity=video).first()
    if s is None:
        from .rollups import video_buckets

        width, n = video_buckets(video.duration_seconds)
        s = m.VideoSummary(activity=video, bucket_seconds=width, buckets=n)
    deltas: dict[str, dict[int, int]] = {"coverage": {}, "reach": {}, "rewatch": {}}
    last = 0
    for bucket, coverage, reach, rewatch in m.VideoBucket.objects.filter(activity=video).values_list(
        "bucket", "coverage", "reach", "rewatch"
    ):
        deltas["coverage"][bucket], deltas["reach"][bucket], deltas["rewatch"][bucket] = (
            coverage,
            reach,
            rewatch,
        )
        last = max(last, bucket)
    n = s.buckets if video.duration_seconds else min(s.buckets, last)
    width = s.bucket_seconds
    coverage, reach, rewatch = (_prefix(deltas[k], n) for k in ("coverage", "reach", "rewatch"))
    seconds = [b * width for b in range(n)]
    viewers = s.viewers
    heat = Chart(
        "heatmap",
        "Watch coverage, second by second",
        "heat",
        ["second", "viewers who played it", "share of viewers"],
        [[t, c, _fraction(c, viewers)] for t, c in zip(seconds, coverage, strict=True)],
        [Series(2, "Share of viewers who played this second", color=ACCENT)],
        "For each second of the video, the share of viewers who played it at least once: darker is watched more.",
        x_title="Position in the video",
        percent=True,
        extra={"x_format": "seconds"},
    )
    dropoff = Chart(
        "dropoff",
        "Drop-off: viewers still watching",
        "line",
        ["second", "viewers who reached it", "share of viewers"],
        [[t, r, _fraction(r, viewers)] for t, r in zip(seconds, reach, strict=True)],
        [Series(2, "Share of viewers who got this far", color=BLUE)],
        "The share of viewers whose furthest point played is at or past each second.",
        x_title="Position in the video",
        percent=True,
        extra={"x_format": "seconds"},
    )
    replays = Chart(
        "rewatch",
        "Re-watched passages",
        "bar",
        ["second", "backward seeks replaying it"],
        [[t, r] for t, r in zip(seconds, rewatch, strict=True)],
        [Series(1, "Replays (backward seeks over this second)", color=ORANGE)],
        "How often each second was played again after a learner jumped back: peaks are passages learners rewatch.",
        x_title="Position in the video",
        y_title="Replays",
        extra={"x_format": "seconds"},
    )
    speeds = sorted(m.VideoSpeed.objects.filter(activity=video), key=lambda v: float(v.speed))
    speed = Chart(
        "speed",
        "Playback speed chosen",
        "bar",
        ["speed", "learners who chose it", "speed changes to it"],
        [[f"{v.speed}×", v.learners, v.changes] for v in speeds],
        [Series(1, "Learners who chose it", color=ACCENT), Series(2, "Changes to it", color=GREY)],
        "Speeds learners switched to (the player starts at 1×).",
        y_title="Count",
    )
    marks = {}
    for share in (0.25, 0.5, 0.75, 0.9):
        at = min(n - 1, int(n * share)) if n else 0
        marks[f"{int(share * 100)}%"] = _fraction(reach[at], viewers) if n else None
    return {
        "s": s,
        "charts": [heat, dropoff, replays, speed],
        "hotspots": rewatch_hotspots(rewatch, width),
        "marks": marks,
        "coverage": _fraction(s.watched_buckets, viewers * s.buckets) if s.buckets else None,
        "completion": _fraction(s.completions, viewers),
    }


# --- Quizzes --------------------------------------------------------------------------


@dataclass
class Item:
    question: Question
    n: int = 0
    p: float | None = None  # difficulty: share right on first attempts
    r: float | None = None  # discrimination: point-biserial with the rest score
    all_n: int = 0
    all_p: float | None = None
    options: list[dict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Q{self.question.position}"

    @property
    def prompt(self) -> str:
        text = " ".join(self.question.prompt.split())
        return text if len(text) <= 110 else text[:109] + "…"


def point_biserial(n: int, sum_x: int, sum_y: int, sum_yy: int, sum_xy: int) -> float | None:
    """Pearson correlation of a 0/1 item score with the rest score, from sums."""
    if n < 2:
        return None
    p, mean_y = sum_x / n, sum_y / n
    var_x, var_y = p * (1 - p), sum_yy / n - mean_y * mean_y
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return (sum_xy / n - p * mean_y) / math.sqrt(var_x * var_y)


def item_flags(item: Item) -> list[str]:
    """Why an item is probably faulty (only with at least MIN_RESPONSES first attempts)."""
    if item.n < MIN_RESPONSES:
        return []
    flags = []
    if item.p is not None and item.p > 0.95:
        flags.append("too easy (over 95% right)")
    if item.p is not None and item.p < 0.2:
        flags.append("too hard (under 20% right)")
    if item.r is not None and item.r < 0:
        flags.append("negative discrimination")
    elif item.r is not None and item.r < 0.1:
        flags.append("near-zero discrimination")
    keys = [o["first"] for o in item.options if o["correct"]]
    wrong = [o for o in item.options if not o["correct"] and o["index"] is not None]
    if keys and wrong and max(o["first"] for o in wrong) > min(keys):
        flags.append("a distractor is chosen more than the key")
    return flags


def _items(quizzes: list[Activity], questions: list[Question]) -> dict[int, list[Item]]:
    ids = [q.pk for q in quizzes]
    stats = {(i.activity_id, i.question): i for i in m.QuizItem.objects.filter(activity_id__in=ids)}
    chosen = defaultdict(dict)
    for o in m.QuizOption.objects.filter(activity_id__in=ids):
        chosen[o.activity_id, o.question][o.option] = o
    out: dict[int, list[Item]] = defaultdict(list)
    for question in questions:
        s = stats.get((question.activity_id, question.slug))
        item = Item(question)
        if s is not None:
            item.n, item.all_n = s.n, s.all_n
            item.p = _fraction(s.sum_x, s.n)
            item.all_p = _fraction(s.all_correct, s.all_n)
            item.r = point_biserial(s.n, s.sum_x, s.sum_y, s.sum_yy, s.sum_xy)
        counts = chosen.get((question.activity_id, question.slug), {})
        if question.type != Question.Type.NUMERIC:
            for index, option in enumerate(question.options or []):
                o = counts.get(str(index))
                item.options.append({"index": index, "text": option.get("text", ""), "correct": bool(option.get("correct")),
                                     "first": o.first_attempts if o else 0, "all": o.attempts if o else 0})  # fmt: skip
            for key, label in (("none", "(no answer)"), ("other", "(not an option)")):
                if key in counts:
                    o = counts[key]
                    item.options.append({"index": None, "text": label, "correct": False, "first": o.first_attempts,
                                         "all": o.attempts})  # fmt: skip
            for option in item.options:
                option["share"] = _fraction(option["first"], item.n)
        item.flags = item_flags(item)
        out[question.activity_id].append(item)
    return out


def course_quizzes(*, course: Course) -> dict[str, Any]:
    questions = list(
        Question.objects.filter(activity__course=course, activity__kind=Activity.Kind.QUIZ, activity__retired=False,
                                retired=False).select_related("activity__week")
        .order_by("activity__week__position", "activity__position", "position")
    )  # fmt: skip
    quizzes = list({q.activity_id: q.activity for q in questions}.values())
    summaries = {s.activity_id: s for s in m.QuizSummary.objects.filter(course=course)}
    items = _items(quizzes, questions)
    table, quiz_rows, scatter = [], [], []
    for quiz in quizzes:
        s = summaries.get(quiz.pk) or m.QuizSummary(activity=quiz)
        mean = _fraction(s.first_correct, s.first_questions)
        table.append({"quiz": quiz, "s": s, "items": items.get(quiz.pk, []), "mean": mean,
                      "first_pass": _fraction(s.first_passed, s.first_attempts),
                      "flagged": sum(bool(i.flags) for i in items.get(quiz.pk, []))})  # fmt: skip
        quiz_rows.append([quiz.title, s.first_attempts, mean, _fraction(s.first_passed, s.first_attempts)])
        for item in items.get(quiz.pk, []):
            if item.p is not None and item.r is not None:
                scatter.append([f"{quiz.title} {item.label}", item.n, round(item.p, 4), round(item.r, 4),
                                "; ".join(item.flags)])  # fmt: skip
    charts = [
        Chart(
            "quizzes",
            "First attempts: mean score and pass rate",
            "hbar",
            ["quiz", "first attempts", "mean score", "pass rate"],
            quiz_rows,
            [Series(2, "Mean score", color=BLUE), Series(3, "Passed on the first attempt", color=ACCENT)],
            "For each quiz, the mean first-attempt score and the share of learners who passed on their first attempt.",
            percent=True,
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


def quiz_detail(*, quiz: Activity) -> dict[str, Any]:
    s = m.QuizSummary.objects.filter(activity=quiz).first() or m.QuizSummary(activity=quiz)
    questions = list(quiz.questions.filter(retired=False).order_by("position"))
    items = _items([quiz], questions).get(quiz.pk, [])
    bins = dict(m.QuizScoreBin.objects.filter(activity=quiz).values_list("bin", "attempts"))
    scores = Chart(
        "scores",
        "First-attempt scores",
        "bar",
        ["score", "learners"],
        [[f"{b * 10}–{b * 10 + 10}%", bins.get(b, 0)] for b in range(10)],
        [Series(1, "Learners", color=BLUE)],
        f"Learners by first-attempt score (the pass mark is {round(rules.pass_mark(quiz.pass_fraction) * 100)}%).",
        x_title="Score",
        y_title="Learners",
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
        "mean": _fraction(s.first_correct, s.first_questions),
        "first_pass": _fraction(s.first_passed, s.first_attempts),
        "min_responses": MIN_RESPONSES,
    }


# --- Labs -----------------------------------------------------------------------------


def _median_bin(bins: dict[int, int]) -> str | None:
    total = sum(bins.values())
    seen = 0
    for index in range(len(TIME_BINS)):
        seen += bins.get(index, 0)
        if total and seen * 2 >= total:
            return TIME_BIN_LABELS[index]
    return None


def course_labs(*, course: Course) -> dict[str, Any]:
    labs = _activities(course, Activity.Kind.LAB)
    summaries = {s.activity_id: s for s in m.LabSummary.objects.filter(course=course)}
    rows, table = [], []
    for lab in labs:
        s = summaries.get(lab.pk) or m.LabSummary(activity=lab)
        pass_rate = _fraction(s.passed, s.attempted)
        mean_attempts = _fraction(s.attempts_to_pass, s.passed)
        mean_hours = _fraction(s.minutes_to_pass, s.passed * 60)
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
    chart = Chart(
        "labs",
        "Pass rate per lab",
        "hbar",
        ["lab", "learners", "attempted", "passed", "pass rate", "mean attempts to pass"],
        rows,
        [Series(4, "Passed, of those who were graded", color=ACCENT)],
        "The share of learners with a graded attempt who passed the lab.",
        percent=True,
    )  # fmt: skip
    return {"charts": [chart], "labs": table}


def lab_detail(*, lab: Activity) -> dict[str, Any]:
    s = m.LabSummary.objects.filter(activity=lab).first() or m.LabSummary(activity=lab)
    tests = sorted(
        m.LabTest.objects.filter(activity=lab),
        key=lambda t: (t.passed / t.gradings if t.gradings else 1, t.test),
    )
    test_chart = Chart(
        "tests",
        "Pass rate per test",
        "hbar",
        ["test", "gradings", "passed", "pass rate", "Submit gradings", "Submit pass rate"],
        [[t.test, t.gradings, t.passed, _fraction(t.passed, t.gradings), t.submit_gradings,
          _fraction(t.submit_passed, t.submit_gradings)] for t in tests],
        [Series(3, "All gradings (Run and Submit)", color=BLUE), Series(5, "Submits (hidden tests too)", color=ACCENT)],
        "The share of gradings in which each test passed, hardest first.",
        percent=True,
    )  # fmt: skip
    failures = list(m.LabFailure.objects.filter(activity=lab).order_by("-failures", "test", "feedback")[:15])
    failure_chart = Chart(
        "failures",
        "Most frequent failures",
        "hbar",
        ["test", "kind", "feedback shown", "feedback is a hint", "failures"],
        [[f.test, f.kind, f.feedback, "yes" if f.hint else "no", f.failures] for f in failures],
        [Series(4, "Failures", color=RED)],
        "The failing tests seen most often, with the hint or message the learner was shown.",
        x_title="Failures",
        extra={"label_columns": [0, 2]},
    )
    attempt_bins = {(b.outcome, b.bin): b.learners for b in m.LabAttemptBin.objects.filter(activity=lab)}
    attempts = Chart(
        "attempts",
        "Attempts per learner",
        "stacked-bar",
        ["attempts", "learners who passed after that many", "learners not passed after that many"],
        [[f"{n}" if n < ATTEMPT_BINS else f"{n}+", attempt_bins.get(("passed", n), 0),
          attempt_bins.get(("not passed", n), 0)] for n in range(1, ATTEMPT_BINS + 1)],
        [Series(1, "Passed on this attempt", color=ACCENT), Series(2, "Not passed (yet) after this many", color=GREY)],
        "Graded attempts (Submits, or Runs for learners who never Submit) up to the first pass, or so far.",
        x_title="Attempts",
        y_title="Learners",
    )  # fmt: skip
    time_bins = dict(m.LabTimeBin.objects.filter(activity=lab).values_list("bin", "learners"))
    times = Chart(
        "time",
        "Time to pass",
        "bar",
        ["time from first opening the lab", "learners who passed"],
        [[label, time_bins.get(index, 0)] for index, label in enumerate(TIME_BIN_LABELS)],
        [Series(1, "Learners", color=BLUE)],
        "Time from first opening the lab to the first passing grade (breaks included).",
        x_title="Time to pass",
        y_title="Learners",
    )
    return {
        "s": s,
        "charts": [test_chart, failure_chart, attempts, times],
        "failures": failures,
        "pass_rate": _fraction(s.passed, s.attempted),
        "mean_attempts": _fraction(s.attempts_to_pass, s.passed),
        "median_time": _median_bin(time_bins),
    }


# --- Recommendation effectiveness ----------------------------------------------------

OUTCOME_DAYS = 7  # a recommended activity "completed" within this many days of being shown
POLICY_COLORS = (ACCENT, BLUE, ORANGE, RED, GREY)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """The 95% Wilson score interval of a proportion (sensible at 0, 1 and small n)."""
    if not n:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def recommendation_effectiveness(*, course: Course) -> dict[str, Any]:
    """Shown, followed and dismissed next steps by policy and by week
    (``RecommendationDay``), and whether the recommended activity was completed within
    OUTCOME_DAYS of being shown, followed versus not (``LearnerRecommendation`` against the
    learners' progress rows). Two queries."""
    from django.db.models import Count, Exists, F, OuterRef, Q

    from lms.progress.models import ActivityProgress

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
        [[p, *totals[p], _fraction(totals[p][1], totals[p][0])] for p in policies],
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
            + [_fraction(weekly[week][p][1], weekly[week][p][0]) for p in policies]
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
             _fraction(group["completed"], group["n"]), low, high]
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


# --- Learners at risk ----------------------------------------------------------------

RISK_PAGE_SIZE = 50
RISK_SORTS = {  # ?sort= -> (label, ORDER BY)
    "risk": ("Most at risk first", ("-band", "-risk", "-days_inactive", "learner_id")),
    "inactive": ("Longest inactive first", ("-days_inactive", "-band", "-risk", "learner_id")),
    "recent": ("Most recently active first", ("days_inactive", "-band", "-risk", "learner_id")),
    "failures": ("Most recent failures first", ("-recent_failures", "-band", "-risk", "learner_id")),
    "week": ("By week", ("week", "-band", "-risk", "learner_id")),
}
RISK_BANDS = {  # ?band= -> band
    "disengaged": m.LearnerRisk.Band.DISENGAGED,
    "high": m.LearnerRisk.Band.HIGH,
    "medium": m.LearnerRisk.Band.MEDIUM,
    "low": m.LearnerRisk.Band.LOW,
    "never": m.LearnerRisk.Band.NEVER,
}
RISK_ACTIVE = {  # ?active= -> (label, days_inactive lower bound, upper bound), None: open
    "7": ("In the last 7 days", 0, 7),
    "14": ("8 to 14 days ago", 8, 14),
    "30": ("15 to 30 days ago", 15, 30),
    "older": ("More than 30 days ago", 31, None),
}


@dataclass
class AtRisk:
    """One row of the page: a ``LearnerRisk`` row as the viewer may see it."""

    row: Any  # LearnerRisk (with its learner)
    name: str  # the learner's name, or their pseudonym for a viewer who may not identify them
    email: str  # empty for such a viewer
    key: str  # how the page's anchors and forms name the learner: the id, or the pseudonym
    action: dict | None = None  # the latest RiskAction: label, by (username), at
    can_message: bool = False  # a message would reach them (and the viewer may send one)

    def __getattr__(self, name: str) -> Any:  # band, risk, last_active, days_inactive, week...
        row = self.__dict__.get("row")
        if row is None:
            raise AttributeError(name)
        return getattr(row, name)

    @property
    def band_label(self) -> str:
        return m.LearnerRisk.Band(self.row.band).label

    @property
    def band_key(self) -> str:
        return next(k for k, v in RISK_BANDS.items() if v == self.row.band)

    @property
    def signals(self) -> list[str]:
        from .risk import signals

        return signals(days_inactive=self.row.days_inactive, recent_failures=self.row.recent_failures,
                       overdue_weeks=self.row.overdue_weeks)  # fmt: skip


def _model_calibration(version) -> dict[str, Any] | None:
    """The active version's disengagement evaluation: its own row of the report."""
    results = ((version.metrics or {}).get("results") or {}).get("disengagement") or {}
    for name, row in results.items():
        if name.startswith("model") and isinstance(row, dict):
            return {"name": name, **row}
    return None


def _choice(value: str | None, choices) -> str:
    return value if value in choices else ""


def learners_at_risk(
    *,
    course: Course,
    identify: bool,
    band: str | None = None,
    week: str | None = None,
    active: str | None = None,
    sort: str | None = None,
    page: str | int | None = 1,
    full_table: bool = False,
) -> dict[str, Any]:
    """The course's learners at risk, read from the ``LearnerRisk`` rollup
    (``analytics.risk``), filtered (``band``, ``week``: the week of the latest item a
    learner worked on, ``active``: when they were last active), sorted and cut in pages
    of ``RISK_PAGE_SIZE``. A fixed handful of queries whatever the cohort size; unknown
    filter values are ignored. ``full_table``: the CSV table holds every matching row
    (the page's own table object carries none).

    ``identify``: learners by name and e-mail (``roles.can_identify`` for the course);
    otherwise by pseudonym only, and the table has no e-mail column."""
    from django.core.paginator import Paginator
    from django.db.models import Count, OuterRef, Subquery

    from lms.inbox.selectors import message_deliverable
    from lms.recommendations.serving import active_model

    band, active, sort = _choice(band, RISK_BANDS), _choice(active, RISK_ACTIVE), _choice(sort, RISK_SORTS)
    sort = sort or "risk"
    week_n = int(week) if isinstance(week, str) and week.isdigit() else None
    rows = m.LearnerRisk.objects.filter(course=course)
    totals = {b: 0 for b in m.LearnerRisk.Band.values}
    for r in rows.values("band").annotate(n=Count("*")).order_by():
        totals[r["band"]] = r["n"]
    if band:
        rows = rows.filter(band=RISK_BANDS[band])
    else:
        rows = rows.exclude(band=m.LearnerRisk.Band.NEVER)  # nothing to rank them by
    if week_n is not None:
        rows = rows.filter(week=week_n)
    if active:
        _, lo, hi = RISK_ACTIVE[active]
        rows = rows.filter(days_inactive__gte=lo, **({"days_inactive__lte": hi} if hi is not None else {}))
    action = m.RiskAction.objects.filter(course=course, learner_id=OuterRef("learner_id")).order_by(
        "-at", "-pk"
    )
    rows = (
        rows.select_related("learner")
        .annotate(
            action=Subquery(action.values("action")[:1]),
            action_at=Subquery(action.values("at")[:1]),
            action_by=Subquery(action.values("by__username")[:1]),
        )
        .order_by(*RISK_SORTS[sort][1])
    )
    paginator = Paginator(rows, RISK_PAGE_SIZE)
    page_obj = paginator.get_page(page)

    def present(r) -> AtRisk:
        user = r.learner
        return AtRisk(
            row=r,
            name=(user.get_full_name() or user.username) if identify else roles.pseudonym_label(user.pk),
            email=user.email if identify else "",
            key=str(user.pk) if identify else roles.learner_pseudonym(user.pk),
            action={"label": m.RiskAction.Action(r.action).label, "by": r.action_by, "at": r.action_at}
            if r.action
            else None,
            can_message=identify and message_deliverable(recipient=user),
        )

    shown = [present(r) for r in page_obj.object_list]
    first = (
        shown[0].row
        if shown
        else m.LearnerRisk.objects.filter(course=course).only("computed", "source").first()
    )
    loaded = active_model()
    model = loaded.version if loaded.recommender is not None else None

    distribution = Chart(
        "risk-bands", "Learners by risk band", "bar",
        ["Band", "Learners"],
        [[b.label, totals[b.value]] for b in reversed(m.LearnerRisk.Band)],
        [Series(1, "Learners", color=RED)],
        description="How many active enrollments fall in each band at the last refresh: disengaged (away the "
        "whole 14-day horizon already), then high, medium and low predicted risk (or days away, under the "
        "rule), and never active.",
        x_title="Band", y_title="Learners",
    )  # fmt: skip
    email = ["E-mail"] if identify else []
    table_rows = []
    if full_table:
        table_rows = [
            [i, a.name, *([a.email] if identify else []), a.band_label, a.risk, a.days_inactive,
             a.last_active.isoformat() if a.last_active else None, a.week, "; ".join(a.signals),
             a.action["label"] if a.action else None]
            for i, a in enumerate((present(r) for r in rows.iterator(chunk_size=2000)), 1)
        ]  # fmt: skip
    table = Chart(
        "learners", "Learners at risk", "table",
        ["Rank", "Learner", *email, "Band", "Risk", "Days inactive", "Last active", "Week", "Signals",
         "Latest action"],
        table_rows, [],
    )  # fmt: skip
    weeks = list(course.weeks.order_by("position").values_list("position", flat=True))
    query = {k: v for k, v in (("band", band), ("week", str(week_n) if week_n else ""), ("active", active),
                               ("sort", sort if sort != "risk" else "")) if v}  # fmt: skip
    return {
        "charts": [distribution],
        "tables": [table],
        "rows": shown,
        "page": page_obj,
        "query": query,
        "filters": {"band": band, "week": week_n, "active": active, "sort": sort},
        "choices": {
            "band": [(k, m.LearnerRisk.Band(v).label) for k, v in RISK_BANDS.items()],
            "week": weeks,
            "active": [(k, v[0]) for k, v in RISK_ACTIVE.items()],
            "sort": [(k, v[0]) for k, v in RISK_SORTS.items()],
        },
        "totals": {m.LearnerRisk.Band(b).label: n for b, n in totals.items()},
        "enrolled": sum(totals.values()),
        "never_active": totals[m.LearnerRisk.Band.NEVER],
        "computed": first.computed if first else None,
        "source": first.source if first else None,
        "model": model,
        "model_error": loaded.error,
        "calibration": _model_calibration(model) if model is not None else None,
        "identify": identify,
        "page_size": RISK_PAGE_SIZE,
        "high": m.LearnerRisk.Band.HIGH,
    }
