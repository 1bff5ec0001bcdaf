"""Download my data: the archive holds the learner's records and events and nobody
else's; only its owner can fetch it; it expires; the page polls without inline script."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.urls import reverse
from django.utils import timezone

from lms.privacy.models import AuditEntry, DataRequest
from lms.privacy.services import archives_expire, download_request_create
from lms.privacy.tasks import download_build_task
from lms.tracking.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def built(user) -> DataRequest:
    request = download_request_create(user=user)
    assert download_build_task(str(request.pk)) == f"download {request.pk}: done"
    assert download_build_task(str(request.pk)) == "not queued"  # a repeated message does nothing
    request.refresh_from_db()
    return request


def test_the_archive_holds_the_learners_data_and_nobody_elses(world):
    learner, other = world.learner, world.other
    request = built(learner)
    assert request.progress == 1.0 and request.expires > timezone.now() + dt.timedelta(days=6)
    assert Path(request.path).parent == Path(world.registry).parent / "privacy"
    with zipfile.ZipFile(request.path) as archive:
        assert set(archive.namelist()) == {"README.txt", "data.json", "events.parquet"}
        data = json.loads(archive.read("data.json"))
        events = pq.read_table(io.BytesIO(archive.read("events.parquet")))
    assert data["profile"]["username"] == "zelda-erase" and "password" not in data["profile"]
    assert data["consent"]["personalized_recommendations"] is False
    tables = data["tables"]
    owner_columns = {"user_id", "learner_id", "author_id", "recipient_id"}
    for label, rows in tables.items():
        for row in rows:
            assert learner.pk in {row[c] for c in owner_columns & row.keys()}, (label, row)
            assert other.username not in json.dumps(row), (label, row)
    assert tables["labs.Submission"][0]["code"].startswith("# zelda-erase")
    assert tables["labs.Submission"][0]["result"]["tests"][0]["passed"] is True
    assert tables["quizzes.QuizAttempt"][0]["answers"] == {"q1": 0}
    assert tables["courses.Enrollment"][0]["session_starts"]
    assert {t["title"] for t in tables["discussions.Thread"]} == {
        "Zelda asks about tensors",
        "Nobody answered",
    }
    assert [p["body"] for p in tables["discussions.Post"]] == ["Zelda Quartz here: transpose it."]
    assert tables["recommendations.Exposure"] and tables["analytics.LearnerRecommendation"]
    assert tables["progress.Certificate"] and tables["progress.ActivityProgress"]
    assert "analytics.LearnerCourse" not in tables  # derived state: listed as not exported
    # The events: all theirs, every one of theirs, the export's columns.
    assert set(events.column("learner_id").to_pylist()) == {learner.pk}
    assert events.num_rows == Event.objects.filter(learner=learner).count() == data["events"]["count"]
    verbs = set(events.column("verb").to_pylist())
    assert {"recommendation.shown", "recommendation.followed", "personalization.changed"} <= verbs
    assert AuditEntry.objects.filter(request_id=request.pk, action="done").get().counts["tracking.Event"] > 0


def test_only_the_owner_can_download(world, client):
    request = built(world.learner)
    url = reverse("my-data-download", kwargs={"request_id": request.pk})
    status_url = reverse("my-data-status", kwargs={"request_id": request.pk})
    assert client.get(url).status_code == 302  # anonymous: log in first
    for someone in (world.other, world.staff):
        client.force_login(someone)
        assert client.get(url).status_code == 404
        assert client.get(status_url).status_code == 404
    client.force_login(world.learner)
    status = client.get(status_url).json()
    assert status["status"] == "done" and status["download"] == url
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEntry.objects.filter(request_id=request.pk, action="downloaded").exists()


def test_archives_expire_after_seven_days(world, client):
    request = built(world.learner)
    assert archives_expire(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert archives_expire(now=timezone.now() + dt.timedelta(days=7, minutes=1)) == 1
    request.refresh_from_db()
    assert request.status == DataRequest.Status.EXPIRED and not Path(request.path or "/nonexistent").exists()
    assert AuditEntry.objects.filter(request_id=request.pk, action="expired").exists()
    client.force_login(world.learner)
    assert client.get(reverse("my-data-download", args=[request.pk])).status_code == 404


def test_the_page_asks_and_polls_without_inline_script(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    learner = UserFactory()
    assert client.get(reverse("my-data")).status_code == 302
    client.force_login(learner)
    page = client.get(reverse("my-data")).content.decode()
    assert "js/cairn-privacy.js" in page and "<script>" not in page
    assert client.get("/").content.decode().count(reverse("my-data")) == 1  # in the navigation
    response = client.post(reverse("my-data"), {"action": "download"})
    assert response.status_code == 302
    request = DataRequest.objects.get(learner=learner)
    assert request.status == "queued"
    page = client.get(reverse("my-data")).content.decode()
    assert reverse("my-data-status", args=[request.pk]) in page
    assert client.get(reverse("my-data-status", args=[request.pk])).json()["status"] == "queued"


@pytest.mark.worker
def test_a_download_runs_on_a_real_worker_and_the_page_sees_it_finish(
    celery_worker, client, settings, tmp_path
):
    import time

    settings.DATA_DIR = tmp_path
    learner = UserFactory()
    client.force_login(learner)
    client.post(reverse("my-data"), {"action": "download"})
    request = DataRequest.objects.get(learner=learner)
    url = reverse("my-data-status", args=[request.pk])
    deadline = time.monotonic() + 60
    while (status := client.get(url).json())["status"] in (
        "queued",
        "running",
    ) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status["status"] == "done", status
    assert client.get(status["download"]).status_code == 200
