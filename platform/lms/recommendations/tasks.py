from celery import shared_task


@shared_task(name="recommendations.retrain", acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def retrain(version_id: int) -> str:
    """Train, evaluate and maybe promote the model version ``version_id`` (an id, so a
    redelivery finds the row; a finished version is left alone)."""
    from .registry import model_train

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
    from .services import next_steps_precompute as precompute

    return precompute(learner_ids=learner_ids)


@shared_task(name="recommendations.redispatch_queued", time_limit=60)
def redispatch_queued() -> int:
    """Beat: send again a retrain that never started (its message was lost)."""
    from lms.core.dispatch import queued_redispatch

    from .models import ModelVersion

    waiting = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING, stage="queued")
    return queued_redispatch(queued=waiting, task=retrain)


@shared_task(name="recommendations.ope_estimate", acks_late=True, time_limit=30 * 60, soft_time_limit=25 * 60)
def ope_estimate(version_id: int) -> str:
    """Off-policy estimates of a version's policy from the logged showings
    (``lms.recommendations.ope``): written beside its artifact for the registry page."""
    from .ope import ope_compute

    data = ope_compute(version_id=version_id)
    return data["status"] if data else "gone"


@shared_task(name="recommendations.sweep_stale", time_limit=120)
def sweep_stale() -> int:
    """Beat: fail a retrain stuck in training (lms.core.sweep), which would otherwise
    refuse every later retrain (one training version at a time): queued (never started)
    for a day, or started and still training past the day plus the task's time limit.
    A version has no start time, so a running one is measured from its creation."""
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from lms.core.sweep import run_limit, stale_jobs_fail

    from .models import ModelVersion

    queued_for = dt.timedelta(days=1)

    def fail(version: ModelVersion) -> None:
        version.reason = ("training stopped before it finished (its worker was stopped or restarted)"
                          if version.stage != "queued" else
                          "training never started (the training workers were down for a day)")  # fmt: skip
        version.status, version.stage, version.finished = ModelVersion.Status.FAILED, "failed", timezone.now()
        version.save(update_fields=["status", "reason", "stage", "finished"])

    training = Q(status=ModelVersion.Status.TRAINING)
    return stale_jobs_fail(
        jobs=ModelVersion.objects.all(),
        queued=training & Q(stage="queued"),
        running=training & ~Q(stage="queued"),
        queued_for=queued_for,
        running_for=queued_for + run_limit(retrain),
        fail=fail,
        started_field="created",
    )
