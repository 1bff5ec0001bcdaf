"""The ingestion API and service: valid events stored once, bad input refused with a
clear per-event error, nothing wrongly stored."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from lms.tracking import partitions
from lms.tracking.bounds import MAX_BATCH_BYTES
from lms.tracking.models import Event
from lms.tracking.services import catalog_index_forget, event_record
from tests.factories import ActivityFactory, UserFactory
from tests.platform.lms.tracking.posting import event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


@pytest.fixture
def learner():
    return UserFactory(username="ada")


@pytest.fixture
def video():
    return ActivityFactory(slug="c1-w1-what-is-a-neural-network", week__course__slug="neural-networks")


def test_valid_batch_is_stored_with_the_session_user_as_actor(api, learner, video):
    batch = [
        event(activity=video.slug, session="s1"),
        event("video.paused", {"position": 30.0, "segments": [[0, 30.0]]}, activity=video.slug, session="s1"),
    ]
    response = api({"events": batch})
    assert response.status_code == 200
    body = response.json()
    assert body == {"accepted": [e["id"] for e in batch], "duplicates": [], "errors": []}
    stored = Event.objects.order_by("time")
    assert [e.verb for e in stored] == ["video.played", "video.paused"]
    assert {e.learner_id for e in stored} == {learner.pk}
    assert stored[0].course_id == video.course_id and stored[0].activity_id == video.pk
    assert stored[1].payload["segments"] == [[0, 30.0]]
    assert stored[0].received >= stored[0].time - dt.timedelta(seconds=5)


def test_resending_a_batch_stores_nothing_twice(api, video):
    batch = [event(activity=video.slug) for _ in range(3)]
    assert api({"events": batch}).json()["accepted"] == [e["id"] for e in batch]
    again = api({"events": batch}).json()
    assert again == {"accepted": [], "duplicates": [e["id"] for e in batch], "errors": []}
    assert Event.objects.count() == 3


def test_a_repeated_id_inside_one_batch_is_stored_once(api):
    one = event()
    body = api({"events": [one, dict(one)]}).json()
    assert body["accepted"] == [one["id"]] and body["duplicates"] == [one["id"]]
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "bad, field, words",
    [
        (event("video.teleported"), "verb", "unknown verb"),
        ({k: v for k, v in event().items() if k != "time"}, "time", "ISO 8601"),
        (event(time="yesterday"), "time", "ISO 8601"),
        (event(time="2026-11-25T10:00:00"), "time", "UTC offset"),
        (event(time=(timezone.now() + dt.timedelta(days=2)).isoformat()), "time", "in the future"),
        (event(id="42"), "id", "UUID"),
        (event(payload={}), "payload", "position"),
        (event(payload={"position": "twelve"}), "payload.position", "number"),
        (event("video.seeked", {"old_time": 5}), "payload", "new_time"),
        (event("video.paused", {"position": 3, "segments": [[10, 2]]}), "payload.segments", "ends before"),
        (event(actor="grace"), "actor", "another user"),
        (event(payload={"position": 1, "user_id": 99999}), "payload.user_id", "another user"),
        (event("lab.graded", {"score": 1.0, "tests": []}), "verb", "recorded by the server"),
        (event(activity="no-such-activity"), "activity", "unknown activity"),
        (event(colour="blue"), "colour", "unknown field"),
        ("not an object", "", "JSON object"),
    ],
)
def test_bad_events_get_a_per_event_error_and_the_good_ones_are_kept(api, bad, field, words):
    good = event()
    body = api({"events": [good, bad]}).json()
    assert body["accepted"] == [good["id"]]
    [error] = body["errors"]
    assert error["index"] == 1 and error["field"] == field, error
    assert words in error["message"], error
    assert Event.objects.count() == 1


def test_the_learner_may_name_themselves(api, learner):
    mine = event(actor="ada", payload={"position": 1, "user_id": learner.pk})
    assert api({"events": [mine]}).json()["accepted"] == [mine["id"]]
    assert "user_id" not in Event.objects.get(event_id=mine["id"]).payload  # and it is not stored


def test_events_carry_no_email_or_name(api, learner):
    learner.email = "ada@example.org"
    learner.save()
    sent = event(
        payload={"position": 3, "username": learner.username, "email": learner.email, "name": "Ada Lovelace",
                 "display_name": "Ada", "ip": "10.0.0.1", "note": f"mail me at {learner.email} please",
                 "extra": {"contact": ["x", "bob@example.com"]}, "segments": [[0, 3]]}
    )  # fmt: skip
    assert api({"events": [sent]}).json()["accepted"] == [sent["id"]]
    stored = Event.objects.get(event_id=sent["id"]).payload
    assert stored == {"position": 3, "note": "mail me at [e-mail removed] please",
                      "extra": {"contact": ["x", "[e-mail removed]"]}, "segments": [[0, 3]]}  # fmt: skip
    assert "@" not in json.dumps(stored) and learner.username not in json.dumps(stored)


@pytest.mark.parametrize(
    "body, status, words",
    [
        ("{not json", 400, "not valid JSON"),
        ([event()], 400, '{"events": [...]}'),
        ({"events": "many"}, 400, '{"events": [...]}'),
        ({"events": [event() for _ in range(501)]}, 413, "maximum is 500"),
    ],
)
def test_malformed_requests_are_refused_whole(api, body, status, words):
    response = api(body)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert Event.objects.count() == 0


def test_oversized_body_is_refused_before_parsing(api):
    padding = "x" * MAX_BATCH_BYTES
    response = api({"events": [event(session=padding)]})
    assert response.status_code == 413
    assert Event.objects.count() == 0


def test_anonymous_and_cross_origin_posts_are_refused(api):
    anonymous = Client()
    response = anonymous.post(
        "/api/events", data=json.dumps({"events": [event()]}), content_type="application/json"
    )
    assert response.status_code == 403
    response = api({"events": [event()]}, Origin="https://evil.example")
    assert response.status_code == 403
    assert api({"events": [event()]}, Origin="http://testserver").status_code == 200


def test_old_events_get_their_own_monthly_partition(learner):
    # History comes through the import path (the browser's window is 30 days:
    # tests/platform/lms/tracking/test_hostile_events.py).
    from lms.tracking.services import events_ingest_many

    old = event(time="2015-03-07T09:30:00+00:00")
    result = events_ingest_many(items=[(learner.pk, old)], source=Event.Source.TABLE)
    assert result.accepted == [old["id"]]
    assert "tracking_event_y2015m03" in partitions.partitions_list()
    assert Event.objects.get().time.year == 2015


def test_server_events_go_through_the_same_validation(learner, video):
    event_record(
        learner_id=learner.pk, verb="lab.graded", activity=video.slug, payload={"score": 0.5, "tests": []}
    )
    assert Event.objects.get().source == Event.Source.SERVER
    with pytest.raises(ValueError, match="score"):
        event_record(learner_id=learner.pk, verb="lab.graded", payload={"tests": []})


def test_a_batch_of_unknown_slugs_reloads_the_catalog_once(learner, video, django_assert_max_num_queries):
    from lms.tracking.services import events_ingest

    events_ingest(learner_id=learner.pk, events=[event(activity=video.slug)])  # index loaded
    batch = [event(activity=f"no-such-activity-{i}") for i in range(200)]
    with django_assert_max_num_queries(4):  # one reload (courses + activities), no store for zero rows
        result = events_ingest(learner_id=learner.pk, events=batch)
    assert len(result.errors) == 200 and all("unknown activity" in e.message for e in result.errors)
