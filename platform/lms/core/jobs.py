"""Background jobs as rows: the one lifecycle of every queued job.

A lab submission (``labs.Submission``), an export (``analytics.ExportJob``), a data request
(``privacy.DataRequest``) and a retrain (``recommendations.ModelVersion``) are each a row
first (:class:`Job`, or :class:`StagedJob` where a page shows a live stage and progress).
A task takes only the row's id, and the row moves from queued to running to an end state
through the helpers here, so every kind claims, reports, fails and is swept the same way:

* :func:`job_take`: claim a queued row under a row lock and mark it running; a second
  message for the same row (a redelivery, a re-send by ``lms.core.dispatch``) finds it
  no longer queued and does nothing;
* :func:`job_stage`: the live stage and progress (0..1) the page polls;
* :func:`job_succeed` and :func:`job_fail`: the end state, its ``finished`` time and, for a
  failure, the reason the page shows (cleaned by :func:`text_safe`: no NUL, no lone
  surrogate, at most :data:`MAX_ERROR_CHARS` characters);
* :func:`stale_jobs_fail`: the sweep. Two things leave a row in between for ever: a worker
  killed mid-run (hard time limit, out of memory, a deploy) leaves it running, and a
  message lost for longer than anyone waits leaves it queued. A periodic task per app
  fails running rows started longer ago than the task's ``time_limit`` plus :data:`SLACK`
  (:func:`run_limit`), and queued rows older than ``queued_for`` (younger ones are re-sent
  by ``lms.core.dispatch.queued_redispatch``). Each row is re-read under a row lock that
  skips rows a worker holds, with the same staleness filter, so a job that finished
  meanwhile is left alone and running the sweep twice (or two sweeps at once) fails each
  row once.

Each kind declares its own ``status`` with its own choices (a submission ends graded or
not gradable, an export or request done); "queued", "running" and "failed" mean the same
in all of them. A model version is the one exception: one *training* status covers a
retrain waiting for a worker (its stage is still "queued") and one under way, because a
database constraint allows one training version at a time, waiting or not; its
:meth:`Job.queued_q` and :meth:`Job.running_q` say so, and its failure reason lives in
``reason`` (which also holds the promotion decision) instead of ``error``.

A lecture (``lectures.LectureRender``) has the fields of a job and fails as one, but it is
one row per video, queued again when the video must be made again: its ``created`` is when
it was last queued, and it claims its row and re-queues a lost job itself
(``lms.lectures.services``), with no sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

log = logging.getLogger(__name__)

QUEUED, RUNNING, FAILED = "queued", "running", "failed"
MAX_ERROR_CHARS = 2000
SLACK = dt.timedelta(minutes=2)  # a worker's clock, its last save, the beat's own period
BATCH = 500


def text_safe(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` as PostgreSQL text and JSON accept it: no NUL, no lone surrogate (each
    becomes U+FFFD), at most ``limit`` characters. The grader's cleaner does the same for
    lab feedback; this one guards the reasons the jobs themselves store."""
    text = str(text).replace("\x00", "\ufffd")
    text = text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Job(models.Model):
    """The fields every job row has (each kind adds its ``status`` with its choices)."""

    error = models.TextField(blank=True)  # why it failed, shown on the page
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)  # when a worker took it
    finished = models.DateTimeField(null=True, blank=True)

    error_field = "error"  # where job_fail writes the reason

    class Meta:
        abstract = True

    @classmethod
    def queued_q(cls) -> Q:
        """The rows waiting for a worker."""
        return Q(status=QUEUED)

    @classmethod
    def running_q(cls) -> Q:
        """The rows a worker has taken and not finished."""
        return Q(status=RUNNING)

    def mark_taken(self, now: dt.datetime) -> list[str]:
        """Mark this row taken by a worker (not saved); the fields changed."""
        self.status, self.started = RUNNING, now
        return ["status", "started"]


