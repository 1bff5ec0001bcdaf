"""Our xAPI statements checked by a peer: Ralph, the Open edX LRS (``ralph-malph``).

Every statement whose kind Ralph models (its Video, LMS and navigation profiles) must
validate against THAT model, and Ralph's own model selection must pick it; every other
statement must validate against Ralph's base xAPI 1.0.3 statement. Two sources:

- one statement per canonical verb, from the smallest and the fullest payload its schema
  allows (``vocabulary.PAYLOAD_SCHEMAS``), so a new verb is checked the day it is added;
- an Open edX tracking log imported with ``import_events --format edx`` and exported with
  ``export_events --format xapi``: the path an institution's history takes.

``test_ralph_converter_agrees`` runs Ralph's own edX -> xAPI converter on the same edX
events as ours and checks where the two must agree; docs/interop.md lists where they
differ and why.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from pydantic import ValidationError
from ralph.exceptions import UnknownEventException
from ralph.models.selector import ModelSelector
from ralph.models.validator import Validator
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.lms.statements import LMSRegisteredCourse, LMSUnregisteredCourse
from ralph.models.xapi.navigation.statements import PageTerminated, PageViewed
from ralph.models.xapi.video.statements import (
    VideoCompleted,
    VideoEnableClosedCaptioning,
    VideoInitialized,
    VideoPaused,
    VideoPlayed,
    VideoSeeked,
)

from lms.tracking.interop import events_import
from lms.tracking.interop.naming import site_url
from lms.tracking.interop.xapi_statements import event_to_statement
from lms.tracking.models import Event
from lms.tracking.vocabulary import PAYLOAD_SCHEMAS, VERBS
from tests.platform.lms.tracking.importing import fresh_catalog_index  # noqa: F401

SITE = "https://cairn.example"
# The canonical verbs whose statements Ralph models, and the model each must satisfy.
RALPH_MODELS = {
    "video.loaded": VideoInitialized,
    "video.played": VideoPlayed,
    "video.paused": VideoPaused,
    "video.seeked": VideoSeeked,
    "video.completed": VideoCompleted,
    "video.transcript_shown": VideoEnableClosedCaptioning,
    "video.transcript_hidden": VideoEnableClosedCaptioning,
    "enrollment.activated": LMSRegisteredCourse,
    "enrollment.deactivated": LMSUnregisteredCourse,
    "navigation.page_viewed": PageViewed,
    "navigation.page_closed": PageTerminated,
}
SELECTOR = ModelSelector(module="ralph.models.xapi")
VALIDATOR = Validator(SELECTOR)


def check(statement: dict[str, Any], verb: str) -> str:
    """The Ralph model ``statement`` satisfies (name), or raise with Ralph's reason."""
    expected = RALPH_MODELS.get(verb)
    if expected is None:
        BaseXapiStatement(**statement)
        return "base"
    expected(**statement)
    chosen = VALIDATOR.get_first_valid_model(json.loads(json.dumps(statement)))
    assert type(chosen) is expected, f"{verb}: Ralph picks {type(chosen).__name__}"
    return expected.__name__


def instance(schema: dict[str, Any], *, full: bool) -> Any:
    """The smallest value ``schema`` allows, or (``full``) one with every optional key."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        keys = list(schema.get("properties", {})) if full else schema.get("required", [])
        return {key: instance(schema["properties"][key], full=full) for key in keys}
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", low + 10)
        value = min(max(low, 1), high)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items", {})
        return [instance(items, full=full)] * (
            schema.get("minItems", 1) if full else schema.get("minItems", 0)
        )
    return "x" * max(1, schema.get("minLength", 1))


def statement_for(verb: str, payload: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    namespace = verb.split(".")[0]
    kind = namespace if namespace in ("video", "quiz", "lab") else "reading"
    arguments = dict(
        event_id="8f1c4c2e-7a0f-4c61-9d3b-2a1e0e7c9b11",
        pseudonym="p-3f2a9c",
        time=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
        verb=verb,
        session="tab-7c1e",
        course="dl-1",
        course_title="Neural Networks and Deep Learning",
        activity=None if namespace in ("enrollment", "navigation") else "w1-intro",
        activity_kind=kind,
        activity_title="Welcome",
        payload=payload,
        site=SITE,
        video_length=312.0,
    )
    return event_to_statement(**{**arguments, **overrides})


@pytest.mark.parametrize("full", [False, True], ids=["smallest", "fullest"])
@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_validates_in_ralph(verb, full):
    payload = instance(PAYLOAD_SCHEMAS[verb], full=full)
    if "segments" in payload:
        payload["segments"] = [[0.0, 1.0]]
    check(statement_for(verb, payload), verb)


def test_video_statements_without_a_known_length_use_the_event_duration():
    """The profile requires a length on paused and completed: the event's own duration
    first, then the video's (``video_length``)."""
    paused = statement_for("video.paused", {"position": 40.0, "duration": 95.5}, video_length=None)
    assert paused["context"]["extensions"]["https://w3id.org/xapi/video/extensions/length"] == 95.5
    check(paused, "video.paused")
    with pytest.raises(ValidationError):  # no length anywhere: Ralph says so
        VideoPaused(**statement_for("video.paused", {"position": 40.0}, video_length=None))


