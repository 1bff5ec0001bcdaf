import datetime as dt

from celery import shared_task

from .services import submission_grade


@shared_task(name="labs.grade_submission", acks_late=True, time_limit=600, soft_time_limit=540)
def grade_submission(submission_id: str) -> str | None:
    """Grade one submission (queue ``grading``). Takes an id; running twice is harmless."""
    submission = submission_grade(submission_id=submission_id)
    return submission.status if submission else None


@shared_task(name="labs.redispatch_queued", time_limit=60)
def redispatch_queued() -> int:
    """Beat: send again the submissions still queued after a while (their message was
    lost, e.g. the broker was down when they were made)."""
    from lms.core.dispatch import queued_redispatch

    from .models import Submission

    return queued_redispatch(queued=Submission.objects.filter(Submission.queued_q()), task=grade_submission)


# A learner waits for a Run on the page: after this long queued it is not worth grading.
QUEUED_FOR = dt.timedelta(minutes=30)
STUCK_RUNNING = "grading took longer than its limit and was stopped (the grader may have restarted); no attempt was used. Run again"
STUCK_QUEUED = "the grader did not take this run in time (it is busy or down); no attempt was used. Run again"


@shared_task(name="labs.sweep_stale", time_limit=120)
def sweep_stale() -> int:
    """Beat: fail the submissions running past the grading task's time limit or queued
    for more than :data:`QUEUED_FOR` (lms.core.jobs), each with its ``lab.graded`` event;
    running twice fails each once."""
    from lms.core.jobs import run_limit, stale_jobs_fail

    from .models import Submission
    from .services import submission_fail

    return stale_jobs_fail(
        jobs=Submission.objects.all(),
        queued_for=QUEUED_FOR,
        running_for=run_limit(grade_submission),
        stopped=STUCK_RUNNING,
        never_started=STUCK_QUEUED,
        fail=lambda submission, error: submission_fail(submission=submission, error=error),
    )
