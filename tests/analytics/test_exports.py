"""Exports as background jobs: analysts only, the job runs through the real task function,
progress and file are recorded, the download streams it, and pseudonymized files carry
no username and no learner id in any format."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from analytics.exports import analytics_learner_pseudonym
from analytics.models import ExportJob
from analytics.tasks import export_run_task
from lms.accounts.models import User
from lms.courses.models import Course, CourseRole
from lms.tracking.interop.naming import xapi_learner_pseudonym
from lms.tracking.models import Event
from tests.analytics.exports_data import COURSE, store_simulated_cohort
from tests.factories import UserFactory, analyst_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def data(module_db):
    store_simulated_cohort()
    learner_ids = set(Event.objects.filter(course__slug=COURSE).values_list("learner_id", flat=True))
    users = User.objects.filter(pk__in=learner_ids)
    return {
        "ids": learner_ids,
        "usernames": set(users.values_list("username", flat=True)),
        "events": Event.objects.filter(course__slug=COURSE).count(),
    }


@pytest.fixture
def analyst(db):
    """An analyst (the "Analysts" group, not staff) without learners' identities."""
    return analyst_user()


@pytest.fixture
def identifying_analyst(db):
    return analyst_user(identity=True)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def run(client, analyst, **form) -> ExportJob:
    client.force_login(analyst)
    response = client.post(reverse("analytics:exports"), {"course": COURSE, **form})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ExportJob.objects.filter(requested_by=analyst).first()
    assert job.status == ExportJob.Status.QUEUED
    assert export_run_task(job.pk) == f"export #{job.pk}: done"
    job.refresh_from_db()
    return job


def download(client, job) -> bytes:
    response = client.get(reverse("analytics:export-download", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_only_analysts_see_exports(client, data, analyst):
    url = reverse("analytics:exports")
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    student = UserFactory()
    instructor = UserFactory()
    course = Course.objects.get(slug=COURSE)
    CourseRole.objects.create(user=instructor, course=course, role=CourseRole.Role.INSTRUCTOR)
    for user in (student, instructor):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"format": "csv"}).status_code == 403
    assert not ExportJob.objects.exists()
    client.force_login(analyst)
    page = client.get(url).content.decode()
    assert "Pseudonymize learners" in page and "checked" in page
    index = client.get(reverse("analytics:index")).content.decode()
    assert url in index


@pytest.mark.parametrize("format", ["parquet", "csv", "edx", "xapi"])
def test_a_pseudonymized_export_carries_no_username_and_no_learner_id(
    client, data, analyst, data_dir, format
):
    job = run(client, analyst, format=format, pseudonymize="on")
    assert job.pseudonymize and job.course == COURSE and job.requested_by == analyst
    assert job.progress == job.total == data["events"] > 0
    assert job.finished and job.path.startswith(str(data_dir / "exports")) and job.size > 0
    body = download(client, job)
    assert len(body) == job.size
    pseudonyms = {analytics_learner_pseudonym(i) for i in data["ids"]}
    if format == "parquet":
        learners = pq.read_table(io.BytesIO(body)).column("learner_id").to_pylist()
    elif format == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        learners = [row["learner_id"] for row in rows]
    else:
        lines = [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]
        if format == "edx":
            learners = [line["username"] for line in lines]
        else:
            learners = [line["actor"]["account"]["name"] for line in lines]
    assert len(learners) == data["events"]
    assert set(learners) == pseudonyms
    text = gzip.decompress(body).decode() if format in ("edx", "xapi") else body.decode("latin-1")
    for username in data["usernames"]:
        assert username not in text
    for learner_id in data["ids"]:  # nor the site's own xAPI pseudonym, which it can map back
        assert xapi_learner_pseudonym(learner_id) not in text


def test_the_same_learner_has_the_same_pseudonym_in_every_export(client, data, analyst):
    first = run(client, analyst, format="parquet", pseudonymize="on")
    second = run(client, analyst, format="parquet", pseudonymize="on", since="2026-05-10")
    a = set(pq.read_table(first.path).column("learner_id").to_pylist())
    b = set(pq.read_table(second.path).column("learner_id").to_pylist())
    assert b and b <= a
    assert second.total < first.total


def test_an_identified_parquet_export_has_the_ids_and_is_recorded(client, data, identifying_analyst):
    job = run(client, identifying_analyst, format="parquet")  # the box unticked
    assert not job.pseudonymize
    table = pq.read_table(io.BytesIO(download(client, job)))
    assert set(table.column("learner_id").to_pylist()) == data["ids"]
    assert table.num_rows == data["events"]
    page = client.get(reverse("analytics:exports")).content.decode()
    assert "identified" in page and reverse("analytics:export-download", args=[job.pk]) in page


def test_an_analyst_without_identity_gets_only_pseudonymized_exports(client, data, analyst):
    job = run(client, analyst, format="csv")  # the box unticked: ignored, it is locked on
    assert job.pseudonymize
    text = download(client, job).decode()
    assert not any(username in text for username in data["usernames"])
    page = client.get(reverse("analytics:exports")).content.decode()
    assert "Always on" in page and "disabled" in page
    # An identified export (say, theirs from when they held the grant) is not theirs to download.
    job.pseudonymize = False
    job.save(update_fields=["pseudonymize"])
    assert client.get(reverse("analytics:export-download", args=[job.pk])).status_code == 403


def test_a_job_runs_once_and_a_failure_is_recorded(client, data, analyst):
    job = run(client, analyst, format="csv", pseudonymize="on")
    assert export_run_task(job.pk) == "not queued"
    assert export_run_task(10**9) == "not queued"
    broken = ExportJob.objects.create(format="edx", course="no-such-course", requested_by=analyst)
    assert export_run_task(broken.pk) == f"export #{broken.pk}: failed"
    broken.refresh_from_db()
    assert "DoesNotExist" in broken.error and not broken.path and broken.finished
    client.force_login(analyst)
    assert client.get(reverse("analytics:export-download", args=[broken.pk])).status_code == 404


def test_the_page_refreshes_while_a_job_runs_and_others_cannot_download(client, data, analyst):
    client.force_login(analyst)
    client.post(reverse("analytics:exports"), {"format": "xapi", "pseudonymize": "on"})
    job = ExportJob.objects.get(requested_by=analyst)
    assert job.course == "" and job.pseudonymize
    assert 'cairn-refresh.js" data-seconds="3"' in client.get(reverse("analytics:exports")).content.decode()
    export_run_task(job.pk)
    assert "cairn-refresh.js" not in client.get(reverse("analytics:exports")).content.decode()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("analytics:export-download", args=[job.pk])).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("analytics:export-download", args=[job.pk])).status_code == 403
