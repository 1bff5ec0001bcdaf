"""Write side of learner data rights: asking for a download or an erasure, running
them (the Celery tasks call these), serving and expiring archives. Every step goes into
the append-only audit log (``AuditEntry``), which names requests, never learners.

Both are jobs (``lms.core.jobs``): a ``DataRequest`` row is the job; the task takes its
id and works only on a row still queued (so a redelivered message does nothing), and the
row's ``stage`` / ``progress`` are what the learner's page polls.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lms.core.dispatch import task_send_on_commit
from lms.core.jobs import job_fail, job_stage, job_succeed, job_take
from lms.recommendations.generation import GENERATION_KEY
from lms.recommendations.services import NEXT_STEPS_KEY

from .archive import archive_dir, archive_write
from .erasure import (
    archives_erase,
    exclusion_record,
    rows_erase,
    sessions_end,
    snapshots_erase,
    subject_of,
)
from .hooks import FilePlan, erasers
from .models import AuditEntry, DataRequest

log = logging.getLogger(__name__)
ARCHIVE_DAYS = 7
PENDING = (DataRequest.Status.QUEUED, DataRequest.Status.RUNNING)


class RequestRefused(Exception):
    pass


def audit_record(*, request: DataRequest, action: str, counts: dict | None = None, detail: str = "") -> None:
    AuditEntry.objects.create(
        request_id=request.pk, kind=request.kind, action=action, counts=dict(counts or {}), detail=detail
    )


@transaction.atomic
def download_request_create(*, user) -> DataRequest:
    """Queue an archive of the learner's data (a pending one is returned as it is)."""
    from .tasks import download_build_task  # tasks imports this module

    return _request_queue(user=user, kind=DataRequest.Kind.DOWNLOAD, task=download_build_task)


@transaction.atomic
def erasure_request_create(*, user, password: str) -> DataRequest:
    """Queue the erasure of the learner, confirmed with their password."""
    if not user.check_password(password):
        raise RequestRefused("That is not your password: nothing was erased.")
    if user.is_staff or user.is_superuser:
        raise RequestRefused("Staff accounts are closed by another administrator, not erased from here.")
    from .tasks import erasure_run_task  # tasks imports this module

    return _request_queue(user=user, kind=DataRequest.Kind.ERASURE, task=erasure_run_task)


def _request_queue(*, user, kind: str, task) -> DataRequest:
    """The learner's pending request of ``kind`` as it is, or a new one, recorded in the
    audit log and sent to ``task`` once the transaction commits."""
    pending = DataRequest.objects.filter(learner=user, kind=kind, status__in=PENDING)
    if (found := pending.first()) is not None:
        return found
    request = DataRequest.objects.create(kind=kind, learner=user, stage="queued")
    audit_record(request=request, action=AuditEntry.Action.REQUESTED)
    task_send_on_commit(task, str(request.pk))
    return request


def request_fail(request: DataRequest, reason: str) -> DataRequest:
    """Mark the request failed with ``reason`` and record it in the audit log (the task
    on an error, the sweeper on a request stuck past its limit)."""
    job_fail(request, reason)
    audit_record(request=request, action=AuditEntry.Action.FAILED, detail=request.error)
    request.refresh_from_db()
    return request


def download_build(*, request_id: str) -> DataRequest | None:
    """Build the archive of a queued download request (the task body)."""
    request = job_take(DataRequest.objects.filter(kind=DataRequest.Kind.DOWNLOAD), request_id)
    if request is None:
        return None
    out = archive_dir() / f"{request.pk}.zip"
    part = out.with_name(f"part-{out.name}")
    try:
        if request.learner is None:
            raise RequestRefused("the account no longer exists")
        counts = archive_write(user=request.learner, out=part, progress=lambda s, p: job_stage(request, s, p))
        os.replace(part, out)
    except Exception as exc:  # noqa: BLE001 - any failure is the request's, shown on the page
        log.exception("data download %s failed", request.pk)
        part.unlink(missing_ok=True)
        return request_fail(request, f"{type(exc).__name__}: {exc}")
    now = timezone.now()
    job_succeed(request, DataRequest.Status.DONE, stage="ready", progress=1.0, path=str(out),
                size=out.stat().st_size, finished=now, expires=now + dt.timedelta(days=ARCHIVE_DAYS))  # fmt: skip
    audit_record(request=request, action=AuditEntry.Action.DONE, counts=counts)
    request.refresh_from_db()
    return request


def download_served(*, request: DataRequest) -> None:
    audit_record(request=request, action=AuditEntry.Action.DOWNLOADED)


def erasure_run(*, request_id: str) -> DataRequest | None:
    """Erase the learner of a queued erasure request (the task body): every row in one
    transaction, then the planned file changes and the session cache. Any failure rolls
    the database back, discards the scrubbed file copies and marks the request failed
    with the reason. A learner already erased (a second request) leaves nothing to do."""
    request = job_take(DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE), request_id)
    if request is None:
        return None
    job_stage(request, "erasing", 0.1)
    plan, session_keys, learner_id = FilePlan(), [], request.learner_id
    try:
        with transaction.atomic():
            counts: Counter = Counter()
            user = get_user_model().objects.select_for_update().filter(pk=learner_id).first()
            if user is not None:
                subject = subject_of(user)
                counts["files: download archives"] = archives_erase(user=user, plan=plan)
                counts.update(snapshots_erase(subject=subject, plan=plan))
                for eraser in erasers().values():
                    counts.update(eraser(subject=subject, plan=plan))
                session_keys = sessions_end(user=user)
                counts["sessions"] = len(session_keys)
                counts.update(rows_erase(user=user))
                counts["privacy.ErasedLearner"] = exclusion_record(subject=subject)
            job_succeed(request, DataRequest.Status.DONE, stage="erased", progress=1.0, learner=None)
            audit_record(request=request, action=AuditEntry.Action.DONE, counts=+counts)
    except Exception as exc:  # noqa: BLE001 - nothing was erased; the request says why
        log.exception("erasure %s failed", request.pk)
        plan.discard()
        return request_fail(request, f"{type(exc).__name__}: {exc}")
    plan.apply()
    _caches_forget(learner_id, session_keys)
    request.refresh_from_db()
    return request


def _caches_forget(learner_id: int | None, session_keys: list[str]) -> None:
    """Sessions (cached in front of the database) and the per-learner cache entries."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()
    if learner_id is not None:
        keys = ("nav:roles:{}", "nav:teaches:{}", NEXT_STEPS_KEY, GENERATION_KEY)
        cache.delete_many([key.format(learner_id) for key in keys])


def archives_expire(*, learner=None, now: dt.datetime | None = None) -> int:
    """Delete archives past their expiry (all, or ``learner``'s); how many."""
    expired = DataRequest.objects.filter(
        kind=DataRequest.Kind.DOWNLOAD, status=DataRequest.Status.DONE, expires__lte=now or timezone.now()
    )
    if learner is not None:
        expired = expired.filter(learner=learner)
    n = 0
    for request in expired:
        with transaction.atomic():
            if not DataRequest.objects.filter(pk=request.pk, status=DataRequest.Status.DONE).update(
                status=DataRequest.Status.EXPIRED, path="", size=None, stage="expired"
            ):
                continue  # expired meanwhile by another run
            audit_record(request=request, action=AuditEntry.Action.EXPIRED)
        if request.path:
            Path(request.path).unlink(missing_ok=True)
        n += 1
    return n
