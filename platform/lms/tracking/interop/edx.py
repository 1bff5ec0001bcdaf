"""Open edX tracking logs (``.log`` / ``.log.gz``, one JSON object a line) to and from
canonical events.

Reading. ``name`` wins over ``event_type``. Browser events carry ``event`` as a JSON
string, server and mobile events as an object; both are read. The mapped types:

===============================================  ==============================
edX type                                         canonical verb
===============================================  ==============================
load_video, edx.video.loaded                     video.loaded
play_video, edx.video.played                     video.played
pause_video, stop_video, edx.video.paused/.stopped  video.paused
seek_video, edx.video.position.changed           video.seeked (old_time, new_time, kind)
speed_change_video                               video.speed_changed
complete_video, edx.video.completed              video.completed
show_transcript / hide_transcript (+ mobile)     video.transcript_shown / _hidden
problem_check (server source only)               quiz.answered
seq_goto, seq_next, seq_prev, edx.ui.lms.sequence.*  navigation.page_viewed
edx.ui.lms.outline.selected                      navigation.outline_selected
edx.course.enrollment.activated / .deactivated   enrollment.activated / .deactivated
cairn.<verb> (written by our own exporter)       <verb>
===============================================  ==============================

Any other type is counted as skipped, never an error; lines that are not JSON objects or
lack ``time``/``event_type`` are counted as bad with their line number. The fields of
the edX ``event`` that the mapping does not consume are kept in the payload (seek
``type`` becomes ``kind``; ``edx_type`` records the edX type) except identity fields,
which are stripped. The event id is uuid5 of the line, so a re-import is idempotent,
unless the line carries ``context.cairn_event_id`` (our own export): then that id is
used and the payload is read back as it was written, with no ``edx_type`` added.

Writing (``event_to_edx``) is the inverse mapping: reading an exported line back gives
the same canonical event (id, learner, time, verb, session, course, activity, payload).
Verbs with no edX type are written as ``cairn.<verb>`` events carrying the payload.
"""

from __future__ import annotations

import datetime as dt
import json
import json.scanner
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lms.tracking.vocabulary import VERBS

from .common import STRIP_KEYS, ImportReport, Parsed, number, open_binary, stable_id

VIDEO_TYPES = {
    "load_video": "video.loaded",
    "edx.video.loaded": "video.loaded",
    "play_video": "video.played",
    "edx.video.played": "video.played",
    "pause_video": "video.paused",
    "stop_video": "video.paused",
    "edx.video.paused": "video.paused",
    "edx.video.stopped": "video.paused",
    "seek_video": "video.seeked",
    "edx.video.position.changed": "video.seeked",
    "speed_change_video": "video.speed_changed",
    "complete_video": "video.completed",
    "edx.video.completed": "video.completed",
    "show_transcript": "video.transcript_shown",
    "edx.video.transcript.shown": "video.transcript_shown",
    "edx.video.closed_captions.shown": "video.transcript_shown",
    "hide_transcript": "video.transcript_hidden",
    "edx.video.transcript.hidden": "video.transcript_hidden",
    "edx.video.closed_captions.hidden": "video.transcript_hidden",
}
EDX_TYPES: dict[str, str] = {
    **VIDEO_TYPES,
    "problem_check": "quiz.answered",
    "seq_goto": "navigation.page_viewed",
    "seq_next": "navigation.page_viewed",
    "seq_prev": "navigation.page_viewed",
    "edx.ui.lms.outline.selected": "navigation.outline_selected",
    "edx.course.enrollment.activated": "enrollment.activated",
    "edx.course.enrollment.deactivated": "enrollment.deactivated",
}
SEQUENCE_PREFIX = "edx.ui.lms.sequence."
CAIRN_PREFIX = "cairn."
# The edX type written for each verb (unless the payload's edx_type names another of it).
VERB_TO_EDX = {
    "video.loaded": "load_video",
    "video.played": "play_video",
    "video.paused": "pause_video",
    "video.seeked": "seek_video",
    "video.speed_changed": "speed_change_video",
    "video.completed": "complete_video",
    "video.transcript_shown": "show_transcript",
    "video.transcript_hidden": "hide_transcript",
    "quiz.answered": "problem_check",
    "navigation.page_viewed": "seq_goto",
    "navigation.outline_selected": "edx.ui.lms.outline.selected",
    "enrollment.activated": "edx.course.enrollment.activated",
    "enrollment.deactivated": "edx.course.enrollment.deactivated",
}
# edX enrollment modes -> Cairn tracks; a mode that is not itself a track is kept as "mode".
TRACKS = {
    "audit": "audit",
    "honor": "audit",
    "verified": "verified",
    "professional": "verified",
    "no-id-professional": "verified",
    "credit": "verified",
    "masters": "verified",
    "executive-education": "verified",
    "external": "external",
}
# usage-key block types <-> Cairn activity kinds
BLOCK_KINDS = {"video": "video", "problem": "quiz", "lab": "lab", "html": "reading", "reading": "reading"}
KIND_BLOCKS = {"video": "video", "quiz": "problem", "lab": "lab", "reading": "html"}
NAMESPACE_KINDS = {"video": "video", "quiz": "quiz", "lab": "lab"}  # verb namespace -> kind

