"""Write side of labs: creating submissions and grading them."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from course_content.rules import lab_completes
from lms.core.dispatch import task_send_on_commit
from lms.core.jobs import job_fail, job_succeed, job_take
from lms.courses.models import Activity, Enrollment
from lms.tracking.services import event_record

from .models import Submission

log = logging.getLogger(__name__)
MAX_CODE_BYTES = 256 * 1024
PENDING = (Submission.Status.QUEUED, Submission.Status.RUNNING)
# What a learner reads when grading stopped on something we did not foresee (the details
# go to the log): what happened, that it cost nothing, and what to do next.
GRADER_CRASHED = (
    "grading stopped on an unexpected error ({kind}); no attempt was used. Check that your "
    "functions return ordinary numbers or arrays and raise no unusual errors, then run again"
)
NOT_STORABLE = (
    "your code's output could not be stored (it holds characters such as NUL or an invalid "
    "Unicode character, often from an error message or a printed value); no attempt was used. "
    "Remove them and run again"
)


class SubmissionRefused(Exception):
    """A submission the learner may not make (clear message, nothing stored); ``pending``
    is the learner's submission still being graded when that is the reason."""

    def __init__(self, message: str, status: int = 400, pending: Submission | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.pending = pending


@transaction.atomic
def submission_create(*, learner, activity: Activity, code: str, mode: str) -> Submission:
    """Store a Run or Submit and queue it for grading on the ``grading`` queue."""
    from .tasks import grade_submission as grade_submission_task

    if activity.kind != Activity.Kind.LAB or activity.retired:
        raise SubmissionRefused("this activity is not a lab", 404)
    if mode not in Submission.Mode.values:
        raise SubmissionRefused("mode must be 'run' or 'submit'")
    if not isinstance(code, str) or not code.strip():
        raise SubmissionRefused("the notebook code is empty")
    if len(code.encode("utf-8", errors="replace")) > MAX_CODE_BYTES:
        raise SubmissionRefused(f"the notebook is larger than {MAX_CODE_BYTES // 1024} KiB")
    enrollment = Enrollment.objects.filter(user=learner, course_id=activity.course_id, active=True).first()
    if enrollment is None:
        raise SubmissionRefused("enroll in the course to run its labs", 403)
    if mode == Submission.Mode.SUBMIT and enrollment.track != Enrollment.Track.VERIFIED:
        raise SubmissionRefused(
            "graded Submit belongs to the verified track; auditors can Run the public tests", 403
        )
    # The learner's row lock makes the two checks below and the insert one step: concurrent
    # requests of one learner wait here in turn, so neither limit can be overrun by a burst.
    get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
    pending = submission_pending(learner=learner, activity=activity)
    if pending is not None:
        raise SubmissionRefused(
            "your previous run of this lab is still being graded; wait for its result, then send again",
            409,
            pending=pending,
        )
    recent = Submission.objects.filter(
        learner=learner, created__gte=timezone.now() - dt.timedelta(minutes=1)
    ).count()
    if recent >= settings.LAB_SUBMISSIONS_PER_MINUTE:
        raise SubmissionRefused("too many runs in the last minute; wait a moment", 429)

    try:
        with transaction.atomic():  # the one_pending_submission constraint backs the check above
            submission = Submission.objects.create(
                learner=learner, activity=activity, mode=mode, code=code, seed=secrets.randbelow(2**31)
            )
    except IntegrityError as exc:
        raise SubmissionRefused(
            "your previous run of this lab is still being graded; wait for its result, then send again",
            409,
            pending=submission_pending(learner=learner, activity=activity),
        ) from exc
    event_record(
        learner_id=learner.pk,
        verb="lab.ran" if mode == Submission.Mode.RUN else "lab.submitted",
        activity=activity.slug,
        payload={"submission": str(submission.pk)},
    )
    task_send_on_commit(grade_submission_task, str(submission.pk))  # broker down: re-sent later
    return submission


def submission_pending(*, learner, activity: Activity) -> Submission | None:
    return Submission.objects.filter(learner=learner, activity=activity, status__in=PENDING).first()


def submission_grade(*, submission_id: str) -> Submission | None:
    """Grade a queued submission in the sandbox. Safe to run twice: only a queued
    submission is taken (under a row lock), so a redelivered task does nothing."""
    from course_content.labkit.grade import grade
    from course_content.labkit.labspec import LabError

    from .grading import SandboxBroken, feedback, sandbox_runner

    submission = job_take(Submission.objects.select_related("activity__course"), submission_id)
    if submission is None:
        return Submission.objects.filter(pk=submission_id).first()
    try:
        result = grade(
            Path(settings.CONTENT_ROOT) / submission.activity.lab_path,
            submission.code,
            seed=submission.seed,
            public_only=submission.mode == Submission.Mode.RUN,
            runner=sandbox_runner(),
        ).to_dict()
        shown = feedback(result)
    except (SandboxBroken, LabError) as exc:
        return submission_fail(submission=submission, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever it was, the learner gets an answer
        log.exception("grading of submission %s crashed", submission.pk)
        return submission_fail(submission=submission, error=GRADER_CRASHED.format(kind=type(exc).__name__))
    try:
        with transaction.atomic():
            _graded_record(submission, result, shown)
    except Exception as exc:  # noqa: BLE001 - e.g. DataError: text PostgreSQL refuses
        log.exception("storing the grade of submission %s failed", submission.pk)
        unstorable = isinstance(exc, (DataError, UnicodeError))
        return submission_fail(
            submission=submission,
            error=NOT_STORABLE if unstorable else GRADER_CRASHED.format(kind=type(exc).__name__),
        )
    return submission


def _graded_record(submission: Submission, result: dict, shown: dict) -> None:
    """Store the feedback and score, record ``lab.graded`` and move progress (one transaction).
    A submission the sweeper failed meanwhile (this run outlived its limit) keeps that answer."""
    status = Submission.Status.GRADED if result["gradable"] else Submission.Status.NOT_GRADABLE
    score = result["score"] if result["gradable"] else None
    if not job_succeed(submission, status, running_only=True, result=shown, score=score):
        submission.refresh_from_db()
        return
    activity = submission.activity
    event_record(
        learner_id=submission.learner_id,
        verb="lab.graded",
        activity=activity.slug,
        payload={
            "submission": str(submission.pk),
            "mode": submission.mode,
            "gradable": result["gradable"],
            "score": result["score"],
            "tests": [
                {
                    "name": t["name"],
                    "passed": t["passed"],
                    "kind": t["kind"],
                    "seconds": t["seconds"],
                    "points": t["points"],
                }
                for t in shown["tests"]
            ],  # fmt: skip
        },
    )
    _progress_record(submission, result)


def submission_fail(*, submission: Submission, error: str) -> Submission | None:
    """Mark a queued or running submission failed with ``error`` (stored cleaned), record
    ``lab.graded`` as not gradable (no score, no attempt used) and return it; a submission
    already finished is left as it is (the sweeper and the task may both get here)."""
    with transaction.atomic():
        if not job_fail(submission, error, pending_only=True, result=None, score=None):
            return Submission.objects.filter(pk=submission.pk).first()
        event_record(
            learner_id=submission.learner_id,
            verb="lab.graded",
            activity=submission.activity.slug,
            payload={"submission": str(submission.pk), "mode": submission.mode, "gradable": False,
                     "score": 0.0, "tests": [], "failed": True},
        )  # fmt: skip
    return submission


def _progress_record(submission: Submission, result: dict) -> None:
    """A graded Submit counts with its score (passing at the course's passing grade); a
    Run that passes every public test completes the lab for auditors, who cannot Submit."""
    from lms.progress.services import progress_scored

    if submission.status != Submission.Status.GRADED:
        return
    activity = submission.activity
    auditing = (
        submission.mode == Submission.Mode.RUN
        and Enrollment.objects.filter(
            user_id=submission.learner_id,
            course_id=activity.course_id,
            track=Enrollment.Track.AUDIT,
            active=True,
        ).exists()
    )
    passed = lab_completes(
        submission.mode, submission.score, activity.course.passing_grade, auditing=auditing
    )
    if submission.mode == Submission.Mode.SUBMIT:
        progress_scored(
            learner_id=submission.learner_id, activity=activity, score=submission.score, passed=passed
        )
    elif passed:
        progress_scored(learner_id=submission.learner_id, activity=activity, score=None, passed=True)
