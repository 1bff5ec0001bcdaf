"""One well-formed event as the browser tracker sends it to ``POST /api/events`` (the
``api`` fixture, conftest.py, posts a batch)."""

from __future__ import annotations

import uuid

from django.utils import timezone


def event(verb="video.played", payload=None, **fields):
    """One event as the tracker writes it (a new id, now), ``fields`` overriding."""
    return {
        "id": str(uuid.uuid4()),
        "time": timezone.now().isoformat(),
        "verb": verb,
        "payload": {"position": 12.5} if payload is None else payload,
        **fields,
    }
