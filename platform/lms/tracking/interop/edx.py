"""Open edX tracking logs (``.log`` / ``.log.gz``, one JSON object a line) to and from
canonical events.

Reading. ``name`` wins over ``event_type``. Browser events carry ``event`` as a JSON
string, server and mobile events as an object; both are read. Every event type of the
Open edX reference ("Events in the Tracking Logs") has a fate, listed type by type in
docs/events.md: it is **mapped** to a canonical verb (``edx_types.EDX_TYPES`` and the prefixes
of ``edx_types.edx_verb``: video, problems, hints, shown answers, navigation, links, page closes,
server page views, searches, textbooks, bookmarks, notes, forums, enrollment,
certificates, completion, polls and surveys, open response assessment) or **passed
through** as ``external.edx`` (``{"edx_type": type, "event": the edX event}``, the event
scrubbed and bounded by ``edx_privacy.passthrough_event``): stored, exported and seen by the model
as one generic action. A browser copy of a server event (``problem_check`` from the
browser, ``problem_graded``, ``problem_show``, ``problem_save``, ``problem_reset``) is
passed through, so the server's event alone carries the verb. A mapped type whose event
lacks what its verb needs (a forum event without a thread id) is passed through too.

Only lines that are no learner activity are left out: lines with no username are
counted as skipped ("anonymous"), lines that are not JSON objects, lack ``time`` or
``event_type``, or whose mapped event is unreadable, as bad with their line number.

Privacy at the door (``edx_privacy.py``): the line's ``ip``, ``agent``, ``referer``, ``host`` and
``accept_language`` are never stored. A page view keeps the device class of the agent
(``device``: desktop, mobile, tablet, app, bot) and the class of the referrer
(``referrer_class``: same-site, search, social, other; ``referrer`` is a key the
scrubber drops). Identity keys (``user_id``, ``username``, ``target_username``, ...) are
dropped from every payload; learner-written text of forum posts and notes is stored as
its length only.

The fields of the edX ``event`` that a mapping does not consume are kept in the payload
(``edx_payloads.py``; seek ``type`` becomes ``kind``; ``edx_type`` records the edX type). The event id is
uuid5 of the line, so a re-import is idempotent, unless the line carries
``context.cairn_event_id`` (our own export): then that id is used and the payload is read
back as it was written, with no ``edx_type`` added.

The activity of an event is found by ``edx_types.event_block_key`` (the usage key of the block it
is about) and ``block_activity`` (that key -> the activity's key and kind): the one place
to change how a usage key becomes an activity.

Writing (``event_to_edx``) is the inverse mapping: reading an exported line back gives
the same canonical event (id, learner, time, verb, session, course, activity, payload).
Verbs with no edX type (the new ones, ``external.edx`` too) are written as
``cairn.<verb>`` events carrying the payload.
"""

from __future__ import annotations

import datetime as dt
import json
import json.scanner
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .edx_payloads import (
    BUILDERS,
    DEACTIVATE_CONSUMED,
    ENROLL_CONSUMED,
    OUTLINE_CONSUMED,
    extras,
    page_path,
    problem_payload,
    put,
    short_text,
    video_payload,
)
from .edx_privacy import device_class, passthrough_event, referrer_class
from .edx_types import (
    BROWSER_COPIES,
    CAIRN_PREFIX,
    CHECK_TYPES,
    EDX_TYPES,
    KIND_BLOCKS,
    NO_ACTIVITY_NAMESPACES,
    OWN_LAYOUT,
    PASS_THROUGH,
    TRACKS,
    VERB_TO_EDX,
    block_activity,
    block_id,
    edx_verb,
    event_block_key,
)
from .naming import stable_id
from .records import STRIP_KEYS, BytesRead, ImportReport, Parsed, open_binary

# json.loads without its per-call overhead (encoding detection, two whitespace regexes):
# the C scanner on a stripped str; a ValueError or StopIteration means invalid JSON.
_scan = json.scanner.make_scanner(json.JSONDecoder())


