"""Write side of the clickstream: every event, from the browser, the server, an import
or the simulator, goes through ``events_ingest`` (``events_ingest_many``; bulk imports'
columns through ``columns.events_ingest_columns``, which checks them alike)."""

from __future__ import annotations

import datetime as dt
import time as _time
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import DataError, transaction
from django.utils import timezone

from lms.courses.models import Activity, Course

from .listeners import learners_touched
from .models import Event
from .store import Row, rows_store, rows_store_count
from .validation import CleanEvent, EventError, event_clean

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
    rows: list[Row] = field(default_factory=list, repr=False)  # the accepted events as stored

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


def slugs_resolve(
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
        resolved = slugs_resolve(cleaned, index, batch)
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
        rows, stored_count = rows_store_guarded(
            rows, positions, result, count_only=True, encoded=memo.encoded
        )
        result.stored_count = stored_count
        learners_touched(touched)
        result.duplicate_count = len(rows) - result.stored_count
        return result
    rows, stored = rows_store_guarded(rows, positions, result, count_only=False, encoded=memo.encoded)
    learners_touched(touched)
    claimed: set[tuple[int, uuid.UUID]] = set()  # a key repeated inside one batch is stored once
    for row in rows:
        key = (row.learner_id, row.event_id)
        if key in claimed or key not in stored:
            result.duplicates.append(str(row.event_id))
        else:
            claimed.add(key)
            result.accepted.append(str(row.event_id))
            result.rows.append(row)
    result.stored_count, result.duplicate_count = len(result.accepted), len(result.duplicates)
    return result


def rows_store_guarded(
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
