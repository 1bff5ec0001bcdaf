"""Choosing a learner's next step from where they stand.

Two policies, both over ``CourseState`` (lms.progress.selectors):

- ``syllabus``: the first unfinished activity in course order. Used when the learner
  switched personalization off, and as the yardstick the adaptive policies must beat.
- ``rules-v1``: resume what is half done, repair what failed, catch up on overdue graded
  work, else the next activity whose prerequisites are met. Every choice carries the
  reason shown to the learner. The trained sequence model (issue 8) plugs in as another
  policy with the same output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lms.courses.models import Activity
from lms.progress.selectors import CourseState, Item, State

SYLLABUS = "syllabus"
RULES = "rules-v1"


@dataclass
class Suggestion:
    item: Item
    course: object
    reason: str
    priority: float  # higher first

    @property
    def activity(self) -> Activity:
        return self.item.activity


def _where(item: Item) -> str:
    return f"{item.activity.week.title}"


def syllabus(states: list[CourseState], *, limit: int = 3) -> list[Suggestion]:
    """The next unfinished activities in course order, most recently active course first."""
    out = []
    for state in states:
        for item in state.items:
            if item.state != State.DONE:
                out.append(Suggestion(item, state.course, f"Next in the syllabus: {_where(item)}.", 0))
                break
    for state in states:  # then the following ones in the first course
        rest = [i for i in state.items if i.state != State.DONE][1:]
        out += [Suggestion(i, state.course, f"Later in the syllabus: {_where(i)}.", 0) for i in rest]
        if len(out) >= limit:
            break
    return out[:limit]


def _rule(item: Item, state: CourseState, today: dt.date, deadlines: dict) -> Suggestion | None:
    a, row = item.activity, item.row
    if item.state == State.DONE:
        return None
    if a.kind == Activity.Kind.VIDEO and row is not None and 0.05 <= row.coverage < 0.9:
        return Suggestion(
            item,
            state.course,
            f"You have watched {item.percent}% of this video; pick up where you left off.",
            90,
        )
    if a.kind == Activity.Kind.QUIZ and row is not None and row.score is not None:
        needed = round(100 * (a.pass_fraction or 0.8))
        return Suggestion(
            item,
            state.course,
            f"Your best score here is {item.percent}% and the pass mark is {needed}%: review the week's videos, then retake it.",
            80,
        )
    if a.kind == Activity.Kind.LAB and row is not None and row.score is not None:
        return Suggestion(
            item,
            state.course,
            f"Your lab stands at {item.percent}%; the feedback on your last submission says what to fix.",
            75,
        )
    deadline = deadlines.get(a.week_id)
    if a.graded and deadline is not None and deadline < today:
        return Suggestion(
            item,
            state.course,
            f"Graded and past its soft deadline ({deadline:%d %b}): catch up here, then move on.",
            70,
        )
    if item.state == State.STARTED:
        return Suggestion(
            item, state.course, f"You opened this in {_where(item)} but have not finished it.", 60
        )
    if item.state == State.AVAILABLE:
        return Suggestion(
            item, state.course, f"Next in {_where(item)}: everything it builds on is covered.", 50
        )
    return None


def rules(states: list[CourseState], *, today: dt.date, limit: int = 3) -> list[Suggestion]:
    """Adaptive rules; ties broken by course activity recency, then syllabus order."""
    found: list[tuple[float, int, int, Suggestion]] = []
    for rank, state in enumerate(states):
        deadlines = {w.week.pk: w.deadline for w in state.weeks}
        fresh = 0  # only the first couple of untouched activities of a course are candidates
        for order, item in enumerate(state.items):
            suggestion = _rule(item, state, today, deadlines)
            if suggestion is None:
                continue
            if item.row is None:
                fresh += 1
                if fresh > 2:
                    continue
            found.append((-suggestion.priority, rank, order, suggestion))
    found.sort(key=lambda t: t[:3])
    chosen = [s for *_, s in found[:limit]]
    if len(chosen) < limit:  # everything left is locked: fall back to the syllabus
        seen = {s.activity.pk for s in chosen}
        chosen += [s for s in syllabus(states, limit=limit) if s.activity.pk not in seen][
            : limit - len(chosen)
        ]
    return chosen