class EdxReader:
    """Parse the lines of one file into ``Parsed`` records, noting bad and skipped ones."""

    def __init__(self, report: ImportReport, *, learner_prefix: str = "") -> None:
        self.report = report
        self.learner_prefix = learner_prefix
        self._activities: dict[tuple[str, str], tuple[str, str]] = {}  # key, namespace -> block, kind

    def activity(self, key: str, namespace: str) -> tuple[str, str]:
        """``block_activity``, remembered for the 100,000 first keys."""
        known = self._activities.get((key, namespace))
        if known is None:
            known = block_activity(key, namespace)
            if len(self._activities) < 100_000:
                self._activities[(key, namespace)] = known
        return known

    def parse(self, line: bytes, where: str) -> Parsed | None:
        report = self.report
        try:
            text = line.decode("utf-8").strip()
            rec, end = _scan(text, 0)
            if end != len(text):
                raise ValueError("extra data")
        except (ValueError, StopIteration):  # StopIteration: the scanner found no value
            report.bad_line(where, "not valid JSON", "not valid JSON")
            return None
        if not isinstance(rec, dict):
            report.bad_line(where, "not a JSON object", "not a JSON object")
            return None
        etype = rec.get("name") or rec.get("event_type")
        if not etype or not isinstance(etype, str):
            report.bad_line(where, "no event_type", "no event_type")
            return None
        when = rec.get("time")
        if not when or not isinstance(when, str):
            report.bad_line(where, "no time", "no time")
            return None
        username = rec.get("username")
        if not username or not isinstance(username, str):
            report.skip("anonymous (no username)")
            return None
        verb = EDX_TYPES.get(etype) or edx_verb(etype)
        if verb is not None and etype in BROWSER_COPIES and rec.get("event_source") == "browser":
            verb = None  # the server's copy carries the verb
        context = rec.get("context")
        if not isinstance(context, dict):
            context = {}
        event_id = context.get("cairn_event_id")
        faithful = isinstance(event_id, str)
        if not faithful:
            event_id = stable_id(text)
        implicit = etype[0] == "/"
        # a server page view's GET / POST parameters are not kept (our own export's payload is)
        ev = None if implicit and not faithful else rec.get("event")
        if isinstance(ev, str):
            if ev:
                try:
                    decoded, end = _scan(ev, 0)
                    if end != len(ev):
                        raise ValueError("extra data")
                    ev = decoded
                except (ValueError, StopIteration):
                    if verb is not None:
                        report.bad_line(where, f"{etype[:80]}: event is not JSON", "event is not JSON")
                        return None
                    # passed through: the text as it is (problem_check's query string)
            else:
                ev = {}
        if ev is None:
            ev = {}
        if verb is not None and not isinstance(ev, dict):
            report.bad_line(where, f"{etype[:80]}: event is not an object", "event is not an object")
            return None
        if self.learner_prefix:
            username = self.learner_prefix + username
        try:
            parsed_time = dt.datetime.fromisoformat(when)
        except ValueError:
            report.bad_line(where, f"time {when[:40]!r} is not ISO 8601", "time is not ISO 8601")
            return None
        if parsed_time.tzinfo is None:
            when = when + "+00:00"  # edX logs UTC, sometimes without the offset
        module = context.get("module")
        title = module.get("display_name") if isinstance(module, dict) else None
        block = None
        if verb is None:
            verb, namespace = PASS_THROUGH, "external"
        else:
            namespace = verb.split(".", 1)[0]
        evd = ev if isinstance(ev, dict) else {}
        if namespace not in NO_ACTIVITY_NAMESPACES:
            block = event_block_key(namespace, evd, context)
        if faithful and etype.startswith(CAIRN_PREFIX):  # our own verb with no edX type
            payload = extras(evd, STRIP_KEYS)
        elif namespace == "video":
            payload = video_payload(verb, ev)
        elif verb == "quiz.answered" and etype in CHECK_TYPES:
            payload, problem = problem_payload(ev)
            if block is None:
                block = problem
            if "question" not in payload and block:
                payload["question"] = block_id(block)[:80]
        elif verb == "navigation.page_viewed" and etype != "edx.course.tool.accessed":
            payload = extras(ev, STRIP_KEYS)
            if implicit:
                path = etype[:500]
            else:
                path = page_path(rec.get("page"))
                if path is None:
                    path = ev.get("id") if isinstance(ev.get("id"), str) else ""
            payload["path"] = path
        elif verb == "navigation.outline_selected":
            payload = extras(ev, OUTLINE_CONSUMED | {"current_url", "target_name"})
            put(payload, "target", ev.get("target_url"))
            put(payload, "target_name", short_text(ev.get("target_name")))
        elif verb == "enrollment.activated":
            payload = extras(ev, ENROLL_CONSUMED)
            mode = ev.get("mode") if isinstance(ev.get("mode"), str) else "external"
            payload["track"] = TRACKS.get(mode, "external")
            if mode != payload["track"]:
                payload["mode"] = mode
        elif verb == "enrollment.deactivated":
            payload = extras(ev, DEACTIVATE_CONSUMED)
        elif verb == PASS_THROUGH:
            payload = {"event": passthrough_event(ev)}
        else:
            built = BUILDERS[verb](etype, ev, rec) if verb in BUILDERS else None
            if built is None:  # the event lacks what its verb needs: kept as it came
                verb, namespace = PASS_THROUGH, "external"
                built = {"event": passthrough_event(ev)}
            payload = built
        if verb == "navigation.page_viewed":  # classes only: never the agent or the referring URL
            put(payload, "device", device_class(rec.get("agent")))
            put(payload, "referrer_class", referrer_class(rec.get("referer"), rec.get("host")))
        if not faithful or (verb == PASS_THROUGH and "edx_type" not in payload):
            payload["edx_type"] = etype[:200]

        course = context.get("course_id") or evd.get("course_id")
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
        if block:
            activity, kind = self.activity(block, namespace)
        return Parsed(username, raw, where, course, activity, kind, title if isinstance(title, str) else None)

    def read(self, path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Parsed]:
        stream, raw = open_binary(path)
        report, parse, name = self.report, self.parse, str(path)
        bytes_read = BytesRead(raw, progress)
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
                    bytes_read()
            bytes_read()


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
    if etype is not None and isinstance(named, str) and edx_verb(named) == verb and named not in OWN_LAYOUT:
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
