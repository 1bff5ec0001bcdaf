"""POST /api/events and progress: the request validates, stores and acknowledges; the
video events it stored are folded into progress by one statement in the same
transaction, so the next page load shows the video watched (the bound: zero, before the
response is sent). With ``PROGRESS_FROM_EVENTS = "task"`` a real Celery worker folds
them after the commit, within ``TASK_BOUND_S``. Re-sent batches count nothing twice; a
fold that fails stores nothing (503, the tracker resends)."""

import json
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.courses.services import enrollment_create
from lms.progress.models import ActivityProgress
from lms.tracking.models import Event
from tests.factories import UserFactory

# How soon a learner sees a video watched with the task design: a worker's pickup and
# one statement. On a quiet machine it is tens of milliseconds (docs/events.md).
TASK_BOUND_S = 2.0


def _pause(activity: str, segments):
    return {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.paused",
            "course": "c9", "activity": activity, "payload": {"position": 1, "segments": segments}}  # fmt: skip


def _post(client, events, status=200):
    response = client.post("/api/events", json.dumps({"events": events}), content_type="application/json")
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def watcher(client, small_course):
    course, items = small_course
    learner = UserFactory()
    enrollment_create(user=learner, course=course)
    client.force_login(learner)
    return learner


@pytest.mark.django_db(transaction=True)
def test_the_next_page_load_shows_the_video_watched(client, small_course, watcher, celery_worker):
    """The real stack (committed data, a live worker): no waiting between the batch's
    response and the page, and the page shows the video done."""
    assert "0/3 done" in client.get("/courses/c9/").text
    result = _post(client, [_pause("c9-video", [[0, 50]]), _pause("c9-video", [[45, 95]])])
    assert len(result["accepted"]) == 2
    page = client.get("/courses/c9/")  # at once: the fold committed with the events
    assert "1/3 done" in page.text and "done" in page.text
    row = ActivityProgress.objects.get(learner=watcher, activity__slug="c9-video")
    assert row.coverage == pytest.approx(0.95) and row.completed is not None


@pytest.mark.django_db(transaction=True)
def test_with_the_task_design_a_worker_folds_the_batch_within_the_bound(
    client, small_course, watcher, celery_worker, settings
):
    settings.PROGRESS_FROM_EVENTS = "task"
    _post(client, [_pause("c9-video", [[0, 95]])])
    sent = time.monotonic()
    while "1/3 done" not in client.get("/courses/c9/").text:  # page loads, as the learner would
        assert time.monotonic() - sent < TASK_BOUND_S, "the worker did not fold the batch in time"
        time.sleep(0.02)
    row = ActivityProgress.objects.get(learner=watcher, activity__slug="c9-video")
    assert row.coverage == pytest.approx(0.95) and row.completed is not None


@pytest.mark.django_db
def test_a_resent_batch_counts_nothing_twice(client, small_course, watcher):
    batch = [_pause("c9-video", [[0, 40]]), _pause("c9-video", [[30, 60]])]
    _post(client, batch)
    first = ActivityProgress.objects.get(learner=watcher, activity__slug="c9-video")
    again = _post(client, batch)  # the tracker resends what it did not see acknowledged
    assert again["accepted"] == [] and len(again["duplicates"]) == 2
    row = ActivityProgress.objects.get(learner=watcher, activity__slug="c9-video")
    assert (row.segments, row.coverage, row.updated) == (first.segments, first.coverage, first.updated)
    _post(client, [_pause("c9-video", [[0, 60]])])  # new events, played stretches already counted
    row.refresh_from_db()
    assert row.segments == [[0, 60]] and row.coverage == pytest.approx(0.6)


@pytest.mark.django_db
def test_a_fold_that_fails_stores_nothing_and_asks_for_the_batch_again(client, small_course, watcher):
    """The events and their progress commit together: without the fold (its function
    dropped inside this test's transaction), the batch is a 503 and nothing of it is
    stored, so the tracker's resend is not lost as a duplicate."""
    with connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION progress_video_fold(jsonb, jsonb, float8, float8)")
    response = client.post(
        "/api/events",
        json.dumps({"events": [_pause("c9-video", [[0, 95]])]}),
        content_type="application/json",
    )
    assert response.status_code == 503 and response["Retry-After"]
    assert not Event.objects.filter(learner_id=watcher.pk, verb="video.paused").exists()
    assert not ActivityProgress.objects.filter(learner=watcher).exists()


@pytest.mark.django_db
def test_batches_without_played_segments_leave_progress_alone(client, small_course, watcher):
    events = [{"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.played",
               "course": "c9", "activity": "c9-video", "payload": {"position": 3}}]  # fmt: skip
    client.get("/courses/c9/")  # warm the session and catalog caches
    with CaptureQueriesContext(connection) as queries:
        _post(client, events)
    assert not any("progress_activityprogress" in q["sql"] for q in queries.captured_queries)
    assert Event.objects.filter(learner_id=watcher.pk, verb="video.played").count() == 1
