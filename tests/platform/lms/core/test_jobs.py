"""The queued-job base (lms.core.jobs): the four job kinds share its fields, and take,
stage, succeed, fail and sweep behave the same for each (a model version waits and runs
in one *training* status, its stage telling the two apart)."""

import datetime as dt

import pytest
from django.utils import timezone

from analytics.models import ExportJob
from lms.core.jobs import (
    MAX_ERROR_CHARS,
    Job,
    StagedJob,
    job_fail,
    job_stage,
    job_succeed,
    job_take,
    stale_jobs_fail,
    text_safe,
)
from lms.labs.models import Submission
from lms.privacy.models import DataRequest
from lms.recommendations.models import ModelVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_job_kind_is_a_job_with_the_shared_fields():
    for model in (Submission, ExportJob, DataRequest, ModelVersion):
        assert issubclass(model, Job)
        fields = {f.name for f in model._meta.fields}
        assert {"status", "created", "started", "finished", model.error_field} <= fields
    assert issubclass(DataRequest, StagedJob) and issubclass(ModelVersion, StagedJob)
    assert ModelVersion.error_field == "reason" and "error" not in {f.name for f in ModelVersion._meta.fields}


def test_a_queued_job_is_taken_once():
    job = ExportJob.objects.create(format="csv")
    taken = job_take(ExportJob.objects.all(), job.pk)
    assert taken is not None and taken.status == "running" and taken.started is not None
    assert job_take(ExportJob.objects.all(), job.pk) is None  # a second message does nothing
    assert job_take(ExportJob.objects.all(), job.pk + 1000) is None  # gone
    job.refresh_from_db()
    assert (job.status, job.started) == ("running", taken.started)


def test_take_only_looks_in_the_queryset_it_is_given():
    request = DataRequest.objects.create(kind="download", learner=UserFactory())
    assert job_take(DataRequest.objects.filter(kind="erasure"), request.pk) is None
    assert job_take(DataRequest.objects.filter(kind="download"), request.pk).status == "running"


def test_a_retrain_is_taken_while_training_and_resumed_on_redelivery():
    version = ModelVersion.objects.create(number=1, stage="queued")
    assert ModelVersion.objects.filter(ModelVersion.queued_q()).get() == version
    taken = job_take(ModelVersion.objects.all(), version.pk, resume=True)
    assert taken.status == "training" and taken.stage == "queued" and taken.started is not None
    job_stage(taken, "training: epoch 1 of 6", 0.1)
    assert ModelVersion.objects.filter(ModelVersion.running_q()).get() == version
    again = job_take(ModelVersion.objects.all(), version.pk, resume=True)  # a redelivered task resumes
    assert again is not None and again.started == taken.started  # the first start is kept
    assert job_take(ModelVersion.objects.all(), version.pk) is None  # no longer queued
    job_fail(again, "boom")
    assert job_take(ModelVersion.objects.all(), version.pk, resume=True) is None


def test_stage_is_what_the_page_polls():
    request = DataRequest.objects.create(kind="download", learner=UserFactory())
    job_stage(request, "exporting your events", 0.4)
    request.refresh_from_db()
    assert (request.stage, request.progress) == ("exporting your events", 0.4)


def test_a_failure_is_stored_cleaned_with_its_end_time_and_stage():
    request = DataRequest.objects.create(kind="download", learner=UserFactory(), status="running")
    assert job_fail(request, "bad\x00byte \ud800 " + "x" * 3000)
    request.refresh_from_db()
    assert (request.status, request.stage) == ("failed", "failed") and request.finished is not None
    assert "\x00" not in request.error and "\ud800" not in request.error
    assert len(request.error) == MAX_ERROR_CHARS and request.error.endswith("…")
    assert request.error == text_safe("bad\x00byte \ud800 " + "x" * 3000)

    version = ModelVersion.objects.create(number=1, stage="training")
    job_fail(version, "ValueError: no events")
    version.refresh_from_db()
    assert (version.status, version.stage, version.reason) == ("failed", "failed", "ValueError: no events")


def test_pending_only_and_running_only_leave_a_finished_job_as_it_is():
    job = ExportJob.objects.create(format="csv", status="done", progress=5)
    assert not job_fail(job, "late", pending_only=True)
    job.refresh_from_db()
    assert (job.status, job.error) == ("done", "")

    failed = ExportJob.objects.create(format="csv", status="failed", error="swept")
    assert not job_succeed(failed, ExportJob.Status.DONE, running_only=True, size=10)
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.size) == ("failed", "swept", None)

    running = ExportJob.objects.create(format="csv", status="running")
    assert job_succeed(running, ExportJob.Status.DONE, running_only=True, size=10)
    assert running.finished is not None
    running.refresh_from_db()
    assert (running.status, running.size) == ("done", 10) and running.finished is not None


def test_the_sweep_gives_running_and_queued_rows_their_own_reason():
    now = timezone.now()
    stuck = ExportJob.objects.create(format="csv", status="running")
    lost = ExportJob.objects.create(format="csv")
    fresh = ExportJob.objects.create(format="csv", status="running")
    ExportJob.objects.filter(pk=stuck.pk).update(started=now - dt.timedelta(hours=2))
    ExportJob.objects.filter(pk=lost.pk).update(created=now - dt.timedelta(days=2))
    ExportJob.objects.filter(pk=fresh.pk).update(started=now)
    seen = []

    def fail(job, reason):
        seen.append((job.pk, reason))
        job_fail(job, reason)

    kwargs = dict(jobs=ExportJob.objects.all(), queued_for=dt.timedelta(days=1), running_for=dt.timedelta(hours=1),
                  stopped="it stopped", never_started="it never started")  # fmt: skip
    assert stale_jobs_fail(**kwargs, fail=fail) == 2
    assert sorted(seen) == sorted([(stuck.pk, "it stopped"), (lost.pk, "it never started")])
    assert stale_jobs_fail(**kwargs) == 0  # each is failed once
    assert dict(ExportJob.objects.values_list("pk", "status")) == {
        stuck.pk: "failed",
        lost.pk: "failed",
        fresh.pk: "running",
    }
