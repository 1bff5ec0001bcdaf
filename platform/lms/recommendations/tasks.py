from celery import shared_task


@shared_task(name="recommendations.retrain", acks_late=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def retrain(version_id: int) -> str:
    """Train, evaluate and maybe promote the model version ``version_id`` (an id, so a
    redelivery finds the row; a finished version is left alone)."""
    from .registry import model_train

    version = model_train(version_id=version_id)
    return f"{version}" if version else "gone"
