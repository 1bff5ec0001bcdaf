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

    return queued_redispatch(queued=Submission.objects.filter(status=Submission.Status.QUEUED),
                             task=grade_submission)  # fmt: skip
