"""Celery tasks of the dashboards. Beat runs ``analytics.rollups_update`` every minute
on the default queue (settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)

# A run stops after the slice that passes this budget; the next beat run carries on from
# the watermark (a catch-up after downtime spreads over several runs).
BUDGET_SECONDS = 240


@shared_task(name="analytics.rollups_update", acks_late=True, time_limit=600, soft_time_limit=540)
def rollups_update_task() -> str:
    """Idempotent: the watermark moves in the same transaction as the rollup writes, and
    a run that finds another one holding the watermark does nothing."""
    from .rollups import rollups_update

    report = rollups_update(budget_seconds=BUDGET_SECONDS)
    if report.events:
        log.info("rollups: %s", report)
    return str(report)


@shared_task(name="analytics.exports_redispatch", time_limit=60)
def exports_redispatch_task() -> int:
    """Beat: send again the exports still queued after a while (their message was lost)."""
    from lms.core.dispatch import queued_redispatch

    from .models import ExportJob

    return queued_redispatch(queued=ExportJob.objects.filter(ExportJob.queued_q()), task=export_run_task)


@shared_task(name="analytics.export_run", acks_late=True, time_limit=3600, soft_time_limit=3540)
def export_run_task(job_id: int) -> str:
    """Write one export (``analytics.exports``). Only a queued job runs: a redelivered or
    repeated message finds it running or finished and does nothing."""
    from .exports import export_job_run

    job = export_job_run(job_id=job_id)
    return "not queued" if job is None else f"export #{job.pk}: {job.status}"


@shared_task(name="analytics.risk_refresh", acks_late=True, time_limit=1800, soft_time_limit=1740)
def risk_refresh_task() -> str:
    """Beat: recompute every course's learners at risk (``analytics.risk``). Idempotent:
    each course's rows are replaced in one transaction."""
    from .risk import learner_risk_refresh

    return str(learner_risk_refresh())


@shared_task(name="analytics.exports_sweep", time_limit=120)
def exports_sweep_task() -> int:
    """Beat: fail the exports running past the export task's time limit (a killed worker)
    or queued for more than a day (lms.core.jobs). The file path is kept, so that an
    erasure still finds a partial file that names a learner."""
    import datetime as dt

    from lms.core.jobs import run_limit, stale_jobs_fail

    from .models import ExportJob

    return stale_jobs_fail(
        jobs=ExportJob.objects.all(),
        queued_for=dt.timedelta(days=1),
        running_for=run_limit(export_run_task),
        stopped="the export stopped (its worker was stopped or restarted); request it again",
        never_started="the export was never started (the workers were down for a day); request it again",
    )
