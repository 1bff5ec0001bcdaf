"""The model-based policy on the platform: the learner's recent events go through the
active recommender, and ``recommender.next_step.choose`` turns its outputs, the course
graph and the learner's progress into ranked steps with reasons. Also the bridge from
course states to the pedagogy checker (``learner_state``, ``checked_suggestions``),
which every policy's output goes through."""

from __future__ import annotations

import pandas as pd
from django.utils import timezone

from course_content import rules
from lms.courses.selectors import catalog_graph
from lms.progress.selectors import CourseState, State
from lms.tracking.models import Event
from recommender.next_step import Candidate, ModelOutputs, Step, choose
from recommender.pedagogy import LearnerState, enforce

from .rule_policies import Suggestion

HISTORY = 200  # events of context per prediction

HISTORY_FIELDS = ("time", "verb", "activity__slug", "payload")  # what the recommender reads


def history_frame(learner_id: int, rows: list[tuple]) -> pd.DataFrame:
    """A learner's events as the recommender reads them (``recommender.event_frame.REQUIRED_COLUMNS``)
    from ``HISTORY_FIELDS`` rows, oldest first. Payloads stay the dicts the database
    returns (``recommender.event_frame.parse_payload`` takes them as they are)."""
    frame = pd.DataFrame(rows, columns=["time", "verb", "activity", "payload"])
    frame.insert(0, "learner_id", learner_id)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def learner_history(*, learner_id: int, limit: int = HISTORY) -> pd.DataFrame:
    """The learner's latest events, oldest first: one query, with one join (the
    next-steps endpoint runs it on every request; docs/benchmarks.md)."""
    rows = list(
        Event.objects.filter(learner_id=learner_id).order_by("-time").values_list(*HISTORY_FIELDS)[:limit]
    )
    rows.reverse()
    return history_frame(learner_id, rows)


def learner_state(states: list[CourseState]) -> LearnerState:
    """The learner as the policies and the pedagogy checker see them: a ``Candidate`` per
    activity of their courses (with its course, number, week, concepts and the concepts
    those build on), the course of their latest activity, concept titles, and the most
    recent graded item failed and not passed since. No query (the graph is cached)."""
    graph = catalog_graph()
    today = timezone.localdate()
    out, order = [], 0
    failure, failure_at = None, None
    recent, recent_at = None, None
    for state in states:
        deadlines = {w.week.pk: w.deadline for w in state.weeks}
        enrolled = state.enrollment is not None
        for item in state.items:
            a, row = item.activity, item.row
            deadline = deadlines.get(a.week_id)
            own = graph.activity_concepts.get(a.pk, frozenset())
            needs = {r for c in own for r in graph.requires.get(c, ())} - own
            out.append(
                Candidate(
                    slug=a.slug,
                    kind=a.kind,
                    title=a.title,
                    where=a.week.title,
                    order=order,
                    minutes=a.minutes,
                    concepts=tuple(graph.slugs.get(c, str(c)) for c in sorted(own)),
                    graded=a.graded,
                    state="locked" if item.state == State.LOCKED else item.state,
                    score=row.score if row else None,
                    passed=bool(row and row.passed),
                    coverage=row.coverage if row else 0.0,
                    due=bool(a.graded and deadline and deadline < today and not (row and row.passed)),
                    pass_mark=rules.item_pass_mark(a.kind, a.pass_fraction, state.course.passing_grade),
                    questions=tuple(
                        (key, tuple(graph.slugs.get(c, str(c)) for c in concepts))
                        for key, concepts in graph.questions.get(a.pk, ())
                    ),
                    course=state.course.slug,
                    course_number=state.course.number,
                    week=a.week.position,
                    enrolled=enrolled,
                    prerequisites=tuple(graph.slugs.get(c, str(c)) for c in sorted(needs)),
                )
            )
            order += 1
            if row is not None and (recent_at is None or row.updated > recent_at):
                recent, recent_at = state.course.slug, row.updated
            if a.graded and row is not None and row.score is not None and not row.passed:
                if failure_at is None or row.updated > failure_at:
                    failure, failure_at = a.slug, row.updated
    titles = {graph.slugs[c]: t for c, t in graph.titles.items() if c in graph.slugs}
    return LearnerState(out, recent_course=recent, concept_titles=titles, failure=failure)


def model_suggestions(
    *,
    learner,
    states: list[CourseState],
    recommender,
    label: str,
    limit: int = 3,
    state: LearnerState | None = None,
) -> list[Suggestion]:
    """The model policy's ranked suggestions (``state``: ``learner_state(states)``, if
    the caller has it)."""
    state = state or learner_state(states)
    if not state.candidates:
        return []
    prediction = recommender.predict(learner_history(learner_id=learner.pk), top_k=10_000)
    outputs = ModelOutputs(
        next_probability=dict(prediction.next_activities),
        correctness=prediction.correctness_many,
        risk=prediction.risk,
        version=label,
    )
    steps = choose(list(state.candidates), outputs, recent_failure=state.failure,
                   concept_titles=dict(state.concept_titles), limit=limit, recent_course=state.recent_course)  # fmt: skip
    items = {i.activity.slug: (i, s) for s in states for i in s.items}
    return [Suggestion(items[step.slug][0], items[step.slug][1].course, step.reason, step.rank_score, step.kind)
            for step in steps if step.slug in items]  # fmt: skip


def checked_suggestions(
    *,
    state: LearnerState,
    states: list[CourseState],
    suggestions: list[Suggestion],
    policy: str,
    limit: int = 3,
) -> list[Suggestion]:
    """A policy's suggestions through the pedagogy checker (``recommender.pedagogy``):
    the first ``limit`` valid ones, the top step in the learner's current course and
    week; a violation is logged and replaced by the next valid suggestion, then by the
    current course's syllabus order (with a reason from the item's own facts)."""
    steps = [Step(s.activity.slug, s.reason, float(s.priority), s.kind) for s in suggestions]
    enforced = enforce(state, steps, limit=limit, policy=policy)
    items = {i.activity.slug: (i, s) for s in states for i in s.items}
    given = {s.activity.slug: s for s in suggestions}
    out = []
    for step in enforced.steps:
        if step.slug in given:
            out.append(given[step.slug])
        elif step.slug in items:
            item, course_state = items[step.slug]
            out.append(Suggestion(item, course_state.course, step.reason, step.rank_score, step.kind))
    return out
