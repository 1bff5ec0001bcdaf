"""Export to Open edX lines, xAPI statements and Parquet, and what an export reads back as."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lms.accounts.models import User
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import xapi_learner_pseudonym
from lms.tracking.models import Event
from lms.tracking.services import events_ingest_many
from tests.factories import ActivityFactory, UserFactory
from tests.platform.lms.tracking import interop_helpers as helpers
from tests.platform.lms.tracking.importing import fresh_catalog_index  # noqa: F401
from tests.platform.lms.tracking.interop_helpers import ADL, SITE, X

pytestmark = pytest.mark.django_db


@pytest.fixture
def native_events():
    """Events recorded by Cairn itself, on a native course, of many verbs."""
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    video = ActivityFactory(slug="c1-intro-video", kind="video", week__course__slug="neural-networks")
    quiz = ActivityFactory(slug="c1-quiz", kind="quiz", week=video.week, course=video.course)
    t0 = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)

    def ev(verb, payload, minute, activity=None, **extra):
        raw = {
            "id": str(uuid.uuid4()), "time": (t0 + dt.timedelta(minutes=minute, microseconds=123456)).isoformat(),
            "verb": verb, "session": "sess-1", "payload": payload, **extra,
        }  # fmt: skip
        if activity:
            raw["activity"] = activity
        return raw

    client = [
        ev("video.loaded", {"duration": 300}, 0, video.slug),
        ev("video.played", {"position": 0, "speed": 1.25}, 1, video.slug),
        ev("video.paused", {"position": 41, "segments": [[0, 12.5], [30, 41]]}, 2, video.slug),
        ev("video.seeked", {"old_time": 41, "new_time": 90, "kind": "onSkipSeek"}, 3, video.slug),
        ev("video.speed_changed", {"position": 90, "old_speed": 1.25, "new_speed": 2}, 4, video.slug),
        ev("video.transcript_shown", {"position": 91}, 5, video.slug),
        ev("video.completed", {"position": 300, "duration": 300, "segments": [[0, 300]]}, 6, video.slug),
        ev("quiz.started", {"attempt": 1}, 7, quiz.slug),
        ev(
            "quiz.answered",
            {"question": "q1", "answer": ["a", "c"], "correct": False, "attempt": 1},
            8,
            quiz.slug,
        ),
        ev(
            "navigation.page_viewed",
            {"path": "/courses/neural-networks/week-1?tab=2"},
            9,
            course="neural-networks",
        ),
        ev(
            "navigation.outline_selected",
            {"target": "/courses/neural-networks/c1-quiz"},
            10,
            course="neural-networks",
        ),
    ]
    server = [
        ev("discussion.posted", {"thread": "t-9", "length": 120}, 11, course="neural-networks"),
        ev("enrollment.activated", {"track": "verified"}, -1, course="neural-networks"),
        ev("quiz.graded", {"attempt": 1, "score": 0.5, "passed": False}, 9, quiz.slug),
        ev(
            "lab.graded",
            {"score": 1.0, "tests": [{"name": "t1", "passed": True}], "mode": "submit"},
            12,
            video.slug,
        ),
        ev("enrollment.deactivated", {}, 20, course="neural-networks"),
    ]
    received = t0 + dt.timedelta(days=1)  # browser events are accepted from the last 30 days only
    assert not events_ingest_many(items=[(ada.pk, e) for e in client], source="client", now=received).errors
    assert not events_ingest_many(
        items=[(bob.pk, e) for e in client[:3]], source="client", now=received
    ).errors
    assert not events_ingest_many(items=[(ada.pk, e) for e in server], source="server").errors
    return video.course


def test_edx_export_reimports_to_exactly_the_same_events(tmp_path, native_events):
    events_import(
        format="edx", paths=[helpers.write(tmp_path / "orig.log", helpers.edx_lines())]
    )  # and edX-born events
    before = helpers.snapshot()
    assert len(before) == 11 + 3 + 5 + 20
    out = tmp_path / "export" / "cairn.log.gz"
    summary = helpers.run("export_events", "--format", "edx", "--out", str(out), "--site-url", SITE)
    assert f"{len(before)} events written" in summary
    with gzip.open(out, "rt") as lines:
        records = [json.loads(line) for line in lines]
    assert [r["time"] for r in records] == sorted(r["time"] for r in records)
    enrolled = next(r for r in records if r["context"]["course_id"] == "neural-networks")
    assert (
        enrolled["event_type"] == "edx.course.enrollment.activated" and enrolled["event_source"] == "server"
    )
    assert enrolled["event"] == {"course_id": "neural-networks", "mode": "verified"}
    played = next(
        r
        for r in records
        if r["event_type"] == "play_video"
        and r["username"] == "ada"
        and r["context"]["course_id"] == "neural-networks"
    )
    assert played["event_source"] == "browser" and json.loads(played["event"]) == {
        "id": "c1-intro-video",
        "currentTime": 0,
        "speed": 1.25,
    }
    assert {"ip", "agent", "user_id"}.isdisjoint(played) and "user_id" not in played["context"]

    helpers.delete_all_events()
    report = events_import(format="edx", paths=[out])
    assert (report.stored, report.duplicates, report.invalid, report.bad) == (len(before), 0, 0, 0)
    assert (report.learners_created, report.courses_created, report.activities_created) == (0, 0, 0)
    assert helpers.snapshot() == before
    assert events_import(format="edx", paths=[out]).duplicates == len(before)


def test_xapi_export_has_video_profile_and_stable_ids(tmp_path, native_events):
    first, second = tmp_path / "a.json", tmp_path / "b.jsonl"
    helpers.run("export_events", "--format", "xapi", "--out", str(first), "--site-url", SITE)
    helpers.run("export_events", "--format", "xapi", "--out", str(second), "--site-url", SITE)
    statements = json.loads(first.read_text())
    again = [json.loads(line) for line in second.read_text().splitlines()]
    assert len(statements) == Event.objects.count() == 19
    assert [s["id"] for s in statements] == [s["id"] for s in again]
    assert len({s["id"] for s in statements}) == 19
    ids = set(Event.objects.values_list("event_id", flat=True).iterator())
    ids = {str(i) for i in ids}
    ada = User.objects.get(username="ada")
    paused = next(s for s in statements if s["verb"]["id"].endswith("/video/verbs/paused"))
    assert paused["result"]["extensions"][X + "played-segments"] == "0[.]12.5[,]30[.]41"
    assert paused["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": SITE, "name": xapi_learner_pseudonym(ada.pk)},
    }
    assert paused["context"]["contextActivities"]["parent"] == [
        {"id": f"{SITE}/courses/neural-networks", "objectType": "Activity"}
    ]
    assert paused["object"]["definition"]["type"] == "https://w3id.org/xapi/video/activity-type/video"
    assert '"ada"' not in json.dumps(statements)  # no username anywhere
    completed = next(s for s in statements if s["verb"]["id"] == ADL + "completed")
    assert (
        completed["result"]["completion"] is True and completed["result"]["extensions"][X + "progress"] == 1.0
    )
    # read back: the pseudonym is the learner again, the segments the same
    helpers.delete_all_events()
    report = events_import(format="xapi", paths=[first], site=SITE)
    assert report.stored == 19 and report.learners_created == report.courses_created == 0, report.summary()
    assert {str(e.event_id) for e in helpers.stored()} == ids  # our own event-id extension read back
    back = Event.objects.get(verb="video.paused", learner=ada)
    assert back.payload["segments"] == [[0, 12.5], [30, 41]] and back.course_id == native_events.pk


def test_parquet_export_is_readable_by_pandas(tmp_path, native_events):
    out = tmp_path / "events.parquet"
    summary = helpers.run(
        "export_events",
        "--format",
        "parquet",
        "--out",
        str(out),
        "--course",
        "neural-networks",
        "--since",
        "2025-06-01T09:00:00Z",
    )
    frame = pd.read_parquet(out)
    expected = Event.objects.filter(time__gte=dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)).count()
    assert len(frame) == expected == 18 and f"{expected} events written" in summary
    assert list(frame.columns) == [
        "event_id", "learner_id", "learner_key", "time", "verb", "session_id", "course", "activity",
        "payload", "source", "received",
    ]  # fmt: skip
    assert frame["learner_key"].isna().all()  # the site's own learners: no username in exports
    assert frame["time"].is_monotonic_increasing and set(frame["course"]) == {"neural-networks"}
    paused = frame[frame["verb"] == "video.paused"].iloc[0]
    assert (
        json.loads(paused["payload"])["segments"] == [[0, 12.5], [30, 41]]
        and paused["activity"] == "c1-intro-video"
    )


def test_parquet_export_writes_row_groups(tmp_path, native_events):
    from lms.tracking.interop.export import events_export

    out = tmp_path / "events.parquet"
    report = events_export(format="parquet", out=out, row_group_rows=5)
    assert report.written == 19 and pq.ParquetFile(out).num_row_groups == 4
