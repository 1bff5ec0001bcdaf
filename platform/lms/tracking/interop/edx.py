"""Open edX tracking logs (``.log`` / ``.log.gz``, one JSON object a line) to and from
canonical events.

Reading. ``name`` wins over ``event_type``. Browser events carry ``event`` as a JSON
string, server and mobile events as an object; both are read. Every event type of the
Open edX reference ("Events in the Tracking Logs") has a fate, listed type by type in
docs/events.md: it is **mapped** to a canonical verb (``EDX_TYPES`` and the prefixes of
``edx_verb``: video, problems, hints, shown answers, navigation, links, page closes,
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
(seek ``type`` becomes ``kind``; ``edx_type`` records the edX type). The event id is
uuid5 of the line, so a re-import is idempotent, unless the line carries
``context.cairn_event_id`` (our own export): then that id is used and the payload is read
back as it was written, with no ``edx_type`` added.

The activity of an event is found by ``event_block_key`` (the usage key of the block it
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
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lms.tracking.vocabulary import VERBS

from .common import STRIP_KEYS, ImportReport, Parsed, number, open_binary, stable_id
from .edx_privacy import (
    PASS_MAX_CHARS,
    TEXT_KEYS,
    bounded,
    device_class,
    passthrough_event,
    referrer_class,
)

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
    # problems (server events; their browser copies are passed through, see BROWSER_COPIES)
    "problem_check": "quiz.answered",
    "save_problem_check": "quiz.answered",  # problem_check's name before 15 Oct 2013
    "edx.drag_and_drop_v2.item.dropped": "quiz.answered",
    "edx.problem.hint.demandhint_displayed": "quiz.hint_shown",
    "edx.problem.hint.feedback_displayed": "quiz.hint_shown",
    "showanswer": "quiz.answer_shown",
    "save_problem_success": "quiz.saved",
    "reset_problem": "quiz.reset",
    "problem_rescore": "quiz.rescored",
    # navigation
    "seq_goto": "navigation.page_viewed",
    "seq_next": "navigation.page_viewed",
    "seq_prev": "navigation.page_viewed",
    "edx.course.tool.accessed": "navigation.page_viewed",
    "edx.ui.lms.outline.selected": "navigation.outline_selected",
    "edx.ui.lms.jump_nav.selected": "navigation.outline_selected",
    "edx.ui.lms.link_clicked": "navigation.link_clicked",
    "page_close": "navigation.page_closed",
    "edx.forum.searched": "navigation.searched",
    "edx.team.searched": "navigation.searched",
    "edx.course.student_notes.searched": "navigation.searched",
    "textbook.pdf.search.executed": "navigation.searched",
    "edx.course.search.results_displayed": "navigation.searched",
    # textbooks
    "book": "textbook.page_turned",
    "textbook.pdf.page.navigated": "textbook.page_turned",
    "textbook.pdf.thumbnail.navigated": "textbook.page_turned",
    "textbook.pdf.chapter.navigated": "textbook.page_turned",
    "textbook.pdf.page.scrolled": "textbook.page_turned",
    # course resources
    "edx.bookmark.added": "bookmark.added",
    "edx.bookmark.removed": "bookmark.removed",
    "edx.bookmark.accessed": "bookmark.opened",
    "edx.course.bookmark.added": "bookmark.added",  # the names the reference also uses
    "edx.course.bookmark.removed": "bookmark.removed",
    "edx.course.student_notes.added": "note.added",
    "edx.course.student_notes.edited": "note.edited",
    "edx.course.student_notes.deleted": "note.deleted",
    "edx.done.toggled": "completion.toggled",
    "xblock.poll.submitted": "survey.submitted",
    "xblock.survey.submitted": "survey.submitted",
    "openassessmentblock.create_submission": "assessment.submitted",
    "openassessmentblock.peer_assess": "assessment.assessed",
    "openassessmentblock.self_assess": "assessment.assessed",
    "openassessment.student_training_assess_example": "assessment.assessed",
    # forums
    "edx.forum.thread.created": "discussion.posted",
    "edx.forum.response.created": "discussion.replied",
    "edx.forum.comment.created": "discussion.replied",
    "edx.forum.thread.viewed": "discussion.viewed",
    "edx.forum.thread.voted": "discussion.voted",
    "edx.forum.response.voted": "discussion.voted",
    # enrollment and certificates
    "edx.course.enrollment.activated": "enrollment.activated",
    "edx.course.enrollment.deactivated": "enrollment.deactivated",
    "edx.course.enrollment.mode_changed": "enrollment.track_changed",
    "edx.certificate.created": "certificate.earned",
}
# Browser events that repeat a server event of the same action: passed through, so the
# verb is counted once (from the server's event, which carries the outcome).
_CHECK_TYPES = frozenset({"problem_check", "save_problem_check"})
BROWSER_COPIES = frozenset(
    {"problem_check", "problem_graded", "problem_show", "problem_save", "problem_reset"}
)
PASS_THROUGH = "external.edx"
# Mapped types whose event is laid out unlike their verb's usual type: exported as that type.
_OWN_LAYOUT = frozenset({"edx.drag_and_drop_v2.item.dropped", "edx.course.tool.accessed"})
SEQUENCE_PREFIX = "edx.ui.lms.sequence."
SPECIAL_EXAM_PREFIX = "edx.special_exam."
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
BLOCK_KINDS = {
    "video": "video", "problem": "quiz", "lab": "lab", "html": "reading", "reading": "reading",
    "openassessment": "quiz", "drag-and-drop-v2": "quiz",  # as the course-structure import has them
}  # fmt: skip
KIND_BLOCKS = {"video": "video", "quiz": "problem", "lab": "lab", "reading": "html"}
NAMESPACE_KINDS = {"video": "video", "quiz": "quiz", "lab": "lab"}  # verb namespace -> kind
# event fields naming the block an event is about when context.module does not, by namespace
BLOCK_FIELDS = {
    "video": ("id", "module_id"),
    "quiz": ("problem_id", "module_id", "exam_content_id"),
    "bookmark": ("component_usage_id", "usage_key"),
    "note": ("component_usage_id", "usage_id"),
}
NO_ACTIVITY_NAMESPACES = frozenset({"enrollment", "certificate", "discussion"})

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
_SPECIAL_EXAM_STARTED = re.compile(r"^edx\.special_exam\.(proctored|practice|timed)\.attempt\.started$")


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
    """The canonical verb of an edX event type, or None for the types passed through."""
    verb = EDX_TYPES.get(etype)
    if verb is None:
        if etype.startswith("/"):  # an implicit event: a page the server served
            return "navigation.page_viewed"
        if etype.startswith(SEQUENCE_PREFIX):
            return "navigation.page_viewed"
        if etype.startswith(SPECIAL_EXAM_PREFIX) and _SPECIAL_EXAM_STARTED.match(etype):
            return "quiz.started"
        if etype.startswith(CAIRN_PREFIX) and etype[len(CAIRN_PREFIX) :] in VERBS:
            return etype[len(CAIRN_PREFIX) :]
    return verb


def event_block_key(namespace: str, event: dict, context: dict) -> str | None:
    """The usage key (or a video's id) of the course block an edX event is about:
    ``context.module.usage_key``, else an event field that names it (``BLOCK_FIELDS``)."""
    module = context.get("module")
    if isinstance(module, dict):
        key = module.get("usage_key")
        if isinstance(key, str) and key:
            return key
    for name in BLOCK_FIELDS.get(namespace, ()):
        key = event.get(name)
        if isinstance(key, str) and key:
            return key
    return None


def block_activity(key: str, namespace: str) -> tuple[str, str]:
    """(the activity's external key, its kind) for a block's usage key: the block id (so
    an event and the course structure name the same activity), and the kind of the
    block type, else of the verb's namespace, else reading."""
    kind = BLOCK_KINDS.get(block_type(key) or "")
    return block_id(key)[:200], kind or NAMESPACE_KINDS.get(namespace, "reading")


def _extras(event: dict, consumed: frozenset) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in consumed}


def _position(event: dict) -> Any:
    value = event.get("currentTime")
    return number(value if value is not None else event.get("current_time"))


def _put(payload: dict, key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


def _text(value: Any, limit: int = 500) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _integer(value: Any) -> int | None:
    value = number(value)
    return int(value) if value is not None and value >= 0 and value == int(value) else None


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


def _rest(ev: dict, *consumed: str) -> dict[str, Any]:
    """The event's other fields, as a pass-through keeps them (bounded, no personal keys)."""
    rest = {k: v for k, v in ev.items() if k not in consumed}
    return bounded(rest, 1, [PASS_MAX_CHARS]) if rest else {}


def _length(ev: dict, key: str) -> int | None:
    text = ev.get(key)
    return len(text) if isinstance(text, str) else None


def _question_of(ev: dict, rec: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    key = ev.get("problem_id") or ev.get("module_id")
    if not isinstance(key, str) or not key:
        module = rec.get("context", {}).get("module") if isinstance(rec.get("context"), dict) else None
        key = module.get("usage_key") if isinstance(module, dict) else None
    if isinstance(key, str) and key:
        out["question"] = block_id(key)[:80]
    return out


# Builders of the verbs beyond the hot path: (edX type, event, line) -> payload, or None
# when the event lacks what the verb needs (the line is then passed through).
def _b_hint(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = {**_rest(ev, "hint_index", "module_id", "problem_id"), **_question_of(ev, rec)}
    _put(payload, "hint", _integer(ev.get("hint_index")))
    return payload


def _b_problem_step(etype: str, ev: dict, rec: dict) -> dict | None:
    return {**_rest(ev, "problem_id", "old_state", "new_state", "state"), **_question_of(ev, rec)}


def _b_rescore(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = {**_rest(ev, "problem_id", "state", "correct_map"), **_question_of(ev, rec)}
    score, total = number(ev.get("new_score")), number(ev.get("new_total"))
    if score is not None and total:
        payload["score"] = min(max(score / total, 0.0), 1.0)
    return payload


def _b_dropped(etype: str, ev: dict, rec: dict) -> dict | None:
    item = ev.get("item_id")
    if item is None or isinstance(item, bool):
        return None
    payload = _rest(ev, "item_id", "location", "location_id", "is_correct")
    payload["question"] = f"item-{str(item)[:70]}"
    payload["answer"] = ev.get("location_id", ev.get("location"))
    if isinstance(ev.get("is_correct"), bool):
        payload["correct"] = ev["is_correct"]
    return payload


def _b_link(etype: str, ev: dict, rec: dict) -> dict | None:
    target = _text(ev.get("target_url"))
    if target is None:
        return None
    payload = _rest(ev, "target_url", "current_url")
    payload["target"] = target
    _put(payload, "path", _page_path(ev.get("current_url")))
    return payload


def _b_page_closed(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev)
    _put(payload, "path", _page_path(rec.get("page")))
    return payload


def _b_tool(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "url")
    payload["path"] = _page_path(ev.get("url")) or _page_path(rec.get("page")) or ""
    return payload


_SEARCH = {  # edX type -> (scope, query field, result-count field)
    "edx.forum.searched": ("forum", "query", "total_results"),
    "edx.team.searched": ("team", "search_text", "number_of_results"),
    "edx.course.student_notes.searched": ("notes", "search_string", "number_of_results"),
    "textbook.pdf.search.executed": ("textbook", "query", None),
    "edx.course.search.results_displayed": ("course", "search_term", "results_count"),
}


def _b_search(etype: str, ev: dict, rec: dict) -> dict | None:
    scope, query, results = _SEARCH[etype]
    payload = _rest(ev, query, results or "", "name")
    payload["scope"] = scope
    _put(payload, "query", _text(ev.get(query)))
    if results:
        _put(payload, "results", _integer(ev.get(results)))
    return payload


def _b_textbook(etype: str, ev: dict, rec: dict) -> dict | None:
    # ``name`` of a book event names the viewer's event (textbook.pdf.page.loaded)
    payload = _rest(ev, "new", "page", "chapter", "name")
    _put(payload, "page", _integer(ev.get("new") if etype == "book" else ev.get("page")))
    _put(payload, "chapter", _text(ev.get("chapter")))
    return payload


def _b_plain(etype: str, ev: dict, rec: dict) -> dict | None:
    return _rest(ev, "component_usage_id", "usage_key")


def _b_note(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "note_id", "component_usage_id", "usage_id", *TEXT_KEYS)
    _put(payload, "note", _text(ev.get("note_id"), 64))
    if etype != "edx.course.student_notes.deleted":
        _put(payload, "length", _length(ev, "note_text"))
    return payload


def _b_done(etype: str, ev: dict, rec: dict) -> dict | None:
    done = ev.get("done")
    return {**_rest(ev, "done"), "done": done} if isinstance(done, bool) else None


def _b_survey(etype: str, ev: dict, rec: dict) -> dict | None:
    field = "choice" if etype == "xblock.poll.submitted" else "choices"
    if field not in ev:
        return None
    return {**_rest(ev, field), "answer": bounded(ev[field], 1, [PASS_MAX_CHARS])}


def _b_ora_submitted(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "submission_uuid", "attempt_number")
    _put(payload, "submission", _text(ev.get("submission_uuid"), 64))
    _put(payload, "attempt", _integer(ev.get("attempt_number")))
    return payload


_ASSESS_KINDS = {
    "openassessmentblock.peer_assess": "peer",
    "openassessmentblock.self_assess": "self",
    "openassessment.student_training_assess_example": "training",
}


def _b_ora_assessed(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "submission_uuid")
    payload["kind"] = _ASSESS_KINDS[etype]
    _put(payload, "submission", _text(ev.get("submission_uuid"), 64))
    return payload


def _thread(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def _b_forum(etype: str, ev: dict, rec: dict) -> dict | None:
    """Forum events: the thread (and response) ids and the length of what was written,
    never the text or the other learner (``target_username``)."""
    discussion = ev.get("discussion")
    parent = _thread(discussion.get("id")) if isinstance(discussion, dict) else None
    response = ev.get("response")
    response = _thread(response.get("id")) if isinstance(response, dict) else None
    own = _thread(ev.get("id"))
    payload = _rest(ev, "id", "discussion", "response", "vote_value", "undo_vote", *TEXT_KEYS)
    if etype in ("edx.forum.thread.created", "edx.forum.thread.viewed", "edx.forum.thread.voted"):
        thread = own
    else:  # a response (its thread: discussion.id) or a comment (its response: response.id)
        thread = parent or (own if etype == "edx.forum.response.voted" else None)
        _put(payload, "response", response or own)
        if response:
            _put(payload, "comment", own)
    if thread is None:
        return None
    payload["thread"] = thread
    _put(payload, "length", _length(ev, "body"))
    if etype.endswith(".voted"):
        _put(payload, "vote", _text(ev.get("vote_value"), 20))
        if isinstance(ev.get("undo_vote"), bool):
            payload["undo"] = ev["undo_vote"]
    return payload


def _b_mode_changed(etype: str, ev: dict, rec: dict) -> dict | None:
    mode = ev.get("mode") if isinstance(ev.get("mode"), str) else None
    if mode is None:
        return None
    payload = _rest(ev, "course_id", "mode")
    payload["new_track"] = TRACKS.get(mode, "external")
    if mode != payload["new_track"]:
        payload["mode"] = mode
    return payload


def _b_certificate(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "course_id", "enrollment_mode", "certificate_url")
    _put(payload, "mode", _text(ev.get("enrollment_mode"), 40))
    return payload


def _b_exam_started(etype: str, ev: dict, rec: dict) -> dict | None:
    return _rest(ev, "exam_content_id")


_BUILDERS: dict[str, Callable[[str, dict, dict], dict | None]] = {
    "quiz.answered": _b_dropped,  # problem_check has its own branch (the hot path)
    "navigation.page_viewed": _b_tool,  # likewise seq_* and server page views
    "quiz.hint_shown": _b_hint,
    "quiz.answer_shown": _b_problem_step,
    "quiz.saved": _b_problem_step,
    "quiz.reset": _b_problem_step,
    "quiz.rescored": _b_rescore,
    "quiz.started": _b_exam_started,
    "navigation.link_clicked": _b_link,
    "navigation.page_closed": _b_page_closed,
    "navigation.searched": _b_search,
    "textbook.page_turned": _b_textbook,
    "bookmark.added": _b_plain,
    "bookmark.removed": _b_plain,
    "bookmark.opened": _b_plain,
    "note.added": _b_note,
    "note.edited": _b_note,
    "note.deleted": _b_note,
    "completion.toggled": _b_done,
    "survey.submitted": _b_survey,
    "assessment.submitted": _b_ora_submitted,
    "assessment.assessed": _b_ora_assessed,
    "discussion.posted": _b_forum,
    "discussion.replied": _b_forum,
    "discussion.viewed": _b_forum,
    "discussion.voted": _b_forum,
    "enrollment.track_changed": _b_mode_changed,
    "certificate.earned": _b_certificate,
}


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
            payload = _extras(evd, STRIP_KEYS)
        elif namespace == "video":
            payload = _video_payload(verb, ev)
        elif verb == "quiz.answered" and etype in _CHECK_TYPES:
            payload, problem = _problem_payload(ev)
            if block is None:
                block = problem
            if "question" not in payload and block:
                payload["question"] = block_id(block)[:80]
        elif verb == "navigation.page_viewed" and etype != "edx.course.tool.accessed":
            payload = _extras(ev, STRIP_KEYS)
            if implicit:
                path = etype[:500]
            else:
                path = _page_path(rec.get("page"))
                if path is None:
                    path = ev.get("id") if isinstance(ev.get("id"), str) else ""
            payload["path"] = path
        elif verb == "navigation.outline_selected":
            payload = _extras(ev, _OUTLINE_CONSUMED | {"current_url", "target_name"})
            _put(payload, "target", ev.get("target_url"))
            _put(payload, "target_name", _text(ev.get("target_name")))
        elif verb == "enrollment.activated":
            payload = _extras(ev, _ENROLL_CONSUMED)
            mode = ev.get("mode") if isinstance(ev.get("mode"), str) else "external"
            payload["track"] = TRACKS.get(mode, "external")
            if mode != payload["track"]:
                payload["mode"] = mode
        elif verb == "enrollment.deactivated":
            payload = _extras(ev, _DEACTIVATE_CONSUMED)
        elif verb == PASS_THROUGH:
            payload = {"event": passthrough_event(ev)}
        else:
            built = _BUILDERS[verb](etype, ev, rec) if verb in _BUILDERS else None
            if built is None:  # the event lacks what its verb needs: kept as it came
                verb, namespace = PASS_THROUGH, "external"
                built = {"event": passthrough_event(ev)}
            payload = built
        if verb == "navigation.page_viewed":  # classes only: never the agent or the referring URL
            _put(payload, "device", device_class(rec.get("agent")))
            _put(payload, "referrer_class", referrer_class(rec.get("referer"), rec.get("host")))
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
    if etype is not None and isinstance(named, str) and edx_verb(named) == verb and named not in _OWN_LAYOUT:
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
