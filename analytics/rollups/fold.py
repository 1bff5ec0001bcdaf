"""Folding events into deltas: a ``Chunk`` takes one chunk of events (any order) and
``flush`` writes what they add to the rollups, membership rows counting distinct
learners once, per-learner video, lab and recommendation state retracted and added."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from analytics import models as m
from analytics.stats import item_response_add
from course_content import rules
from lms.courses.models import Activity, Question
from lms.labs.models import Submission

from .catalog import CatalogSnapshot
from .contributions import (
    Delta,
    RecommendationState,
    bucket_ranges,
    lab_contribution,
    option_keys,
    recommendation_contribution,
    score_bin,
    speed_key,
    video_contribution,
)
from .sql import ROWS_PER_STATEMENT, TABLE_LEARNER_WEEK, TABLES, existing, insert_new, upsert_add, write

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

    def __init__(self, catalog: CatalogSnapshot):
        self.catalog = catalog
        self.adds: dict[str, dict[tuple, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.day_events: Counter = Counter()  # (course, day) -> events
        self.learner_day: set[tuple] = set()
        self.learner_week: set[tuple] = set()
        self.passes: set[tuple] = set()  # (activity, learner)
        self.videos: dict[tuple, _Video] = {}
        self.labs: dict[tuple, _Lab] = {}
        self.failures: list[tuple] = []  # (activity, submission id, test, kind)
        self.recommendations: dict[str, RecommendationState] = {}
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
            new = RecommendationState(
                course, learner, str(payload.get("model") or "unknown")[:80], when, target
            )
        else:
            new = RecommendationState(course, learner, followed=verb.endswith("followed"),
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
            item_response_add(self.adds["quiz_item"][(activity, slug)], x, right - x, first=first)
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
        for course, _ in insert_new(m.LearnerCourse, ("course_id", "learner_id"), learner_course):
            self.add("course_summary", (course,), "learners")
        for course, day, _ in insert_new(m.LearnerDay, ("course_id", "day", "learner_id"), self.learner_day):
            self.add("course_day", (course, _as_date(day)), "active")
        weeks = [(week, learner, 0) for week, learner in self.learner_week]
        for week, _, _ in insert_new(m.LearnerWeek, ("week_id", "learner_id", "passed"), weeks):
            self.add("week_funnel", (week,), "reached")
        newly = Counter()
        for activity, learner in insert_new(m.LearnerPassed, ("activity_id", "learner_id"), self.passes):
            newly[catalog.activities[activity].week, learner] += 1
        if newly:
            rows = [(week, learner, count) for (week, learner), count in newly.items()]
            for week, learner, passed in upsert_add(
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
            upsert_add(table, rows)

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
        old = existing(m.LearnerVideo, self.videos, ("segments", "speeds"))
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
        write(m.LearnerVideo, ("activity_id", "learner_id", "segments", "speeds"), rows,
               keys=("activity_id", "learner_id"), sets=("segments", "speeds"))  # fmt: skip

    def _flush_labs(self) -> None:
        self._hints: set[str] = set()
        if self.labs:
            old = existing(m.LearnerLab, self.labs, ("first_seen", "gradings"))
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
            write(m.LearnerLab, ("activity_id", "learner_id", "first_seen", "gradings"), rows,
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
                old[pk] = RecommendationState(*values)
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
        write(m.LearnerRecommendation, ("recommendation", *fields), rows, keys=("recommendation",),
               sets=fields)  # fmt: skip

    def _add_delta(self, delta: Delta) -> None:
        for (table, key, column), value in delta.items():
            if value:
                self.adds[table][key][column] += value


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
