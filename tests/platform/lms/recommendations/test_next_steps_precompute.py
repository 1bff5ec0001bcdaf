"""Next steps computed ahead of the learner's visit: a change to a learner's history or
progress schedules a precompute (debounced), the task stores the steps under the
learner's current stamp, and the home page and the API read them without computing.
A request that finds nothing fresh (a cold cache, a task not run yet) computes them
itself, so the learner never sees an empty or stale panel."""

import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.courses.models import Enrollment
from lms.courses.services import enrollment_create
from lms.quizzes.services import quiz_attempt_submit
from lms.recommendations.services import (
    NEXT_STEPS_KEY,
    computed,
    next_steps_precompute,
    next_steps_schedule,
    next_steps_stored,
)
from lms.recommendations.tasks import next_steps_precompute as precompute_task
from lms.tracking.listeners import learners_changed, learners_touched
from lms.tracking.models import Event
from tests.factories import UserFactory

WAIT = 120  # seconds: a generous ceiling for a busy machine; the waits poll state


def _enrolled(course):
    user = UserFactory()
    enrollment_create(user=user, course=course, track=Enrollment.Track.VERIFIED)
    return user


@pytest.fixture
def learner(small_course):
    return _enrolled(small_course[0])


def _steps(answer: dict) -> list[tuple[str, str]]:
    return [(s["activity"], s["reason"]) for s in answer["steps"]]


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {WAIT} s for {what}"
        time.sleep(0.05)


def _reads_state(queries) -> list[str]:
    """The queries a computation makes (progress, enrollments, history); a request
    answered from the stored steps makes none of them."""
    tables = ("progress_activityprogress", "courses_enrollment", "progress_certificate")
    return [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in tables)]


@pytest.mark.django_db
def test_the_precompute_stores_the_steps_and_the_api_reads_them_without_computing(client, learner):
    assert next_steps_precompute(learner_ids=[learner.pk]) == 1
    client.force_login(learner)
    before = computed.copy()
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/api/v1/me/next-steps").json()
    assert computed["request"] == before["request"] and computed["precompute"] == before["precompute"]
    assert not _reads_state(queries)
    assert answer["steps"][0]["activity"] == "c9-video" and len(answer["steps"]) == 3
    assert all(s["reason"] for s in answer["steps"])
    # Still recorded as shown, with its own recommendation id, exactly as before.
    shown = Event.objects.get(learner_id=learner.pk, verb="recommendation.shown")
    assert shown.payload["recommendation"] == answer["recommendation"]
    assert shown.payload["items"] == [s["activity"] for s in answer["steps"]]
    assert shown.payload["reasons"] == [s["reason"] for s in answer["steps"]]


@pytest.mark.django_db
def test_the_home_page_reads_the_stored_steps(client, learner):
    next_steps_precompute(learner_ids=[learner.pk])
    client.force_login(learner)
    before = computed["request"]
    page = client.get("/")
    assert computed["request"] == before
    assert 'id="next-step" data-activity="c9-video"' in page.text and "Why:" in page.text
    assert Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").count() == 1


@pytest.mark.django_db
def test_a_cold_miss_computes_once_and_gives_the_same_steps(client, learner):
    from django.core.cache import cache

    client.force_login(learner)
    before = computed["request"]
    cold = client.get("/api/v1/me/next-steps").json()  # nothing stored: computed while the learner waits
    assert computed["request"] == before + 1
    again = client.get("/api/v1/me/next-steps").json()  # stored by the miss itself
    assert computed["request"] == before + 1
    cache.delete(NEXT_STEPS_KEY.format(learner.pk))
    assert next_steps_precompute(learner_ids=[learner.pk]) == 1
    precomputed = client.get("/api/v1/me/next-steps").json()
    assert computed["request"] == before + 1
    assert _steps(cold) == _steps(again) == _steps(precomputed) and len(_steps(cold)) == 3


@pytest.mark.django_db
def test_running_the_precompute_twice_is_harmless(learner, small_course):
    from django.core.cache import cache

    gone = UserFactory()
    gone_id = gone.pk
    gone.delete()
    other = _enrolled(small_course[0])
    before = computed["precompute"]
    assert next_steps_precompute(learner_ids=[learner.pk, other.pk, gone_id]) == 2
    stored = cache.get(NEXT_STEPS_KEY.format(learner.pk))
    assert (
        next_steps_precompute(learner_ids=[learner.pk, other.pk, gone_id]) == 0
    )  # still fresh: nothing to do
    assert computed["precompute"] == before + 2
    assert cache.get(NEXT_STEPS_KEY.format(learner.pk))[0] == stored[0]
    assert cache.get(NEXT_STEPS_KEY.format(gone_id)) is None


