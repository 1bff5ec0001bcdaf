"""Import of Open edX logs, xAPI statements and interaction tables; export to edX, xAPI
and Parquet. Fixture files are small but shaped like the real ones; every test reads
back what was stored, field by field."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import uuid

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.interop import events_import
from lms.tracking.interop.common import learner_pseudonym
from lms.tracking.interop.xapi import segments_format, segments_parse
from lms.tracking.models import Event
from lms.tracking.services import catalog_index_forget, events_ingest_many
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

COURSE = "course-v1:MITx+6.00x+2016_T1"
VIDEO = "0b9e39477cf34507a7a48f74be381fdd"
VIDEO_KEY = f"block-v1:MITx+6.00x+2016_T1+type@video+block@{VIDEO}"
PROBLEM_KEY = "block-v1:MITx+6.00x+2016_T1+type@problem+block@p1"
SEQUENCE_KEY = "block-v1:MITx+6.00x+2016_T1+type@sequential+block@s1"
SITE = "https://cairn.example"


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


def at(second: int) -> str:
    return (dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=second)).isoformat()


def browser(etype, event, second, *, username="ada", name=None, page=None, module=None):
    line = {
        "username": username,
        "event_type": etype,
        "event_source": "browser",
        "time": at(second),
        "event": event if isinstance(event, str) else json.dumps(event),
        "context": {"course_id": COURSE, "org_id": "MITx", "user_id": 42, "path": "/event"},
        "page": page or f"https://courses.edx.org/courses/{COURSE}/courseware/ch1/s1/1",
        "ip": "203.0.113.9",
        "agent": "Mozilla/5.0",
        "host": "courses.edx.org",
        "session": "5f1c0e6a9b8d7c6e5f4a3b2c1d0e9f8a",
        "accept_language": "en-US",
    }
    if name:
        line["name"] = name
    if module:
        line["context"]["module"] = module
    return json.dumps(line)


def server(etype, event, second, *, username="ada", module=None):
    line = {
        "username": username,
        "event_type": etype,
        "event_source": "server",
        "time": at(second).replace("+00:00", ""),  # server lines are often naive UTC
        "event": event,
        "context": {"course_id": COURSE, "org_id": "MITx", "user_id": 42, "path": "/courses/x/xblock"},
        "ip": "203.0.113.9",
        "agent": "python-requests",
        "host": "courses.edx.org",
        "page": None,
    }
    if module:
        line["context"]["module"] = module
    return json.dumps(line)


def edx_lines() -> list[str]:
    v = {"id": VIDEO, "code": "html5"}
    return [
        browser("load_video", v, 0),
        browser("play_video", {**v, "currentTime": 12.5}, 1),
        browser("pause_video", {**v, "currentTime": 30.25}, 2),
        browser(
            "seek_video",
            {**v, "old_time": 30.25, "new_time": 60, "type": "onSlideSeek", "requested_skip_interval": None},
            3,
        ),
        browser(
            "speed_change_video",
            {"id": VIDEO, "current_time": 61, "old_speed": "1.0", "new_speed": "1.50"},
            4,
        ),
        browser("show_transcript", {**v, "currentTime": 62}, 5),
        browser("hide_transcript", {**v, "currentTime": 63}, 6),
        browser("stop_video", {**v, "currentTime": 64}, 7),
        browser("complete_video", {**v, "currentTime": 299.5, "duration": 300}, 8),
        # a mobile event: name wins over event_type, event is an object, id in module_id
        json.dumps(
            {
                "username": "ada",
                "name": "edx.video.position.changed",
                "event_type": "edx.bi.video.position.changed",
                "event_source": "mobile",
                "time": at(9),
                "event": {"module_id": VIDEO_KEY, "old_time": 10, "new_time": 20, "type": "onSkipSeek"},
                "context": {
                    "course_id": COURSE,
                    "user_id": 42,
                    "application": {"name": "edx.mobileapp.android"},
                },
            }
        ),
        server(
            "problem_check",
            {
                "problem_id": PROBLEM_KEY,
                "answers": {"p1_2_1": "choice_2"},
                "attempts": 2,
                "success": "correct",
                "grade": 1,
                "max_grade": 2,
                "correct_map": {"p1_2_1": {"correctness": "correct", "npoints": None}},
                "submission": {
                    "p1_2_1": {"answer": "Recursion", "correct": True, "response_type": "multiplechoice"}
                },
                "state": {"seed": 1, "student_answers": {}},
                "user_id": 42,
            },
            10,
            module={"usage_key": PROBLEM_KEY, "display_name": "Problem 1"},
        ),
        browser("problem_check", "input_p1_2_1=choice_2", 11),  # browser copy: passed through
        browser(
            "seq_goto",
            {
                "old": 1,
                "new": 2,
                "id": SEQUENCE_KEY,
                "current_tab": 1,
                "tab_count": 3,
                "widget_placement": "top",
            },
            12,
        ),
        browser(
            "edx.ui.lms.sequence.next_selected",
            {"current_tab": 2, "id": SEQUENCE_KEY, "tab_count": 3, "widget_placement": "bottom"},
            13,
        ),
        browser(
            "edx.ui.lms.outline.selected",
            {"target_url": f"https://courses.edx.org/courses/{COURSE}/jump_to/s1", "target_name": "Week 1"},
            14,
        ),
        server("edx.course.enrollment.activated", {"course_id": COURSE, "user_id": 42, "mode": "honor"}, 15),
        server(
            "edx.course.enrollment.deactivated", {"course_id": COURSE, "user_id": 42, "mode": "honor"}, 16
        ),
        browser("page_close", {}, 17),
        server(f"/courses/{COURSE}/courseware", {"GET": {}, "POST": {}}, 18),
        browser("play_video", {**v, "currentTime": 1}, 19, username=""),  # anonymous
        browser("play_video", {**v, "currentTime": 5}, 20, username="grace"),
        "{not json",
        json.dumps({"username": "ada", "time": at(21), "event": {}}),
        json.dumps({"username": "ada", "event_type": "play_video", "event": "{}"}),
        "",
    ]


def write(path, lines, *, gz=False):
    data = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue()


def stored(**filters):
    return list(Event.objects.filter(**filters).order_by("time", "learner_id", "event_id"))


def delete_all_events():
    """Delete every event, also from store.py's staging table: its ON COMMIT DELETE ROWS
    never fires inside a test's transaction, and the next write would move the deleted
    rows back (reported to the store's owners)."""
    Event.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.event_staging') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM event_staging")


def snapshot():
    return sorted(
        (
            str(e.event_id),
            e.learner_id,
            e.time,
            e.verb,
            e.session_id,
            e.course_id,
            e.activity_id,
            json.dumps(e.payload, sort_keys=True),
        )  # fmt: skip
        for e in Event.objects.all()
    )


# edX -------------------------------------------------------------------------------
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


# xAPI ------------------------------------------------------------------------------
def statement(verb, *, second, result=None, context_ext=None, obj=None, actor=None, sid=None):
    ctx = {
        "contextActivities": {
            "parent": [{"id": "https://lms.example.org/course/ml-101", "objectType": "Activity"}],
            "category": [{"id": "https://w3id.org/xapi/video"}],
        },
        "extensions": {"https://w3id.org/xapi/video/extensions/session-id": "s-77", **(context_ext or {})},
    }
    return {
        "id": sid or str(uuid.uuid4()),
        "actor": actor
        or {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "u-1234"}},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": obj
        or {
            "id": "https://lms.example.org/video/intro",
            "definition": {
                "type": "https://w3id.org/xapi/video/activity-type/video",
                "name": {"en-US": "Intro"},
            },
        },
        "result": result or {},
        "context": ctx,
        "timestamp": at(second),
    }


