"""Incremental maintenance of the dashboard rollups (docs/dashboards.md).

``rollups_update()`` folds the events stored since the last run into the rollup tables
of ``analytics.models``; a Celery beat task runs it every minute and
``manage.py rollups_update [--rebuild]`` runs it by hand.

- **Which events.** A watermark on ``tracking_event.received`` (the server's clock when
  the row was stored). Each run reads ``watermark < received <= horizon`` and moves the
  watermark to the horizon in the same transaction as the rollup writes, so a run that
  fails or runs twice counts nothing twice. The horizon trails the clock by a lag (15 s) and
  stays behind the start of any open transaction in the database (minus the lag): rows a
  slow writer stamped earlier but has not committed yet are not skipped.
- **Reading.** Slices of received time, each in its own transaction; inside a slice,
  chunks of ``CHUNK`` events through a server-side cursor (PostgreSQL) or by rowid
  (SQLite). No ORDER BY: every fold below gives the same result in any order, which is
  also what makes incremental runs equal a rebuild. The read uses an index on
  ``received`` (a BRIN index on PostgreSQL: ``received`` grows with the insert order).
- **Writing.** Counters get deltas with ``INSERT ... ON CONFLICT DO UPDATE SET c = c +
  excluded.c``. Distinct learners are counted through membership rows inserted with
  ``ON CONFLICT DO NOTHING RETURNING``: only rows new to the table count. Per-learner
  video and lab state is read, folded with the new events, and the difference between
  the learner's old and new contribution is added (retract and add).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import time as _time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from course_content import rules
from lms.courses.models import Activity, Course, Question
from lms.labs.models import Submission

from . import models as m

log = logging.getLogger(__name__)

WATERMARK = "events"
# Events stored less than this ago are left for the next run (see the module docstring);
# settings.ANALYTICS_ROLLUP_LAG_SECONDS overrides it.
DEFAULT_LAG_SECONDS = 15.0


def default_lag() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ANALYTICS_ROLLUP_LAG_SECONDS", DEFAULT_LAG_SECONDS))


# An open transaction holds the horizon back, but never by more than this (a session
# left idle in a transaction must not stop the dashboards).
MAX_HOLD = dt.timedelta(minutes=10)
SLICE = dt.timedelta(hours=1)  # received time per transaction, adapted to the event rate
CHUNK = 20_000  # events held in memory at once
MAX_BUCKETS = 3600  # a video's heatmap has at most this many buckets (1 s up to an hour)
ATTEMPT_BINS = 10  # attempts 1..9, then "10 or more"
# Minutes from first opening a lab to passing it: upper bounds of the bins.
TIME_BINS = (15, 30, 60, 120, 360, 1440, 4320, None)
TIME_BIN_LABELS = ("< 15 min", "15-30 min", "30-60 min", "1-2 h", "2-6 h", "6-24 h", "1-3 days", "3+ days")

VIDEO_SEGMENT_VERBS = ("video.paused", "video.completed")
RECOMMENDATION_VERBS = ("recommendation.shown", "recommendation.followed", "recommendation.dismissed")
ENROLLMENT_COLUMNS = {"enrollment.activated": "enrollments", "enrollment.deactivated": "unenrollments"}
PAYLOAD_VERBS = (
    *VIDEO_SEGMENT_VERBS,
    "video.seeked",
    "video.speed_changed",
    "quiz.graded",
    "lab.graded",
    *RECOMMENDATION_VERBS,
)
# Verbs whose time the folds read (the others: their UTC day only).
TIMED_VERBS = ("recommendation.shown",)


# --- The rollup tables and how rows are keyed ----------------------------------------


@dataclass(frozen=True)
class Table:
    model: type
    keys: tuple[str, ...]  # columns of the conflict target
    adds: tuple[str, ...]  # counters: deltas are added
    sets: tuple[str, ...] = ()  # descriptive columns, written as given

    @property
    def name(self) -> str:
        return self.model._meta.db_table


TABLES: dict[str, Table] = {
    "course_summary": Table(m.CourseSummary, ("course_id",), ("learners", "events", "enrollments", "unenrollments")),
    "course_day": Table(m.CourseDay, ("course_id", "day"), ("events", "active", "enrollments", "unenrollments",
                                                           "video_plays", "quiz_attempts", "lab_gradings")),
    "week_funnel": Table(m.WeekFunnel, ("week_id",), ("reached", "completed"), ("course_id",)),
    "video_summary": Table(m.VideoSummary, ("activity_id",), (
        "openers", "viewers", "completions", "watched_buckets", "speed_changers", "plays", "pauses",
        "seeks_back", "seeks_forward", "speed_changes"), ("course_id", "bucket_seconds", "buckets")),
    "video_bucket": Table(m.VideoBucket, ("activity_id", "bucket"), ("coverage", "reach", "rewatch")),
    "video_speed": Table(m.VideoSpeed, ("activity_id", "speed"), ("changes", "learners")),
    "quiz_summary": Table(m.QuizSummary, ("activity_id",), (
        "attempts", "passed", "first_attempts", "first_passed", "first_correct", "first_questions"), ("course_id",)),
    "quiz_score_bin": Table(m.QuizScoreBin, ("activity_id", "bin"), ("attempts",)),
    "quiz_item": Table(m.QuizItem, ("activity_id", "question"), ("n", "sum_x", "sum_y", "sum_yy", "sum_xy",
                                                                 "all_n", "all_correct")),
    "quiz_option": Table(m.QuizOption, ("activity_id", "question", "option"), ("first_attempts", "attempts")),
    "lab_summary": Table(m.LabSummary, ("activity_id",), (
        "learners", "attempted", "passed", "attempts_to_pass", "minutes_to_pass", "runs", "submits", "ungradable"),
        ("course_id",)),
    "lab_attempt_bin": Table(m.LabAttemptBin, ("activity_id", "outcome", "bin"), ("learners",)),
    "lab_time_bin": Table(m.LabTimeBin, ("activity_id", "bin"), ("learners",)),
    "lab_test": Table(m.LabTest, ("activity_id", "test"), ("gradings", "passed", "submit_gradings", "submit_passed")),
    "lab_failure": Table(m.LabFailure, ("activity_id", "test", "kind", "feedback"), ("failures",), ("hint",)),
    "recommendation_day": Table(m.RecommendationDay, ("course_id", "day", "policy"),
                                ("shown", "followed", "dismissed")),
}  # fmt: skip

STATE_MODELS = (m.LearnerCourse, m.LearnerDay, m.LearnerWeek, m.LearnerPassed, m.LearnerVideo, m.LearnerLab,
                m.LearnerRecommendation)  # fmt: skip


# --- The catalog, read once per run ---------------------------------------------------


@dataclass(frozen=True)
class ActivityInfo:
    course: int
    week: int
    kind: str
    graded: bool
    bucket_seconds: int = 1
    buckets: int = 0  # 0: length unknown


@dataclass
class Catalog:
    activities: dict[int, ActivityInfo]
    passing: dict[int, float]  # course -> passing grade
    week_course: dict[int, int]
    week_graded: dict[int, int]  # week -> graded items that count for completing it
    questions: dict[tuple[int, str], tuple[str, int]]  # (quiz, slug) -> (type, options)
    quiz_pass: dict[int, float]
    slugs: dict[tuple[int, str], int] = field(default_factory=dict)  # (course, activity slug) -> id

    @classmethod
    def load(cls) -> Catalog:
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


def bucket_ranges(segments: Iterable, width: int, buckets: int) -> list[list[int]]:
    """Played [start, end] seconds -> merged [first, stop) bucket ranges: a bucket counts
    once per learner however many stretches touch it."""
    ranges = []
    for segment in segments:
        try:
            start, end = float(segment[0]), float(segment[1])
        except (TypeError, ValueError, IndexError):
            continue
        first, stop = max(0, math.floor(start / width)), min(buckets, math.ceil(end / width))
        if stop > first:
            ranges.append((first, stop))
    merged: list[list[int]] = []
    for first, stop in sorted(ranges):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([first, stop])
    return merged


def speed_key(value) -> str | None:
    try:
        speed = float(value)
    except (TypeError, ValueError):
        return None
    return f"{speed:g}" if 0 < speed <= 16 else None


def score_bin(score: float) -> int:
    return min(9, max(0, math.floor(score * 10 + 1e-9)))


def time_bin(minutes: float) -> int:
    for index, bound in enumerate(TIME_BINS):
        if bound is None or minutes < bound:
            return index
    return len(TIME_BINS) - 1


def option_keys(answer, kind: str, options: int) -> list[str]:
    """The options an answer chose, as strings ("none" unanswered, "other" not an option).
    Numeric questions have no options: they are analysed by correctness alone."""
    if kind == Question.Type.NUMERIC:
        return []
    if answer is None or answer == []:
        return ["none"]
    chosen = answer if isinstance(answer, list) else [answer]
    keys = set()
    for value in chosen:
        valid = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < options
        keys.add(str(value) if valid else "other")
    return sorted(keys)


# --- Per-learner state contributions (retract and add) --------------------------------

Delta = Counter  # (table, key tuple, column) -> int


def video_contribution(activity: int, ranges: list, speeds: Iterable[str], info: ActivityInfo) -> Delta:
    out: Delta = Counter()
    out["video_summary", (activity,), "openers"] = 1
    if ranges:
        watched = sum(stop - first for first, stop in ranges)
        out["video_summary", (activity,), "viewers"] = 1
        out["video_summary", (activity,), "watched_buckets"] = watched
        if rules.video_complete(watched / info.buckets):  # buckets >= 1 (video_buckets)
            out["video_summary", (activity,), "completions"] = 1
        for first, stop in ranges:
            out["video_bucket", (activity, first), "coverage"] += 1
            out["video_bucket", (activity, stop), "coverage"] -= 1
        out["video_bucket", (activity, 0), "reach"] += 1
        out["video_bucket", (activity, ranges[-1][1]), "reach"] -= 1
    for speed in speeds:
        out["video_speed", (activity, speed), "learners"] += 1
    if any(speed != "1" for speed in speeds):
        out["video_summary", (activity,), "speed_changers"] = 1
    return out


def lab_contribution(activity: int, first_seen: dt.datetime, gradings: list, passing: float) -> Delta:
    """A learner's share of a lab's pass statistics. Learners who ever Submit are judged
    by their Submits against the course's passing grade; the others (auditors) by Runs
    passing every public test, as lms.progress completes the lab for them."""
    out: Delta = Counter()
    out["lab_summary", (activity,), "learners"] = 1
    if not gradings:
        return out
    judged = rules.SUBMIT if any(mode == rules.SUBMIT for _, mode, _ in gradings) else rules.RUN
    attempts = sorted((when, score) for when, mode, score in gradings if mode == judged)
    out["lab_summary", (activity,), "attempted"] = 1
    for number, (when, score) in enumerate(attempts, start=1):
        if rules.lab_passed(judged, score, passing):
            minutes = max(0, int((dt.datetime.fromisoformat(when) - first_seen).total_seconds() // 60))
            out["lab_summary", (activity,), "passed"] = 1
            out["lab_summary", (activity,), "attempts_to_pass"] = number
            out["lab_summary", (activity,), "minutes_to_pass"] = minutes
            out["lab_attempt_bin", (activity, "passed", min(number, ATTEMPT_BINS)), "learners"] = 1
            out["lab_time_bin", (activity, time_bin(minutes)), "learners"] = 1
            return out
    out["lab_attempt_bin", (activity, "not passed", min(len(attempts), ATTEMPT_BINS)), "learners"] = 1
    return out


@dataclass
class _Recommendation:
    """What the events of one recommendation id say (merged in any order)."""

    course: int
    learner: int
    policy: str = ""  # from ``shown``; "" until it is seen
    shown_at: dt.datetime | None = None
    target: int | None = None
    followed: bool = False
    dismissed: bool = False

    def merge(self, other: _Recommendation) -> _Recommendation:
        shown = other if self.shown_at is None or (
            other.shown_at is not None and other.shown_at < self.shown_at) else self  # fmt: skip
        return _Recommendation(
            shown.course if shown.shown_at is not None else self.course,
            self.learner,
            shown.policy,
            shown.shown_at,
            shown.target,
            self.followed or other.followed,
            self.dismissed or other.dismissed,
        )


def recommendation_contribution(state: _Recommendation) -> Delta:
    """A recommendation counts on the (UTC) day it was shown, under the policy that chose it;
    followed or dismissed only once shown (an answer stored before its ``shown`` waits)."""
    out: Delta = Counter()
    if state.shown_at is None:
        return out
    key = (state.course, state.shown_at.astimezone(dt.UTC).date(), state.policy)
    out["recommendation_day", key, "shown"] = 1
    out["recommendation_day", key, "followed"] = int(state.followed)
    out["recommendation_day", key, "dismissed"] = int(state.dismissed)
    return out


# --- Folding a chunk of events --------------------------------------------------------


@dataclass
class _Video:
    ranges: list = field(default_factory=list)
    speeds: set = field(default_factory=set)


@dataclass
class _Lab:
    first_seen: dt.datetime
    gradings: list = field(default_factory=list)


class Chunk:
    """The deltas of one chunk of events, written by ``flush``."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.adds: dict[str, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.day_events: Counter = Counter()  # (course, day) -> events
        self.learner_day: set[tuple] = set()
        self.learner_week: set[tuple] = set()
        self.passes: set[tuple] = set()  # (activity, learner)
        self.videos: dict[tuple, _Video] = {}
        self.labs: dict[tuple, _Lab] = {}
        self.failures: list[tuple] = []  # (activity, submission id, test, kind)
        self.recommendations: dict[str, _Recommendation] = {}
        self.events = 0

    def add(self, table: str, key: tuple, column: str, value: int = 1) -> None:
        self.adds[table][key][column] += value

    def fold(self, learner: int, day: dt.date, when: dt.datetime | None, course: int | None,
             activity: int | None, verb: str, payload: dict | None) -> None:  # fmt: skip
        """One event. ``day`` is its UTC date; ``when`` its time, read for lab events and
        ``recommendation.shown`` only."""
        info = self.catalog.activities.get(activity) if activity is not None else None
        course = course if course is not None else (info.course if info else None)
        if course is None:
            return
        self.events += 1
        self.day_events[course, day] += 1
        self.learner_day.add((course, day, learner))
        if verb in ENROLLMENT_COLUMNS:
            column = ENROLLMENT_COLUMNS[verb]
            self.add("course_summary", (course,), column)
            self.add("course_day", (course, day), column)
        if verb in RECOMMENDATION_VERBS:
            self._recommendation(learner, info, when, verb, payload or {}, course)
        if info is None:
            return
        self.learner_week.add((info.week, learner))
        payload = payload or {}
        if info.kind == Activity.Kind.VIDEO and verb.startswith("video."):
            self._video(learner, activity, info, verb, payload, course, day)
        elif info.kind == Activity.Kind.QUIZ and verb == "quiz.graded":
            self._quiz(learner, activity, info, payload, course, day)
        elif info.kind == Activity.Kind.LAB and verb.startswith("lab."):
            self._lab(learner, activity, info, when, verb, payload, course, day)

    def _recommendation(self, learner, info, when, verb, payload, course) -> None:
        rec_id = str(payload.get("recommendation") or "")[:64]
        if not rec_id:
            return
        if verb == "recommendation.shown":
            items = payload.get("items") or []
            target = self.catalog.slugs.get((course, str(items[0]))) if items else None
            new = _Recommendation(course, learner, str(payload.get("model") or "unknown")[:80], when, target)
        else:
            new = _Recommendation(course, learner, followed=verb.endswith("followed"),
                                  dismissed=verb.endswith("dismissed"))  # fmt: skip
        old = self.recommendations.get(rec_id)
        self.recommendations[rec_id] = old.merge(new) if old else new

    def _video(self, learner, activity, info, verb, payload, course, day) -> None:
        state = self.videos.get((activity, learner))
        if state is None:
            state = self.videos[activity, learner] = _Video()
        key = (activity,)
        if verb == "video.played":
            self.add("video_summary", key, "plays")
            self.add("course_day", (course, day), "video_plays")
        elif verb in VIDEO_SEGMENT_VERBS:
            if verb == "video.paused":
                self.add("video_summary", key, "pauses")
            state.ranges += bucket_ranges(payload.get("segments") or (), info.bucket_seconds, info.buckets)
        elif verb == "video.seeked":
            old, new = _number(payload.get("old_time")), _number(payload.get("new_time"))
            if old is None or new is None:
                return
            if new < old and payload.get("kind") != "resume":
                self.add("video_summary", key, "seeks_back")
                replayed = bucket_ranges([(new, old)], info.bucket_seconds, info.buckets)
                for first, stop in replayed:
                    self.add("video_bucket", (activity, first), "rewatch")
                    self.add("video_bucket", (activity, stop), "rewatch", -1)
            else:
                self.add("video_summary", key, "seeks_forward")
        elif verb == "video.speed_changed":
            speed = speed_key(payload.get("new_speed"))
            if speed is not None:
                self.add("video_summary", key, "speed_changes")
                self.add("video_speed", (activity, speed), "changes")
                state.speeds.add(speed)

    def _quiz(self, learner, activity, info, payload, course, day) -> None:
        key = (activity,)
        score = _number(payload.get("score")) or 0.0
        passed = payload.get("passed")
        if not isinstance(passed, bool):
            passed = rules.quiz_passed(score, self.catalog.quiz_pass.get(activity))
        first = payload.get("attempt") == 1
        questions = [q for q in payload.get("questions") or () if isinstance(q, dict) and q.get("question")]
        right = sum(bool(q.get("correct")) for q in questions)
        self.add("quiz_summary", key, "attempts")
        self.add("quiz_summary", key, "passed", int(passed))
        self.add("course_day", (course, day), "quiz_attempts")
        if first:
            self.add("quiz_summary", key, "first_attempts")
            self.add("quiz_summary", key, "first_passed", int(passed))
            self.add("quiz_summary", key, "first_correct", right)
            self.add("quiz_summary", key, "first_questions", len(questions))
            self.add("quiz_score_bin", (activity, score_bin(score)), "attempts")
        for q in questions:
            slug, x = str(q["question"])[:80], int(bool(q.get("correct")))
            item = self.adds["quiz_item"][(activity, slug)]
            item["all_n"] += 1
            item["all_correct"] += x
            if first:
                y = right - x
                item["n"] += 1
                item["sum_x"] += x
                item["sum_y"] += y
                item["sum_yy"] += y * y
                item["sum_xy"] += x * y
            kind, options = self.catalog.questions.get((activity, slug), (Question.Type.SINGLE, 0))
            for option in option_keys(q.get("answer"), kind, options):
                counts = self.adds["quiz_option"][(activity, slug, option)]
                counts["attempts"] += 1
                counts["first_attempts"] += int(first)
        if passed and info.graded:
            self.passes.add((activity, learner))

    def _lab(self, learner, activity, info, when, verb, payload, course, day) -> None:
        state = self.labs.get((activity, learner))
        if state is None:
            state = self.labs[(activity, learner)] = _Lab(first_seen=when)
        state.first_seen = min(state.first_seen, when)
        if verb != "lab.graded":
            return
        key = (activity,)
        self.add("course_day", (course, day), "lab_gradings")
        if payload.get("gradable") is False:
            self.add("lab_summary", key, "ungradable")
            return
        mode = "run" if payload.get("mode") == "run" else "submit"
        score = _number(payload.get("score")) or 0.0
        self.add("lab_summary", key, "runs" if mode == "run" else "submits")
        state.gradings.append([when.astimezone(dt.UTC).isoformat(timespec="microseconds"), mode, score])
        submission = payload.get("submission")
        for test in payload.get("tests") or ():
            if not isinstance(test, dict) or not test.get("name"):
                continue
            name, passed = str(test["name"])[:200], bool(test.get("passed"))
            counts = self.adds["lab_test"][(activity, name)]
            counts["gradings"] += 1
            counts["passed"] += int(passed)
            if mode == "submit":
                counts["submit_gradings"] += 1
                counts["submit_passed"] += int(passed)
            if not passed:
                self.failures.append((activity, submission, name, str(test.get("kind") or "failed")[:40]))
        if info.graded and rules.lab_passed(mode, score, self.catalog.passing.get(info.course)):
            self.passes.add((activity, learner))

    # -- writing ---------------------------------------------------------------------
    def flush(self) -> None:
        catalog = self.catalog
        for (course, day), count in self.day_events.items():
            self.add("course_summary", (course,), "events", count)
            self.add("course_day", (course, day), "events", count)
        learner_course = {(course, learner) for course, _, learner in self.learner_day}
        for course, _ in _insert_new(m.LearnerCourse, ("course_id", "learner_id"), learner_course):
            self.add("course_summary", (course,), "learners")
        for course, day, _ in _insert_new(m.LearnerDay, ("course_id", "day", "learner_id"), self.learner_day):
            self.add("course_day", (course, _as_date(day)), "active")
        weeks = [(week, learner, 0) for week, learner in self.learner_week]
        for week, _, _ in _insert_new(m.LearnerWeek, ("week_id", "learner_id", "passed"), weeks):
            self.add("week_funnel", (week,), "reached")
        newly = Counter()
        for activity, learner in _insert_new(m.LearnerPassed, ("activity_id", "learner_id"), self.passes):
            newly[catalog.activities[activity].week, learner] += 1
        if newly:
            rows = [(week, learner, count) for (week, learner), count in newly.items()]
            for week, learner, passed in _upsert_add(
                TABLE_LEARNER_WEEK, rows, returning=("week_id", "learner_id", "passed")
            ):
                needed = catalog.week_graded.get(week, 0)
                if needed and passed >= needed > passed - newly[week, learner]:
                    self.add("week_funnel", (week,), "completed")
        self._flush_videos()
        self._flush_labs()
        self._flush_recommendations()
        for name, table in TABLES.items():
            rows = []
            for key, counts in self.adds.get(name, {}).items():
                values = [counts.get(column, 0) for column in table.adds]
                if any(values):
                    rows.append((*key, *values, *self._sets(name, key)))
            _upsert_add(table, rows)

    def _sets(self, name: str, key: tuple) -> tuple:
        catalog = self.catalog
        if name == "week_funnel":
            return (catalog.week_course.get(key[0]),)
        if name == "video_summary":
            info = catalog.activities[key[0]]
            return (info.course, info.bucket_seconds, info.buckets)
        if name in ("quiz_summary", "lab_summary"):
            return (catalog.activities[key[0]].course,)
        if name == "lab_failure":
            return (key[-1] in self._hints,)
        return ()

    def _flush_videos(self) -> None:
        if not self.videos:
            return
        old = {
            (activity, learner): (segments, speeds)
            for activity, learner, segments, speeds in _existing(
                m.LearnerVideo, self.videos, ("segments", "speeds")
            )
        }
        rows = []
        for (activity, learner), new in self.videos.items():
            info = self.catalog.activities[activity]
            before_ranges, before_speeds = old.get((activity, learner), (None, []))
            ranges = bucket_ranges(
                [*(before_ranges or ()), *new.ranges], 1, info.buckets
            )  # already in buckets: merge only
            speeds = sorted(set(before_speeds) | new.speeds)
            delta = video_contribution(activity, ranges, speeds, info)
            if before_ranges is not None:
                delta.subtract(video_contribution(activity, before_ranges, before_speeds, info))
            self._add_delta(delta)
            if before_ranges != ranges or list(before_speeds) != speeds:
                rows.append((activity, learner, ranges, speeds))
        _write(m.LearnerVideo, ("activity_id", "learner_id", "segments", "speeds"), rows,
               keys=("activity_id", "learner_id"), sets=("segments", "speeds"))  # fmt: skip

    def _flush_labs(self) -> None:
        self._hints: set[str] = set()
        if self.labs:
            old = {
                (activity, learner): (first_seen, gradings)
                for activity, learner, first_seen, gradings in _existing(
                    m.LearnerLab, self.labs, ("first_seen", "gradings")
                )
            }
            rows = []
            for (activity, learner), new in self.labs.items():
                passing = rules.pass_mark(self.catalog.passing.get(self.catalog.activities[activity].course))
                before = old.get((activity, learner))
                first_seen = min(before[0], new.first_seen) if before else new.first_seen
                gradings = sorted([*(before[1] if before else ()), *new.gradings])
                delta = lab_contribution(activity, first_seen, gradings, passing)
                if before is not None:
                    delta.subtract(lab_contribution(activity, before[0], before[1], passing))
                self._add_delta(delta)
                rows.append((activity, learner, first_seen, gradings))
            _write(m.LearnerLab, ("activity_id", "learner_id", "first_seen", "gradings"), rows,
                   keys=("activity_id", "learner_id"), sets=("first_seen", "gradings"))  # fmt: skip
        if self.failures:
            feedback = _feedback({submission for _, submission, _, _ in self.failures})
            for activity, submission, test, kind in self.failures:
                text, is_hint = feedback.get((submission, test), ("", False))
                if is_hint:
                    self._hints.add(text)
                self.add("lab_failure", (activity, test, kind, text), "failures")

    def _flush_recommendations(self) -> None:
        if not self.recommendations:
            return
        fields = ("course_id", "learner_id", "policy", "shown_at", "target_id", "followed", "dismissed")
        old = {}
        ids = list(self.recommendations)
        for start in range(0, len(ids), ROWS_PER_STATEMENT):
            for pk, *values in m.LearnerRecommendation.objects.filter(
                pk__in=ids[start : start + ROWS_PER_STATEMENT]
            ).values_list("pk", *fields):
                old[pk] = _Recommendation(*values)
        rows = []
        for rec_id, new in self.recommendations.items():
            before = old.get(rec_id)
            state = before.merge(new) if before else new
            delta = recommendation_contribution(state)
            if before is not None:
                delta.subtract(recommendation_contribution(before))
            self._add_delta(delta)
            if state != before:
                rows.append((rec_id, state.course, state.learner, state.policy, state.shown_at, state.target,
                             state.followed, state.dismissed))  # fmt: skip
        _write(m.LearnerRecommendation, ("recommendation", *fields), rows, keys=("recommendation",),
               sets=fields)  # fmt: skip

    def _add_delta(self, delta: Delta) -> None:
        for (table, key, column), value in delta.items():
            if value:
                self.adds[table][key][column] += value


