"""Write side of the clickstream: every event, from the browser, the server, an import
or the simulator, goes through ``events_ingest``."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time as _time
import uuid
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import DataError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from psycopg.types.json import Jsonb

from lms.courses.models import Activity, Course

from .models import Event
from .store import (
    Row,
    binary_rows,
    binary_store,
    binary_tail,
    from_micros,
    micros,
    months_of,
    rows_store,
    rows_store_count,
)
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

log = logging.getLogger(__name__)
MAX_BATCH_EVENTS = 500

_INDEX_TTL = 60.0
_index: dict[str, Any] = {"at": 0.0, "courses": {}, "activities": {}}


def _catalog_index(*, refresh: bool = False) -> dict[str, Any]:
    """Slug -> id maps for courses and activities, cached for a minute per process."""
    if refresh or _time.monotonic() - _index["at"] > _INDEX_TTL:
        _index["courses"] = dict(Course.objects.values_list("slug", "id"))
        _index["activities"] = {
            slug: (activity_id, course_id)
            for slug, activity_id, course_id in Activity.objects.values_list("slug", "id", "course_id")
        }
        _index["at"] = _time.monotonic()
    return _index


def catalog_index_forget() -> None:
    _index["at"] = 0.0


MAX_MEMO = 100_000  # payload objects a PayloadMemo remembers before it starts again


@dataclass
class PayloadMemo:
    """Work shared by events that share payload objects (a table import's repeated rows:
    one dict for every row of the same content), across ``events_ingest_many`` calls:
    each object's checks and scrubbing (``validation.event_clean``) and its JSON text
    (``store``) are done once. An entry holds its object, so no other object can take
    its id while it is remembered; past ``MAX_MEMO`` objects a dict starts again."""

    checked: dict = field(default_factory=dict)  # (payload id, verb, sender) -> (payload, outcome)
    encoded: dict = field(default_factory=dict)  # id of a stored payload -> (payload, its JSON)
    templates: dict = field(default_factory=dict)  # (template id, source) -> (template, _Template)

    def trimmed(self) -> PayloadMemo:
        for memo in (self.checked, self.encoded, self.templates):
            if len(memo) > MAX_MEMO:
                memo.clear()
        return self


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)  # ids stored now
    duplicates: list[str] = field(default_factory=list)  # ids stored before: acknowledged, not stored again
    errors: list[EventError] = field(default_factory=list)
    stored_count: int = 0  # len(accepted), also filled when ids are not collected
    duplicate_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "errors": [error.as_dict() for error in self.errors],
        }


def _lookup(kind: str, slug: str, batch: dict[str, bool]) -> Any:
    """``kind`` ("courses" or "activities") id(s) for ``slug``, or None. A miss reloads the
    index (a course may just have been imported), but at most once per batch: a batch full
    of unknown slugs must not turn into one full catalog read per event."""
    found = _catalog_index()[kind].get(slug)
    if found is None and not batch["refreshed"]:
        batch["refreshed"] = True
        found = _catalog_index(refresh=True)[kind].get(slug)
    return found


def _resolve(
    event: CleanEvent, index: int, batch: dict[str, bool]
) -> tuple[int | None, int | None] | EventError:
    def error(field: str, message: str) -> EventError:
        return EventError(index, str(event.event_id), field, message)

    course_id = activity_id = None
    if event.activity_slug is not None:
        found = _lookup("activities", event.activity_slug, batch)
        if found is None:
            return error("activity", f"unknown activity {event.activity_slug!r}")
        activity_id, course_id = found
    if event.course_slug is not None:
        named = _lookup("courses", event.course_slug, batch)
        if named is None:
            return error("course", f"unknown course {event.course_slug!r}")
        if course_id is not None and named != course_id:
            return error("course", "the activity does not belong to this course")
        course_id = named
    return course_id, activity_id


GENERATION_KEY = "learner-generation:{}"
GENERATION_SECONDS = 30 * 24 * 3600


# Sent with ``learner_ids`` once a change to those learners' history or progress is
# committed (``learners_touched``): lms.recommendations precomputes their next steps.
learners_changed = Signal()


def learners_touched(learner_ids: Iterable[int]) -> None:
    """The learners' history or progress changed: whatever was cached from it (their
    next steps) is stale. Each learner's generation gets a new token now and, inside a
    transaction, again when it commits, so a reader between the two cannot keep the
    state from before the commit under the new token. Once the change is committed,
    ``learners_changed`` is sent, so that what was stale can be computed again off the
    request path; a receiver's failure is logged, never raised to the writer."""
    ids = set(learner_ids)
    if not ids:
        return

    def bump() -> None:
        token = uuid.uuid4().hex
        cache.set_many({GENERATION_KEY.format(i): token for i in ids}, GENERATION_SECONDS)

    def committed() -> None:
        bump()
        for receiver, outcome in learners_changed.send_robust(sender=None, learner_ids=ids):
            if isinstance(outcome, Exception):
                log.error("learners_changed receiver %r failed", receiver, exc_info=outcome)

    if transaction.get_connection().in_atomic_block:
        bump()
        transaction.on_commit(committed)
    else:
        committed()


