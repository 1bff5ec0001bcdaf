"""Celery tasks of the recommendations app: retraining, the next-steps precompute, the
off-policy estimates, and the beat tasks that resend or fail stuck jobs. The services
that queue them import this module when they send (it imports them)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from lms.core.dispatch import queued_redispatch
from lms.core.jobs import run_limit, stale_jobs_fail

from . import services
from .models import ModelVersion
from .ope import ope_compute
from .registry import model_train


@shared_task(name="recommendations.retrain", acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def retrain(version_id: int) -> str:
    """Train, evaluate and maybe promote the model version ``version_id`` (an id, so a
    redelivery finds the row; a finished version is left alone)."""
    version = model_train(version_id=version_id)
    return f"{version}" if version else "gone"


@shared_task(
    name="recommendations.next_steps_precompute", acks_late=True, time_limit=10 * 60, soft_time_limit=9 * 60
)
def next_steps_precompute(learner_ids: list[int]) -> int:
    """Compute and store these learners' next steps, so that the home page and
    ``/api/v1/me/next-steps`` read them instead of computing while the learner waits
    (``services.next_steps_precompute``: idempotent; scheduled, debounced, by
    ``services.next_steps_schedule`` when their history or progress changes). A lost or
    expired message costs nothing but speed: a request computes what is missing."""
    return services.next_steps_precompute(learner_ids=learner_ids)


@shared_task(name="recommendations.redispatch_queued", time_limit=60)
def redispatch_queued() -> int:
    """Beat: send again a retrain that never started (its message was lost)."""
    return queued_redispatch(queued=ModelVersion.objects.filter(ModelVersion.queued_q()), task=retrain)


@shared_task(name="recommendations.ope_estimate", acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def ope_estimate(version_id: int) -> str:
    """Off-policy estimates of a version's policy from the logged showings
    (``lms.recommendations.ope``): written beside its artifact for the registry page."""
    data = ope_compute(version_id=version_id)
    return data["status"] if data else "gone"


@shared_task(name="recommendations.sweep_stale", time_limit=120)
def sweep_stale() -> int:
    """Beat: fail a retrain stuck in training (lms.core.jobs), which would otherwise
    refuse every later retrain (one training version at a time): queued (never started)
    for a day, or started and still training past the day plus the task's time limit.
    A redelivered task resumes a started version, so a running one is measured from its
    creation, not from its (first) start."""
    queued_for = dt.timedelta(days=1)
    return stale_jobs_fail(
        jobs=ModelVersion.objects.all(),
        queued_for=queued_for,
        running_for=queued_for + run_limit(retrain),
        stopped="training stopped before it finished (its worker was stopped or restarted)",
        never_started="training never started (the training workers were down for a day)",
        started_field="created",
    )
