"""xAPI statements (a JSON array, or JSON lines; optionally gzipped) to and from
canonical events, with the xAPI Video Profile.

Reading. The actor is matched by ``account{homePage, name}`` (username
``<name>+<homePage host>``; a name that looks like an e-mail is hashed), or
``mbox_sha1sum`` / ``openid`` (hashed: ``sha1-<hex>``). An ``mbox`` is never stored: it
is hashed exactly as xAPI's ``mbox_sha1sum`` is. An account on this site's own
``homePage`` whose name is one of our learner pseudonyms is that learner (our exports
read back). Verbs:

==============================================  ===============================
xAPI verb                                       canonical verb
==============================================  ===============================
video/verbs/played                              video.played (position = time)
video/verbs/paused, adl terminated              video.paused (+ played-segments)
video/verbs/seeked                              video.seeked (time-from, time-to)
adl completed (a video)                         video.completed
adl initialized                                 video.loaded (duration = length)
adl interacted, speed changed                   video.speed_changed
adl interacted, cc-enabled changed              video.transcript_shown / _hidden
adl answered, acrossx evaluated                 quiz.answered (response, success, score)
tincan viewed, dod-isd navigated (a page)       navigation.page_viewed
adl terminated (a page)                         navigation.page_closed
adl registered / tincan unregistered            enrollment.activated / deactivated
<site>/xapi/verbs/<verb> (our own export)       <verb>
==============================================  ===============================

The statement ``id`` is the event id. The object is the activity (kind video for Video
Profile objects, quiz for answers); ``contextActivities.parent`` (else ``grouping``) is
the course. The played-segments extension ``"0[.]12.5[,]30[.]41"`` becomes
``[[0, 12.5], [30, 41]]``.

Writing (``event_to_statement``): Video Profile verbs and extensions including
played-segments, the actor as ``account{homePage: site URL, name: pseudonym}``,
``contextActivities.parent`` = the course, and ``id`` = uuid5 of the statement's
content, so exporting twice gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lms.tracking.vocabulary import VERBS

from .common import NAMESPACE, STRIP_KEYS, ImportReport, Parsed, number, open_binary, stable_id

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video/"
VIDEO_VERBS = VIDEO + "verbs/"
VIDEO_EXT = VIDEO + "extensions/"
VIDEO_TYPE = VIDEO + "activity-type/video"
VIDEO_CATEGORY = "https://w3id.org/xapi/video"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/question"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
PAGE_TYPE = "http://activitystrea.ms/schema/1.0/page"
NAVIGATED = "https://w3id.org/xapi/dod-isd/verbs/navigated"
VIEWED = "http://id.tincanapi.com/verb/viewed"
EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
UNREGISTERED = "http://id.tincanapi.com/verb/unregistered"
PROFILE_TYPE = "http://adlnet.gov/expapi/activities/profile"
LMS_CATEGORY = "https://w3id.org/xapi/lms"
LMS_ROLE = "https://w3id.org/xapi/lms/extensions/role"

VERB_IDS = {
    VIDEO_VERBS + "played": "played",
    VIDEO_VERBS + "paused": "paused",
    VIDEO_VERBS + "seeked": "seeked",
    ADL + "completed": "completed",
    ADL + "initialized": "initialized",
    ADL + "terminated": "terminated",
    ADL + "interacted": "interacted",
    ADL + "answered": "answered",
    EVALUATED: "evaluated",
    NAVIGATED: "navigated",
    VIEWED: "navigated",
    ADL + "registered": "registered",
    UNREGISTERED: "unregistered",
}
# canonical verb -> (xAPI verb id, display)
EXPORT_VERBS = {
    "video.loaded": (ADL + "initialized", "initialized"),
    "video.played": (VIDEO_VERBS + "played", "played"),
    "video.paused": (VIDEO_VERBS + "paused", "paused"),
    "video.seeked": (VIDEO_VERBS + "seeked", "seeked"),
    "video.completed": (ADL + "completed", "completed"),
    "video.speed_changed": (ADL + "interacted", "interacted"),
    "video.transcript_shown": (ADL + "interacted", "interacted"),
    "video.transcript_hidden": (ADL + "interacted", "interacted"),
    "quiz.answered": (ADL + "answered", "answered"),
    "navigation.page_viewed": (VIEWED, "viewed"),
    "navigation.page_closed": (ADL + "terminated", "terminated"),
    "enrollment.activated": (ADL + "registered", "registered"),
    "enrollment.deactivated": (UNREGISTERED, "unregistered"),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TRACKS = {"audit": "audit", "honor": "audit", "verified": "verified", "external": "external"}


def segments_parse(value: Any) -> list[list[float]] | None:
    """``"0[.]12.5[,]30[.]41"`` -> ``[[0.0, 12.5], [30.0, 41.0]]``; malformed parts dropped."""
    if not isinstance(value, str) or not value:
        return None
    segments = []
    for part in value.split("[,]")[:1000]:
        ends = part.split("[.]")
        if len(ends) != 2:
            continue
        start, end = number(ends[0].strip()), number(ends[1].strip())
        if start is not None and end is not None and 0 <= start <= end:
            segments.append([float(start), float(end)])
    return segments


def _num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def segments_format(segments: list[list[float]]) -> str:
    return "[,]".join(f"{_num_text(a)}[.]{_num_text(b)}" for a, b in segments)


def _lang(value: Any) -> str | None:
    if isinstance(value, dict) and value:
        text = value.get("en-US") or value.get("en") or next(iter(value.values()))
        return text if isinstance(text, str) else None
    return None


def _short_extensions(*blocks: Any) -> dict[str, Any]:
    """Extensions by the last segment of their IRI (``.../extensions/time`` -> ``time``)."""
    found: dict[str, Any] = {}
    for block in blocks:
        if isinstance(block, dict):
            for iri, value in block.items():
                if isinstance(iri, str):
                    found.setdefault(iri.rstrip("/").rsplit("/", 1)[-1], value)
    return found


def _tail(iri: str) -> str:
    """The last path segment (or fragment) of an IRI: a question id."""
    tail = re.split(r"[/#?=]", iri.rstrip("/#"))[-1]
    return (tail or iri)[:80]


def actor_key(actor: Any, site: str) -> tuple[str, str | None] | None:
    """(external username, our pseudonym if the account is on this site) or None."""
    if not isinstance(actor, dict):
        return None
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str) and account["name"]:
        home = account.get("homePage") if isinstance(account.get("homePage"), str) else ""
        name = account["name"]
        host = urlsplit(home).netloc or "account"
        pseudonym = name if home.rstrip("/") == site.rstrip("/") else None
        if _SAFE_NAME.fullmatch(name) and not _EMAIL.search(name):
            return f"{name}+{host}"[:150], pseudonym
        return "acct-" + hashlib.sha1(f"{home}|{name}".encode()).hexdigest()[:32], pseudonym
    sha1 = actor.get("mbox_sha1sum")
    if not isinstance(sha1, str) or not sha1:
        mbox = actor.get("mbox")
        if isinstance(mbox, str) and mbox:
            address = mbox if mbox.startswith("mailto:") else f"mailto:{mbox}"
            sha1 = hashlib.sha1(address.encode()).hexdigest()  # the e-mail itself is dropped
    if isinstance(sha1, str) and sha1:
        return f"sha1-{sha1.lower()[:40]}", None
    openid = actor.get("openid")
    if isinstance(openid, str) and openid:
        return "openid-" + hashlib.sha1(openid.encode()).hexdigest()[:32], None
    return None


def _first_id(items: Any) -> str | None:
    if isinstance(items, dict):
        items = [items]
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
                return item["id"]
    return None


def _iri_key(iri: str, site: str) -> str:
    """A course/activity IRI of our own site reads back as its slug; others stay whole."""
    if iri.startswith((f"{site}/courses/", f"{site}/activities/")):
        return iri.rstrip("/").rsplit("/", 1)[-1]
    return iri


class XapiReader:
    def __init__(
        self, report: ImportReport, *, site: str, default_course: str | None = None, learner_prefix: str = ""
    ) -> None:
        self.report = report
        self.learner_prefix = learner_prefix
        self.site = site.rstrip("/")
        self.default_course = default_course
        self._state: dict[tuple[str, str], dict[str, Any]] = {}  # (actor, video) -> speed, cc

    # records ---------------------------------------------------------------------------
    def parse(self, statement: Any, where: str) -> Parsed | None:
        report = self.report
        if not isinstance(statement, dict):
            report.bad_line(where, "a statement must be a JSON object")
            return None
        verb = statement.get("verb")
        verb_id = verb.get("id") if isinstance(verb, dict) else None
        if not isinstance(verb_id, str):
            report.bad_line(where, "no verb id")
            return None
        when = statement.get("timestamp") or statement.get("stored")
        if not isinstance(when, str) or not when:
            report.bad_line(where, "no timestamp")
            return None
        try:
            parsed_time = dt.datetime.fromisoformat(when)
        except ValueError:
            report.bad_line(where, f"timestamp {when[:40]!r} is not ISO 8601")
            return None
        if parsed_time.tzinfo is None:
            when += "+00:00"
        actor = actor_key(statement.get("actor"), self.site)
        if actor is None:
            report.bad_line(where, "actor has no account, mbox, mbox_sha1sum or openid")
            return None
        obj = statement.get("object")
        object_id = obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(object_id, str) or not object_id:
            report.bad_line(where, "object has no id")
            return None
        definition = obj.get("definition") if isinstance(obj.get("definition"), dict) else {}
        result = statement.get("result") if isinstance(statement.get("result"), dict) else {}
        context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
        activities = context.get("contextActivities")
        activities = activities if isinstance(activities, dict) else {}
        ext = _short_extensions(result.get("extensions"), context.get("extensions"))
        own_context = isinstance(context.get("extensions"), dict) and (
            f"{self.site}/xapi/extensions/event-id" in context["extensions"]
        )
        category = activities.get("category")
        is_video = definition.get("type") == VIDEO_TYPE or any(
            isinstance(c, dict) and c.get("id") == VIDEO_CATEGORY
            for c in (category if isinstance(category, list) else [category])
        )
        short = VERB_IDS.get(verb_id)
        cairn_verb = None
        if short is None and verb_id.startswith(f"{self.site}/xapi/verbs/"):
            cairn_verb = verb_id.rsplit("/", 1)[-1]
            if cairn_verb not in VERBS:
                cairn_verb = None
        if short is None and cairn_verb is None:
            report.skip(f"unmapped verb {verb_id[:100]}")
            return None

        payload: dict[str, Any] = {}
        kind = "video"
        if cairn_verb is not None:
            canonical = cairn_verb
            carried = ext.get("payload")
            payload = dict(carried) if isinstance(carried, dict) else {}
            kind = {"video": "video", "quiz": "quiz", "lab": "lab"}.get(canonical.split(".")[0], "reading")
        elif short == "terminated" and definition.get("type") == PAGE_TYPE:
            canonical, kind = "navigation.page_closed", "reading"
            path = object_id[len(self.site) :] if object_id.startswith(self.site + "/") else object_id
            payload = {"path": path[:500]}
        elif short in ("played", "paused", "terminated", "seeked", "initialized") or (
            short == "completed" and is_video
        ):
            canonical = {
                "played": "video.played",
                "paused": "video.paused",
                "terminated": "video.paused",
                "seeked": "video.seeked",
                "initialized": "video.loaded",
                "completed": "video.completed",
            }[short]
            position = number(ext.get("time"))
            if canonical == "video.seeked":
                _set(payload, "old_time", number(ext.get("time-from")))
                _set(payload, "new_time", number(ext.get("time-to")))
            elif canonical == "video.loaded":
                _set(payload, "duration", number(ext.get("length")))
            else:
                if position is None and canonical == "video.completed":
                    position = number(ext.get("length"))
                _set(payload, "position", position)
                if canonical in ("video.paused", "video.completed"):
                    _set(payload, "segments", segments_parse(ext.get("played-segments")))
                if canonical == "video.completed":
                    _set(payload, "duration", number(ext.get("length")))
                if canonical == "video.played":
                    _set(payload, "speed", _speed(ext.get("speed")))
            _set(payload, "progress", number(ext.get("progress")))
        elif short == "completed":
            report.skip("completed (not a video)")
            return None
        elif short == "interacted":
            # A Video Profile "interacted" carries the player's state after the change;
            # what changed is told by the previous state of this actor's player.
            state = self._state.setdefault((actor[0], object_id), {})
            speed, cc = _speed(ext.get("speed")), ext.get("cc-enabled")
            cc = cc if isinstance(cc, bool) else None
            old = number(ext.get("old-speed")) or state.get("speed")
            position = number(ext.get("time"))
            canonical = None
            if speed is not None and (old != speed if old is not None else cc is None):
                canonical = "video.speed_changed"
                payload = {"old_speed": old or 1.0, "new_speed": speed}
                if old is None:
                    payload["old_speed_assumed"] = True
            elif cc is not None and state.get("cc") != cc:
                canonical = "video.transcript_shown" if cc else "video.transcript_hidden"
                _set(payload, "language", ext.get("cc-subtitle-lang"))
            if speed is not None:
                state["speed"] = speed
            if cc is not None:
                state["cc"] = cc
            if canonical is None:
                report.skip("interacted (no speed or caption change)")
                return None
            _set(payload, "position", position)
        elif short in ("answered", "evaluated"):
            canonical, kind = "quiz.answered", "quiz"
            payload = {"question": _tail(object_id), "answer": result.get("response")}
            if isinstance(result.get("success"), bool):
                payload["correct"] = result["success"]
            score = result.get("score") if isinstance(result.get("score"), dict) else {}
            scaled = number(score.get("scaled"))
            if scaled is None and number(score.get("max")):
                raw, low = number(score.get("raw")) or 0, number(score.get("min")) or 0
                scaled = (raw - low) / (number(score["max"]) - low) if number(score["max"]) != low else None
            if scaled is not None:
                payload["score"] = min(max(scaled, 0.0), 1.0)
            attempt = ext.get("attempt")
            if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt >= 1:
                payload["attempt"] = attempt
        elif short == "navigated":
            canonical, kind = "navigation.page_viewed", "reading"
            path = object_id[len(self.site) :] if object_id.startswith(self.site + "/") else object_id
            payload = {"path": path[:500]}
        else:  # registered / unregistered
            canonical = "enrollment.activated" if short == "registered" else "enrollment.deactivated"
            mode = ext.get("type") or ext.get("mode")
            if canonical == "enrollment.activated":
                payload["track"] = _TRACKS.get(mode, "external") if isinstance(mode, str) else "external"
            if isinstance(mode, str) and mode != payload.get("track"):
                payload["mode"] = mode
        if cairn_verb is None:
            payload["xapi_verb"] = short
        for key in STRIP_KEYS & payload.keys():
            del payload[key]

        statement_id = ext.get("event-id") if own_context else None  # our own export
        if not isinstance(statement_id, str):
            statement_id = statement.get("id")
        try:
            event_id = str(uuid.UUID(statement_id)) if isinstance(statement_id, str) else None
        except ValueError:
            event_id = None
        if event_id is None:
            event_id = stable_id(json.dumps(statement, sort_keys=True, separators=(",", ":")))
        session = (ext.get("session") if own_context else None) or ext.get("session-id")
        session = session or context.get("registration") or ""
        raw = {
            "id": event_id,
            "time": when,
            "verb": canonical,
            "session": session[:64] if isinstance(session, str) else "",
            "payload": payload,
        }
        course_iri = _first_id(activities.get("parent")) or _first_id(activities.get("grouping"))
        if course_iri is None and (
            canonical.startswith("enrollment.") or definition.get("type") == COURSE_TYPE
        ):
            course_iri = object_id
        course = _iri_key(course_iri, self.site) if course_iri else self.default_course
        if course is None:
            course = urlsplit(object_id).netloc or "xapi"
        activity = None
        if not canonical.startswith(("enrollment.", "navigation.")) and object_id != course_iri:
            activity = _iri_key(object_id, self.site)
            if canonical == "quiz.answered" and object_id.startswith(f"{self.site}/activities/"):
                activity = _iri_key(object_id.split("/questions/", 1)[0], self.site)
        title = _lang(definition.get("name"))
        username = (self.learner_prefix + actor[0])[:150]
        return Parsed(username, raw, where, course, activity, kind, title, actor[1])

    # files -------------------------------------------------------------------------
    def read(self, path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Parsed]:
        stream, raw = open_binary(path)
        with raw, stream:
            head = stream.peek(64).lstrip()[:1]
            statements = (
                _array(stream, path, self.report) if head == b"[" else _lines(stream, path, self.report)
            )
            last = 0
            for n, (statement, where) in enumerate(statements, 1):
                self.report.lines += 1
                parsed = self.parse(statement, where)
                if parsed is not None:
                    yield parsed
                if progress is not None and not n % 2000:
                    position = raw.tell()
                    progress(position - last)
                    last = position
            if progress is not None:
                progress(raw.tell() - last)


def _set(payload: dict, key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


def _speed(value: Any) -> float | None:
    if isinstance(value, str) and value.endswith("x"):
        value = value[:-1]
    speed = number(value)
    return float(speed) if speed is not None and speed > 0 else None


def _lines(stream: Any, path: Path, report: ImportReport) -> Iterator[tuple[Any, str]]:
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line), f"{path}:{lineno}"
        except ValueError:
            report.lines += 1
            report.bad_line(f"{path}:{lineno}", "not valid JSON")


def _array(stream: Any, path: Path, report: ImportReport) -> Iterator[tuple[Any, str]]:
    """The items of a JSON array, decoded one at a time from a buffer (constant memory)."""
    decoder = json.JSONDecoder()
    buffer, pos, eof, n = "", 0, False, 0
    pending = b""

    def more() -> bool:
        nonlocal buffer, pos, pending
        data = stream.read(1 << 20)
        if not data:
            return False
        data, pending = pending + data, b""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # a character cut at the chunk's end
            pending, text = data[exc.start :], data[: exc.start].decode("utf-8", "replace")
        buffer, pos = buffer[pos:] + text, 0
        return True

    more()
    pos = buffer.index("[") + 1
    while True:
        while True:  # skip separators
            while pos < len(buffer) and buffer[pos] in " \t\r\n,":
                pos += 1
            if pos < len(buffer) or eof:
                break
            eof = not more()
        if pos >= len(buffer) or buffer[pos] == "]":
            return
        n += 1
        while True:
            try:
                item, end = decoder.raw_decode(buffer, pos)
                break
            except ValueError:
                if not eof and more():
                    continue
                eof = True
                report.lines += 1
                report.bad_line(
                    f"{path}: statement {n}", "not valid JSON; the rest of the array is unreadable"
                )
                return
        pos = end
        yield item, f"{path}: statement {n}"


# canonical event -> statement ------------------------------------------------------
def _profile(category: str) -> dict[str, Any]:
    """A ``contextActivities.category`` entry naming the xAPI profile a statement follows."""
    return {"id": category, "objectType": "Activity", "definition": {"type": PROFILE_TYPE}}


def session_uuid(session: str) -> str:
    """The Video Profile's ``session-id`` must be a UUID: ours is any short string, so
    a session that is not a UUID is named by a stable uuid5 of it (the original travels
    in Cairn's own ``session`` extension)."""
    try:
        return str(uuid.UUID(session))
    except ValueError:
        return str(uuid.uuid5(NAMESPACE, f"session:{session}"))


def event_to_statement(
    *,
    event_id: str,
    pseudonym: str,
    time: dt.datetime,
    verb: str,
    session: str,
    course: str | None,
    course_title: str | None,
    activity: str | None,
    activity_kind: str | None,
    activity_title: str | None,
    payload: dict[str, Any],
    site: str,
    video_length: float | None = None,
    language: str = "en",
) -> dict[str, Any]:
    """One event as an xAPI 1.0.3 statement that follows the profile of its kind, as
    Ralph (the Open edX LRS) models it: the Video Profile for video events, the LMS
    Profile for (un)registration, Activity Streams pages for page views. Other verbs are
    plain statements with Cairn's own verb IRI and the payload as an extension.

    ``video_length`` is the video's length when the event does not carry it (the
    profile requires it on initialized, paused and completed); ``language`` the caption
    language of a transcript toggle (the course's language)."""
    site = site.rstrip("/")
    cairn_ext = f"{site}/xapi/extensions/"
    verb_id, display = EXPORT_VERBS.get(verb, (f"{site}/xapi/verbs/{verb}", verb))
    result_ext: dict[str, Any] = {}
    context_ext: dict[str, Any] = {cairn_ext + "event-id": event_id}
    result: dict[str, Any] = {}
    course_iri = f"{site}/courses/{course}" if course else None
    video = verb.startswith("video.")
    if activity:
        object_id = f"{site}/activities/{activity}"
        if verb == "quiz.answered" and payload.get("question"):
            object_id += f"/questions/{payload['question']}"
        object_type = VIDEO_TYPE if video else ASSESSMENT_TYPE if activity_kind == "quiz" else None
        name = activity_title or activity
    elif verb in ("navigation.page_viewed", "navigation.page_closed"):
        path = str(payload.get("path") or "/")
        object_id = f"{site}{path}" if path.startswith("/") else f"{site}/{path}"
        object_type, name = PAGE_TYPE, path
    else:
        object_id = course_iri or site
        object_type, name = COURSE_TYPE, course_title or course or site

    position = payload.get("position")
    if video:
        if position is not None:
            result_ext[VIDEO_EXT + "time"] = position
        if payload.get("segments"):
            result_ext[VIDEO_EXT + "played-segments"] = segments_format(payload["segments"])
        length = payload.get("duration") if payload.get("duration") is not None else video_length
        if length is not None:
            context_ext[VIDEO_EXT + "length"] = length
        if session:
            context_ext[VIDEO_EXT + "session-id"] = session_uuid(session)
            context_ext[cairn_ext + "session"] = session
    if verb == "video.seeked":
        result_ext[VIDEO_EXT + "time-from"] = payload["old_time"]
        result_ext[VIDEO_EXT + "time-to"] = payload["new_time"]
    elif verb == "video.speed_changed":
        context_ext[VIDEO_EXT + "speed"] = f"{_num_text(payload['new_speed'])}x"
        result_ext[cairn_ext + "old-speed"] = payload["old_speed"]
    elif verb in ("video.transcript_shown", "video.transcript_hidden"):
        result_ext[VIDEO_EXT + "cc-enabled"] = verb == "video.transcript_shown"
        context_ext[VIDEO_EXT + "cc-subtitle-lang"] = str(payload.get("language") or language)
    elif verb == "video.played" and payload.get("speed"):
        context_ext[VIDEO_EXT + "speed"] = f"{_num_text(payload['speed'])}x"
    elif verb == "video.completed":
        result["completion"] = True
        length = context_ext.get(VIDEO_EXT + "length")
        progress = min(position / length, 1.0) if length and position is not None else 1.0
        result_ext[VIDEO_EXT + "progress"] = round(progress, 3)
    elif verb == "quiz.answered":
        answer = payload.get("answer")
        result["response"] = answer if isinstance(answer, str) else json.dumps(answer)
        if isinstance(payload.get("correct"), bool):
            result["success"] = payload["correct"]
        if payload.get("score") is not None:
            result["score"] = {"scaled": payload["score"]}
        if payload.get("attempt"):
            result_ext[cairn_ext + "attempt"] = payload["attempt"]
    elif verb.startswith("enrollment.") and verb in EXPORT_VERBS:
        context_ext[LMS_ROLE] = "learner"
        if verb == "enrollment.activated":
            context_ext[cairn_ext + "mode"] = payload.get("mode", payload["track"])
    elif verb not in EXPORT_VERBS:
        context_ext[cairn_ext + "payload"] = payload
    if result_ext:
        result["extensions"] = result_ext

    definition: dict[str, Any] = {"name": {"en-US": str(name)[:200]}}
    if object_type:
        definition["type"] = object_type
    context: dict[str, Any] = {"platform": "Cairn", "extensions": context_ext}
    parents = [{"id": course_iri, "objectType": "Activity"}] if course_iri and object_id != course_iri else []
    activities: dict[str, Any] = {}
    if parents:
        activities["parent"] = parents
    if video:
        activities["category"] = [_profile(VIDEO_CATEGORY)]
    elif verb in ("enrollment.activated", "enrollment.deactivated"):
        activities["category"] = [_profile(LMS_CATEGORY)]
    if activities:
        context["contextActivities"] = activities
    statement: dict[str, Any] = {
        "actor": {"objectType": "Agent", "account": {"homePage": site, "name": pseudonym}},
        "verb": {"id": verb_id, "display": {"en-US": display}},
        "object": {"objectType": "Activity", "id": object_id, "definition": definition},
        "context": context,
        "timestamp": time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "version": "1.0.3",
    }
    if result:
        statement["result"] = result
    content = json.dumps(statement, sort_keys=True, separators=(",", ":"), default=str)
    return {"id": str(uuid.uuid5(NAMESPACE, content)), **statement}