def learner_generation(learner_id: int) -> str:
    """A token that changes whenever ``learners_touched`` names the learner. A learner
    with none yet (or whose token the cache evicted) gets a new one, so a token never
    comes back: what was cached under an old one cannot match again."""
    key = GENERATION_KEY.format(learner_id)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, GENERATION_SECONDS):  # another request set one first
            token = cache.get(key) or token
    return token


def events_ingest(
    *,
    learner_id: int,
    events: Sequence[Any],
    source: str = Event.Source.CLIENT,
    identity: str | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Validate and store a batch for one learner. Valid events are stored even when
    others in the batch are invalid; re-sent events are acknowledged as duplicates."""
    return events_ingest_many(
        items=[(learner_id, raw) for raw in events],
        source=source,
        identities={learner_id: identity} if identity else None,
        now=now,
    )


def events_ingest_many(
    *,
    items: Sequence[tuple[int, Any]],
    source: str,
    identities: dict[int, str] | None = None,
    now: dt.datetime | None = None,
    with_ids: bool = True,
    memo: PayloadMemo | None = None,
) -> IngestResult:
    """The one write path: ``items`` are (learner id, raw event) pairs, possibly of many
    learners (imports, the simulator). Error indexes refer to positions in ``items``.
    ``with_ids=False`` (bulk imports) fills only the counts, not the id lists. ``memo``
    (an import whose events share payload objects) carries the work done on each
    payload object from one call to the next; without it, one call shares it."""
    memo = PayloadMemo() if memo is None else memo.trimmed()
    now = now or timezone.now()
    names: dict[int, frozenset] = {}
    result = IngestResult()
    batch = {"refreshed": False}
    rows: list[Row] = []
    positions: list[int] = []  # index in ``items`` of each row
    for index, (learner_id, raw) in enumerate(items):
        if learner_id not in names:
            # A learner may name themselves (by id or username); nobody else.
            username = (identities or {}).get(learner_id)
            names[learner_id] = frozenset({learner_id, str(learner_id)} | ({username} if username else set()))
        cleaned = event_clean(
            raw,
            index=index,
            now=now,
            allow_server_verbs=source != Event.Source.CLIENT,
            identities=names[learner_id],
            checked=memo.checked,
        )
        if isinstance(cleaned, EventError):
            result.errors.append(cleaned)
            continue
        resolved = _resolve(cleaned, index, batch)
        if isinstance(resolved, EventError):
            result.errors.append(resolved)
            continue
        course_id, activity_id = resolved
        positions.append(index)
        rows.append(
            Row(
                learner_id,
                cleaned.time,
                cleaned.event_id,
                now,
                cleaned.session_id,
                course_id,
                activity_id,
                cleaned.verb,
                cleaned.payload,
                source,
            )  # fmt: skip
        )
    # What was shown to a learner (recommendation.*) changes nothing cached from them.
    touched = {r.learner_id for r in rows if not r.verb.startswith("recommendation.")}
    if not with_ids:
        rows, stored_count = _store_guarded(rows, positions, result, count_only=True, encoded=memo.encoded)
        result.stored_count = stored_count
        learners_touched(touched)
        result.duplicate_count = len(rows) - result.stored_count
        return result
    rows, stored = _store_guarded(rows, positions, result, count_only=False, encoded=memo.encoded)
    learners_touched(touched)
    claimed: set[tuple[int, uuid.UUID]] = set()  # a key repeated inside one batch is stored once
    for row in rows:
        key = (row.learner_id, row.event_id)
        if key in claimed or key not in stored:
            result.duplicates.append(str(row.event_id))
        else:
            claimed.add(key)
            result.accepted.append(str(row.event_id))
    result.stored_count, result.duplicate_count = len(result.accepted), len(result.duplicates)
    return result


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
    resolved = _resolve(cleaned, 0, batch)
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
    (``_store_guarded``: each refused one becomes an error at its position in ``result``)."""
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
    _, stored = _store_guarded(event_rows, rows, result, count_only=True, encoded=memo.encoded)
    return stored


def _raw_of(columns: EventColumns, i: int) -> dict[str, Any]:
    """Event ``i`` as a raw event (``events_ingest_many``)."""
    time = columns.times[i]
    return {
        **columns.templates[i],
        "id": str(uuid.UUID(bytes=columns.event_ids[16 * i : 16 * i + 16])),
        "time": None if time == NO_TIME else from_micros(time).isoformat(),
    }


def _store_guarded(
    rows: list[Row], positions: list[int], result: IngestResult, *, count_only: bool, encoded: dict
) -> tuple[list[Row], Any]:
    """Store ``rows`` (``rows_store``, or ``rows_store_count`` when ``count_only``);
    return the rows the database took and what the store function returned.

    A value the database refuses although validation passed it (``DataError``, or a
    ``ValueError`` while encoding it: a case ``bounds.py`` did not foresee) fails the
    whole INSERT. Then the rows are stored one at a time, each in a savepoint, and each
    refused one becomes a per-event error: one value never fails its batch (for the
    browser that was a 503, re-sent forever). The common path costs nothing more than a
    savepoint when a caller's transaction is open."""
    store = rows_store_count if count_only else rows_store
    try:
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            return rows, store(rows, encoded=encoded)
    except (DataError, ValueError):
        pass
    kept: list[Row] = []
    total: Any = 0 if count_only else set()
    for row, index in zip(rows, positions, strict=True):
        try:
            with transaction.atomic():
                stored = store([row], encoded=encoded)
        except (DataError, ValueError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            result.errors.append(
                EventError(index, str(row.event_id), "", f"the event store refused this event: {reason}")
            )
            continue
        kept.append(row)
        total = total + stored if count_only else total | stored
    result.errors.sort(key=lambda error: error.index)
    return kept, total


def event_record(
    *,
    learner_id: int,
    verb: str,
    payload: dict[str, Any] | None = None,
    course: str | None = None,
    activity: str | None = None,
    session_id: str = "",
    event_id: uuid.UUID | None = None,
    time: dt.datetime | None = None,
) -> IngestResult:
    """Record one server-side event (a grade, an enrollment, a recommendation shown)
    through the same validation and store as client events. Raises on invalid input:
    a server event that does not validate is a bug, not bad user input."""
    raw = {
        "id": str(event_id or uuid.uuid4()),
        "time": (time or timezone.now()).isoformat(),
        "verb": verb,
        "session": session_id,
        "payload": payload or {},
    }
    if course is not None:
        raw["course"] = course
    if activity is not None:
        raw["activity"] = activity
    result = events_ingest(learner_id=learner_id, events=[raw], source=Event.Source.SERVER)
    if result.errors:
        raise ValueError(f"invalid server event: {result.errors[0].as_dict()}")
    return result
