"""What one learner contributes to the rollups, computed from their state so that a
changed state is applied as retract (the old contribution) and add (the new one); and
how raw values become the rollups' keys: bucket ranges, speeds, score and time bins,
answer options. The course rules (a video watched, a lab passed) are ``rules``'."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from course_content import rules
from lms.courses.models import Question

from .catalog import ActivityInfo

ATTEMPT_BINS = 10  # attempts 1..9, then "10 or more"
# Minutes from first opening a lab to passing it: upper bounds of the bins.
TIME_BINS = (15, 30, 60, 120, 360, 1440, 4320, None)
TIME_BIN_LABELS = ("< 15 min", "15-30 min", "30-60 min", "1-2 h", "2-6 h", "6-24 h", "1-3 days", "3+ days")


def bucket_ranges(segments: Iterable, width: int, buckets: int) -> list[list[int]]:
    """Played [start, end] seconds -> merged [first, stop) bucket ranges (merged as
    ``rules.merge_segments`` merges played stretches): a bucket counts once per learner
    however many stretches touch it."""
    ranges = []
    for segment in segments:
        try:
            start, end = float(segment[0]), float(segment[1])
        except (TypeError, ValueError, IndexError):
            continue
        ranges.append((max(0, math.floor(start / width)), min(buckets, math.ceil(end / width))))
    return [[int(first), int(stop)] for first, stop in rules.merge_segments(ranges)]


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
class RecommendationState:
    """What the events of one recommendation id say (merged in any order)."""

    course: int
    learner: int
    policy: str = ""  # from ``shown``; "" until it is seen
    shown_at: dt.datetime | None = None
    target: int | None = None
    followed: bool = False
    dismissed: bool = False

    def merge(self, other: RecommendationState) -> RecommendationState:
        shown = other if self.shown_at is None or (
            other.shown_at is not None and other.shown_at < self.shown_at) else self  # fmt: skip
        return RecommendationState(
            shown.course if shown.shown_at is not None else self.course,
            self.learner,
            shown.policy,
            shown.shown_at,
            shown.target,
            self.followed or other.followed,
            self.dismissed or other.dismissed,
        )


def recommendation_contribution(state: RecommendationState) -> Delta:
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
