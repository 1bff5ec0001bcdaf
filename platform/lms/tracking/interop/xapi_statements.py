"""Canonical event -> xAPI statement.

Writing (``event_to_statement``): Video Profile verbs and extensions including
played-segments, the actor as ``account{homePage: site URL, name: pseudonym}``,
``contextActivities.parent`` = the course, and ``id`` = uuid5 of the statement's
content, so exporting twice gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from .naming import NAMESPACE
from .xapi_vocabulary import (
    ASSESSMENT_TYPE,
    COURSE_TYPE,
    EXPORT_VERBS,
    LMS_CATEGORY,
    LMS_ROLE,
    PAGE_TYPE,
    PROFILE_TYPE,
    VIDEO_CATEGORY,
    VIDEO_EXT,
    VIDEO_TYPE,
    num_text,
    segments_format,
)


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
        context_ext[VIDEO_EXT + "speed"] = f"{num_text(payload['new_speed'])}x"
        result_ext[cairn_ext + "old-speed"] = payload["old_speed"]
    elif verb in ("video.transcript_shown", "video.transcript_hidden"):
        result_ext[VIDEO_EXT + "cc-enabled"] = verb == "video.transcript_shown"
        context_ext[VIDEO_EXT + "cc-subtitle-lang"] = str(payload.get("language") or language)
    elif verb == "video.played" and payload.get("speed"):
        context_ext[VIDEO_EXT + "speed"] = f"{num_text(payload['speed'])}x"
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
