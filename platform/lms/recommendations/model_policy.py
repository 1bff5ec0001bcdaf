"""The model-based policy on the platform: the learner's recent events go through the
active recommender, and ``recommender.policy.choose`` turns its outputs, the course
graph and the learner's progress into ranked steps with reasons."""

from __future__ import annotations

import pandas as pd
from django.utils import timezone

from lms.courses.selectors import catalog_graph
from lms.progress.selectors import CourseState, State
from lms.tracking.models import Event
from recommender.policy import Candidate, ModelOutputs, choose

from .policy import Suggestion

HISTORY = 200  # events of context per prediction

HISTORY_FIELDS = ("time", "verb", "activity__slug", "payload")  # what the recommender reads


def history_frame(learner_id: int, rows: list[tuple]) -> pd.DataFrame:
    """A learner's events as the recommender reads them (``recommender.data.REQUIRED_COLUMNS``)
    from ``HISTORY_FIELDS`` rows, oldest first. Payloads stay the dicts the database
    returns (``recommender.data.parse_payload`` takes them as they are)."""
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


def candidates_for(states: list[CourseState]) -> tuple[list[Candidate], dict, str | None]:
    """Policy candidates from the learner's course states, concept titles, and the most
    recent graded item that was failed and not passed since."""
    graph = catalog_graph()
    today = timezone.localdate()
    out, order = [], 0
    failure, failure_at = None, None
    for state in states:
        deadlines = {w.week.pk: w.deadline for w in state.weeks}
        for item in state.items:
            a, row = item.activity, item.row
            deadline = deadlines.get(a.week_id)
            out.append(
                Candidate(
                    slug=a.slug,
                    kind=a.kind,
                    title=a.title,
                    where=a.week.title,
                    order=order,
                    minutes=a.minutes,
                    concepts=tuple(
                        graph.slugs.get(c, str(c)) for c in sorted(graph.activity_concepts.get(a.pk, ()))
                    ),
                    graded=a.graded,
                    state="locked" if item.state == State.LOCKED else item.state,
                    score=row.score if row else None,
                    passed=bool(row and row.passed),
                    coverage=row.coverage if row else 0.0,
                    due=bool(a.graded and deadline and deadline < today and not (row and row.passed)),
                    pass_mark=(a.pass_fraction or 0.8) if a.kind == "quiz" else state.course.passing_grade,
                    questions=tuple(
                        (key, tuple(graph.slugs.get(c, str(c)) for c in concepts))
                        for key, concepts in graph.questions.get(a.pk, ())
                    ),
                )
            )
            order += 1
            if a.graded and row is not None and row.score is not None and not row.passed:
                if failure_at is None or row.updated > failure_at:
                    failure, failure_at = a.slug, row.updated
    titles = {graph.slugs[c]: t for c, t in graph.titles.items() if c in graph.slugs}
    return out, titles, failure


def model_suggestions(
    *, learner, states: list[CourseState], recommender, label: str, limit: int = 3
) -> list[Suggestion]:
    candidates, titles, failure = candidates_for(states)
    if not candidates:
        return []
    prediction = recommender.predict(learner_history(learner_id=learner.pk), top_k=10_000)
    outputs = ModelOutputs(
        next_probability=dict(prediction.next_activities),
        correctness=prediction.correctness_many,
        risk=prediction.risk,
        version=label,
    )
    steps = choose(candidates, outputs, recent_failure=failure, concept_titles=titles, limit=limit)
    items = {i.activity.slug: (i, s) for s in states for i in s.items}
    return [Suggestion(items[step.slug][0], items[step.slug][1].course, step.reason, step.rank_score)
            for step in steps if step.slug in items]  # fmt: skip
