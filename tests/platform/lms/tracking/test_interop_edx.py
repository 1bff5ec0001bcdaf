"""Import of Open edX tracking logs: every mapped type field by field, gzip, idempotence,
the parallel import, event ids, bad lines."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.interop import events_import
from lms.tracking.models import Event
from tests.platform.lms.tracking.importing import fresh_catalog_index  # noqa: F401
from tests.platform.lms.tracking.interop_helpers import (
    COURSE,
    VIDEO,
    browser,
    delete_all_events,
    edx_lines,
    run,
    snapshot,
    stored,
    write,
)

pytestmark = pytest.mark.django_db


def test_edx_log_maps_every_type_to_canonical_events(tmp_path):
    path = write(tmp_path / "tracking.log", edx_lines())
    summary = run("import_events", "--format", "edx", str(path))

    ada = User.objects.get(username="ada")
    assert ada.external_source == "edx" and not ada.has_usable_password()
    course = Course.objects.get(external_source="edx")
    assert course.slug.startswith("edx-course-v1-mitx-6-00x-2016_t1-") and course.title == COURSE
    video = Activity.objects.get(kind="video")
    quiz = Activity.objects.get(kind="quiz")
    assert video.course == course and video.external_source == "edx" and video.title == VIDEO
    assert quiz.title == "Problem 1"

    events = stored(learner=ada)
    got = [(e.verb, e.payload.get("edx_type")) for e in events]
    assert got == [
        ("video.loaded", "load_video"),
        ("video.played", "play_video"),
        ("video.paused", "pause_video"),
        ("video.seeked", "seek_video"),
        ("video.speed_changed", "speed_change_video"),
        ("video.transcript_shown", "show_transcript"),
        ("video.transcript_hidden", "hide_transcript"),
        ("video.paused", "stop_video"),
        ("video.completed", "complete_video"),
        ("video.seeked", "edx.video.position.changed"),
        ("quiz.answered", "problem_check"),
        ("external.edx", "problem_check"),
        ("navigation.page_viewed", "seq_goto"),
        ("navigation.page_viewed", "edx.ui.lms.sequence.next_selected"),
        ("navigation.outline_selected", "edx.ui.lms.outline.selected"),
        ("enrollment.activated", "edx.course.enrollment.activated"),
        ("enrollment.deactivated", "edx.course.enrollment.deactivated"),
        ("navigation.page_closed", "page_close"),
        ("navigation.page_viewed", f"/courses/{COURSE}/courseware"),
    ]
    by = {(e.verb, e.payload["edx_type"]): e for e in events}
    loaded = by["video.loaded", "load_video"]
    assert loaded.time == dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)
    assert loaded.course_id == course.pk and loaded.activity_id == video.pk
    assert loaded.session_id == "5f1c0e6a9b8d7c6e5f4a3b2c1d0e9f8a" and loaded.source == "edx"
    assert loaded.payload == {"code": "html5", "edx_type": "load_video"}
    assert by["video.played", "play_video"].payload["position"] == 12.5
    assert by["video.paused", "pause_video"].payload["position"] == 30.25
    seek = by["video.seeked", "seek_video"].payload
    assert (seek["old_time"], seek["new_time"], seek["kind"]) == (30.25, 60, "onSlideSeek")
    assert "requested_skip_interval" in seek
    speed = by["video.speed_changed", "speed_change_video"].payload
    assert (speed["position"], speed["old_speed"], speed["new_speed"]) == (61, 1.0, 1.5)
    assert by["video.transcript_shown", "show_transcript"].payload["position"] == 62
    assert by["video.completed", "complete_video"].payload == {
        "code": "html5", "position": 299.5, "duration": 300, "edx_type": "complete_video"
    }  # fmt: skip
    mobile = by["video.seeked", "edx.video.position.changed"]
    assert mobile.activity_id == video.pk and mobile.payload["kind"] == "onSkipSeek"
    answered = by["quiz.answered", "problem_check"]
    assert answered.activity_id == quiz.pk and answered.time == dt.datetime(
        2025, 3, 4, 10, 0, 10, tzinfo=dt.UTC
    )
    p = answered.payload
    assert (p["question"], p["answer"], p["correct"], p["attempt"], p["score"]) == (
        "p1",
        "choice_2",
        True,
        2,
        0.5,
    )
    assert p["submission"]["p1_2_1"]["response_type"] == "multiplechoice" and "state" not in p
    page = by["navigation.page_viewed", "seq_goto"]
    assert page.payload["path"] == f"/courses/{COURSE}/courseware/ch1/s1/1"
    assert (page.payload["old"], page.payload["new"]) == (1, 2) and page.activity_id is None
    outline = by["navigation.outline_selected", "edx.ui.lms.outline.selected"].payload
    assert outline["target"].endswith("/jump_to/s1") and outline["target_name"] == "Week 1"
    assert by["enrollment.activated", "edx.course.enrollment.activated"].payload == {
        "track": "audit", "mode": "honor", "edx_type": "edx.course.enrollment.activated"
    }  # fmt: skip
    for event in events:  # identity never reaches a payload
        assert not {"user_id", "username", "ip", "agent", "host", "course_id"} & event.payload.keys()
    assert [e.payload["position"] for e in stored(learner__username="grace")] == [5]

    copy = by["external.edx", "problem_check"]  # the browser's copy: kept as it came
    assert copy.payload["event"] == "input_p1_2_1=choice_2" and copy.activity_id is None
    served = by["navigation.page_viewed", f"/courses/{COURSE}/courseware"].payload
    assert served["path"] == f"/courses/{COURSE}/courseware" and "GET" not in served
    assert by["navigation.page_closed", "page_close"].payload["path"].endswith("/courseware/ch1/s1/1")
    assert "events stored:       20" in summary and "bad lines:           3" in summary
    assert "unmapped" not in summary and "anonymous (no username)" in summary
    assert f"{tmp_path / 'tracking.log'}:22: not valid JSON" in summary
    assert ":23: no event_type" in summary and ":24: no time" in summary
    assert "learners created:    2" in summary and "courses created:     1" in summary
    assert "activities created:  2" in summary


def test_edx_import_is_idempotent_and_reads_gzip(tmp_path):
    plain = write(tmp_path / "tracking.log", edx_lines())
    gz = write(tmp_path / "tracking.log-20250305.gz", edx_lines(), gz=True)
    report = events_import(format="edx", paths=[plain])
    assert report.stored == 20 and report.duplicates == 0 and report.bad == 3
    before = snapshot()
    again = events_import(format="edx", paths=[gz])  # same lines, gzipped: same ids
    assert (again.lines, again.stored, again.duplicates, again.bad) == (report.lines, 0, 20, 3)
    assert again.learners_created == again.courses_created == again.activities_created == 0
    summary = run("import_events", "--format", "edx", str(plain))
    assert "events stored:       0" in summary and "duplicates:          20" in summary
    assert snapshot() == before
    assert Course.objects.count() == 1 and Activity.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_edx_import_stores_what_the_sequential_one_does(tmp_path):
    path = write(tmp_path / "tracking.log", edx_lines() * 2)  # every line twice: duplicates across workers
    summary = run("import_events", "--format", "edx", str(path), "--workers", "2", "--chunk-size", "4")
    assert "events stored:       20" in summary and "duplicates:          20" in summary
    assert "bad lines:           6" in summary and f"{path}:22: not valid JSON" in summary
    assert "learners created:    2" in summary and "activities created:  2" in summary
    parallel = snapshot()
    delete_all_events()
    report = events_import(format="edx", paths=[path])
    assert (report.stored, report.duplicates, report.learners_created) == (20, 20, 0)
    assert snapshot() == parallel


def test_parallel_import_refuses_to_run_inside_a_transaction(tmp_path):
    with pytest.raises(ValueError, match="cannot run inside a transaction"):
        events_import(format="edx", paths=[write(tmp_path / "t.log", edx_lines())], workers=2)


def test_edx_event_ids_are_uuid5_of_the_line(tmp_path):
    lines = edx_lines()[:2]
    events_import(format="edx", paths=[write(tmp_path / "a.log", lines)])
    ids = {str(e.event_id) for e in Event.objects.all()}
    assert all(uuid.UUID(i).version == 5 for i in ids) and len(ids) == 2


def test_edx_invalid_values_are_reported_with_their_line(tmp_path):
    lines = [
        browser("play_video", {"id": VIDEO, "currentTime": -3}, 1),
        browser("play_video", "{truncated", 2),
        browser("play_video", {"id": VIDEO, "currentTime": 4}, 3),
    ]
    report = events_import(format="edx", paths=[write(tmp_path / "t.log", lines)], chunk_size=2)
    assert (report.stored, report.invalid, report.bad) == (1, 1, 1)
    assert any(
        p.endswith(":1: payload.position: payload.position must be bigger than or equal to 0")
        for p in report.problems
    ), report.problems
    assert any(":2: play_video: event is not JSON" in p for p in report.problems)
