"""Write side of labs: creating submissions and grading them."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from course_content.rules import lab_passed
from lms.core.dispatch import task_send_on_commit
from lms.courses.models import Activity, Enrollment
from lms.tracking.services import event_record

from .models import Submission

MAX_CODE_BYTES = 256 * 1024


class SubmissionRefused(Exception):
    """A submission the learner may not make (clear message, nothing stored)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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
    recent = Submission.objects.filter(
        learner=learner, created__gte=timezone.now() - dt.timedelta(minutes=1)
    ).count()
    if recent >= settings.LAB_SUBMISSIONS_PER_MINUTE:
        raise SubmissionRefused("too many runs in the last minute; wait a moment", 429)

    submission = Submission.objects.create(
        learner=learner, activity=activity, mode=mode, code=code, seed=secrets.randbelow(2**31)
    )
    event_record(
        learner_id=learner.pk,
        verb="lab.ran" if mode == Submission.Mode.RUN else "lab.submitted",
        activity=activity.slug,
        payload={"submission": str(submission.pk)},
    )
    task_send_on_commit(grade_submission_task, str(submission.pk))  # broker down: re-sent later
    return submission


def submission_grade(*, submission_id: str) -> Submission | None:
    """Grade a queued submission in the sandbox. Safe to run twice: only a queued
    submission is taken (under a row lock), so a redelivered task does nothing."""
    from course_content.labkit.grade import LabError, grade

    from .grading import SandboxBroken, feedback, sandbox_runner

    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("activity__course")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.status != Submission.Status.QUEUED:
            return submission
        submission.status, submission.started = Submission.Status.RUNNING, timezone.now()
        submission.save(update_fields=["status", "started"])

    activity = submission.activity
    try:
        result = grade(
            Path(settings.CONTENT_ROOT) / activity.lab_path,
            submission.code,
            seed=submission.seed,
            public_only=submission.mode == Submission.Mode.RUN,
            runner=sandbox_runner(),
        ).to_dict()
    except (SandboxBroken, LabError) as exc:
        submission.status, submission.error, submission.finished = (
            Submission.Status.FAILED,
            str(exc),
            timezone.now(),
        )
        submission.save(update_fields=["status", "error", "finished"])
        return submission

    shown = feedback(result)
    submission.result, submission.finished = shown, timezone.now()
    submission.score = result["score"] if result["gradable"] else None
    submission.status = Submission.Status.GRADED if result["gradable"] else Submission.Status.NOT_GRADABLE
    submission.save(update_fields=["result", "finished", "score", "status"])
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
    return submission


def _progress_record(submission: Submission, result: dict) -> None:
    """A graded Submit counts with its score (passing at the course's passing grade); a
    Run that passes every public test completes the lab for auditors, who cannot Submit."""
    from lms.progress.services import progress_scored

    if submission.status != Submission.Status.GRADED:
        return
    activity = submission.activity
    passed = lab_passed(submission.mode, submission.score, activity.course.passing_grade)
    if submission.mode == Submission.Mode.SUBMIT:
        progress_scored(
            learner_id=submission.learner_id, activity=activity, score=submission.score, passed=passed
        )
    elif passed:
        auditing = Enrollment.objects.filter(
            user_id=submission.learner_id,
            course_id=activity.course_id,
            track=Enrollment.Track.AUDIT,
            active=True,
        ).exists()
        if auditing:
            progress_scored(learner_id=submission.learner_id, activity=activity, score=None, passed=True)
