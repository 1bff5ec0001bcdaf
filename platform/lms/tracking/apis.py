"""POST /api/events: the ingestion endpoint of the browser tracker.

Request: ``{"events": [<canonical event>, ...]}`` (see validation.py), at most
``MAX_BATCH_EVENTS`` events and ``MAX_BATCH_BYTES`` bytes. Response 200:
``{"accepted": [ids], "duplicates": [ids], "errors": [{index, id, field, message}]}``;
accepted and duplicate ids are both acknowledged (the tracker forgets them). 400 only
when the request as a whole is malformed, 413 when it is too large, 403 when the caller
is not logged in or the request comes from another origin, 503 (with Retry-After)
when the event store is unreachable: nothing of that batch was acknowledged.

Every bad *value* is a per-event error, never a failed batch: the bounds of
``bounds.py`` (no NUL, lone surrogate, NaN or Infinity; nesting depth, string length
and payload size) and the client time window of ``validation.py`` are checked per
event, so the valid events of a batch are stored and the tracker forgets the refused
ones instead of re-sending them forever. Only what makes the body unreadable as a whole
is a 400: invalid JSON, JSON nested deeper than the parser's recursion limit, a number
of more than 4,300 digits.

What other apps make of the events follows from the stored batch, through the
ingestion listeners (``listeners.py``): a batch with an event of a verb some listener
registered is stored, then handed to every listener, in one transaction. Progress
registers for video pauses and completions and folds their played segments into
progress by one SQL statement in that transaction, so the next page load shows it; with
``PROGRESS_FROM_EVENTS = "task"`` a Celery task folds it after the commit instead
(docs/events.md, "Progress from events"). Other batches open no transaction of their own.

A plain Django view, not DRF: this is the hottest endpoint of the site.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lms.core.access import SIGNED_IN, access
from lms.core.ratelimit import by_user, rate_hit, too_many_requests

from .bounds import MAX_BATCH_BYTES
from .listeners import IngestedBatch, ingested, ingestion_wanted
from .services import MAX_BATCH_EVENTS, events_ingest


def _problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, host.lower(), port or _DEFAULT_PORTS.get(scheme)


def _same_origin(request: HttpRequest) -> bool:
    """Whether the Origin header names this site: scheme, host and port, each compared
    (``ftp://host:port`` or ``http://`` on an HTTPS site is another origin), or one of
    ``CSRF_TRUSTED_ORIGINS``.

    navigator.sendBeacon cannot send a CSRF header, so instead of Django's token this
    endpoint accepts only same-origin browsers (they always send Origin on POST);
    clients without an Origin header are not browsers and carry no ambient cookie risk."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    try:
        parts = urlsplit(origin)
        theirs = _origin_key(parts.scheme, parts.hostname or "", parts.port)
    except ValueError:  # a port that is not a number, or out of range
        return False
    if theirs[0] not in _DEFAULT_PORTS or not theirs[1] or parts.path or parts.query:
        return False  # "null", another scheme, or not an origin at all
    domain, port = split_domain_port(request.get_host())
    if theirs == _origin_key(request.scheme, domain.strip("[]"), int(port) if port else None):
        return True
    return origin.rstrip("/").lower() in {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}


@access(SIGNED_IN)
@csrf_exempt
@require_POST
def events_post(request: HttpRequest) -> JsonResponse:
    try:
        return _events_post(request)
    except DatabaseError:
        # Nothing of this batch was acknowledged, so nothing is lost: the tracker resends it.
        response = _problem(503, "the event store is unavailable; retry shortly")
        response["Retry-After"] = "2"
        return response


def _events_post(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:  # the session and user lookups hit the database
        return _problem(403, "log in to send events")
    if not _same_origin(request):
        return _problem(403, "events must come from this site's pages")
    wait = rate_hit("events-user", by_user(request))
    if wait is not None:
        return too_many_requests(request, wait)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _problem(400, "invalid Content-Length")
    if length > MAX_BATCH_BYTES:
        return _problem(413, f"batch is {length} bytes; the maximum is {MAX_BATCH_BYTES}")
    try:
        body = json.loads(request.body)
    except RecursionError:
        return _problem(400, "body is not valid JSON: it is nested too deeply")
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer of > 4300 digits
        return _problem(400, f"body is not valid JSON: {exc}")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        return _problem(400, 'body must be an object {"events": [...]}')
    if len(events) > MAX_BATCH_EVENTS:
        return _problem(413, f"batch has {len(events)} events; the maximum is {MAX_BATCH_EVENTS}")
    learner_id = request.user.pk
    if not ingestion_wanted(events):  # most batches: clicks, pages, plays
        result = events_ingest(learner_id=learner_id, events=events, identity=request.user.get_username())
        return JsonResponse(result.as_dict())
    with transaction.atomic():  # the events and what the listeners make of them (progress), or neither
        result = events_ingest(learner_id=learner_id, events=events, identity=request.user.get_username())
        accepted = set(result.accepted)
        stored = [e for e in events if isinstance(e, dict) and e.get("id") in accepted]
        ingested(IngestedBatch(learner_id=learner_id, events=stored, rows=result.rows))
    return JsonResponse(result.as_dict())