TABLE_LEARNER_WEEK = Table(m.LearnerWeek, ("week_id", "learner_id"), ("passed",))


def _feedback(submissions: set) -> dict[tuple[str, str], tuple[str, bool]]:
    """(submission id, test name) -> (the hint shown, or the failure message; is a hint)."""
    ids = []
    for value in submissions:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    out = {}
    for pk, result in Submission.objects.filter(pk__in=ids).values_list("pk", "result"):
        for test in (result or {}).get("tests") or ():
            if isinstance(test, dict) and not test.get("passed"):
                hint = (test.get("hint") or "").strip()
                text = hint or " ".join(str(test.get("message") or "").split())
                out[str(pk), str(test.get("name"))[:200]] = (_shorten(text), bool(hint))
    return out


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- SQL helpers (PostgreSQL and SQLite) ----------------------------------------------

ROWS_PER_STATEMENT = 500  # SQLite: rows per multi-row VALUES (PostgreSQL sends arrays)


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _write(
    model,
    columns: tuple[str, ...],
    rows: list[tuple],
    *,
    keys: tuple[str, ...] = (),
    adds: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """INSERT rows; on a conflict on ``keys`` add the ``adds`` columns to the row there
    and overwrite the ``sets`` columns, or (neither given) leave it. Returns the
    ``returning`` columns of the rows inserted or updated.

    PostgreSQL gets one statement per call whatever the number of rows: a column per
    array, ``INSERT ... SELECT * FROM unnest(...)`` (a short query text: no per-row
    placeholders to build or parse). SQLite gets multi-row VALUES."""
    if not rows:
        return []
    table = model._meta.db_table
    fields = {f.column: f for f in model._meta.concrete_fields}
    if adds or sets:
        updates = [f"{c} = {table}.{c} + excluded.{c}" for c in adds] + [f"{c} = excluded.{c}" for c in sets]
        action = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    else:
        action = "ON CONFLICT DO NOTHING"
    tail = f" RETURNING {', '.join(returning)}" if returning else ""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays, selects, params = [], [], []
            for index, column in enumerate(columns):
                values, kind, cast = [row[index] for row in rows], fields[column].db_type(connection), ""
                if kind == "jsonb":  # sent as text, cast by the server
                    values, kind, cast = [json.dumps(v) for v in values], "text", "::jsonb"
                arrays.append(f"%s::{kind}[]")
                selects.append(f"c{index}{cast}")
                params.append(values)
            names = ", ".join(f"c{index}" for index in range(len(columns)))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
                f"FROM unnest({', '.join(arrays)}) AS u({names}) {action}{tail}",
                params,
            )
            return cursor.fetchall() if returning else []
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
            params = [
                json.dumps(v)
                if fields[c].db_type(connection) == "text" and isinstance(v, list | dict)
                else _adapt(v)
                for row in part
                for c, v in zip(columns, row, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholder] * len(part))} "
                f"{action}{tail}",
                params,
            )
            if returning:
                out += cursor.fetchall()
    return out


