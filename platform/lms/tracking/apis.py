"""POST /api/events: the ingestion endpoint of the browser tracker.

Request: ``{"events": [<canonical event>, ...]}`` (see validation.py), at most
``MAX_BATCH_EVENTS`` events and ``MAX_BATCH_BYTES`` bytes. Response 200:
``{"accepted": [ids], "duplicates": [ids], "errors": [{index, id, field, message}]}``;
accepted and duplicate ids are both acknowledged (the tracker forgets them). 400 only
when the request as a whole is malformed, 413 when it is too large, 403 when the caller
is not logged in or the request comes from another origin, 503 (with Retry-After)
when the event store is unreachable: nothing of that batch was acknowledged.

A plain Django view, not DRF: this is the hottest endpoint of the site.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from lms.core.access import SIGNED_IN, access
from lms.core.ratelimit import by_user, rate_hit, too_many_requests

from .services import MAX_BATCH_EVENTS, events_ingest

MAX_BATCH_BYTES = 1024 * 1024


def _problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _same_origin(request: HttpRequest) -> bool:
    # navigator.sendBeacon cannot send a CSRF header, so instead of Django's token this
    # endpoint accepts only same-origin browsers (they always send Origin on POST);
    # clients without an Origin header are not browsers and carry no ambient cookies risk.
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.get_host()


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
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _problem(400, f"body is not valid JSON: {exc}")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        return _problem(400, 'body must be an object {"events": [...]}')
    if len(events) > MAX_BATCH_EVENTS:
        return _problem(413, f"batch has {len(events)} events; the maximum is {MAX_BATCH_EVENTS}")
    result = events_ingest(learner_id=request.user.pk, events=events, identity=request.user.get_username())
    if result.accepted:
        from lms.progress.services import progress_from_events

        accepted = set(result.accepted)
        progress_from_events(
            learner_id=request.user.pk,
            events=[e for e in events if isinstance(e, dict) and e.get("id") in accepted],
        )
    return JsonResponse(result.as_dict())
