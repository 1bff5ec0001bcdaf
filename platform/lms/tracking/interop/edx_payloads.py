"""edX event -> canonical payload, one builder per verb: the fields a mapping consumes
become the payload's named keys, the others are kept (``extras``, or bounded and scrubbed
as a pass-through keeps them: ``_rest``). Called by ``edx.EdxReader.parse``, which keeps
the hottest types (video, ``problem_check``, page views) on its own branches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .edx_privacy import PASS_MAX_CHARS, TEXT_KEYS, bounded
from .edx_types import TRACKS, block_id
from .records import STRIP_KEYS, number

_POSITION = ("currentTime", "current_time")
_VIDEO_CONSUMED = frozenset({"id", "module_id", *_POSITION}) | STRIP_KEYS
_SEEK_CONSUMED = _VIDEO_CONSUMED | {"old_time", "new_time", "type"}
_SPEED_CONSUMED = _VIDEO_CONSUMED | {"old_speed", "new_speed"}
_PROBLEM_CONSUMED = STRIP_KEYS | {"problem_id", "answers", "success", "attempts", "state"}
OUTLINE_CONSUMED = STRIP_KEYS | {"target_url"}
ENROLL_CONSUMED = STRIP_KEYS | {"course_id", "mode"}
DEACTIVATE_CONSUMED = STRIP_KEYS | {"course_id"}
_SITE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")


def extras(event: dict, consumed: frozenset) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in consumed}


def _position(event: dict) -> Any:
    value = event.get("currentTime")
    return number(value if value is not None else event.get("current_time"))


def put(payload: dict, key: str, value: Any) -> None:
    if value is not None:
        payload[key] = value


def short_text(value: Any, limit: int = 500) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _integer(value: Any) -> int | None:
    value = number(value)
    return int(value) if value is not None and value >= 0 and value == int(value) else None


# edX event -> payload, one builder per verb -------------------------------------------
def video_payload(verb: str, ev: dict) -> dict[str, Any]:
    if verb == "video.seeked":
        payload = extras(ev, _SEEK_CONSUMED)
        put(payload, "old_time", number(ev.get("old_time")))
        put(payload, "new_time", number(ev.get("new_time")))
        put(payload, "kind", ev.get("type"))
        return payload
    if verb == "video.speed_changed":
        payload = extras(ev, _SPEED_CONSUMED)
        put(payload, "position", _position(ev))
        put(payload, "old_speed", number(ev.get("old_speed")))
        put(payload, "new_speed", number(ev.get("new_speed")))
        return payload
    payload = extras(ev, _VIDEO_CONSUMED)
    if verb != "video.loaded":
        position = _position(ev)
        if position is None and verb == "video.completed":
            position = number(ev.get("duration"))
        put(payload, "position", position)
    return payload


def problem_payload(ev: dict) -> tuple[dict[str, Any], str | None]:
    payload = extras(ev, _PROBLEM_CONSUMED)
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


def page_path(page: Any) -> str | None:
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
    put(payload, "hint", _integer(ev.get("hint_index")))
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
    target = short_text(ev.get("target_url"))
    if target is None:
        return None
    payload = _rest(ev, "target_url", "current_url")
    payload["target"] = target
    put(payload, "path", page_path(ev.get("current_url")))
    return payload


def _b_page_closed(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev)
    put(payload, "path", page_path(rec.get("page")))
    return payload


def _b_tool(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "url")
    payload["path"] = page_path(ev.get("url")) or page_path(rec.get("page")) or ""
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
    put(payload, "query", short_text(ev.get(query)))
    if results:
        put(payload, "results", _integer(ev.get(results)))
    return payload


def _b_textbook(etype: str, ev: dict, rec: dict) -> dict | None:
    # ``name`` of a book event names the viewer's event (textbook.pdf.page.loaded)
    payload = _rest(ev, "new", "page", "chapter", "name")
    put(payload, "page", _integer(ev.get("new") if etype == "book" else ev.get("page")))
    put(payload, "chapter", short_text(ev.get("chapter")))
    return payload


def _b_plain(etype: str, ev: dict, rec: dict) -> dict | None:
    return _rest(ev, "component_usage_id", "usage_key")


def _b_note(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "note_id", "component_usage_id", "usage_id", *TEXT_KEYS)
    put(payload, "note", short_text(ev.get("note_id"), 64))
    if etype != "edx.course.student_notes.deleted":
        put(payload, "length", _length(ev, "note_text"))
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
    put(payload, "submission", short_text(ev.get("submission_uuid"), 64))
    put(payload, "attempt", _integer(ev.get("attempt_number")))
    return payload


_ASSESS_KINDS = {
    "openassessmentblock.peer_assess": "peer",
    "openassessmentblock.self_assess": "self",
    "openassessment.student_training_assess_example": "training",
}


def _b_ora_assessed(etype: str, ev: dict, rec: dict) -> dict | None:
    payload = _rest(ev, "submission_uuid")
    payload["kind"] = _ASSESS_KINDS[etype]
    put(payload, "submission", short_text(ev.get("submission_uuid"), 64))
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
        put(payload, "response", response or own)
        if response:
            put(payload, "comment", own)
    if thread is None:
        return None
    payload["thread"] = thread
    put(payload, "length", _length(ev, "body"))
    if etype.endswith(".voted"):
        put(payload, "vote", short_text(ev.get("vote_value"), 20))
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
    put(payload, "mode", short_text(ev.get("enrollment_mode"), 40))
    return payload


def _b_exam_started(etype: str, ev: dict, rec: dict) -> dict | None:
    return _rest(ev, "exam_content_id")


BUILDERS: dict[str, Callable[[str, dict, dict], dict | None]] = {
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
