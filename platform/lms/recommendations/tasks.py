from celery import shared_task


@shared_task(name="recommendations.retrain", acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def retrain(version_id: int) -> str:
    """Train, evaluate and maybe promote the model version ``version_id`` (an id, so a
    redelivery finds the row; a finished version is left alone)."""
    from .registry import model_train

    version = model_train(version_id=version_id)
    return f"{version}" if version else "gone"


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