@pytest.mark.django_db
def test_a_change_makes_the_stored_steps_stale_until_computed_again(client, learner, small_course):
    """Stored steps are served only under the learner's current generation: after a
    grade, a request computes (or reads a newer precompute), never the old steps."""
    _, items = small_course
    next_steps_precompute(learner_ids=[learner.pk])
    client.force_login(learner)
    old = client.get("/api/v1/me/next-steps").json()
    quiz_attempt_submit(learner=learner, activity=items["quiz"], answers={"q1": 1})  # failed
    before = computed["request"]
    new = client.get("/api/v1/me/next-steps").json()
    assert computed["request"] == before + 1  # the old steps were not served
    assert _steps(new) != _steps(old)
    learners_touched([learner.pk])
    assert next_steps_precompute(learner_ids=[learner.pk]) == 1
    assert _steps(client.get("/api/v1/me/next-steps").json()) == _steps(new)
    assert computed["request"] == before + 1


@pytest.mark.django_db
def test_a_burst_of_changes_schedules_one_precompute(learner, small_course):
    other = _enrolled(small_course[0])
    assert next_steps_schedule(learner_ids=[learner.pk]) == 1
    for _ in range(5):  # more batches before the run starts: already pending
        assert next_steps_schedule(learner_ids=[learner.pk]) == 0
    assert next_steps_schedule(learner_ids=[learner.pk, other.pk]) == 1  # only the new one
    next_steps_precompute(learner_ids=[learner.pk, other.pk])  # the run started: a change now schedules again
    assert next_steps_schedule(learner_ids=[learner.pk]) == 1


@pytest.mark.django_db
def test_a_failing_receiver_never_fails_the_change(client, learner, django_capture_on_commit_callbacks):
    def broken(sender, **kwargs):
        raise RuntimeError("receiver down")

    learners_changed.connect(broken, dispatch_uid="test-broken")
    try:
        client.force_login(learner)
        event = {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "navigation.page_viewed",
                 "course": "c9", "payload": {"path": "/courses/c9/"}}  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            stored = client.post("/api/events", {"events": [event]}, content_type="application/json")
        assert stored.status_code == 200 and stored.json()["accepted"] == [event["id"]]
    finally:
        learners_changed.disconnect(dispatch_uid="test-broken")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_precomputes_after_an_event_and_after_a_grade(client, small_course, celery_worker):
    """End to end with a real worker: the enrollment, an event batch through the API and
    a grade each schedule the precompute; once it ran, the API answers from what it
    stored, without computing."""
    _, items = small_course
    learner = _enrolled(small_course[0])  # enrolling records an event: a precompute is scheduled
    _until(lambda: next_steps_stored(learner=learner), "the precompute after the enrollment")
    assert precompute_task.delay([learner.pk]).get(timeout=WAIT) == 0  # again, twice: nothing to do
    assert precompute_task.delay([learner.pk]).get(timeout=WAIT) == 0
    client.force_login(learner)
    before = computed["request"]
    first = client.get("/api/v1/me/next-steps").json()
    assert computed["request"] == before and first["steps"][0]["activity"] == "c9-video"

    event = {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "navigation.page_viewed",
             "course": "c9", "payload": {"path": "/courses/c9/"}}  # fmt: skip
    assert client.post("/api/events", {"events": [event]}, content_type="application/json").status_code == 200
    assert not next_steps_stored(learner=learner)  # the event made them stale
    _until(lambda: next_steps_stored(learner=learner), "the precompute after an event")
    assert _steps(client.get("/api/v1/me/next-steps").json()) == _steps(first)
    assert computed["request"] == before

    quiz_attempt_submit(learner=learner, activity=items["quiz"], answers={"q1": 1})  # failed
    assert not next_steps_stored(learner=learner)
    _until(lambda: next_steps_stored(learner=learner), "the precompute after a grade")
    with CaptureQueriesContext(connection) as queries:
        graded = client.get("/api/v1/me/next-steps").json()
    assert computed["request"] == before and not _reads_state(queries)
    assert _steps(graded) != _steps(first) and len(_steps(graded)) == 3