_POSITION = ("currentTime", "current_time")
_VIDEO_CONSUMED = frozenset({"id", "module_id", *_POSITION}) | STRIP_KEYS
_SEEK_CONSUMED = _VIDEO_CONSUMED | {"old_time", "new_time", "type"}
_SPEED_CONSUMED = _VIDEO_CONSUMED | {"old_speed", "new_speed"}
_PROBLEM_CONSUMED = STRIP_KEYS | {"problem_id", "answers", "success", "attempts", "state"}
_OUTLINE_CONSUMED = STRIP_KEYS | {"target_url"}
_ENROLL_CONSUMED = STRIP_KEYS | {"course_id", "mode"}
_DEACTIVATE_CONSUMED = STRIP_KEYS | {"course_id"}
# json.loads without its per-call overhead (encoding detection, two whitespace regexes):
# the C scanner on a stripped str; a ValueError or StopIteration means invalid JSON.
_scan = json.scanner.make_scanner(json.JSONDecoder())
_I4X_HTML_ID = re.compile(r"^i4x-[^-]+-[^-]+-([a-z]+)-(.+)$")
_SITE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")


def block_id(key: str) -> str:
    """The block part of a usage key or an HTML element id: ``block-v1:O+C+R+type@video+
    block@abc`` -> ``abc``; ``i4x://O/C/video/abc`` -> ``abc``; ``i4x-O-C-video-abc`` -> ``abc``."""
    if "block@" in key:
        return key.rsplit("block@", 1)[1]
    if key.startswith("i4x://"):
        return key.rstrip("/").rsplit("/", 1)[1]
    match = _I4X_HTML_ID.match(key)
    return match.group(2) if match else key


def block_type(key: str) -> str | None:
    if "type@" in key:
        return key.split("type@", 1)[1].split("+", 1)[0]
    if key.startswith("i4x://"):
        parts = key.split("/")
        return parts[4] if len(parts) > 5 else None
    match = _I4X_HTML_ID.match(key)
    return match.group(1) if match else None


def edx_verb(etype: str) -> str | None:
    """The canonical verb of an edX event type, or None for the types not read."""
    verb = EDX_TYPES.get(etype)
    if verb is None:
        if etype.startswith(SEQUENCE_PREFIX):
            return "navigation.page_viewed"
        if etype.startswith(CAIRN_PREFIX) and etype[len(CAIRN_PREFIX) :] in VERBS:
            return etype[len(CAIRN_PREFIX) :]
    return verb


def _extras(event: dict, consumed: frozenset) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in consumed}


