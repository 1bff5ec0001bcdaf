"""The course rules, in one place: when a video counts as watched, how played segments
merge into coverage, when a quiz, a lab and a course are passed, the default pass mark,
and the course grade.

The platform (``lms.progress``, ``lms.labs``, ``lms.quizzes``, ``lms.simulation``,
``lms.recommendations``), the dashboards (``analytics.rollups`` and ``selectors``) and the
learner simulator (``recommender.simulate``) all call these functions, so a learner
the platform completes is one the dashboards and the simulator complete too. Pure
Python: no Django, no numpy, no torch (the recommender library and notebooks import it).
docs/course-site.md states the same rules for people.
"""

from __future__ import annotations

from collections.abc import Iterable

VIDEO_COMPLETE = 0.9  # share of a video that must be played (the union of played stretches)
PASS_MARK = 0.8  # a quiz's pass mark and a course's passing grade when none is given
RUN_PASS = 1.0  # a Run completes a lab (for auditors, who cannot Submit) when every public test passes
# Scores are sums of float points divided by float totals: 0.7999999999999999 is 80%.
TOLERANCE = 1e-9

SUBMIT, RUN = "submit", "run"


def merge_segments(segments: Iterable[Iterable[float]]) -> list[list[float]]:
    """Sorted, disjoint ``[start, end]`` pairs covering the same time as ``segments``
    (empty and reversed stretches dropped; touching ones joined)."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in segments if float(e) > float(s)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def coverage(merged: Iterable[Iterable[float]], duration: float) -> float:
    """Share of a ``duration``-second video that ``merged`` (disjoint, as
    ``merge_segments`` returns) covers, at most 1; 0 when the length is unknown."""
    if not duration or duration <= 0:
        return 0.0
    return min(1.0, sum(float(e) - float(s) for s, e in merged) / float(duration))


def video_complete(share: float) -> bool:
    """A video is watched once ``VIDEO_COMPLETE`` of it was played: the union of played
    stretches, not the furthest position, so skipping to the end does not count."""
    return share >= VIDEO_COMPLETE


def pass_mark(value: float | None) -> float:
    """A quiz's pass fraction or a course's passing grade, ``PASS_MARK`` when unset."""
    return float(value) if value else PASS_MARK


def passes(score: float, mark: float) -> bool:
    """``score`` reaches ``mark`` (both fractions; float noise forgiven)."""
    return score >= mark - TOLERANCE


def quiz_passed(score: float, pass_fraction: float | None) -> bool:
    """A quiz attempt passes at the quiz's pass fraction (``PASS_MARK`` when unset)."""
    return passes(score, pass_mark(pass_fraction))


def lab_mark(mode: str, passing_grade: float | None) -> float:
    """The score a lab grading must reach: a graded Submit, the course's passing grade;
    a Run (public tests only), every test."""
    if mode == SUBMIT:
        return pass_mark(passing_grade)
    if mode == RUN:
        return RUN_PASS
    raise ValueError(f"a lab grading is a {SUBMIT!r} or a {RUN!r}, not {mode!r}")


def lab_passed(mode: str, score: float, passing_grade: float | None) -> bool:
    """A lab grading passes: a Submit at the course's passing grade; a Run when every
    public test passes, which completes the lab for auditors only (verified learners
    complete it by Submitting: the caller knows the track)."""
    return passes(score, lab_mark(mode, passing_grade))


def lab_completes(mode: str, score: float, passing_grade: float | None, *, auditing: bool) -> bool:
    """A lab grading completes the lab for this learner: a Submit that passes at the
    course's passing grade; a Run that passes every public test, for an auditor only
    (auditors cannot Submit; a verified learner completes a lab by Submitting)."""
    if mode == RUN and not auditing:
        return False
    return lab_passed(mode, score, passing_grade)


def item_pass_mark(kind: str, pass_fraction: float | None, passing_grade: float | None) -> float:
    """The pass mark a graded item is held to: a quiz, its own pass fraction; a lab,
    its course's passing grade (what a Submit needs)."""
    return pass_mark(pass_fraction) if kind == "quiz" else pass_mark(passing_grade)


def course_grade(scores: Iterable[float | None]) -> float:
    """The course grade: the mean best score over the course's graded items, an item
    without a score counting 0 (0 for a course with no graded item)."""
    values = [score or 0.0 for score in scores]
    return sum(values) / len(values) if values else 0.0


def course_passed(grade: float, passing_grade: float | None) -> bool:
    """The course grade reaches the course's passing grade."""
    return passes(grade, pass_mark(passing_grade))