V = "https://w3id.org/xapi/video/verbs/"
ADL = "http://adlnet.gov/expapi/verbs/"
X = "https://w3id.org/xapi/video/extensions/"


def xapi_statements():
    return [
        statement(ADL + "initialized", second=0, context_ext={X + "length": 300}),
        statement(V + "played", second=1, result={"extensions": {X + "time": 0}}),
        statement(
            V + "paused",
            second=2,
            result={
                "extensions": {
                    X + "time": 41,
                    X + "played-segments": "0[.]12.5[,]30[.]41",
                    X + "progress": 0.18,
                }
            },
        ),  # fmt: skip
        statement(V + "seeked", second=3, result={"extensions": {X + "time-from": 41, X + "time-to": 90}}),
        statement(
            ADL + "interacted",
            second=4,
            result={"extensions": {X + "time": 90}},
            context_ext={X + "speed": "1.5x"},
        ),
        statement(
            ADL + "interacted",
            second=5,
            result={"extensions": {X + "time": 91}},
            context_ext={X + "cc-enabled": True, X + "speed": "1.5x"},
        ),
        statement(
            ADL + "completed",
            second=6,
            result={"completion": True, "extensions": {X + "time": 300, X + "played-segments": "0[.]300"}},
            context_ext={X + "length": 300},
        ),  # fmt: skip
        statement(
            ADL + "answered",
            second=7,
            obj={
                "id": "https://lms.example.org/quiz/q7",
                "definition": {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"},
            },
            result={"response": "b", "success": False, "score": {"raw": 1, "min": 0, "max": 4}},
        ),  # fmt: skip
        statement(ADL + "experienced", second=8),
    ]


def test_xapi_array_maps_video_profile_and_answers(tmp_path):
    statements = xapi_statements()
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(statements, indent=1))
    report = events_import(format="xapi", paths=[path])
    assert (report.lines, report.stored, report.bad) == (9, 8, 0)
    assert report.skipped["unmapped verb http://adlnet.gov/expapi/verbs/experienced"] == 1

    learner = User.objects.get(username="u-1234+lms.example.org")
    assert learner.external_source == "xapi" and not learner.has_usable_password()
    events = stored()
    assert [str(e.event_id) for e in events] == [s["id"] for s in statements[:8]]
    assert [e.verb for e in events] == [
        "video.loaded", "video.played", "video.paused", "video.seeked", "video.speed_changed",
        "video.transcript_shown", "video.completed", "quiz.answered",
    ]  # fmt: skip
    assert {e.learner_id for e in events} == {learner.pk} and {e.session_id for e in events} == {"s-77"}
    assert events[0].payload == {"duration": 300, "xapi_verb": "initialized"}
    assert events[2].payload["segments"] == [[0, 12.5], [30, 41]] and events[2].payload["position"] == 41
    assert (events[3].payload["old_time"], events[3].payload["new_time"]) == (41, 90)
    assert events[4].payload == {
        "position": 90, "old_speed": 1.0, "new_speed": 1.5, "old_speed_assumed": True, "xapi_verb": "interacted"
    }  # fmt: skip
    assert events[5].payload["position"] == 91
    assert events[6].payload["segments"] == [[0, 300]] and events[6].payload["duration"] == 300
    quiz = events[7]
    assert quiz.payload == {
        "question": "q7",
        "answer": "b",
        "correct": False,
        "score": 0.25,
        "xapi_verb": "answered",
    }
    course = Course.objects.get(pk=events[0].course_id)
    assert course.external_source == "xapi" and course.title == "https://lms.example.org/course/ml-101"
    assert Activity.objects.get(pk=events[0].activity_id).kind == "video"
    assert Activity.objects.get(pk=quiz.activity_id).kind == "quiz"


