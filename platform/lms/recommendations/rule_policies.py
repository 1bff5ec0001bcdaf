"""Choosing a learner's next step from where they stand.

Two policies, both over ``CourseState`` (lms.progress.selectors):

- ``syllabus``: the first unfinished activity in course order (the learner's current
  course first, then the courses by number 1-5, weeks in order). Used when the learner
  switched personalization off, and as the yardstick the adaptive policies must beat.
- ``rules-v1``: resume what is half done, repair what failed, catch up on overdue graded
  work, else the next activity whose prerequisites are met. Every choice carries the
  reason shown to the learner. The trained sequence model (issue 8) plugs in as another
  policy with the same output.

Whatever a policy returns goes through the pedagogy checker before a learner sees it
(``recommender.pedagogy``, applied in ``services._choose``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from course_content.rules import pass_mark, video_complete
from lms.courses.models import Activity
from lms.progress.selectors import ActivityState, CourseState, State

SYLLABUS = "syllabus"
RULES = "rules-v1"


@dataclass
class Suggestion:
    item: ActivityState
    course: object
    reason: str
    priority: float  # higher first
    kind: str = "next"  # as recommender.next_step.Step.kind: resume | retake | due | next | review ...

    @property
    def activity(self) -> Activity:
        return self.item.activity


def _where(item: ActivityState) -> str:
    return f"{item.activity.week.title}"


def in_course_order(states: list[CourseState], current: str | None = None) -> list[CourseState]:
    """The courses by number (1-5), the learner's current course (a slug) first."""
    return sorted(states, key=lambda s: (s.course.slug != current, s.course.number, s.course.slug))


def syllabus(states: list[CourseState], *, limit: int = 3, current: str | None = None) -> list[Suggestion]:
    """The next unfinished activities in course order: the current course's (``current``,
    a slug; by default the lowest-numbered course), then the next courses by number."""
    out = []
    for state in in_course_order(states, current):
        for item in state.items:
            if item.state != State.DONE:
                label = "Next" if not out else "Later"
                out.append(Suggestion(item, state.course, f"{label} in the syllabus: {_where(item)}.", 0))
                if len(out) >= limit:
                    return out
    return out


def _rule(item: ActivityState, state: CourseState, today: dt.date, deadlines: dict) -> Suggestion | None:
    a, row = item.activity, item.row
    if item.state == State.DONE:
        return None
    unfinished = row is not None and 0.05 <= row.coverage and not video_complete(row.coverage)
    if a.kind == Activity.Kind.VIDEO and unfinished:
        return Suggestion(
            item,
            state.course,
            f"You have watched {item.percent}% of this video; pick up where you left off.",
            90,
            "resume",
        )
    if a.kind == Activity.Kind.QUIZ and row is not None and row.score is not None:
        needed = round(100 * pass_mark(a.pass_fraction))
        return Suggestion(
            item,
            state.course,
            f"Your best score here is {item.percent}% and the pass mark is {needed}%: review the week's videos, then retake it.",
            80,
            "retake",
        )
    if a.kind == Activity.Kind.LAB and row is not None and row.score is not None:
        return Suggestion(
            item,
            state.course,
            f"Your lab stands at {item.percent}%; the feedback on your last submission says what to fix.",
            75,
            "retake",
        )
    deadline = deadlines.get(a.week_id)
    if a.graded and deadline is not None and deadline < today:
        return Suggestion(
            item,
            state.course,
            f"Graded and past its soft deadline ({deadline:%d %b}): catch up here, then move on.",
            70,
            "due",
        )
    if item.state == State.STARTED:
        return Suggestion(
            item, state.course, f"You opened this in {_where(item)} but have not finished it.", 60, "resume"
        )
    if item.state == State.AVAILABLE:
        return Suggestion(
            item, state.course, f"Next in {_where(item)}: everything it builds on is covered.", 50
        )
    return None


def rules(
    states: list[CourseState], *, today: dt.date, limit: int = 3, current: str | None = None
) -> list[Suggestion]:
    """Adaptive rules; ties broken by course order (the current course first, then by
    number), then syllabus order."""
    found: list[tuple[float, int, int, Suggestion]] = []
    for rank, state in enumerate(in_course_order(states, current)):
        deadlines = {w.week.pk: w.deadline for w in state.weeks}
        # Only the first couple of untouched activities of a course are candidates; in the
        # current course (first), enough to fill the steps.
        fresh, cap = 0, limit if rank == 0 else 2
        for order, item in enumerate(state.items):
            suggestion = _rule(item, state, today, deadlines)
            if suggestion is None:
                continue
            if item.row is None:
                fresh += 1
                if fresh > cap:
                    continue
            found.append((-suggestion.priority, rank, order, suggestion))
    found.sort(key=lambda t: t[:3])
    chosen = [s for *_, s in found[:limit]]
    if len(chosen) < limit:  # everything left is locked: fall back to the syllabus
        seen = {s.activity.pk for s in chosen}
        chosen += [s for s in syllabus(states, limit=limit + len(chosen), current=current)
                   if s.activity.pk not in seen][: limit - len(chosen)]  # fmt: skip
    return chosen
