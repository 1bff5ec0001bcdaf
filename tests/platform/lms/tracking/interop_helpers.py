"""Fixture lines and helpers of the interop tests (``test_interop*.py``): small Open
edX log lines shaped like the real ones, the commands as an analyst runs them, and the
stored events read back."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json

from django.core.management import call_command
from django.db import connection

from lms.tracking.models import Event

COURSE = "course-v1:MITx+6.00x+2016_T1"
VIDEO = "0b9e39477cf34507a7a48f74be381fdd"
VIDEO_KEY = f"block-v1:MITx+6.00x+2016_T1+type@video+block@{VIDEO}"
PROBLEM_KEY = "block-v1:MITx+6.00x+2016_T1+type@problem+block@p1"
SEQUENCE_KEY = "block-v1:MITx+6.00x+2016_T1+type@sequential+block@s1"
SITE = "https://cairn.example"
# xAPI IRIs: Video Profile verbs, ADL verbs, Video Profile extensions
V = "https://w3id.org/xapi/video/verbs/"
ADL = "http://adlnet.gov/expapi/verbs/"
X = "https://w3id.org/xapi/video/extensions/"


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
