"""Import of xAPI statements (a JSON array, JSON lines): the Video Profile, answers, hashed
e-mails, bad lines, played segments."""

from __future__ import annotations

import json
import uuid

import pytest

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.interop import events_import
from lms.tracking.interop.xapi_vocabulary import segments_format, segments_parse
from lms.tracking.models import Event
from tests.platform.lms.tracking.importing import fresh_catalog_index  # noqa: F401
from tests.platform.lms.tracking.interop_helpers import (
    ADL,
    V,
    X,
    at,
    stored,
    write,
)

pytestmark = pytest.mark.django_db


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