def test_session_ids_are_uuids_and_read_back_as_ours():
    from lms.tracking.interop.records import ImportReport
    from lms.tracking.interop.xapi import XapiReader

    statement = statement_for("video.played", {"position": 3.0})
    extensions = statement["context"]["extensions"]
    session_id = extensions["https://w3id.org/xapi/video/extensions/session-id"]
    assert len(session_id) == 36 and session_id != "tab-7c1e"
    parsed = XapiReader(ImportReport("xapi"), site=SITE).parse(statement, "statement 1")
    assert parsed is not None and parsed.event["session"] == "tab-7c1e"
    assert parsed.event["verb"] == "video.played" and parsed.event["payload"]["position"] == 3.0


def test_a_statement_ralph_does_not_model_is_still_base_xapi():
    """Speed changes follow the Video Profile (``interacted`` + ``speed``), which Ralph
    does not model: its three ``interacted`` models refuse it, base xAPI accepts it."""
    statement = statement_for("video.speed_changed", {"position": 3.0, "old_speed": 1.0, "new_speed": 1.5})
    BaseXapiStatement(**statement)
    with pytest.raises((ValidationError, UnknownEventException)):
        VALIDATOR.get_first_valid_model(statement)


# --------------------------------------------------------------------- an imported log
@pytest.mark.django_db
def test_an_imported_edx_log_exports_statements_ralph_accepts(tmp_path, fresh_catalog_index):  # noqa: F811
    """Every documented edX event type (``edx_reference``), imported, then exported as
    xAPI: each statement validates as ``check`` demands, and the Ralph-modelled kinds are
    all there."""
    from tests.platform.lms.tracking.edx_reference import reference_lines

    log = tmp_path / "tracking.log"
    log.write_text("\n".join(reference_lines()) + "\n", encoding="utf-8")
    report = events_import(format="edx", paths=[log])
    assert report.stored > 200
    out = tmp_path / "statements.jsonl"
    call_command(
        "export_events", "--format", "xapi", "--out", str(out), "--no-progress", stdout=io.StringIO()
    )

    verbs = {str(e.event_id): e.verb for e in Event.objects.all()}
    seen: Counter = Counter()
    failures = []
    for line in out.read_text(encoding="utf-8").splitlines():
        statement = json.loads(line)
        verb = verbs[statement["context"]["extensions"][f"{site_url()}/xapi/extensions/event-id"]]
        try:
            seen[check(statement, verb)] += 1
        except (ValidationError, AssertionError, UnknownEventException) as exc:
            failures.append(f"{verb}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures[:10])
    assert sum(seen.values()) == report.stored
    modelled = {model.__name__ for model in RALPH_MODELS.values()}
    assert modelled <= set(seen), modelled - set(seen)


# ------------------------------------------------------------ beside Ralph's converter
COURSE_KEY = "course-v1:DeepLearn+NN101+2026"
VIDEO_ID = "0b9e39477cf34507a7a48f74be381fdd"
PAGE = f"https://courses.example.org/courses/{COURSE_KEY}/courseware/w1/intro/"


def _edx(event_type: str, source: str, event: Any, path: str, **extra: Any) -> dict[str, Any]:
    """One tracking-log line, with the common fields of the Open edX reference."""
    line = {
        "username": "ada_l", "ip": "203.0.113.7", "agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "host": "courses.example.org", "referer": PAGE, "accept_language": "en-US,en;q=0.9",
        "context": {"user_id": 42, "org_id": "DeepLearn", "course_id": COURSE_KEY, "path": path,
                    "course_user_tags": {}},
        "time": "2026-03-02T09:30:00.123456+00:00", "event_type": event_type,
        "event_source": source, "event": event, "page": None, **extra,
    }  # fmt: skip
    if source == "browser":
        line.update(
            session="c1a5e0b7f3d24e8e9d6a0b1c2d3e4f50", page=PAGE, name=line.get("name") or event_type
        )
    return line


def _video(event_type: str, name: str, **fields: Any) -> dict[str, Any]:
    return _edx(event_type, "browser", {"id": VIDEO_ID, "code": "html5", "duration": 312.0, **fields}, "/event",
                name=name)  # fmt: skip


# The edX types both converters handle (Ralph 5.1: ralph.models.edx.converters.xapi).
SHARED_TYPES = [
    _edx("edx.course.enrollment.activated", "server", {"course_id": COURSE_KEY, "user_id": 42, "mode": "verified"},
         "/api/enrollment/v1/enrollment"),
    _edx("edx.course.enrollment.deactivated", "server",
         {"course_id": COURSE_KEY, "user_id": 42, "mode": "verified"}, "/api/enrollment/v1/enrollment"),
    _edx(f"/courses/{COURSE_KEY}/courseware/w1/intro/", "server", {"GET": {}, "POST": {}},
         f"/courses/{COURSE_KEY}/courseware/w1/intro/"),
    _edx("page_close", "browser", "", "/event"),
    _video("load_video", "edx.video.loaded"),
    _video("play_video", "edx.video.played", currentTime=12.5),
    _video("pause_video", "edx.video.paused", currentTime=40.0),
    _video("seek_video", "edx.video.position.changed", old_time=40.0, new_time=100.0, type="onSlideSeek"),
    _video("stop_video", "edx.video.stopped", currentTime=312.0),
]  # fmt: skip


def _ralph(line: dict[str, Any]) -> dict[str, Any]:
    from ralph.models.converter import Converter

    converter = Converter(
        model_selector=ModelSelector(module="ralph.models.edx"),
        platform_url="https://courses.example.org",
        uuid_namespace="ee241f8b-174f-5bdb-a7f0-55ca7e2f6d47",
    )
    (statement,) = converter.convert(
        io.StringIO(json.dumps(line) + "\n"), ignore_errors=False, fail_on_unknown=True
    )
    return json.loads(statement)


def _cairn(line: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from lms.tracking.interop.edx import EdxReader
    from lms.tracking.interop.records import ImportReport

    as_logged = {
        **line,
        "event": json.dumps(line["event"]) if isinstance(line["event"], dict) else line["event"],
    }
    parsed = EdxReader(ImportReport("edx")).parse(json.dumps(as_logged).encode(), "line 1")
    assert parsed is not None
    event = parsed.event
    statement = event_to_statement(
        event_id=event["id"], pseudonym="p-3f2a9c", time=dt.datetime.fromisoformat(event["time"]),
        verb=event["verb"], session=event["session"], course=parsed.course, course_title=None,
        activity=parsed.activity, activity_kind=parsed.kind, activity_title=parsed.title,
        payload=event["payload"], site="https://courses.example.org",
    )  # fmt: skip
    return event["verb"], statement


def _ext(statement: dict[str, Any], block: str) -> dict[str, Any]:
    return (statement.get(block) or {}).get("extensions") or {}


@pytest.mark.parametrize("line", SHARED_TYPES, ids=[line["event_type"][:40] for line in SHARED_TYPES])
def test_ralph_converter_agrees(line):
    """Ralph's converter (given the ``event`` as an object: it cannot read the JSON string
    that real browser lines carry) and ours, on the same edX line, produce statements of
    the same Ralph model, verb, object type, time and video positions. Where they differ
    (object IRIs, the actor, the video length, ``stop_video``) is in docs/interop.md."""
    ralph = _ralph(line)
    verb, ours = _cairn(line)
    assert dt.datetime.fromisoformat(ours["timestamp"]) == dt.datetime.fromisoformat(ralph["timestamp"])
    assert ours["object"]["definition"]["type"] == ralph["object"]["definition"]["type"]
    video = "https://w3id.org/xapi/video/extensions/"
    for key in ("time", "time-from", "time-to"):
        assert _ext(ours, "result").get(video + key) == _ext(ralph, "result").get(video + key)
    if line["event_type"] == "stop_video":
        # Ralph: "terminated" with progress 0.0; ours: paused at the end (coverage counts it).
        assert verb == "video.paused" and ralph["verb"]["id"].endswith("/terminated")
        return
    assert ours["verb"]["id"] == ralph["verb"]["id"]
    model = type(VALIDATOR.get_first_valid_model(ralph))
    assert check(ours, verb) == model.__name__
    if "session-id" in str(ralph):
        assert _ext(ours, "context")[video + "session-id"] == _ext(ralph, "context")[video + "session-id"]
    if video + "length" in _ext(ralph, "context"):  # Ralph writes 0.0: the edX event's own duration is ours
        assert _ext(ralph, "context")[video + "length"] == 0.0
        assert _ext(ours, "context")[video + "length"] == 312.0
    assert "Mozilla" not in json.dumps(ours) and "203.0.113.7" not in json.dumps(ours)