def test_xapi_json_lines_hash_emails_and_report_bad_lines(tmp_path):
    with_mbox = statement(
        V + "played",
        second=1,
        result={"extensions": {X + "time": 3}},
        actor={"mbox": "mailto:ada@example.org"},
    )
    with_sha = statement(
        V + "played", second=2, result={"extensions": {X + "time": 4}}, actor={"mbox_sha1sum": "0" * 40}
    )
    no_actor = statement(V + "played", second=3, actor={"name": "Ada"})
    lines = [json.dumps(with_mbox), "{oops", json.dumps(with_sha), json.dumps(no_actor)]
    path = write(tmp_path / "statements.jsonl.gz", lines, gz=True)
    report = events_import(format="xapi", paths=[path])
    assert (report.lines, report.stored, report.bad) == (4, 2, 2)
    assert f"{path}:2: not valid JSON" in report.problems
    assert any(p.startswith(f"{path}:4: actor has no account") for p in report.problems)
    names = set(User.objects.filter(external_source="xapi").values_list("username", "email"))
    assert names == {("sha1-d714b8a95bd857a37405a7b56db9108b60ae42bd", ""), ("sha1-" + "0" * 40, "")}
    assert "example.org" not in json.dumps([e.payload for e in Event.objects.all()])
    # the same file again: nothing new
    assert events_import(format="xapi", paths=[path]).duplicates == 2


