"""The stale-job sweepers (lms.core.jobs): a submission, export, data request or retrain
left running past its task's time limit, or queued too long, ends failed with a reason
(and its event or audit entry); fresh rows are left alone; sweeping twice fails each once."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import ExportJob
from analytics.tasks import exports_sweep_task
from lms.courses.models import Activity
from lms.labs.models import Submission
from lms.labs.tasks import sweep_stale as labs_sweep
from lms.privacy.models import AuditEntry, DataRequest
from lms.privacy.tasks import sweep_stale_task as privacy_sweep
from lms.recommendations.models import ModelVersion
from lms.recommendations.tasks import sweep_stale as retrain_sweep
from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def aged(row, **fields):
    """``row`` with its time fields set in the past (auto_now_add cannot be set on create)."""
    type(row).objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


def test_submissions_past_their_limit_fail_with_an_event_and_fresh_ones_stay():
    lab = ActivityFactory(slug="sweep-lab", kind=Activity.Kind.LAB, lab_path="x")

    def submission(name, **fields):
        row = Submission.objects.create(learner=UserFactory(username=name), activity=lab, mode="submit",
                                        code="x = 1", seed=1, status=fields.pop("status"))  # fmt: skip
        return aged(row, **fields)

    killed = submission("killed", status="running", started=ago(minutes=13))  # limit: 600 s + 2 min
    lost = submission("lost", status="queued", created=ago(minutes=31))  # never taken: 30 min
    busy = submission("busy", status="running", started=ago(minutes=11))
    waiting = submission("waiting", status="queued", created=ago(minutes=20))
    graded = submission("graded", status="graded", started=ago(days=2))

    assert labs_sweep() == 2
    assert labs_sweep() == 0  # safe to run twice
    statuses = {s.learner.username: (s.status, s.error) for s in Submission.objects.select_related("learner")}
    assert statuses["killed"][0] == "failed" and "took longer than its limit" in statuses["killed"][1]
    assert statuses["lost"][0] == "failed" and "did not take this run in time" in statuses["lost"][1]
    assert all("no attempt was used" in statuses[name][1] for name in ("killed", "lost"))
    assert {statuses[name][0] for name in ("busy", "waiting", "graded")} == {"running", "queued", "graded"}
    events = Event.objects.filter(verb="lab.graded")
    assert sorted(e.payload["submission"] for e in events) == sorted([str(killed.pk), str(lost.pk)])
    assert all(e.payload["gradable"] is False and e.payload["failed"] for e in events)
    assert {busy.pk, waiting.pk, graded.pk} == set(
        Submission.objects.exclude(status="failed").values_list("pk", flat=True)
    )


def test_exports_past_their_limit_fail_and_keep_their_path():
    killed = aged(ExportJob.objects.create(format="csv", status="running", path="/data/exports/export-1.csv"),
                  started=ago(minutes=63))  # limit: 3600 s + 2 min  # fmt: skip
    lost = aged(ExportJob.objects.create(format="csv"), created=ago(days=1, minutes=1))
    busy = aged(ExportJob.objects.create(format="csv", status="running"), started=ago(minutes=50))
    waiting = aged(ExportJob.objects.create(format="csv"), created=ago(hours=20))

    assert exports_sweep_task() == 2 and exports_sweep_task() == 0
    for job in (killed, lost, busy, waiting):
        job.refresh_from_db()
    assert (killed.status, lost.status, busy.status, waiting.status) == (
        "failed",
        "failed",
        "running",
        "queued",
    )
    assert "stopped" in killed.error and "never started" in lost.error and killed.finished is not None
    assert killed.path == "/data/exports/export-1.csv"  # an erasure must still find the file


def test_data_requests_past_their_limit_fail_with_an_audit_entry():
    killed = aged(DataRequest.objects.create(kind="erasure", learner=UserFactory(), status="running"),
                  started=ago(minutes=33))  # limit: 1800 s + 2 min  # fmt: skip
    busy = aged(DataRequest.objects.create(kind="download", learner=UserFactory(), status="running"),
                started=ago(minutes=25))  # fmt: skip
    lost = aged(DataRequest.objects.create(kind="download", learner=UserFactory()), created=ago(days=2))

    assert privacy_sweep() == 2 and privacy_sweep() == 0
    for request in (killed, busy, lost):
        request.refresh_from_db()
    assert (killed.status, busy.status, lost.status) == ("failed", "running", "failed")
    assert killed.stage == "failed" and "ask again" in killed.error
    failed = AuditEntry.objects.filter(action=AuditEntry.Action.FAILED)
    assert sorted(str(e.request_id) for e in failed) == sorted([str(killed.pk), str(lost.pk)])


def test_a_stuck_retrain_fails_and_no_longer_blocks_the_next():
    queued = ModelVersion.objects.create(number=1, stage="queued")
    assert retrain_sweep() == 0
    aged(queued, created=ago(days=1, minutes=1))
    assert retrain_sweep() == 1 and retrain_sweep() == 0
    queued.refresh_from_db()
    assert queued.status == "failed" and "never started" in queued.reason

    training = aged(ModelVersion.objects.create(number=2, stage="training epoch 2/6"),
                    created=ago(days=1, minutes=30))  # under a day + 60 min + 2 min: may still run  # fmt: skip
    assert retrain_sweep() == 0
    aged(training, created=ago(days=1, minutes=63))
    assert retrain_sweep() == 1
    training.refresh_from_db()
    assert (training.status, training.stage) == ("failed", "failed") and "stopped" in training.reason
    ModelVersion.objects.create(number=3, stage="queued")  # one training version at a time: free again


def test_the_beat_runs_every_sweeper_on_the_default_queue(settings):
    from lms.celery import app

    sweepers = {
        "labs.sweep_stale",
        "analytics.exports_sweep",
        "privacy.sweep_stale",
        "recommendations.sweep_stale",
    }
    assert sweepers <= {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert sweepers <= set(app.tasks)
    assert not sweepers & set(settings.CELERY_TASK_ROUTES)  # not behind the jobs they sweep
