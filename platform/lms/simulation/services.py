"""Storing simulated learners in the platform, through the same paths as real ones:
accounts and enrollments, events through the ingestion service, quiz attempts and lab
submissions as grading records, progress and certificates as the services keep them.

Idempotent: a learner is named by (cohort seed, index) and every event id comes from the
seed, so storing the same cohort twice adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from course_content.rules import course_grade
from lms.accounts.models import User
from lms.courses.models import Activity, Course, CourseSession, Enrollment
from lms.courses.services import session_for_joining
from lms.labs.models import Submission
from lms.progress.models import ActivityProgress, Certificate
from lms.quizzes.models import QuizAttempt
from lms.tracking.models import Event
from lms.tracking.services import events_ingest_many

SOURCE = "simulation"
SIMULATED_CODE = "# Submitted by a simulated learner: no source code is kept.\n"


@dataclass
class StoreReport:
    learners: int = 0
    events_stored: int = 0
    events_duplicate: int = 0
    errors: list[str] = field(default_factory=list)
    quiz_attempts: int = 0
    submissions: int = 0
    certificates: int = 0


def username_for(seed: int, index: int) -> str:
    return f"sim{seed}-{index:05d}"


@contextlib.contextmanager
def _keep_times(*fields):
    """Let bulk_create write the simulated times into auto_now_add fields."""
    saved = [(f, f.auto_now_add) for f in fields]
    for f, _ in saved:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in saved:
            f.auto_now_add = value


def cohort_store(*, runs: Iterable, seed: int, report: StoreReport | None = None) -> StoreReport:
    """Store a batch of ``recommender.simulate.LearnerRun`` (all of one cohort seed)."""
    report = report or StoreReport()
    runs = list(runs)
    if not runs:
        return report
    courses = dict(Course.objects.values_list("slug", "id"))
    activities = {
        slug: (pk, course_id, graded)
        for slug, pk, course_id, graded in Activity.objects.values_list("slug", "id", "course_id", "graded")
    }
    needed = {e["activity"] for r in runs for e in r.events if "activity" in e}
    unknown = needed - activities.keys() or {c for r in runs for c in r.courses} - courses.keys()
    if unknown:
        raise ValueError(
            f"the catalog lacks {', '.join(sorted(unknown)[:5])}: import the courses first "
            "(python manage.py import_course --all)"
        )
    with transaction.atomic():
        users = _users(runs, seed)
        _enrollments(runs, users, courses)
        _records(runs, users, activities, courses, report)
    # Events last and in batches (the ingestion service commits per batch); a rerun
    # finds every earlier batch already stored.
    batch: list[tuple[int, dict]] = []
    for run in runs:
        uid = users[run.index]
        for event in run.events:
            batch.append((uid, {**event, "time": event["time"].isoformat()}))
            if len(batch) >= 20_000:
                _ingest(batch, report)
                batch = []
    _ingest(batch, report)
    report.learners += len(runs)
    return report


def _ingest(batch, report: StoreReport) -> None:
    if not batch:
        return
    result = events_ingest_many(items=batch, source=Event.Source.SIMULATION, with_ids=False)
    report.events_stored += result.stored_count
    report.events_duplicate += result.duplicate_count
    report.errors += [f"{e.field}: {e.message}" for e in result.errors[:20]]


def _users(runs, seed: int) -> dict[int, int]:
    unusable = make_password(None)
    names = {run.index: username_for(seed, run.index) for run in runs}
    User.objects.bulk_create(
        [
            User(
                username=name,
                display_name=f"Simulated learner {index}",
                external_source=SOURCE,
                password=unusable,
                date_joined=run.enrolled,
            )  # fmt: skip
            for run in runs
            for index, name in [(run.index, names[run.index])]
        ],
        ignore_conflicts=True,
    )
    ids = dict(User.objects.filter(username__in=names.values()).values_list("username", "id"))
    return {index: ids[name] for index, name in names.items()}


def _enrollments(runs, users, courses) -> None:
    sessions: dict[tuple[str, dt.date], CourseSession] = {}
    rows = []
    for run in runs:
        for slug in run.courses:
            joined = next(
                e["time"]
                for e in run.events
                if e["verb"] == "enrollment.activated" and e.get("course") == slug
            )
            key = (slug, joined.date().replace(day=1))
            if key not in sessions:
                sessions[key] = session_for_joining(
                    course=Course(pk=courses[slug], slug=slug), today=joined.date()
                )
            track = Enrollment.Track.VERIFIED if run.traits.verified else Enrollment.Track.AUDIT
            rows.append(Enrollment(user_id=users[run.index], course_id=courses[slug], track=track,
                                   session=sessions[key], created=joined))  # fmt: skip
    with _keep_times(Enrollment._meta.get_field("created")):
        Enrollment.objects.bulk_create(rows, ignore_conflicts=True)


def _records(runs, users, activities, courses, report: StoreReport) -> None:
    attempts, submissions, progress, certificates = [], [], [], []
    for run in runs:
        uid = users[run.index]
        for q in run.quizzes:
            attempts.append(QuizAttempt(learner_id=uid, activity_id=activities[q.activity][0], number=q.number,
                                        answers=q.answers, results=q.results, score=q.score, passed=q.passed,
                                        submitted=q.time))  # fmt: skip
        for lab in run.labs:
            submissions.append(Submission(
                id=lab.event_id, learner_id=uid, activity_id=activities[lab.activity][0], mode=lab.mode,
                code=SIMULATED_CODE, seed=0, status=Submission.Status.GRADED, score=lab.score,
                result={"score": lab.score, "gradable": True, "tests": [
                    {"name": t["name"], "passed": t["passed"], "public": lab.mode == "run" or None,
                     "kind": t.get("kind", ""), "message": t.get("message", ""), "hint": t.get("hint", "")}
                    for t in lab.tests]},  # the feedback the grader would show (lms.labs.grading.feedback)
                created=lab.time, started=lab.time, finished=lab.time,
            ))  # fmt: skip
        for slug, row in run.progress.items():
            progress.append(ActivityProgress(
                learner_id=uid, activity_id=activities[slug][0], course_id=activities[slug][1],
                started=row.started, completed=row.completed, score=row.score, passed=row.passed,
                coverage=row.coverage, segments=row.segments,
            ))  # fmt: skip
        for course, when in run.certificates.items():
            grade = _grade(run, courses[course], activities)
            certificates.append(
                Certificate(learner_id=uid, course_id=courses[course], grade=grade, issued=when)
            )
    with _keep_times(
        QuizAttempt._meta.get_field("submitted"),
        Submission._meta.get_field("created"),
        ActivityProgress._meta.get_field("started"),
        Certificate._meta.get_field("issued"),
    ):
        QuizAttempt.objects.bulk_create(attempts, ignore_conflicts=True, batch_size=2000)
        Submission.objects.bulk_create(submissions, ignore_conflicts=True, batch_size=2000)
        ActivityProgress.objects.bulk_create(progress, ignore_conflicts=True, batch_size=2000)
        Certificate.objects.bulk_create(certificates, ignore_conflicts=True)
    report.quiz_attempts += len(attempts)
    report.submissions += len(submissions)
    report.certificates += len(certificates)


def _grade(run, course_id: int, activities) -> float:
    """The platform's course grade: mean best score over graded items, missing ones 0."""
    graded = [slug for slug, (_, cid, is_graded) in activities.items() if cid == course_id and is_graded]
    return course_grade([run.progress[s].score if s in run.progress else None for s in graded])
