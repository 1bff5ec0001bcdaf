"""Celery tasks of learner data rights (queue ``default``). Each takes a request id and
works only on a request still queued, so a redelivered or repeated message is harmless."""

from celery import shared_task


@shared_task(name="privacy.download_build", acks_late=True, time_limit=1800, soft_time_limit=1740)
def download_build_task(request_id: str) -> str:
    from .services import download_build

    request = download_build(request_id=request_id)
    return "not queued" if request is None else f"download {request.pk}: {request.status}"


@shared_task(name="privacy.erasure_run", acks_late=True, time_limit=1800, soft_time_limit=1740)
def erasure_run_task(request_id: str) -> str:
    from .services import erasure_run

    request = erasure_run(request_id=request_id)
    return "not queued" if request is None else f"erasure {request.pk}: {request.status}"


@shared_task(name="privacy.archives_expire", time_limit=600)
def archives_expire_task() -> int:
    """Beat: delete download archives older than seven days."""
    from .services import archives_expire

    return archives_expire()


@shared_task(name="privacy.redispatch_queued", time_limit=60)
def redispatch_queued() -> int:
    """Beat: send again the requests whose message was lost (lms.core.dispatch)."""
    from lms.core.dispatch import queued_redispatch

    from .models import DataRequest

    queued = DataRequest.objects.filter(status=DataRequest.Status.QUEUED)
    return queued_redispatch(
        queued=queued.filter(kind=DataRequest.Kind.DOWNLOAD), task=download_build_task
    ) + queued_redispatch(queued=queued.filter(kind=DataRequest.Kind.ERASURE), task=erasure_run_task)
