"""Learners at risk, precomputed: each active enrollment's risk of disengaging and the
signals shown beside it, written to ``LearnerRisk`` by a beat task
(``analytics.risk_refresh``) so the at-risk page reads one indexed table and never runs
the model while a teacher waits (docs/dashboards.md).

Risk: with an active recommender, the model's probability that the learner has no event
in the next ``horizon_days`` (14), scored *now*: from the learner's last events and the
time elapsed since the last one (``recommender.data``: the disengagement target is
defined at daily check-ins, elapsed time included). The scoring over raw events is
``lms.recommendations.selectors.disengagement_risks``. A learner already away for the
whole horizon has disengaged by that definition: their band says so and they are not
given a prediction. Without a model, a transparent rule bands learners by days away.

Signals are facts, one per kind, each worded the same way everywhere (``signals``):
days inactive, graded items failed recently, weeks behind the soft deadline.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lms.courses.models import Activity, Course, Enrollment
from lms.progress.models import ActivityProgress
from lms.recommendations.selectors import disengagement_risks
from lms.recommendations.serving import active_model
from lms.tracking.models import Event

from . import models as m

log = logging.getLogger(__name__)

Band = m.LearnerRisk.Band
HORIZON_DAYS = 14  # as recommender.disengagement.DEFAULT_HORIZON_DAYS (a model says its own)
RECENT_DAYS = 14  # graded items failed this recently are a signal
CHUNK = 500  # learners scored per round of queries
HIGH, MEDIUM = 0.6, 0.3  # bands of the (calibrated) probability
RULE_HIGH_DAYS, RULE_MEDIUM_DAYS = 7, 3  # bands of the rule: days away


def band_of(*, risk: float | None, days_inactive: int | None, horizon_days: float = HORIZON_DAYS) -> int:
    """The band of a learner: never active, disengaged (away the whole horizon), else by
    the model's risk, or, without one (``risk`` None), by days away."""
    if days_inactive is None:
        return Band.NEVER
    if days_inactive >= horizon_days:
        return Band.DISENGAGED
    if risk is None:
        return Band.HIGH if days_inactive >= RULE_HIGH_DAYS else (
            Band.MEDIUM if days_inactive >= RULE_MEDIUM_DAYS else Band.LOW
        )  # fmt: skip
    return Band.HIGH if risk >= HIGH else Band.MEDIUM if risk >= MEDIUM else Band.LOW


def signals(*, days_inactive: int | None, recent_failures: int, overdue_weeks: Iterable[int]) -> list[str]:
    """The signals shown for a learner: one short sentence per kind, always worded alike."""
    out = []
    if days_inactive:
        out.append(f"Inactive {days_inactive} day{'s' * (days_inactive != 1)}")
    if recent_failures:
        out.append(f"{recent_failures} failed graded item{'s' * (recent_failures != 1)} "
                   f"in the last {RECENT_DAYS} days")  # fmt: skip
    weeks = sorted(overdue_weeks)
    if weeks:
        out.append(f"Behind the soft deadline of week{'s' * (len(weeks) != 1)} " + ", ".join(map(str, weeks)))
    return out


def _last_events(learner_ids: list[int]) -> dict[int, dt.datetime]:
    rows = Event.objects.filter(learner_id__in=learner_ids).values("learner_id").annotate(last=Max("time"))
    return {r["learner_id"]: r["last"] for r in rows}


def learner_risk_refresh(
    *, course: Course | None = None, now: dt.datetime | None = None, model: bool = True
) -> dict[str, int]:
    """Recompute ``LearnerRisk`` for ``course`` (default: every course) with the active
    model (``model=False``, or none active: the rule); returns rows written per course
    slug. Idempotent: a course's rows are replaced in one transaction."""
    now = now or timezone.now()
    loaded = active_model()
    recommender = loaded.recommender if model else None
    source = loaded.version.label if recommender is not None else "rule"
    horizon = recommender.horizon_days if recommender is not None else HORIZON_DAYS
    courses = [course] if course is not None else list(Course.objects.order_by("pk"))
    written = {}
    for c in courses:
        rows = _course_rows(c, now=now, recommender=recommender, source=source, horizon=horizon)
        with transaction.atomic():
            m.LearnerRisk.objects.filter(course=c).delete()
            m.LearnerRisk.objects.bulk_create(rows, batch_size=1000)
        written[c.slug] = len(rows)
    log.info("learner risk refreshed (%s): %s", source, written)
    return written


def _course_rows(course: Course, *, now: dt.datetime, recommender, source: str, horizon: float) -> list:
    today = now.date()
    recent = now - dt.timedelta(days=RECENT_DAYS)
    enrollments = list(
        Enrollment.objects.filter(course=course, active=True).select_related("session").order_by("user_id")
    )
    week_of = dict(Activity.objects.filter(course=course).values_list("pk", "week__position"))
    graded = list(
        Activity.objects.filter(course=course, graded=True, retired=False).values_list("pk", "week__position")
    )
    out = []
    for start in range(0, len(enrollments), CHUNK):
        chunk = enrollments[start : start + CHUNK]
        ids = [e.user_id for e in chunk]
        last = _last_events(ids)
        passed, failures = defaultdict(set), defaultdict(int)
        latest: dict[int, tuple[dt.datetime, int]] = {}
        for learner, activity, ok, score, updated in ActivityProgress.objects.filter(
            course=course, learner_id__in=ids
        ).values_list("learner_id", "activity_id", "passed", "score", "updated"):
            if ok:
                passed[learner].add(activity)
            elif score is not None and updated >= recent:
                failures[learner] += 1
            if learner not in latest or updated > latest[learner][0]:
                latest[learner] = (updated, activity)
        days_of = {pk: (now - last[pk]).days for pk in ids if pk in last}
        # The model scores those active within the horizon (the others have disengaged).
        risks = (
            disengagement_risks(
                recommender=recommender, learner_ids=[pk for pk, d in days_of.items() if d < horizon], now=now
            )
            if recommender is not None
            else {}
        )
        for enrollment in chunk:
            pk = enrollment.user_id
            last_active, days, risk = last.get(pk), days_of.get(pk), risks.get(pk)
            session = enrollment.session
            overdue = sorted(
                {p for a, p in graded if session and a not in passed[pk] and session.week_deadline(p) < today}
            )
            out.append(
                m.LearnerRisk(
                    course=course,
                    learner_id=pk,
                    band=band_of(risk=risk, days_inactive=days, horizon_days=horizon),
                    risk=risk,
                    last_active=last_active,
                    days_inactive=days,
                    week=week_of.get(latest[pk][1]) if pk in latest else None,
                    recent_failures=failures[pk],
                    overdue_weeks=overdue,
                    source=source,
                    computed=now,
                )
            )
    return out
