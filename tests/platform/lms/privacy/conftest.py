"""A learner with data in every table that points at users, made through the real
services (ingestion, enrollment, quiz, lab, discussions, recommendations, rollups,
analyst exports), next to another learner whose data must survive an erasure."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from analytics.models import ExportJob, RiskAction
from analytics.risk import learner_risk_refresh
from analytics.rollups import rollups_update
from analytics.tasks import export_run_task
from lms.accounts.models import User
from lms.courses.models import Activity, CourseRole, Enrollment
from lms.courses.services import enrollment_create
from lms.discussions.services import post_create, thread_create, thread_mark_answered
from lms.inbox.services import message_send
from lms.labs.models import Submission
from lms.labs.services import submission_create
from lms.progress.models import Certificate
from lms.progress.services import progress_activity_opened
from lms.quizzes.services import quiz_attempt_submit
from lms.recommendations.experiments import experiment_start, experiments_forget
from lms.recommendations.models import ModelVersion
from lms.recommendations.selectors import learner_course_states
from lms.recommendations.services import next_steps_show, personalization_set, recommendation_answered
from lms.tracking.interop.export import events_export
from lms.tracking.services import events_ingest
from tests.factories import ActivityFactory, CourseFactory, UserFactory, WeekFactory

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    learner: User
    other: User
    staff: User
    items: dict
    registry: Path  # the recommender's model folder (training snapshot inside)
    outside: Path  # copies of export files kept outside DATA_DIR (an analyst's laptop)
    exports: dict[str, ExportJob] = field(default_factory=dict)


def clicks(activity: Activity, *, when: dt.datetime, n: int = 3) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "time": (when + dt.timedelta(seconds=i)).isoformat(),
            "verb": "video.played",
            "session": "tab-1",
            "activity": activity.slug,
            "payload": {"position": 10.0 * i},
        }
        for i in range(n)
    ]


def activity_for(user: User, items: dict, *, thread_title: str) -> None:
    """A learner's ordinary life on the site, through the services."""
    now = timezone.now()
    events_ingest(learner_id=user.pk, events=clicks(items["video"], when=now - dt.timedelta(hours=1)))
    # An older month too: another partition of the event store (received back then: the
    # browser's window is 30 days, lms.tracking.validation.CLIENT_MAX_AGE).
    events_ingest(learner_id=user.pk, events=clicks(items["video"], when=now - dt.timedelta(days=62), n=2),
                  now=now - dt.timedelta(days=61))  # fmt: skip
    progress_activity_opened(learner=user, activity=items["video"])
    quiz_attempt_submit(learner=user, activity=items["quiz"], answers={"q1": 0})
    submission = submission_create(
        learner=user, activity=items["lab"], code=f"# {user.username}\nx = 1\n", mode="submit"
    )
    Submission.objects.filter(pk=submission.pk).update(  # what the grader writes back
        status=Submission.Status.GRADED, score=1.0, result={"tests": [{"name": "t1", "passed": True}]}
    )
    thread_create(author=user, activity=items["video"], title=thread_title, body="What is a tensor?")