def test_played_segments_parse_and_format():
    assert segments_parse("0[.]12.5[,]30[.]41") == [[0, 12.5], [30, 41]]
    assert segments_parse("5[.]2[,]x[.]3[,]7[.]9") == [[7, 9]]  # reversed and malformed parts dropped
    assert segments_format([[0, 12.5], [30.0, 41]]) == "0[.]12.5[,]30[.]41"


# tables ----------------------------------------------------------------------------
def test_assistments_like_csv_gets_synthetic_times_in_order_and_graded_questions(tmp_path):
    path = tmp_path / "skill_builder.csv"
    path.write_text(
        "order_id,assignment_id,user_id,problem_id,correct,skill_name\n"
        "33022537,277618,64525,51424,1,Box and Whisker\n"
        "33022709,277618,64525,51459,0,Box and Whisker;Median\n"
        "35450295,220674,70363,59267,1,Circle Graph\n"
        "33022600,277618,64525,51430,1,Box and Whisker\n"
        ",277618,64525,51999,1,Box and Whisker\n"
        "35450296,220674,,59268,1,Circle Graph\n"
    )
    args = ["import_events", "--format", "table", str(path), "--learner-prefix", "assist-"]
    summary = run(*args, "--course", "assistments-2009")
    assert "events stored:       4" in summary and "bad lines:           2" in summary
    assert f"{path}:6: order is not a number" in summary and f"{path}:7: no learner" in summary
    learner = User.objects.get(username="assist-64525")
    events = stored(learner=learner)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert [e.time for e in events] == [epoch + dt.timedelta(minutes=m) for m in range(3)]
    # each row is one graded question: the problem is the question, the skill the activity
    assert {e.verb for e in events} == {"quiz.graded"} and {e.source for e in events} == {"table"}
    assert [e.payload["questions"] for e in events] == [
        [{"question": "51424", "correct": True}],
        [{"question": "51430", "correct": True}],
        [{"question": "51459", "correct": False}],
    ]  # by order_id
    assert events[2].payload == {
        "attempt": 1,
        "score": 0.0,
        "questions": [{"question": "51459", "correct": False}],
        "concepts": ["Box and Whisker", "Median"],
    }
    course = Course.objects.get(pk=events[0].course_id)
    assert (course.slug, course.title) == ("assistments-2009", "assistments-2009")
    activities = Activity.objects.filter(course=course)
    assert sorted(activities.values_list("slug", "title", "kind")) == [
        ("box-and-whisker", "Box and Whisker", "quiz"),
        ("circle-graph", "Circle Graph", "quiz"),
    ]
    assert {e.activity.slug for e in events} == {"box-and-whisker"}
    again = run(*args, "--course", "assistments-2009")
    assert "events stored:       0" in again and "duplicates:          4" in again
    assert "courses created:     0" in again and "activities created:  0" in again


def test_parquet_table_with_times_and_kinds(tmp_path):
    path = tmp_path / "interactions.parquet"
    frame = pd.DataFrame(
        {
            "Learner": ["l1", "l1", "l1", "l2"],
            "timestamp": pd.to_datetime(
                [
                    "2024-05-01T10:00:00Z",
                    "2024-05-01T10:05:00Z",
                    "2024-05-01T10:09:00Z",
                    "2024-05-02T08:00:00Z",
                ]
            ),
            "item": ["vid-1", "lab-1", "quiz-1", "read-1"],
            "kind": ["video", "lab", "quiz", "reading"],
            "KC": ["loops", "loops;recursion", "recursion", None],
            "score": [None, 0.75, 1.0, None],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame), path)
    report = events_import(format="table", paths=[path])
    assert (report.stored, report.bad) == (4, 0), report.problems
    events = stored()
    assert [e.verb for e in events] == [
        "video.completed",
        "lab.graded",
        "quiz.graded",
        "navigation.page_viewed",
    ]
    assert events[0].time == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert events[0].payload == {"position": 0, "concepts": ["loops"]}
    assert events[1].payload == {"score": 0.75, "tests": [], "concepts": ["loops", "recursion"]}
    assert events[2].payload == {  # a quiz row with a score: one graded question of its concept
        "attempt": 1,
        "score": 1.0,
        "questions": [{"question": "quiz-1", "correct": True}],
        "concepts": ["recursion"],
    }
    assert events[3].payload == {"path": "read-1"}
    kinds = dict(Activity.objects.values_list("slug", "kind"))
    assert kinds == {"vid-1": "video", "lab-1": "lab", "recursion": "quiz", "read-1": "reading"}
    assert Course.objects.values_list("slug", "title").get() == ("interactions", "interactions")


