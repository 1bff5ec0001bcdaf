from celery import shared_task

from .services import submission_grade


@shared_task(name="labs.grade_submission", acks_late=True, time_limit=600, soft_time_limit=540)
def grade_submission(submission_id: str) -> str | None:
    """Grade one submission (queue ``grading``). Takes an id; running twice is harmless."""
    submission = submission_grade(submission_id=submission_id)
    return submission.status if submission else None
