"""Hostile input to the event API (issue 17, findings 6, 7, 8 and 13), through the real
endpoint and a real PostgreSQL: every bad value is a per-event error next to the stored
valid events, never a 5xx; a request cannot create partitions outside the client window;
the Origin check compares scheme, host and port; following a next step is a POST."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from lms.tracking import partitions
from lms.tracking.bounds import MAX_DEPTH, MAX_PAYLOAD_BYTES, MAX_STRING_CHARS
from lms.tracking.models import Event
from lms.tracking.services import catalog_index_forget, events_ingest_many
from lms.tracking.validation import CLIENT_MAX_AGE
from tests.factories import ActivityFactory, UserFactory
from tests.platform.lms.tracking.posting import event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


@pytest.fixture(autouse=True)
def _known_partitions_restored():
    """Tests here forget which partitions exist, and what they learn inside a rolled-back
    test is never recorded; put back what the process knew, or later modules look every
    month up again (a query count in tests/platform/lms/progress saw 4 more)."""
    known = set(partitions._known)
    yield
    partitions._known.clear()
    partitions._known.update(known)


@pytest.fixture
def learner():
    return UserFactory(username="mallory")


def window_partitions() -> set[str]:
    """The partitions a browser batch may touch: every month of the client window."""
    now = timezone.now()
    day, last = (now - CLIENT_MAX_AGE).date(), (now + dt.timedelta(minutes=5)).date()
    names = set()
    while day <= last:
        names.add(partitions.partition_name(partitions.month_start(day)))
        day += dt.timedelta(days=1)
    return names


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_body_nested_100000_levels_is_a_clear_400(api):
    body = '{"events": [' + nested(100_000) + "]}"
    response = api(body)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert Event.objects.count() == 0


def test_a_number_too_long_to_parse_is_a_400_not_a_500(api):
    response = api('{"events": [{"payload": {"position": ' + "9" * 5000 + "}}]}")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


LONG = "x" * (900 * 1024)
NOW = timezone.now()


@pytest.mark.parametrize(
    "bad, field, words",
    [
        (event(payload={"position": 1, "note": "a\x00b"}), "payload.note", "NUL"),
        (event(payload={"position": 1, "n\x00te": "ok"}), "payload", "NUL"),
        (event(payload={"position": 1, "deep": {"list": ["ok", "\x00"]}}), "payload.deep.list.1", "NUL"),
        (event(session="s\x00"), "session", "NUL"),
        (event(payload={"position": 1, "note": "\udcff"}), "payload.note", "surrogate"),
        (event(payload={"position": 1, "k": [{"v": "ok \ud800"}]}), "payload.k.0.v", "surrogate"),
        (event(payload={"position": float("nan")}), "payload.position", "finite"),
        (
            event("video.paused", {"position": 1, "segments": [[0, float("inf")]]}),
            "payload.segments.0.1",
            "finite",
        ),  # fmt: skip
        (event(payload={"position": 1, "x": float("-inf")}), "payload.x", "finite"),
        (event(time="1970-01-31T23:30:00-05:00"), "time", "30 days in the past"),
        (event(time="0001-01-01T00:00:00+00:00"), "time", "30 days in the past"),
        (event(time="0001-01-01T00:00:00+05:00"), "time", "ISO 8601"),  # before year 1 in UTC
        (event(time=(NOW - CLIENT_MAX_AGE - dt.timedelta(hours=1)).isoformat()), "time", "in the past"),
        (event(payload={"position": 1, "note": LONG}), "payload.note", f"longer than {MAX_STRING_CHARS}"),
        (event(payload={"position": 1, "k" * 5000: 1}), "payload", f"longer than {MAX_STRING_CHARS}"),
        (
            event(payload={"position": 1, **{f"n{i}": "y" * 4000 for i in range(20)}}),
            "payload",
            f"larger than {MAX_PAYLOAD_BYTES} bytes",
        ),  # fmt: skip
        (
            event(payload={"position": 1, "d": json.loads(nested(MAX_DEPTH))}),
            "payload.d" + ".0" * (MAX_DEPTH - 1),
            f"deeper than {MAX_DEPTH}",
        ),  # fmt: skip
        (
            event(payload={"position": 1, "d": json.loads(nested(900))}),
            "payload.d" + ".0" * (MAX_DEPTH - 1),
            f"deeper than {MAX_DEPTH}",
        ),  # fmt: skip
    ],
)
def test_a_bad_value_is_a_per_event_error_and_the_valid_events_are_stored(api, bad, field, words):
    before = set(partitions.partitions_list())
    good = [event() for _ in range(3)]
    response = api({"events": [good[0], bad, good[1], good[2]]})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["accepted"] == [e["id"] for e in good]
    [error] = body["errors"]
    assert error["index"] == 1 and error["id"] == bad["id"] and error["field"] == field, error
    assert words in error["message"], error
    assert Event.objects.count() == 3
    assert set(partitions.partitions_list()) - before <= window_partitions()


def test_values_at_the_bounds_are_stored(api):
    # The payload is level 1, "d" level 2: MAX_DEPTH - 1 lists inside it reach the bound.
    edge = event(payload={"position": 1, "d": json.loads(nested(MAX_DEPTH - 1)), "s": "é" * MAX_STRING_CHARS})
    assert api({"events": [edge]}).json() == {"accepted": [edge["id"]], "duplicates": [], "errors": []}
    assert Event.objects.get().payload["s"] == "é" * MAX_STRING_CHARS


def test_infinity_written_as_1e999_is_refused_per_event(api):
    good, bad = event(), event(payload={"position": 1, "x": 7})
    text = json.dumps({"events": [good, bad]}).replace('"x": 7', '"x": 1e999')
    body = api(text).json()
    assert body["accepted"] == [good["id"]]
    assert [(e["field"], "finite" in e["message"]) for e in body["errors"]] == [("payload.x", True)]


def test_500_past_months_create_no_partition_outside_the_window(api):
    partitions.forget_known_partitions()  # every month is looked up again: nothing hides a creation
    before = set(partitions.partitions_list())
    now = timezone.now()
    # Consecutive 31-day steps back land in 500 different months (1984 and before), the last in year 1.
    times = [(now - dt.timedelta(days=31 * i)).isoformat() for i in range(499)] + ["0001-01-01T00:00:00Z"]
    batch = [event(time=t) for t in times]
    assert len(json.dumps({"events": batch})) < 100_000
    response = api({"events": batch})
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == [batch[0]["id"]]  # 31 days back is already outside the 30-day window
    assert len(body["errors"]) == 499
    assert {e["field"] for e in body["errors"]} == {"time"}
    created = set(partitions.partitions_list()) - before
    assert created <= window_partitions() and len(created) <= 3


def test_imports_keep_history_and_partition_by_the_utc_month(learner):
    partitions.forget_known_partitions()
    old = event(time="1970-01-31T23:30:00-05:00")  # 1970-02-01 04:30 UTC
    result = events_ingest_many(items=[(learner.pk, old)], source=Event.Source.EDX)
    assert result.accepted == [old["id"]] and not result.errors
    assert "tracking_event_y1970m02" in partitions.partitions_list()
    assert "tracking_event_y1970m01" not in partitions.partitions_list()
    assert Event.objects.get().time == dt.datetime(1970, 2, 1, 4, 30, tzinfo=dt.UTC)


def test_imports_still_refuse_values_the_store_cannot_hold(learner):
    bad = event(payload={"position": 1, "note": "\x00"}, time="2001-05-01T00:00:00Z")
    good = event(time="2001-05-01T00:00:00Z")
    result = events_ingest_many(items=[(learner.pk, bad), (learner.pk, good)], source=Event.Source.TABLE)
    assert result.accepted == [good["id"]]
    assert [(e.index, e.field) for e in result.errors] == [(0, "payload.note")]


@pytest.mark.parametrize(
    "origin",
    [
        "ftp://testserver",
        "https://testserver",  # the test client speaks http
        "http://testserver:8124",
        "http://testserver.evil.example",
        "http://evil.example",
        "null",
        "http://testserver/path",
        "http://testserver:notaport",
    ],
)
def test_another_scheme_host_or_port_is_another_origin(api, origin):
    response = api({"events": [event()]}, Origin=origin)
    assert response.status_code == 403
    assert Event.objects.count() == 0


@pytest.mark.parametrize("origin", ["http://testserver", "HTTP://TestServer", "http://testserver:80"])
def test_this_site_is_the_same_origin(api, origin):
    assert api({"events": [event()]}, Origin=origin).status_code == 200


def test_a_trusted_origin_is_admitted(api, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://lms.example.org"]
    assert api({"events": [event()]}, Origin="https://lms.example.org").status_code == 200
    assert api({"events": [event()]}, Origin="http://lms.example.org").status_code == 403


def test_following_a_next_step_is_recorded_only_by_a_post(client, learner):
    activity = ActivityFactory(slug="h6-reading", week__course__slug="h6")
    client.force_login(learner)
    url = f"/next/rec-1/follow/{activity.slug}"
    assert client.get(url).status_code == 405
    assert not Event.objects.filter(verb="recommendation.followed").exists()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"].endswith(f"/{activity.slug}/")
    followed = Event.objects.get(learner_id=learner.pk, verb="recommendation.followed")
    assert followed.payload["target"] == activity.slug


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_tracker_forgets_refused_events_and_keeps_the_rest(logged_in_page, live_server):
    """The tracker reads the per-event errors: the refused events leave its storage
    (no endless re-sending), the valid ones of the same batch are stored once."""
    learner = UserFactory(username="tracked")
    video = ActivityFactory(slug="c2-w1-hostile", week__course__slug="c2", media="media/lecture-2.mp4")
    page = logged_in_page.login(learner)
    page.goto(f"{live_server.url}/courses/c2/{video.slug}/")
    page.wait_for_function("() => window.CairnTracker && document.readyState === 'complete'")
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)
    rejected_before = page.evaluate("CairnTracker.stats.rejected")
    sent = page.evaluate(
        """() => {
        const ok = [1, 2, 3].map(i => CairnTracker.track('navigation.page_viewed', {path: '/ok/' + i}));
        const bad = [CairnTracker.track('navigation.page_viewed', {path: '/nul\\u0000'}),
                     CairnTracker.track('navigation.page_viewed', {path: '/lone\\udcff'}),
                     CairnTracker.track('navigation.page_viewed', {path: '/old'})];
        const key = Object.keys(localStorage).find(k => k.startsWith('cairn.events.'));
        const events = JSON.parse(localStorage.getItem(key));
        events.forEach(e => { if (e.id === bad[2]) e.time = '1970-01-31T23:30:00-05:00'; });
        localStorage.setItem(key, JSON.stringify(events));
        return {ok, bad};
    }"""
    )
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)
    assert page.evaluate("CairnTracker.stats.rejected") - rejected_before == 3
    stored = Event.objects.filter(learner=learner, verb="navigation.page_viewed")
    assert sorted(str(e.event_id) for e in stored) == sorted(sent["ok"])
    assert sorted(e.payload["path"] for e in stored) == ["/ok/1", "/ok/2", "/ok/3"]


def test_a_value_the_database_refuses_fails_only_its_own_event(learner):
    """Defence in depth behind bounds.py: a value it does not check (an integer whose
    JSON text is too long to write) makes the batch INSERT fail; the events are then
    stored one by one and only that one is refused."""
    good = [event(time="2001-05-01T00:00:00Z") for _ in range(3)]
    bad = event(payload={"position": 1, "big": 10**5000}, time="2001-05-01T00:00:00Z")
    items = [(learner.pk, e) for e in (good[0], bad, good[1], good[2])]
    result = events_ingest_many(items=items, source=Event.Source.TABLE)
    assert result.accepted == [e["id"] for e in good]
    assert [(e.index, e.id) for e in result.errors] == [(1, bad["id"])]
    assert "refused" in result.errors[0].message
    assert Event.objects.count() == 3
    result = events_ingest_many(items=items, source=Event.Source.TABLE, with_ids=False)
    assert (result.stored_count, result.duplicate_count, len(result.errors)) == (0, 3, 1)
