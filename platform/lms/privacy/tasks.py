"""Celery tasks of learner data rights (queue ``default``). Each takes a request id and
works only on a request still queued, so a redelivered or repeated message is harmless.
The services that queue them import this module when they send (it imports them)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from lms.core.dispatch import queued_redispatch
from lms.core.jobs import run_limit, stale_jobs_fail

from .models import DataRequest
from .services import archives_expire, download_build, erasure_run, request_fail


@shared_task(name="privacy.download_build", acks_late=True, time_limit=1800, soft_time_limit=1740)
def download_build_task(request_id: str) -> str:
    request = download_build(request_id=request_id)
    return "not queued" if request is None else f"download {request.pk}: {request.status}"


@shared_task(name="privacy.erasure_run", acks_late=True, time_limit=1800, soft_time_limit=1740)
def erasure_run_task(request_id: str) -> str:
    request = erasure_run(request_id=request_id)
    return "not queued" if request is None else f"erasure {request.pk}: {request.status}"


@shared_task(name="privacy.archives_expire", time_limit=600)
def archives_expire_task() -> int:
    """Beat: delete download archives older than seven days."""
    return archives_expire()


@shared_task(name="privacy.redispatch_queued", time_limit=60)
def redispatch_queued() -> int:
    """Beat: send again the requests whose message was lost (lms.core.dispatch)."""
    queued = DataRequest.objects.filter(DataRequest.queued_q())
    return queued_redispatch(
        queued=queued.filter(kind=DataRequest.Kind.DOWNLOAD), task=download_build_task
    ) + queued_redispatch(queued=queued.filter(kind=DataRequest.Kind.ERASURE), task=erasure_run_task)


@shared_task(name="privacy.sweep_stale", time_limit=120)
def sweep_stale_task() -> int:
    """Beat: fail the requests running past their task's time limit (a killed worker) or
    queued for more than a day (lms.core.jobs), each with its audit entry; the learner
    can ask again."""
    return stale_jobs_fail(
        jobs=DataRequest.objects.all(),
        queued_for=dt.timedelta(days=1),
        running_for=max(run_limit(download_build_task), run_limit(erasure_run_task)),
        stopped="stopped before it finished (its worker was stopped or restarted); ask again",
        never_started="never started (the workers were down for a day); ask again",
        fail=request_fail,
    )
