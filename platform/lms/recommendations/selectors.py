"""Read side: the courses a learner is in, each with its state, most recently active first;
the recommended step as last chosen; and the active model's disengagement risk of
learners, scored from their raw events (the dashboards' at-risk rollup calls it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from lms.courses.models import Activity, Enrollment
from lms.progress.models import Certificate
from lms.progress.selectors import CourseState, course_state, learner_rows
from lms.tracking.models import Event

from .model_policy import HISTORY, HISTORY_FIELDS, history_frame


def learner_course_states(*, learner) -> list[CourseState]:
    """Four queries whatever the number of courses."""
    enrollments = list(
        Enrollment.objects.filter(user=learner, active=True).select_related("course", "session")
    )
    if not enrollments:
        return []
    course_ids = [e.course_id for e in enrollments]
    activities: dict[int, list[Activity]] = {cid: [] for cid in course_ids}
    for activity in (
        Activity.objects.filter(course_id__in=course_ids, retired=False, week__retired=False)
        .select_related("week")
        .order_by("course_id", "week__position", "position")
    ):
        activities[activity.course_id].append(activity)
    rows = learner_rows(learner=learner)
    certificates = {c.course_id: c for c in Certificate.objects.filter(learner=learner)}
    last_seen = {}
    for row in rows:
        last_seen[row.course_id] = max(last_seen.get(row.course_id, row.updated), row.updated)
    states = [
        course_state(
            learner=learner,
            course=e.course,
            activities=activities[e.course_id],
            rows=rows,
            enrollment=e,
            certificate=certificates.get(e.course_id),
        )
        for e in enrollments
    ]
    # Most recently active course first; untouched courses in catalog order.
    states.sort(
        key=lambda s: (
            s.course.pk not in last_seen,
            -(last_seen[s.course.pk].timestamp() if s.course.pk in last_seen else 0),
            s.course.number,
        )
    )
    return states


def next_step_cached(*, learner, exclude: tuple[str, ...] = ()):
    """The learner's recommended step as last chosen for them (the stored choice of
    ``next_steps_compute`` or the precompute task), without choosing again: an activity
    page offers it beside Next and must not run the model per page. The stored choice is
    used only under the same model version, day, experiment arm and personalization
    setting; only the learner's history may have moved on since (opening this page
    does that, and the precompute task catches up within seconds). The first stored
    step not in ``exclude`` (the page's own activity, its Next), or None."""
    from django.core.cache import cache

    from .services import NEXT_STEPS_KEY, _context

    if not learner.personalized:
        return None
    entry = cache.get(NEXT_STEPS_KEY.format(learner.pk))
    try:
        stamp, (_, chosen, _) = entry
    except (TypeError, ValueError):  # nothing stored (or an entry of another shape)
        return None
    context = _context(learner, generation="-")
    if stamp.partition(":")[2] != context.stamp.partition(":")[2]:
        return None  # another model, day, arm or setting: the choice no longer holds
    return next((s for s in chosen or () if s.activity.slug not in exclude), None)


def learner_histories(learner_ids: list[int], limit: int = HISTORY) -> dict[int, list[tuple]]:
    """The last ``limit`` events of each learner (``HISTORY_FIELDS`` rows), oldest first,
    in ONE query (a window); learners without events are left out."""
    rows = (
        Event.objects.filter(learner_id__in=learner_ids)
        .annotate(rank=Window(RowNumber(), partition_by=F("learner_id"), order_by=F("time").desc()))
        .filter(rank__lte=limit)
        .values_list("learner_id", *HISTORY_FIELDS)
    )
    out: dict[int, list[tuple]] = defaultdict(list)
    for learner, *rest in rows:
        out[learner].append(tuple(rest))
    for events in out.values():
        events.sort(key=lambda e: e[0])  # oldest first
    return out


def disengagement_risks(*, recommender, learner_ids: list[int], now: dt.datetime) -> dict[int, float]:
    """``recommender``'s probability that each learner has no event in the next
    ``recommender.horizon_days``, scored at ``now`` from their last ``HISTORY`` events
    (one query for all of them). ``recommender``: the active model's
    (``serving.active_model().recommender``)."""
    events = learner_histories(learner_ids)
    return {
        pk: float(recommender.predict(history_frame(pk, events.get(pk, [])), now=now).risk)
        for pk in learner_ids
    }