def _position(event: dict) -> Any:
    value = event.get("currentTime")
    return number(value if value is not None else event.get("current_time"))


def _put(payload: dict, key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


# edX event -> payload, one builder per verb -------------------------------------------
def _video_payload(verb: str, ev: dict) -> dict[str, Any]:
    if verb == "video.seeked":
        payload = _extras(ev, _SEEK_CONSUMED)
        _put(payload, "old_time", number(ev.get("old_time")))
        _put(payload, "new_time", number(ev.get("new_time")))
        _put(payload, "kind", ev.get("type"))
        return payload
    if verb == "video.speed_changed":
        payload = _extras(ev, _SPEED_CONSUMED)
        _put(payload, "position", _position(ev))
        _put(payload, "old_speed", number(ev.get("old_speed")))
        _put(payload, "new_speed", number(ev.get("new_speed")))
        return payload
    payload = _extras(ev, _VIDEO_CONSUMED)
    if verb != "video.loaded":
        position = _position(ev)
        if position is None and verb == "video.completed":
            position = number(ev.get("duration"))
        _put(payload, "position", position)
    return payload


def _problem_payload(ev: dict) -> tuple[dict[str, Any], str | None]:
    payload = _extras(ev, _PROBLEM_CONSUMED)
    problem = ev.get("problem_id")
    question = block_id(problem)[:80] if isinstance(problem, str) and problem else None
    answers = ev.get("answers")
    if isinstance(answers, dict) and len(answers) == 1:
        answers = next(iter(answers.values()))
    payload["answer"] = answers
    success = ev.get("success")
    if success in ("correct", "incorrect"):
        payload["correct"] = success == "correct"
    attempts = ev.get("attempts")
    if isinstance(attempts, int) and not isinstance(attempts, bool):
        payload["attempt"] = attempts
    if "score" not in payload:
        grade, max_grade = number(ev.get("grade")), number(ev.get("max_grade"))
        if grade is not None and max_grade:
            payload["score"] = min(max(grade / max_grade, 0.0), 1.0)
    if question is not None:
        payload["question"] = question
    return payload, problem if isinstance(problem, str) else None


def _page_path(page: Any) -> str | None:
    if not isinstance(page, str) or not page:
        return None
    return _SITE.sub("", page)[:500]


class EdxReader:
    """Parse the lines of one file into ``Parsed`` records, noting bad and skipped ones."""

    def __init__(self, report: ImportReport, *, learner_prefix: str = "") -> None:
        self.report = report
        self.learner_prefix = learner_prefix
        self._activities: dict[tuple[str, str], tuple[str, str]] = {}  # key, namespace -> block, kind

    def parse(self, line: bytes, where: str) -> Parsed | None:
        report = self.report
        try:
            text = line.decode("utf-8").strip()
            rec, end = _scan(text, 0)
            if end != len(text):
                raise ValueError("extra data")
        except (ValueError, StopIteration):  # StopIteration: the scanner found no value
            report.bad_line(where, "not valid JSON")
            return None
        if not isinstance(rec, dict):
            report.bad_line(where, "not a JSON object")
            return None
        etype = rec.get("name") or rec.get("event_type")
        if not etype or not isinstance(etype, str):
            report.bad_line(where, "no event_type")
            return None
        when = rec.get("time")
        if not when or not isinstance(when, str):
            report.bad_line(where, "no time")
            return None
        verb = EDX_TYPES.get(etype) or edx_verb(etype)
        if verb is None:
            report.skip(f"unmapped type {'(URL path)' if etype[0] == '/' else etype[:80]}")
            return None
        ev = rec.get("event")
        source = rec.get("event_source")
        if verb == "quiz.answered" and (source == "browser" or not isinstance(ev, dict)):
            report.skip("problem_check from the browser (ignored; the server one is read)")
            return None
        if isinstance(ev, str):
            if ev:
                try:
                    decoded, end = _scan(ev, 0)
                    if end != len(ev):
                        raise ValueError("extra data")
                    ev = decoded
                except (ValueError, StopIteration):
                    report.bad_line(where, f"{etype}: event is not JSON")
                    return None
            else:
                ev = {}
        if ev is None:
            ev = {}
        if not isinstance(ev, dict):
            report.bad_line(where, f"{etype}: event is not an object")
            return None
        username = rec.get("username")
        if not username or not isinstance(username, str):
            report.skip("anonymous (no username)")
            return None
        if self.learner_prefix:
            username = self.learner_prefix + username
        try:
            parsed_time = dt.datetime.fromisoformat(when)
        except ValueError:
            report.bad_line(where, f"time {when[:40]!r} is not ISO 8601")
            return None
        if parsed_time.tzinfo is None:
            when = when + "+00:00"  # edX logs UTC, sometimes without the offset
        context = rec.get("context")
        if not isinstance(context, dict):
            context = {}
        event_id = context.get("cairn_event_id")
        faithful = isinstance(event_id, str)
        if not faithful:
            event_id = stable_id(text)

        module = context.get("module")
        usage_key = module.get("usage_key") if isinstance(module, dict) else None
        title = module.get("display_name") if isinstance(module, dict) else None
        activity_key = usage_key if isinstance(usage_key, str) and usage_key else None
        namespace = verb.split(".", 1)[0]
        if namespace == "video":
            payload = _video_payload(verb, ev)
            if activity_key is None:
                video = ev.get("id") or ev.get("module_id")
                activity_key = video if isinstance(video, str) and video else None
        elif verb == "quiz.answered":
            payload, problem = _problem_payload(ev)
            if activity_key is None:
                activity_key = problem
            if "question" not in payload and activity_key:
                payload["question"] = block_id(activity_key)[:80]
        elif verb == "navigation.page_viewed":
            payload = _extras(ev, STRIP_KEYS)
            path = _page_path(rec.get("page"))
            if path is None:
                path = ev.get("id") if isinstance(ev.get("id"), str) else ""
            payload["path"] = path
        elif verb == "navigation.outline_selected":
            payload = _extras(ev, _OUTLINE_CONSUMED)
            _put(payload, "target", ev.get("target_url"))
        elif verb == "enrollment.activated":
            payload = _extras(ev, _ENROLL_CONSUMED)
            mode = ev.get("mode") if isinstance(ev.get("mode"), str) else "external"
            payload["track"] = TRACKS.get(mode, "external")
            if mode != payload["track"]:
                payload["mode"] = mode
            activity_key = None
        elif verb == "enrollment.deactivated":
            payload = _extras(ev, _DEACTIVATE_CONSUMED)
            activity_key = None
        else:  # cairn.<verb>: the payload as written
            payload = _extras(ev, STRIP_KEYS)
        if not faithful:
            payload["edx_type"] = etype

        course = context.get("course_id") or ev.get("course_id")
        course = course if isinstance(course, str) and course else None
        session = rec.get("session")
        raw = {
            "id": event_id,
            "time": when,
            "verb": verb,
            "session": session if isinstance(session, str) and len(session) <= 64 else "",
            "payload": payload,
        }
        if course is None:
            return Parsed(username, raw, where)
        activity = kind = None
        if activity_key:
            known = self._activities.get((activity_key, namespace))
            if known is None:
                kind = BLOCK_KINDS.get(block_type(activity_key) or "")
                known = (block_id(activity_key)[:200], kind or NAMESPACE_KINDS.get(namespace, "reading"))
                if len(self._activities) < 100_000:
                    self._activities[(activity_key, namespace)] = known
            activity, kind = known
        return Parsed(username, raw, where, course, activity, kind, title if isinstance(title, str) else None)

    def read(self, path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Parsed]:
        stream, raw = open_binary(path)
        report, parse, name = self.report, self.parse, str(path)
        last = 0
        with raw, stream:
            for lineno, line in enumerate(stream, 1):
                report.lines += 1
                if not line.strip():
                    report.lines -= 1
                    continue
                parsed = parse(line, f"{name}:{lineno}")
                if parsed is not None:
                    yield parsed
                if progress is not None and not lineno % 5000:
                    position = raw.tell()
                    progress(position - last)
                    last = position
            if progress is not None:
                progress(raw.tell() - last)


# canonical event -> edX line ------------------------------------------------------
def _usage_key(course: str, activity: str, kind: str | None) -> str:
    return f"block-v1:cairn+{course}+run+type@{KIND_BLOCKS.get(kind or '', 'html')}+block@{activity}"


def event_to_edx(
    *,
    event_id: str,
    username: str,
    time: dt.datetime,
    verb: str,
    session: str,
    course: str | None,
    activity: str | None,
    activity_kind: str | None,
    activity_title: str | None,
    payload: dict[str, Any],
    site: str,
) -> dict[str, Any]:
    """The edX tracking-log record of one canonical event (see the module docstring)."""
    payload = dict(payload)
    etype = VERB_TO_EDX.get(verb)
    named = payload.get("edx_type")
    if etype is not None and isinstance(named, str) and edx_verb(named) == verb:
        etype = named
    if etype is None:
        etype = CAIRN_PREFIX + verb
    server = verb.startswith("enrollment.") or verb == "quiz.answered" or etype.startswith(CAIRN_PREFIX)
    context: dict[str, Any] = {"course_id": course or "", "org_id": "cairn", "path": "/event"}
    if course and activity:
        context["module"] = {
            "usage_key": _usage_key(course, activity, activity_kind),
            "display_name": activity_title or activity,
        }
    context["cairn_event_id"] = event_id
    page = None
    namespace = verb.split(".", 1)[0]

    if etype.startswith(CAIRN_PREFIX):
        ev = payload
    elif namespace == "video":
        ev = {"id": activity} if activity else {}
        if verb == "video.seeked":
            ev["old_time"] = payload.pop("old_time", None)
            ev["new_time"] = payload.pop("new_time", None)
            if "kind" in payload:
                ev["type"] = payload.pop("kind")
        elif verb == "video.speed_changed":
            ev["current_time"] = payload.pop("position", None)
            ev["old_speed"] = payload.pop("old_speed", None)
            ev["new_speed"] = payload.pop("new_speed", None)
        elif "position" in payload:
            ev["currentTime"] = payload.pop("position")
        ev.update(payload)
    elif verb == "quiz.answered":
        question = payload.pop("question", None) or activity or "problem"
        answer = payload.pop("answer", None)
        ev = {
            "problem_id": _usage_key(course or "cairn", question, "quiz"),
            "answers": {f"{question}_2_1": answer},
        }
        if "correct" in payload:
            ev["success"] = "correct" if payload.pop("correct") else "incorrect"
        if "attempt" in payload:
            ev["attempts"] = payload.pop("attempt")
        ev.update(payload)
    elif verb == "navigation.page_viewed":
        path = payload.pop("path", "")
        page = f"{site.rstrip('/')}{path}" if path.startswith("/") else path
        ev = payload
    elif verb == "navigation.outline_selected":
        ev = {"target_url": payload.pop("target", None), **payload}
    elif verb == "enrollment.activated":
        track = payload.pop("track", "external")
        ev = {"course_id": course or "", "mode": payload.pop("mode", track), **payload}
    else:  # enrollment.deactivated
        ev = {"course_id": course or "", **payload}
    return {
        "username": username,
        "event_type": etype,
        "name": etype,
        "event_source": "server" if server else "browser",
        "time": time.astimezone(dt.UTC).isoformat(),
        "session": session,
        "page": page,
        "context": context,
        "event": ev if server else json.dumps(ev, separators=(",", ":")),
    }
