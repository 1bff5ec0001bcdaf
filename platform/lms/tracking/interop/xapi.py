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

Writing is ``xapi_statements.event_to_statement``; the IRIs and verbs both sides use are in
``xapi_vocabulary.py``.
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

from .naming import stable_id
from .records import STRIP_KEYS, BytesRead, ImportReport, Parsed, number, open_binary
from .xapi_vocabulary import COURSE_TYPE, PAGE_TYPE, VERB_IDS, VIDEO_CATEGORY, VIDEO_TYPE, segments_parse

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_TRACKS = {"audit": "audit", "honor": "audit", "verified": "verified", "external": "external"}


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
            bytes_read = BytesRead(raw, progress)
            for n, (statement, where) in enumerate(statements, 1):
                self.report.lines += 1
                parsed = self.parse(statement, where)
                if parsed is not None:
                    yield parsed
                if progress is not None and not n % 2000:
                    bytes_read()
            bytes_read()


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