@pytest.fixture
def world(db, settings, tmp_path, tmp_path_factory, small_course) -> World:
    settings.DATA_DIR = tmp_path / "data"
    settings.MODEL_REGISTRY_DIR = settings.DATA_DIR / "models"
    course, items = small_course
    items["lab"] = ActivityFactory(
        week=WeekFactory(course=course, slug="c9-w3", position=3), slug="c9-lab", kind=Activity.Kind.LAB,
        title="A lab", graded=True,
    )  # fmt: skip
    other_course = CourseFactory(slug="c8", title="Course Eight")
    learner = UserFactory(
        username="zelda-erase", email="zelda.quartz@example.org", display_name="Zelda Quartz",
        first_name="Zelda", last_name="Quartz",
    )  # fmt: skip
    other = UserFactory(username="otto-keeps", email="otto@example.org", display_name="Otto Keeps")
    staff = UserFactory(username="admin-ada", is_staff=True, is_superuser=True)
    for user in (learner, other):
        enrollment_create(user=user, course=course, track=Enrollment.Track.VERIFIED)
    # Tables most learners never reach, filled so that erasure meets every one.
    CourseRole.objects.create(user=learner, course=other_course)
    learner.groups.add(Group.objects.create(name="Beta testers"))
    learner.user_permissions.add(Permission.objects.get(codename="view_user"))
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.create(user=learner, content_type=user_type, object_id=str(other.pk),
                            object_repr=str(other), action_flag=ADDITION)  # fmt: skip
    LogEntry.objects.create(user=staff, content_type=user_type, object_id=str(learner.pk),
                            object_repr=str(learner), action_flag=ADDITION)  # fmt: skip
    Certificate.objects.create(learner=learner, course=course, grade=0.9)

    activity_for(learner, items, thread_title="Zelda asks about tensors")
    activity_for(other, items, thread_title="Otto asks about shapes")
    theirs = learner.discussion_threads.get()
    lonely = thread_create(author=learner, activity=items["quiz"], title="Nobody answered", body="Hello?")
    assert lonely.pk
    post_create(author=other, thread=theirs, body="A tensor is an array.")  # keeps Zelda's thread
    otto_thread = other.discussion_threads.get()
    answer = post_create(author=learner, thread=otto_thread, body="Zelda Quartz here: transpose it.")
    thread_mark_answered(user=other, thread=otto_thread, post=answer)

    experiment_start(title="steps-ab", arms={"rules": 50, "syllabus": 50})
    steps = next_steps_show(learner=learner, states=learner_course_states(learner=learner))
    next_steps_show(learner=other, states=learner_course_states(learner=other))
    recommendation_answered(
        learner=learner, recommendation_id=steps.id, target=items["video"].slug, followed=True
    )
    personalization_set(user=learner, enabled=False)
    experiments_forget()

    rollups_update(until=timezone.now() + dt.timedelta(seconds=1))
    RiskAction.objects.create(course=course, learner=learner, action="messaged", by=other)
    RiskAction.objects.create(course=course, learner=other, action="handled", by=learner)
    learner_risk_refresh(course=course)  # the learner's predicted risk (analytics.LearnerRisk)
    message_send(sender=other, recipient=learner, subject="Checking in", body="Zelda, we miss you.")
    message_send(sender=learner, recipient=other, subject="Thanks", body="Back next week.")

    outside = tmp_path_factory.mktemp("outside")
    w = World(learner, other, staff, items, Path(settings.MODEL_REGISTRY_DIR), outside)
    # Analysts' exports: pseudonymized Parquet (the default), identified edX and xAPI.
    for format, pseudonymize in (("parquet", True), ("edx", False), ("xapi", False)):
        job = ExportJob.objects.create(format=format, pseudonymize=pseudonymize, requested_by=learner)
        export_run_task(job.pk)
        job.refresh_from_db()
        assert job.status == ExportJob.Status.DONE, job.error
        shutil.copy(job.path, outside / Path(job.path).name)
        w.exports[format] = job
    # An export of another course: the learner is not in it, it must stay.
    w.exports["other"] = ExportJob.objects.create(format="parquet", course=other_course.slug)
    export_run_task(w.exports["other"].pk)
    w.exports["other"].refresh_from_db()

    training_snapshot(w.registry / "v1", [learner.pk, other.pk])
    ModelVersion.objects.create(number=1, status=ModelVersion.Status.FAILED, requested_by=learner,
                                path=str(w.registry / "v1" / "model"))  # fmt: skip
    return w


def training_snapshot(folder: Path, holdout: list[int]) -> None:
    """What ``registry.model_train`` leaves behind when a retrain fails mid-training: the
    exported events, the held-out learner lists and the resumable checkpoint."""
    import torch

    from recommender.splits import write_learner_ids

    (folder / "model" / "checkpoints").mkdir(parents=True)
    events_export(format="parquet", out=folder / "events.parquet")  # the registry's own call
    write_learner_ids(folder / "holdout.txt", holdout)
    write_learner_ids(folder / "model" / "holdout_learners.txt", holdout)
    state = {
        "epoch": 0,
        "holdout_ids": sorted(holdout),
        "valid_ids": sorted(holdout),
    }  # as train() saves them
    torch.save(state, folder / "model" / "checkpoints" / "last.pt")
    (folder / "syllabus.json").write_text("[]")
