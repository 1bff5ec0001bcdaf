"""The closed vocabulary of Cairn events: ``<namespace>.<action>`` verbs, each with the
JSON Schema of its payload.

Payloads may carry extra keys (imports keep what the source had), but the keys named
here must be present with the right types. Identity never travels in a payload: the
actor is always the authenticated user (see ``validation.py``).
"""

from __future__ import annotations

from typing import Any

import fastjsonschema

_SECONDS = {"type": "number", "minimum": 0, "maximum": 86400}
_SPEED = {"type": "number", "exclusiveMinimum": 0, "maximum": 16}
# Played segments as [start, end] pairs of seconds, end >= start (checked in validation).
_SEGMENTS = {
    "type": "array",
    "maxItems": 1000,
    "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": _SECONDS},
}
_SLUG = {"type": "string", "minLength": 1, "maxLength": 80}
_SCORE = {"type": "number", "minimum": 0, "maximum": 1}
_PATH = {"type": "string", "maxLength": 500}
_TARGET = {"type": "string", "maxLength": 500}
_SHORT = {"type": "string", "maxLength": 64}


def _obj(required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> dict[str, Any]:
    required = required or {}
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
    }


_TEST_RESULT = _obj(
    {"name": {"type": "string", "maxLength": 200}, "passed": {"type": "boolean"}},
    {
        "kind": {"type": "string", "maxLength": 40},
        "seconds": {"type": "number", "minimum": 0},
        "points": {"type": "number"},
    },
)