def _insert_new(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> list[tuple]:
    """Insert membership rows; return those that were not there before."""
    return _write(model, columns, list(rows), returning=columns)


def _upsert_add(table: Table, rows: list[tuple], *, returning: tuple[str, ...] = ()) -> list[tuple]:
    """Rows are (keys..., adds..., sets...): insert, or add the counters to the row there."""
    return _write(
        table.model,
        (*table.keys, *table.adds, *table.sets),
        rows,
        keys=table.keys,
        adds=table.adds,
        sets=table.sets,
        returning=returning,
    )


def _existing(model, keys: Iterable[tuple[int, int]], fields: tuple[str, ...]) -> Iterator[tuple]:
    """State rows for (activity, learner) keys."""
    keys = list(keys)
    for start in range(0, len(keys), ROWS_PER_STATEMENT):
        part = keys[start : start + ROWS_PER_STATEMENT]
        wanted = set(part)
        rows = model.objects.filter(
            activity_id__in={a for a, _ in part}, learner_id__in={learner for _, learner in part}
        ).values_list("activity_id", "learner_id", *fields)
        yield from (row for row in rows if (row[0], row[1]) in wanted)


# --- Reading the event store ----------------------------------------------------------


def _events(after: dt.datetime | None, until: dt.datetime, chunk_size: int) -> Iterator[list[tuple]]:
    """Chunks of (learner, day, time, course, activity, verb, payload) stored in (after,
    until]. Only what the folds use is fetched: the UTC day of every event, the time of
    lab events and TIMED_VERBS, the payload of the verbs in PAYLOAD_VERBS."""
    verbs = ", ".join(f"'{verb}'" for verb in PAYLOAD_VERBS)
    timed = ", ".join(f"'{verb}'" for verb in TIMED_VERBS)
    where = "received <= %s" + (" AND received > %s" if after is not None else "")
    params = [_adapt(until)] + ([_adapt(after)] if after is not None else [])
    if connection.vendor == "postgresql":
        columns = (
            "learner_id, (time AT TIME ZONE 'UTC')::date, "
            f"CASE WHEN verb LIKE 'lab.%%' OR verb IN ({timed}) THEN time END, "
            f"course_id, activity_id, verb, CASE WHEN verb IN ({verbs}) THEN payload::text END"
        )
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM tracking_event WHERE {where}", params)
            while rows := cursor.fetchmany(chunk_size):
                yield [(*r[:6], json.loads(r[6]) if r[6] else None) for r in rows]
        return
    # SQLite: page by rowid (an index walk, no sort) while this connection also writes.
    columns = f"learner_id, time, course_id, activity_id, verb, CASE WHEN verb IN ({verbs}) THEN payload END"
    last = -1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT rowid, {columns} FROM tracking_event WHERE {where} AND rowid > %s ORDER BY rowid LIMIT %s",
                [*params, last, chunk_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            out = []
            for _, learner, when, course, activity, verb, payload in rows:
                when = _sqlite_time(when)
                out.append(
                    (
                        learner,
                        when.date(),
                        when,
                        course,
                        activity,
                        verb,
                        json.loads(payload) if payload else None,
                    )
                )
            yield out


def _sqlite_time(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def _first_received() -> dt.datetime | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(received) FROM tracking_event")
        value = cursor.fetchone()[0]
    if value is None or connection.vendor == "postgresql":
        return value
    return _sqlite_time(value)


# --- Runs -----------------------------------------------------------------------------


@dataclass
class UpdateReport:
    events: int = 0
    slices: int = 0
    watermark: dt.datetime | None = None
    busy: bool = False  # another run held the watermark: nothing done
    seconds: float = 0.0

    def __str__(self) -> str:
        if self.busy:
            return "another rollup run is in progress: nothing done"
        return (
            f"{self.events:,} events folded in {self.slices} slice(s) in {self.seconds:.1f} s; "
            f"rollups now cover events received up to {self.watermark:%Y-%m-%d %H:%M:%S} UTC"
            if self.watermark
            else f"{self.events:,} events; no events stored yet"
        )


def safe_horizon(*, lag: dt.timedelta | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """The latest ``received`` a run may count: ``lag`` before now, and ``lag`` before the
    start of the oldest transaction still open in this database (at most ``MAX_HOLD``)."""
    lag = default_lag() if lag is None else lag
    now = now or timezone.now()
    horizon = now - lag
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Inside a transaction PostgreSQL would answer from the first snapshot it took.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND backend_type = 'client backend'"
            )
            oldest = cursor.fetchone()[0]
        if oldest is not None and oldest - lag < horizon:
            held = max(oldest - lag, now - MAX_HOLD)
            if held == now - MAX_HOLD:
                log.warning("a transaction open since %s holds the rollups back; not waiting for it", oldest)
            horizon = held
    return horizon


def rollups_update(
    *,
    rebuild: bool = False,
    until: dt.datetime | None = None,
    lag: dt.timedelta | None = None,
    chunk_size: int = CHUNK,
    budget_seconds: float | None = None,
) -> UpdateReport:
    """Fold events stored since the last run into the rollups (all of them, with
    ``rebuild``, in one transaction: the dashboards show the old figures until it
    commits). ``until`` overrides the horizon (tests); ``budget_seconds`` stops after
    the slice that exceeds it (the beat task: the next run carries on)."""
    began = _time.monotonic()
    horizon = until or safe_horizon(lag=lag)
    m.Watermark.objects.get_or_create(name=WATERMARK)
    if rebuild:
        with transaction.atomic():
            watermark = m.Watermark.objects.select_for_update().get(name=WATERMARK)
            rollups_clear()
            watermark.received, watermark.events = None, 0
            watermark.save(update_fields=["received", "events"])
            report = _advance(horizon, chunk_size, None, began)
    else:
        report = _advance(horizon, chunk_size, budget_seconds, began)
    report.seconds = _time.monotonic() - began
    return report


def rollups_clear() -> None:
    tables = [t.name for t in TABLES.values()] + [model._meta.db_table for model in STATE_MODELS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _advance(horizon: dt.datetime, chunk_size: int, budget: float | None, began: float) -> UpdateReport:
    report, catalog, width = UpdateReport(), Catalog.load(), SLICE
    while True:
        with transaction.atomic():
            watermark = (
                m.Watermark.objects.select_for_update(skip_locked=True).filter(name=WATERMARK).first()
                if connection.features.has_select_for_update_skip_locked
                else m.Watermark.objects.get(name=WATERMARK)
            )
            if watermark is None:
                report.busy = True
                return report
            after = watermark.received
            if after is None:
                first = _first_received()
                if first is None or first > horizon:
                    report.watermark = after
                    return report
            elif after >= horizon:
                report.watermark = after
                return report
            start = after if after is not None else first - dt.timedelta(microseconds=1)
            end = min(start + width, horizon)
            folded = 0
            for rows in _events(after, end, chunk_size):
                chunk = Chunk(catalog)
                for row in rows:
                    chunk.fold(*row)
                chunk.flush()
                folded += len(rows)
            watermark.received, watermark.updated = end, timezone.now()
            watermark.events += folded
            watermark.save(update_fields=["received", "updated", "events"])
        report.events += folded
        report.slices += 1
        report.watermark = end
        # Few events: take longer slices; many: shorter ones (bounded transactions).
        width = (
            min(width * 4, dt.timedelta(days=7))
            if folded < 10 * chunk_size
            else max(width / 4, dt.timedelta(minutes=1))
        )
        if end >= horizon or (budget is not None and _time.monotonic() - began > budget):
            return report