# export ----------------------------------------------------------------------------
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
    events_import(format="edx", paths=[write(tmp_path / "orig.log", edx_lines())])  # and edX-born events
    before = snapshot()
    assert len(before) == 11 + 3 + 5 + 20
    out = tmp_path / "export" / "cairn.log.gz"
    summary = run("export_events", "--format", "edx", "--out", str(out), "--site-url", SITE)
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

    delete_all_events()
    report = events_import(format="edx", paths=[out])
    assert (report.stored, report.duplicates, report.invalid, report.bad) == (len(before), 0, 0, 0)
    assert (report.learners_created, report.courses_created, report.activities_created) == (0, 0, 0)
    assert snapshot() == before
    assert events_import(format="edx", paths=[out]).duplicates == len(before)


def test_xapi_export_has_video_profile_and_stable_ids(tmp_path, native_events):
    first, second = tmp_path / "a.json", tmp_path / "b.jsonl"
    run("export_events", "--format", "xapi", "--out", str(first), "--site-url", SITE)
    run("export_events", "--format", "xapi", "--out", str(second), "--site-url", SITE)
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
        "account": {"homePage": SITE, "name": learner_pseudonym(ada.pk)},
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
    delete_all_events()
    report = events_import(format="xapi", paths=[first], site=SITE)
    assert report.stored == 19 and report.learners_created == report.courses_created == 0, report.summary()
    assert {str(e.event_id) for e in stored()} == ids  # our own event-id extension read back
    back = Event.objects.get(verb="video.paused", learner=ada)
    assert back.payload["segments"] == [[0, 12.5], [30, 41]] and back.course_id == native_events.pk


def test_parquet_export_is_readable_by_pandas(tmp_path, native_events):
    out = tmp_path / "events.parquet"
    summary = run(
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


# commands --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, words",
    [
        (["import_events", "--format", "edx", "/no/such/file.log"], "cannot read /no/such/file.log"),
        (["import_events", "--format", "csv", "x"], "unknown format 'csv'"),
        (["export_events", "--format", "json", "--out", "x"], "unknown format 'json'"),
        (
            ["export_events", "--format", "edx", "--out", "x", "--since", "last tuesday"],
            "--since 'last tuesday' is not an ISO 8601",
        ),
        (["export_events", "--format", "edx", "--out", "x", "--course", "nope"], "unknown course 'nope'"),
        (
            [
                "export_events",
                "--format",
                "edx",
                "--out",
                "x",
                "--since",
                "2025-02-01",
                "--until",
                "2025-01-01",
            ],
            "--until must be later",
        ),
    ],
)
def test_commands_refuse_bad_arguments_clearly(args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)


def test_import_of_a_corrupt_gzip_fails_clearly(tmp_path):
    path = tmp_path / "broken.log.gz"
    path.write_bytes(gzip.compress(("\n".join(edx_lines()) + "\n").encode())[:-30])
    with pytest.raises(CommandError, match="reading failed"):
        run("import_events", "--format", "edx", str(path))


def test_progress_bar_goes_to_stderr(tmp_path):
    path = write(tmp_path / "t.log", edx_lines())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_events", "--format", "edx", str(path), stdout=out, stderr=err)
    assert "import edx" in err.getvalue() and "events stored" in out.getvalue()