PAYLOAD_SCHEMAS: dict[str, dict[str, Any]] = {
    # video: position/old_time/new_time in seconds of media time
    "video.loaded": _obj(optional={"duration": _SECONDS}),
    "video.played": _obj({"position": _SECONDS}, {"speed": _SPEED}),
    "video.paused": _obj({"position": _SECONDS}, {"segments": _SEGMENTS, "duration": _SECONDS}),
    "video.seeked": _obj(
        {"old_time": _SECONDS, "new_time": _SECONDS}, {"kind": {"type": "string", "maxLength": 40}}
    ),
    "video.speed_changed": _obj({"position": _SECONDS, "old_speed": _SPEED, "new_speed": _SPEED}),
    "video.completed": _obj({"position": _SECONDS}, {"duration": _SECONDS, "segments": _SEGMENTS}),
    "video.transcript_shown": _obj({"position": _SECONDS}),
    "video.transcript_hidden": _obj({"position": _SECONDS}),
    # quiz
    "quiz.started": _obj(optional={"attempt": {"type": "integer", "minimum": 1}}),
    "quiz.answered": _obj(
        {"question": _SLUG, "answer": {}},
        {"correct": {"type": "boolean"}, "attempt": {"type": "integer", "minimum": 1}},
    ),
    "quiz.submitted": _obj({"attempt": {"type": "integer", "minimum": 1}}),
    # problem interactions beyond answering (edX problem events)
    "quiz.hint_shown": _obj(optional={"question": _SLUG, "hint": {"type": "integer", "minimum": 0}}),
    "quiz.answer_shown": _obj(optional={"question": _SLUG}),
    "quiz.saved": _obj(optional={"question": _SLUG}),
    "quiz.reset": _obj(optional={"question": _SLUG}),
    "quiz.rescored": _obj(optional={"question": _SLUG, "score": _SCORE}),
    "quiz.graded": _obj(
        {"attempt": {"type": "integer", "minimum": 1}, "score": _SCORE},
        {
            "questions": {
                "type": "array",
                "items": _obj({"question": _SLUG, "correct": {"type": "boolean"}}, {"answer": {}}),
            },
            "passed": {"type": "boolean"},
        },
    ),
    # lab
    "lab.opened": _obj(),
    "lab.ran": _obj(optional={"submission": {"type": "string", "maxLength": 64}}),
    "lab.submitted": _obj(optional={"submission": {"type": "string", "maxLength": 64}}),
    "lab.graded": _obj(
        {"score": _SCORE, "tests": {"type": "array", "maxItems": 500, "items": _TEST_RESULT}},
        {
            "submission": {"type": "string", "maxLength": 64},
            "gradable": {"type": "boolean"},
            "mode": {"enum": ["run", "submit"]},
        },
    ),
    # navigation
    "navigation.page_viewed": _obj({"path": {"type": "string", "maxLength": 500}}),
    "navigation.outline_selected": _obj({"target": {"type": "string", "maxLength": 500}}),
    "navigation.link_clicked": _obj({"target": _TARGET}, {"path": _PATH}),
    "navigation.page_closed": _obj(optional={"path": _PATH}),
    # a search: scope course, forum, team, notes or textbook; results when the source counts them
    "navigation.searched": _obj(
        {"scope": {"enum": ["course", "forum", "team", "notes", "textbook"]}},
        {"query": {"type": "string", "maxLength": 500}, "results": {"type": "integer", "minimum": 0}},
    ),
    # textbooks (edX PDF / PNG viewers): the page turned to, in a book (chapter: its file)
    "textbook.page_turned": _obj(
        optional={"page": {"type": "integer", "minimum": 0}, "chapter": {"type": "string", "maxLength": 500}}
    ),
    # bookmarks of a unit (the activity)
    "bookmark.added": _obj(),
    "bookmark.removed": _obj(),
    "bookmark.opened": _obj(),
    # the learner's own notes on course text: the note's id and text length, never the text
    "note.added": _obj(optional={"note": _SHORT, "length": {"type": "integer", "minimum": 0}}),
    "note.edited": _obj(optional={"note": _SHORT, "length": {"type": "integer", "minimum": 0}}),
    "note.deleted": _obj(optional={"note": _SHORT}),
    # a unit marked done / not done by the learner (edX completion)
    "completion.toggled": _obj({"done": {"type": "boolean"}}),
    # polls and surveys: an answer with no right or wrong
    "survey.submitted": _obj({"answer": {}}),
    # open response assessment: a response submitted, an assessment given (peer, self, training)
    "assessment.submitted": _obj(
        optional={"submission": _SHORT, "attempt": {"type": "integer", "minimum": 0}}
    ),
    "assessment.assessed": _obj({"kind": {"enum": ["peer", "self", "training"]}}, {"submission": _SHORT}),
    "certificate.earned": _obj(optional={"mode": {"type": "string", "maxLength": 40}}),
    # recommendation (shown by the server; followed/dismissed by the learner)
    "recommendation.shown": _obj(
        {"items": {"type": "array", "minItems": 1, "maxItems": 10, "items": _SLUG}},
        {
            "model": {"type": "string", "maxLength": 80},
            "reasons": {"type": "array"},
            "recommendation": {"type": "string"},
            "experiment": {"type": "string", "maxLength": 80},
            "arm": {"type": "string", "maxLength": 80},
            # per item shown: the probability the logging policy put it in its slot
            "propensities": {
                "type": "array",
                "maxItems": 10,
                "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            },
            "exploration": {"type": "number", "minimum": 0, "maximum": 1},
        },
    ),
    "recommendation.followed": _obj({"target": _SLUG}, {"recommendation": {"type": "string"}}),
    "recommendation.dismissed": _obj({"target": _SLUG}, {"recommendation": {"type": "string"}}),
    # enrollment
    "enrollment.activated": _obj({"track": {"enum": ["audit", "verified", "external"]}}),
    "enrollment.deactivated": _obj(),
    # old_track: unknown in an imported edX mode change (the log names the new mode only)
    "enrollment.track_changed": _obj({"new_track": {"type": "string"}}, {"old_track": {"type": "string"}}),
    "enrollment.session_changed": _obj(
        {"new_session": {"type": "string", "format": "date"}},
        {"old_session": {"type": ["string", "null"]}},
    ),
    # preferences
    "personalization.changed": _obj({"enabled": {"type": "boolean"}}),
    # discussion
    "discussion.posted": _obj(
        {"thread": {"type": "string", "maxLength": 64}}, {"length": {"type": "integer"}}
    ),
    "discussion.replied": _obj(
        {"thread": {"type": "string", "maxLength": 64}}, {"length": {"type": "integer"}}
    ),
    "discussion.marked_answered": _obj({"thread": {"type": "string", "maxLength": 64}}),
    "discussion.viewed": _obj({"thread": {"type": "string", "maxLength": 64}}),
    "discussion.voted": _obj(
        {"thread": {"type": "string", "maxLength": 64}},
        {"response": {"type": "string", "maxLength": 64}, "undo": {"type": "boolean"}},
    ),
    # an event of an imported source with no canonical verb, kept as it came (scrubbed,
    # bounded): its type, and the source's event object. Only imports write it.
    "external.edx": _obj({"edx_type": {"type": "string", "maxLength": 200}}, {"event": {}}),
}

VERBS: frozenset[str] = frozenset(PAYLOAD_SCHEMAS)
NAMESPACES: frozenset[str] = frozenset(verb.split(".")[0] for verb in VERBS)

# Verbs only the server may emit: a browser cannot claim a grade or a recommendation.
SERVER_ONLY_VERBS: frozenset[str] = frozenset(
    {
        "quiz.graded",
        "lab.graded",
        "recommendation.shown",
        "enrollment.activated",
        "enrollment.deactivated",
        "enrollment.track_changed",
        "enrollment.session_changed",
        "discussion.posted",
        "discussion.replied",
        "discussion.marked_answered",
        "personalization.changed",
        "quiz.rescored",
        "discussion.viewed",
        "discussion.voted",
        "assessment.submitted",
        "assessment.assessed",
        "certificate.earned",
        "external.edx",
    }
)

VALIDATORS = {verb: fastjsonschema.compile(schema) for verb, schema in PAYLOAD_SCHEMAS.items()}