class StagedJob(Job):
    """A job whose page follows it: the stage in words and the progress from 0 to 1."""

    stage = models.CharField(max_length=200, blank=True)  # live progress: "exporting your events"
    progress = models.FloatField(default=0.0)  # 0..1

    class Meta:
        abstract = True


def _rows(job: Job) -> QuerySet:
    return type(job)._default_manager.filter(pk=job.pk)


def job_take(jobs: QuerySet, pk, *, resume: bool = False) -> Job | None:
    """Claim the row ``pk`` of ``jobs`` if it is queued (with ``resume``, also one already
    running: a redelivered task that carries on from its checkpoints) and mark it taken,
    under a row lock; None if it is gone or not (or no longer) waiting."""
    model = jobs.model
    takeable = model.queued_q() | model.running_q() if resume else model.queued_q()
    with transaction.atomic():
        job = jobs.select_for_update(of=("self",)).filter(takeable, pk=pk).first()
        if job is None:
            return None
        if changed := job.mark_taken(timezone.now()):
            job.save(update_fields=changed)
    return job


def job_stage(job: StagedJob, stage: str, progress: float) -> None:
    """Record the stage and progress the page shows."""
    job.stage, job.progress = stage, progress
    _rows(job).update(stage=stage, progress=progress)


def _end(job: Job, rows: QuerySet, values: dict) -> bool:
    values.setdefault("finished", timezone.now())
    if not rows.update(**values):
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


def job_succeed(job: Job, status: str, *, running_only: bool = False, **values) -> bool:
    """End ``job`` with ``status`` (its kind's end state: done, graded, ...) and
    ``values``, ``finished`` now; with ``running_only``, only if it is still running (a
    job the sweeper failed meanwhile keeps that answer). Whether the row was changed."""
    rows = _rows(job).filter(type(job).running_q()) if running_only else _rows(job)
    return _end(job, rows, {"status": status, **values})


def job_fail(job: Job, error: str, *, pending_only: bool = False, **values) -> bool:
    """End ``job`` failed with ``error`` (cleaned by :func:`text_safe`) and ``values``,
    ``finished`` now, the stage "failed" for a staged job; with ``pending_only``, only if
    it is still queued or running (the sweeper and the task may both get here). Whether
    the row was changed."""
    model = type(job)
    if issubclass(model, StagedJob):
        values.setdefault("stage", FAILED)
    rows = _rows(job).filter(model.queued_q() | model.running_q()) if pending_only else _rows(job)
    return _end(job, rows, {"status": FAILED, model.error_field: text_safe(error), **values})


def run_limit(task) -> dt.timedelta:
    """How long a row of ``task`` can be running: its hard time limit plus :data:`SLACK`."""
    return dt.timedelta(seconds=task.time_limit) + SLACK


def stale_jobs_fail(
    *,
    jobs: QuerySet,
    queued_for: dt.timedelta,
    running_for: dt.timedelta,
    stopped: str,
    never_started: str,
    fail: Callable[[Job, str], object] = job_fail,
    started_field: str = "started",
) -> int:
    """Fail each row of ``jobs`` running (started more than ``running_for`` ago) with the
    reason ``stopped``, and each queued (created more than ``queued_for`` ago) with
    ``never_started``, by calling ``fail(row, reason)`` (by default :func:`job_fail`; a
    kind that records more passes its own); how many were failed (at most :data:`BATCH`
    of each per call)."""
    model, now = jobs.model, timezone.now()
    failed = 0
    for stale, reason in (
        (jobs.filter(model.running_q(), **{f"{started_field}__lt": now - running_for}), stopped),
        (jobs.filter(model.queued_q(), created__lt=now - queued_for), never_started),
    ):
        for pk in list(stale.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                row = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
                if row is None:  # finished, or being taken by a worker, since the list was read
                    continue
                fail(row, reason)
                failed += 1
    if failed:
        log.warning("failed %d stale %s job(s)", failed, model._meta.label)
    return failed
