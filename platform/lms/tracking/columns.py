"""The columnar write path of bulk imports (``events_ingest_columns``): the checks of
``services.events_ingest_many``, done once per template of a chunk's events, and the
rows stored by binary COPY (``store.binary_store``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import DataError, connection
from django.utils import timezone
from psycopg.types.json import Jsonb

from .listeners import learners_touched
from .models import Event
from .services import IngestResult, PayloadMemo, events_ingest_many, rows_store_guarded, slugs_resolve
from .store import Row, binary_rows, binary_store, binary_tail, from_micros, micros, months_of
from .validation import (
    FIELDS,
    IDENTITY_KEYS,
    MAX_FUTURE,
    TIME_FORMAT,
    CleanEvent,
    EventError,
    event_clean,
    future_message,
)


@dataclass
class EventColumns:
    """Events as columns (a bulk import's chunk): event i is learner ``learner_ids[i]``
    at ``times[i]`` (int64 microseconds from 2000-01-01 UTC; ``NO_TIME`` where the source's
    time cannot be stored), with id ``event_ids[16 i : 16 i + 16]`` (a UUID's bytes), of
    ``templates[i]``: the rest of a raw event (verb, session, course, activity, payload),
    one object for all the events that share it."""

    learner_ids: np.ndarray
    times: np.ndarray
    event_ids: bytes
    templates: list[dict[str, Any]]


NO_TIME = np.iinfo(np.int64).min
_TEMPLATE_FIELDS = FIELDS - {"id", "time"}


@dataclass
class _Template:
    """A template's outcome: its row's shared COPY fields (``tail``) and what the
    row-by-row fallback needs, or the error every event of the template gets."""

    error: tuple[str, str] | None = None
    tail: bytes = b""
    cleaned: CleanEvent | None = None
    course_id: int | None = None
    activity_id: int | None = None
    shown: bool = False  # recommendation.*: what was shown changes nothing cached from a learner


def _template(
    template: dict, source: str, now: dt.datetime, memo: PayloadMemo, batch: dict
) -> _Template | None:
    """Check a template once, as ``event_clean`` and ``_resolve`` check an event of it;
    None when the outcome may depend on whose event it is (it names an identity key)."""
    payload = template.get("payload", {})
    if not template.keys() <= _TEMPLATE_FIELDS or (type(payload) is dict and payload.keys() & IDENTITY_KEYS):
        return None
    raw = {**template, "id": _PLACEHOLDER_ID, "time": _PLACEHOLDER_TIME}
    cleaned = event_clean(raw, index=0, now=now, allow_server_verbs=True, checked=memo.checked)
    if isinstance(cleaned, EventError):
        return _Template(error=(cleaned.field, cleaned.message))
    resolved = slugs_resolve(cleaned, 0, batch)
    if isinstance(resolved, EventError):
        return _Template(error=(resolved.field, resolved.message))
    course_id, activity_id = resolved
    payload = cleaned.payload
    hit = memo.encoded.get(id(payload))
    if hit is None or hit[0] is not payload:
        hit = memo.encoded[id(payload)] = (payload, Jsonb(json.dumps(payload).encode(), dumps=bytes))
    tail = binary_tail(
        session=cleaned.session_id, course_id=course_id, activity_id=activity_id, verb=cleaned.verb,
        payload_json=hit[1].obj, source=source,
    )  # fmt: skip
    return _Template(
        tail=tail,
        cleaned=cleaned,
        course_id=course_id,
        activity_id=activity_id,
        shown=cleaned.verb.startswith("recommendation."),
    )


_PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
_PLACEHOLDER_TIME = "2000-01-01T00:00:00+00:00"


def events_ingest_columns(
    *,
    columns: EventColumns,
    source: str,
    memo: PayloadMemo | None = None,
    now: dt.datetime | None = None,
    touched: set[int] | None = None,
) -> IngestResult:
    """``events_ingest_many`` for events given as columns (bulk imports: counts only).

    The same checks, done once per template instead of once per event: a template is
    checked (``event_clean``: verb, payload bounds and schema, the personal-data scrub,
    session, slugs) and resolved once, and its share of every row's binary COPY data is
    encoded once (``memo`` keeps both for the import). Per event, only what differs: the
    time (not in the future) and the id (bytes, valid by construction). A template whose
    payload names an identity key (the outcome depends on the learner), a database other
    than PostgreSQL, or a chunk the database refuses go through ``events_ingest_many``.
    Error indexes are positions in the columns. Not for browser events (``source`` is
    trusted: imports have no age window). ``touched``: a set the caller keeps and hands
    to ``learners_touched`` itself, once, when its import ends (a chunk at a time, a
    learner in many chunks would be named again and again); by default, done here."""
    if source == Event.Source.CLIENT:
        raise ValueError("events_ingest_columns is for trusted sources (imports), not browser events")
    memo = PayloadMemo() if memo is None else memo.trimmed()
    now = now or timezone.now()
    n = len(columns.learner_ids)
    result = IngestResult()
    batch = {"refreshed": False}
    outcomes: dict[int, _Template | None] = {}
    templates = memo.templates
    keys = list(map(id, columns.templates))
    for key, template in dict(zip(keys, columns.templates, strict=True)).items():
        hit = templates.get((key, source))
        if hit is None or hit[0] is not template:
            hit = templates[(key, source)] = (template, _template(template, source, now, memo, batch))
        outcomes[key] = hit[1]
    per_row = list(map(outcomes.__getitem__, keys))
    errors: list[tuple[int, str, str]] = []
    slow: list[int] = []  # rows whose template must be checked event by event
    ok = np.ones(n, bool)
    if any(outcome is None or outcome.error is not None for outcome in outcomes.values()):
        for i, outcome in enumerate(per_row):
            if outcome is None or outcome.error is not None:
                ok[i] = False
                if outcome is None:
                    slow.append(i)
                else:
                    errors.append((i, *outcome.error))
    times = columns.times
    untimed = np.flatnonzero(ok & (times == NO_TIME))
    late = micros(now + MAX_FUTURE)
    future = np.flatnonzero(ok & (times != NO_TIME) & (times > late))
    for i in untimed.tolist():
        errors.append((i, "time", TIME_FORMAT))
    for i in future.tolist():
        errors.append((i, "time", future_message(from_micros(times[i]), now)))
    ok[untimed] = ok[future] = False
    keep = np.flatnonzero(ok)
    rows = keep.tolist()
    stored = _columns_store(columns, keep, [per_row[i] for i in rows], now, source, memo, result)
    refused = len(result.errors)  # by the database, although valid
    result.stored_count, result.duplicate_count = stored, len(rows) - stored - refused
    if slow:
        items = [(int(columns.learner_ids[i]), _raw_of(columns, i)) for i in slow]
        more = events_ingest_many(items=items, source=source, now=now, with_ids=False, memo=memo)
        result.stored_count += more.stored_count
        result.duplicate_count += more.duplicate_count
        errors += [(slow[e.index], e.field, e.message) for e in more.errors]
    # What was shown to a learner (recommendation.*) changes nothing cached from them.
    if any(o is not None and o.shown for o in outcomes.values()):
        learners = {
            learner
            for learner, i in zip(columns.learner_ids[keep].tolist(), rows, strict=True)
            if not per_row[i].shown
        }
    else:
        learners = set(np.unique(columns.learner_ids[keep]).tolist())
    if touched is None:
        learners_touched(learners)
    else:
        touched |= learners
    errors += [(e.index, e.field, e.message) for e in result.errors]  # refused by the database
    result.errors = [
        EventError(i, str(uuid.UUID(bytes=columns.event_ids[16 * i : 16 * i + 16])), name, message)
        for i, name, message in sorted(errors)
    ]
    return result


def _columns_store(
    columns: EventColumns,
    keep: np.ndarray,
    outcomes: list[_Template],
    now: dt.datetime,
    source: str,
    memo: PayloadMemo,
    result: IngestResult,
) -> int:
    """Store the events ``keep`` (positions) of ``columns`` by binary COPY; how many were
    new. When the database refuses a value validation passed, event by event
    (``rows_store_guarded``: each refused one becomes an error at its position in ``result``)."""
    if not len(keep):
        return 0
    rows = keep.tolist()
    times = columns.times[keep]
    if connection.vendor == "postgresql":
        ids = columns.event_ids
        if len(rows) < len(columns.learner_ids):
            ids = b"".join([ids[16 * i : 16 * i + 16] for i in rows])
        data = binary_rows(columns.learner_ids[keep], times, ids, now, [o.tail for o in outcomes])
        try:
            return binary_store(data, months_of(times))
        except DataError:
            pass  # one value refused: event by event, to name it
    event_rows = [
        Row(
            int(columns.learner_ids[i]),
            from_micros(columns.times[i]),
            uuid.UUID(bytes=columns.event_ids[16 * i : 16 * i + 16]),
            now,
            o.cleaned.session_id,
            o.course_id,
            o.activity_id,
            o.cleaned.verb,
            o.cleaned.payload,
            source,
        )  # fmt: skip
        for i, o in zip(rows, outcomes, strict=True)
    ]
    _, stored = rows_store_guarded(event_rows, rows, result, count_only=True, encoded=memo.encoded)
    return stored


def _raw_of(columns: EventColumns, i: int) -> dict[str, Any]:
    """Event ``i`` as a raw event (``events_ingest_many``)."""
    time = columns.times[i]
    return {
        **columns.templates[i],
        "id": str(uuid.UUID(bytes=columns.event_ids[16 * i : 16 * i + 16])),
        "time": None if time == NO_TIME else from_micros(time).isoformat(),
    }
