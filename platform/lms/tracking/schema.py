"""``POST /api/events`` in the OpenAPI schema. It is a plain Django view on purpose (the
hottest endpoint of the site), so :func:`events_path`, a drf-spectacular postprocessing
hook (``SPECTACULAR_SETTINGS``), adds its hand-written description after generation,
from the bounds the view enforces.
"""

from __future__ import annotations

from typing import Any

from lms.core.schema import ERROR

from . import bounds
from .services import MAX_BATCH_EVENTS
from .validation import CLIENT_MAX_AGE, MAX_FUTURE, MAX_PAYLOAD_KEYS
from .vocabulary import SERVER_ONLY_VERBS, VALIDATORS


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _event() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A canonical event (docs/events.md); the actor is the session's user.",
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "client-generated idempotency key"},
            "time": {"type": "string", "format": "date-time"},
            "verb": {"type": "string", "enum": sorted(set(VALIDATORS) - SERVER_ONLY_VERBS)},
            "session": {"type": "string", "maxLength": 64},
            "course": {"type": "string", "minLength": 1, "maxLength": 80},
            "activity": {"type": "string", "minLength": 1, "maxLength": 80},
            "payload": {
                "type": "object",
                "maxProperties": MAX_PAYLOAD_KEYS,
                "description": "verb-specific (tracking/vocabulary.py)",
            },
        },
        "required": ["id", "time", "verb"],
    }


def events_path(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Postprocessing hook: add ``POST /api/events``."""
    result["components"]["schemas"]["Event"] = _event()
    result["components"]["schemas"].setdefault("Error", ERROR)
    error = {"$ref": "#/components/schemas/Error"}
    ingested = {
        "type": "object",
        "properties": {
            "accepted": {"type": "array", "items": {"type": "string"}},
            "duplicates": {"type": "array", "items": {"type": "string"}},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer"},
                        "id": {"type": "string", "nullable": True},
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                    },
                    "required": ["index", "id", "field", "message"],
                },
            },
        },
        "required": ["accepted", "duplicates", "errors"],
    }
    result["paths"]["/api/events"] = {
        "post": {
            "operationId": "events_create",
            "summary": "Record a batch of clickstream events",
            "description": (
                f"At most {MAX_BATCH_EVENTS} events and {bounds.MAX_BATCH_BYTES} bytes. Authenticated by the "
                "session cookie; instead of a CSRF token (navigator.sendBeacon cannot send one) "
                "a browser's Origin (scheme, host and port) must be this site.\n\n"
                "Every bad value is an entry of `errors` and the batch's valid events are still "
                "stored: a NUL character, a lone surrogate, NaN or Infinity anywhere; a payload "
                f"nested deeper than {bounds.MAX_DEPTH} levels, a string (key or value) longer than "
                f"{bounds.MAX_STRING_CHARS} characters, more than {MAX_PAYLOAD_KEYS} payload keys, "
                f"a payload over {bounds.MAX_PAYLOAD_BYTES} bytes as JSON; an event time more than "
                f"{CLIENT_MAX_AGE.days} days in the past or {int(MAX_FUTURE.total_seconds() // 60)} "
                "minutes in the future (imports keep history through their own path). Personal "
                "data in a payload (names, e-mail addresses, IP addresses, user agents) is removed "
                "before storage. Only a body that cannot be read as a whole (invalid JSON, nesting "
                "beyond the parser's limit) is a 400."
            ),
            "tags": ["events"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "events": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Event"},
                                    "maxItems": MAX_BATCH_EVENTS,
                                }
                            },
                            "required": ["events"],
                        }
                    }
                },
            },
            "security": [{"cookieAuth": []}],
            "responses": {
                "200": _json(ingested, "accepted and duplicate ids are acknowledged; errors per event"),
                "400": _json(error, "the request as a whole is malformed"),
                "403": _json(error, "not logged in, or another origin"),
                "413": _json(error, "too many events or bytes"),
                "429": _json(error, "too many batches: retry after Retry-After seconds"),
                "503": _json(error, "the event store is unavailable: retry after Retry-After seconds"),
            },
        }
    }
    return result
