"""What the importers share: the report, the external records (learners, courses,
activities first seen in a log) and the chunked write through ``events_ingest_many``.

An importer is a parser that turns its format into ``Parsed`` records (a canonical raw
event plus the *external keys* of its learner, course and activity) and notes bad and
skipped input in the report. ``records_ingest`` resolves the keys, a chunk at a time, to
Cairn rows (creating the missing ones in bulk, once per import) and stores the chunk.
Memory stays constant: one chunk of records, plus the key -> id caches.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import queue
import re
import secrets
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db import OperationalError, connection, connections
from django.db.models import Max
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.tracking.services import (
    EventColumns,
    PayloadMemo,
    catalog_index_forget,
    events_ingest_columns,
    events_ingest_many,
    learners_touched,
)
from lms.tracking.validation import PERSONAL_KEYS

if TYPE_CHECKING:
    from .table import TableChunk

CHUNK_EVENTS = 5000  # events per events_ingest_many call
CHUNK_ROWS = 20_000  # table rows per chunk (table_ingest: one binary COPY each)
MAX_PROBLEMS = 20  # bad lines / invalid events kept (with their line numbers) in the report
MAX_SKIP_KINDS = 100  # distinct "skipped (...)" reasons kept; the rest are lumped together

# Fixed namespace of every uuid5 Cairn derives (event ids of imported lines, statement ids).
NAMESPACE = uuid.UUID("6f0c1a2e-5d1b-5b8e-9c44-cafe0c0ffee1")
# Never copied from a source into a payload: who did it, and where from.
STRIP_KEYS = PERSONAL_KEYS
ACTIVITY_KINDS = frozenset(Activity.Kind.values)
KIND_BY_NAMESPACE = {"video": "video", "quiz": "quiz", "lab": "lab"}  # anything else: reading

_SLUG_OK = re.compile(r"[-a-zA-Z0-9_]+")
_NOT_SLUG = re.compile(r"[^a-z0-9_]+")


def digest(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def external_slug(prefix: str, key: str) -> str:
    """A stable, readable, collision-safe slug for an external key, at most 80 characters:
    ``edx-course-v1-mitx-6-00x-2016_t1-1a2b3c4d``."""
    base = _NOT_SLUG.sub("-", key.lower()).strip("-_") or "x"
    return f"{prefix}-{base[: 80 - len(prefix) - 10].rstrip('-_')}-{digest(key)}"


def slug_like(key: str) -> bool:
    return 0 < len(key) <= 80 and _SLUG_OK.fullmatch(key) is not None


def readable_slug(key: str) -> str:
    """The key itself when it is a slug (``assist2015``, ``q52``), else its slugified
    form (``Box and Whisker`` -> ``box-and-whisker``), at most 80 characters."""
    if slug_like(key):
        return key
    return _NOT_SLUG.sub("-", key.lower()).strip("-_")[:80].strip("-_") or "x"


def digested_slug(key: str, scope: str) -> str:
    """``readable_slug(key)`` plus a digest of ``scope`` (which names the key fully):
    the slug of a key whose readable slug belongs to another key."""
    return f"{readable_slug(key)[:71].rstrip('-_')}-{digest(scope)}"


_NAMESPACE_BYTES = NAMESPACE.bytes
_VARIANT = {f"{d:x}": f"{(d & 0x3) | 0x8:x}" for d in range(16)}


def stable_id(text: str | bytes) -> str:
    """uuid5(NAMESPACE, text): the id of an imported line whose source gave it none
    (the same string ``str(uuid.uuid5(NAMESPACE, text))`` gives, formatted without
    building a UUID object: this runs once per imported line)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    h = hashlib.sha1(_NAMESPACE_BYTES + data).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def _unusable_password() -> str:
    """What ``make_password(None)`` makes (an unusable password: the prefix, then 40
    random characters), from one call to the system's random source instead of 40
    (thousands of learners are created at once)."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def stable_ids(texts: list[str]) -> bytes:
    """The bytes of ``stable_id`` of each text, concatenated (16 a text): a table's event
    ids, a chunk at a time."""
    prefix = _NAMESPACE_BYTES
    sha1 = hashlib.sha1
    data = (
        np.frombuffer(b"".join([sha1(prefix + t.encode("utf-8")).digest()[:16] for t in texts]), np.uint8)
        .reshape(-1, 16)
        .copy()
    )
    data[:, 6] = (data[:, 6] & 0x0F) | 0x50  # version 5
    data[:, 8] = (data[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return data.tobytes()


def learner_pseudonym(learner_id: int) -> str:
    """A stable pseudonymous id for a learner in exported data (never the username)."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, f"cairn-learner:{learner_id}".encode(), hashlib.sha256).hexdigest()[:32]


def site_url() -> str:
    return getattr(settings, "SITE_URL", "") or "https://cairn.invalid"


def number(value: Any) -> float | int | None:
    """A JSON number, or a numeric string (edX logs speeds as "1.50"), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if parsed == parsed else None  # NaN is no number
    return None


def open_binary(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """(the decompressed stream, the raw file: its ``tell()`` is the progress in bytes)."""
    raw = open(path, "rb")  # closed by the caller
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), 1 << 20), raw
    return io.BufferedReader(raw, 1 << 20), raw


@dataclass(slots=True)
class Parsed:
    """One source record mapped to a canonical event, its actors still as external keys."""

    learner: str  # username (found, or created as an external record)
    event: dict[str, Any]  # canonical raw event: id, time, verb, session, payload
    where: str  # "path:line" for reports
    course: str | None = None  # external course key (edX course_id, xAPI parent IRI, ...)
    activity: str | None = None  # external activity key within the course
    kind: str | None = None  # the activity's kind, if it has to be created
    title: str | None = None  # the activity's title, if it has to be created
    pseudonym: str | None = None  # a Cairn learner pseudonym (our own exports read back)


@dataclass
class ImportReport:
    format: str
    files: int = 0
    lines: int = 0  # lines (edX, JSON lines), statements (xAPI arrays) or rows (tables) read
    events: int = 0  # mapped to a canonical event
    stored: int = 0
    duplicates: int = 0
    invalid: int = 0  # mapped, but refused by validation
    bad: int = 0  # unreadable lines
    skipped: Counter = field(default_factory=Counter)
    bad_kinds: Counter = field(default_factory=Counter)  # bad lines by reason, where the reader names it
    learners_created: int = 0
    courses_created: int = 0
    activities_created: int = 0
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS, "where: why"

    def bad_line(self, where: str, reason: str, kind: str | None = None) -> None:
        """A line that could not be read; ``kind`` (a reason without the line's own
        values) is counted in the summary's "bad lines by reason"."""
        self.bad += 1
        self.problem(where, reason)
        if kind is not None:
            if kind not in self.bad_kinds and len(self.bad_kinds) >= MAX_SKIP_KINDS:
                kind = "other reasons"
            self.bad_kinds[kind] += 1

    def problem(self, where: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {reason}")

    def skip(self, reason: str, n: int = 1) -> None:
        if reason not in self.skipped and len(self.skipped) >= MAX_SKIP_KINDS:
            reason = "other reasons"
        self.skipped[reason] += n

    def merge(self, other: ImportReport) -> None:
        """Add the counts of a part of the import (a worker's block)."""
        for name in (
            "lines", "events", "stored", "duplicates", "invalid", "bad",
            "learners_created", "courses_created", "activities_created",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.skipped.items():
            self.skip(reason, n)
        self.bad_kinds.update(other.bad_kinds)
        self.problems.extend(other.problems[: MAX_PROBLEMS - len(self.problems)])

    @property
    def rejected(self) -> int:
        """Lines refused: unreadable, or mapped but invalid (skipped lines are not)."""
        return self.bad + self.invalid

    def failure(self) -> str | None:
        """Why this import failed, or None: more than half of the lines read were
        rejected, or nothing was stored and nothing was there already. Skipped lines
        (event types with no canonical event, erased learners) are no rejection."""
        if self.rejected * 2 > self.lines:
            return f"{self.rejected} of {self.lines} lines read were rejected (bad or invalid)"
        if self.stored == 0 and self.duplicates == 0:
            if self.lines == 0:
                return "nothing to import: the files hold no lines"
            skipped = sum(self.skipped.values())
            return f"nothing stored: {self.rejected} rejected, {skipped} skipped of {self.lines} lines read"
        return None

    def summary(self) -> list[str]:
        lines = [
            f"{self.format} import: {self.files} file(s), {self.lines} lines read, "
            f"{self.events} events mapped",
            f"  events stored:       {self.stored}",
            f"  duplicates:          {self.duplicates}",
            f"  invalid events:      {self.invalid}",
            f"  bad lines:           {self.bad}",
        ]
        lines += [f"    {n:>10}  {reason}" for reason, n in self.bad_kinds.most_common()]
        lines += [f"  skipped:             {sum(self.skipped.values())}"]
        lines += [f"    {n:>10}  {reason}" for reason, n in self.skipped.most_common()]
        lines += [
            f"  learners created:    {self.learners_created}",
            f"  courses created:     {self.courses_created}",
            f"  activities created:  {self.activities_created}",
        ]
        if self.problems:
            more = self.bad + self.invalid - len(self.problems)
            lines.append("  problems" + (f" (first {len(self.problems)}):" if more > 0 else ":"))
            lines += [f"    {p}" for p in self.problems]
        return lines


class ExternalRecords:
    """External keys -> Cairn ids, cached for one import; missing rows created in bulk.

    Learners are matched by username. A course key that is itself the slug of an existing
    course is that course (our own exports read back); otherwise the course is the
    external record ``<prefix>-<key as slug>-<hash>``, created once. Activities likewise,
    within their course; new ones go into one "imported" week of the course.

    ``readable=True`` (tables and data-set readers) names new records by the key itself,
    or its slugified form (``readable_slug``: ``assist2015``, ``box-and-whisker``), titled
    with the key. Only a slug that already belongs to another key (another course, an
    activity of another course, or a key with the same slugified form) gets a digest
    suffix (``digested_slug``). An imported record belongs to the key that is its title,
    a native one to the key that is its slug (our own exports read back), so importing
    again finds the same rows. The
    prefix-and-digest names stay for edX and xAPI: their parallel import names records
    in several processes at once, which only a name that depends on the key alone allows.
    """

    def __init__(self, *, source: str, prefix: str, report: ImportReport, readable: bool = False) -> None:
        self.source, self.prefix, self.report, self.readable = source, prefix, report, readable
        self.learners: dict[str, int] = {}
        self.courses: dict[str, tuple[int, str]] = {}  # key -> (id, slug)
        self.activities: dict[tuple[str, str], str] = {}  # (course key, key) -> slug
        self.weeks: dict[int, int] = {}  # course id -> id of its week for imported activities
        self.by_pseudonym: dict[str | None, int] = {}
        self._pseudonyms: dict[str, int] | None = None
        self.erased_keys: dict[str, str] = {}  # identifier -> its erased-list key (_without_erased)

    # learners ----------------------------------------------------------------------
    def _resolve_learners(self, records: list[Parsed]) -> None:
        pseudonyms = {r.pseudonym for r in records if r.pseudonym and r.pseudonym not in self.by_pseudonym}
        if pseudonyms:
            if self._pseudonyms is None:  # our own exports read back: pseudonym -> learner
                self._pseudonyms = {
                    learner_pseudonym(pk): pk for pk in User.objects.values_list("pk", flat=True)
                }
            self.by_pseudonym.update((p, self._pseudonyms[p]) for p in pseudonyms if p in self._pseudonyms)
        self._resolve_names({r.learner for r in records if r.pseudonym not in self.by_pseudonym})

    def _resolve_names(self, names: set[str]) -> None:
        """Find or create the learners of these usernames (``self.learners``)."""
        names = names - self.learners.keys()
        if not names:
            return
        found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        new = sorted(names - found.keys())
        if new:
            User.objects.bulk_create(
                [
                    User(username=name, external_source=self.source, password=_unusable_password())
                    for name in new
                ],
                ignore_conflicts=True,
            )
            found.update(User.objects.filter(username__in=new).values_list("username", "pk"))
            self.report.learners_created += len(new)
        self.learners.update(found)

    def learner_id(self, record: Parsed) -> int:
        if record.pseudonym in self.by_pseudonym:
            return self.by_pseudonym[record.pseudonym]
        return self.learners[record.learner]

    # courses -----------------------------------------------------------------------
    @staticmethod
    def _readable_slugs(
        keys: list[str], owners: dict[str, tuple[str | None, bool]], scope: Callable[[str], str]
    ) -> dict[str, tuple[str, bool]]:
        """key -> (slug, exists) by the readable rule. ``owners`` maps each slug taken to
        (the key it was imported for: the title of an external record of this scope,
        else None; whether it is a native record of this scope, which a key claims by
        being its slug: our own exports read back). ``scope`` names a key fully (the
        digest suffix)."""
        out: dict[str, tuple[str, bool]] = {}
        taken = dict(owners)
        for key in keys:  # sorted: the first of two keys with one readable slug gets it
            plain = readable_slug(key)
            owner = taken.get(plain)
            if owner is not None and (owner[0] == key[:200] or (owner[1] and plain == key)):
                out[key] = (plain, True)
            elif owner is None:
                out[key] = (plain, False)
            else:
                slug = digested_slug(key, scope(key))
                out[key] = (slug, slug in taken)
            taken.setdefault(out[key][0], (key[:200], False))
        return out

    def _resolve_courses(self, keys: set[str]) -> None:
        if self.readable:
            self._resolve_courses_readable(sorted(keys))
            return
        derived = {key: external_slug(self.prefix, key) for key in keys}
        wanted = set(derived.values()) | {key for key in keys if slug_like(key)}
        found = dict(Course.objects.filter(slug__in=wanted).values_list("slug", "pk"))
        now = timezone.now()
        new = [
            Course(slug=derived[key], title=key[:200], external_source=self.source, imported_at=now)
            for key in sorted(keys)
            if key not in found and derived[key] not in found
        ]
        if new:
            Course.objects.bulk_create(new, ignore_conflicts=True)
            found.update(Course.objects.filter(slug__in=[c.slug for c in new]).values_list("slug", "pk"))
            self.report.courses_created += len(new)
        for key in keys:
            slug = key if key in found else derived[key]
            self.courses[key] = (found[slug], slug)

    def _resolve_courses_readable(self, keys: list[str]) -> None:
        wanted = {readable_slug(k) for k in keys} | {digested_slug(k, k) for k in keys}
        owners = {
            slug: (title if source else None, not source)
            for slug, title, source in Course.objects.filter(slug__in=wanted).values_list(
                "slug", "title", "external_source"
            )
        }
        slugs = self._readable_slugs(keys, owners, lambda key: key)
        now = timezone.now()
        new = [
            Course(slug=slug, title=key[:200], external_source=self.source, imported_at=now)
            for key, (slug, exists) in slugs.items()
            if not exists
        ]
        if new:
            Course.objects.bulk_create(new, ignore_conflicts=True)
            self.report.courses_created += len(new)
        ids = dict(Course.objects.filter(slug__in=[s for s, _ in slugs.values()]).values_list("slug", "pk"))
        for key, (slug, _) in slugs.items():
            self.courses[key] = (ids[slug], slug)

    def _week(self, course_id: int, course_slug: str) -> int:
        if course_id not in self.weeks:
            slug = external_slug(f"{self.prefix}-w", course_slug)
            week = Week.objects.filter(slug=slug).first()
            if week is None:
                last = Week.objects.filter(course_id=course_id).aggregate(p=Max("position"))["p"]
                week, _ = Week.objects.get_or_create(
                    slug=slug,
                    defaults={
                        "course_id": course_id,
                        "position": min((last or 0) + 1, 32767),
                        "title": f"Imported ({self.source})",
                    },
                )
            self.weeks[course_id] = week.pk
        return self.weeks[course_id]

    # activities --------------------------------------------------------------------
    def _resolve_activities(self, wanted: dict[tuple[str, str], Parsed]) -> None:
        if self.readable:
            self._resolve_activities_readable(wanted)
            return
        derived = {pair: self._derived(pair) for pair in wanted}
        candidates = set(derived.values()) | {key for _, key in wanted if slug_like(key)}
        found = {
            slug: course_id
            for slug, course_id in Activity.objects.filter(slug__in=candidates).values_list(
                "slug", "course_id"
            )
        }
        new: list[Activity] = []
        positions: dict[int, int] = {}
        for pair, record in sorted(wanted.items()):
            course_id, course_slug = self.courses[pair[0]]
            key = pair[1]
            if found.get(key) == course_id:
                self.activities[pair] = key
                continue
            self.activities[pair] = derived[pair]
            if derived[pair] in found:
                continue
            new.append(self._new_activity(derived[pair], course_id, course_slug, key, record, positions))
            found[derived[pair]] = course_id
        if new:
            Activity.objects.bulk_create(new, ignore_conflicts=True)
            self.report.activities_created += len(new)

    def _resolve_activities_readable(self, wanted: dict[tuple[str, str], Parsed]) -> None:
        candidates = {readable_slug(key) for _, key in wanted}
        candidates |= {digested_slug(key, f"{course}|{key}") for course, key in wanted}
        existing = {
            slug: (course_id, title, not source)
            for slug, course_id, title, source in Activity.objects.filter(slug__in=candidates).values_list(
                "slug", "course_id", "title", "external_source"
            )
        }
        by_course: dict[str, list[str]] = {}
        for course, key in sorted(wanted):
            by_course.setdefault(course, []).append(key)
        new: list[Activity] = []
        positions: dict[int, int] = {}
        for course, keys in by_course.items():
            course_id, course_slug = self.courses[course]
            # a slug is a key's in this course only when its activity is in this course
            owners = {
                slug: (None if native else title, native) if owner_course == course_id else (None, False)
                for slug, (owner_course, title, native) in existing.items()
            }
            slugs = self._readable_slugs(keys, owners, lambda key, course=course: f"{course}|{key}")
            for key, (slug, exists) in slugs.items():
                self.activities[(course, key)] = slug
                if exists:
                    continue
                record = wanted[(course, key)]
                new.append(self._new_activity(slug, course_id, course_slug, key, record, positions))
                existing[slug] = (course_id, key[:200], False)
        if new:
            Activity.objects.bulk_create(new, ignore_conflicts=True)
            self.report.activities_created += len(new)

    def _new_activity(
        self, slug: str, course_id: int, course_slug: str, key: str, record: Parsed, positions: dict[int, int]
    ) -> Activity:
        """An activity first seen in a log, last in its course's week of imported
        activities (``positions``: the week's last position so far, updated)."""
        week_id = self._week(course_id, course_slug)
        if week_id not in positions:
            positions[week_id] = (
                Activity.objects.filter(week_id=week_id).aggregate(p=Max("position"))["p"] or 0
            )
        positions[week_id] = min(positions[week_id] + 1, 32767)
        return Activity(
            slug=slug,
            course_id=course_id,
            week_id=week_id,
            position=positions[week_id],
            kind=record.kind if record.kind in ACTIVITY_KINDS else Activity.Kind.READING,
            title=(record.title or key)[:200],
            minutes=0,
            external_source=self.source,
        )

    def _derived(self, pair: tuple[str, str]) -> str:
        course_key, key = pair
        base = _NOT_SLUG.sub("-", key.lower()).strip("-_")[-50:].strip("-_") or "x"
        return f"{self.prefix}-{base}-{digest(course_key + '|' + key)}"

    # ------------------------------------------------------------------------------
    def resolve_keys(
        self, learners: set[str], courses: set[str], activities: dict[tuple[str, str], Parsed]
    ) -> None:
        """Find or create these learners (usernames), courses (keys) and activities
        ((course key, key) -> a record of its kind and title): a bulk import's chunk,
        resolved by its distinct keys (``learners``, ``courses``, ``activities``)."""
        self._resolve_names(learners)
        courses = courses - self.courses.keys()
        if courses:
            self._resolve_courses(courses)
        activities = {pair: r for pair, r in activities.items() if pair not in self.activities}
        if activities:
            self._resolve_activities(activities)
        if courses or activities:
            catalog_index_forget()

    def resolve(self, records: list[Parsed]) -> list[tuple[int, dict[str, Any]]]:
        """(learner id, raw event with course/activity slugs) for each record."""
        self._resolve_learners(records)
        courses = {r.course for r in records if r.course} - self.courses.keys()
        if courses:
            self._resolve_courses(courses)
        activities = {}
        for r in records:
            if r.activity and r.course and (r.course, r.activity) not in self.activities:
                activities.setdefault((r.course, r.activity), r)
        if courses or activities:
            if activities:
                self._resolve_activities(activities)
            catalog_index_forget()
        items = []
        course_of, activity_of = self.courses, self.activities
        for r in records:
            raw = r.event
            if r.course:
                raw["course"] = course_of[r.course][1]
                if r.activity:
                    raw["activity"] = activity_of[(r.course, r.activity)]
            items.append((self.learner_id(r), raw))
        return items


def chunked(records: Iterable[Parsed], size: int) -> Iterator[list[Parsed]]:
    chunk: list[Parsed] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prefetched(chunks: Iterable[list[Parsed]], depth: int = 2) -> Iterator[list[Parsed]]:
    """Produce the chunks in a thread (parsing needs no database) while the caller
    stores the previous one: PostgreSQL's work and the parsing overlap."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            put(exc)

    thread = threading.Thread(target=produce, name="interop-parse", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _without_erased(chunk: list[Parsed], report: ImportReport, known: dict[str, str]) -> list[Parsed]:
    """Drop the records of learners erased on their request (``lms.privacy``): an old
    log read back must not bring them back. Matched by username or pseudonym; ``known``
    keeps each identifier's key for the whole import (an HMAC: worth computing once)."""
    from lms.privacy.selectors import erased_among

    identifiers = {r.learner for r in chunk} | {r.pseudonym for r in chunk if r.pseudonym}
    erased = erased_among(identifiers, known=known)
    if not erased:
        return chunk
    kept = [r for r in chunk if r.learner not in erased and r.pseudonym not in erased]
    report.skip("learner erased on request", len(chunk) - len(kept))
    return kept


def chunk_resolve(
    chunk: list[Parsed], *, external: ExternalRecords, report: ImportReport
) -> tuple[list[Parsed], list[tuple[int, dict[str, Any]]]]:
    """(the chunk without erased learners' records, its (learner id, raw event) items)."""
    chunk = _without_erased(chunk, report, external.erased_keys)
    items = external.resolve(chunk)
    report.events += len(items)
    return chunk, items


def chunk_store(items: list[tuple[int, dict[str, Any]]], *, source: str, memo: PayloadMemo | None = None):
    """``events_ingest_many`` for one chunk of an import (counts only), again when
    PostgreSQL broke a deadlock by rolling it back."""
    return _retried(lambda: events_ingest_many(items=items, source=source, with_ids=False, memo=memo))


def _retried(store: Callable[[], Any]) -> Any:
    """``store()``, again when PostgreSQL broke a deadlock by rolling it back."""
    for attempt in range(1, 4):
        try:
            return store()
        except OperationalError as exc:
            # Parallel workers storing the same key at once can deadlock; PostgreSQL
            # rolls one back, and storing its chunk again is safe (idempotent).
            if attempt == 3 or not isinstance(exc.__cause__, DeadlockDetected):
                raise
    raise AssertionError("unreachable")


def result_note(report: ImportReport, stored: int, duplicates: int, errors: list, wheres: list[str]) -> None:
    """Count a stored chunk in the report; ``errors``: (index, field, message) of each
    refused event, ``wheres`` the chunk's records' places."""
    report.stored += stored
    report.duplicates += duplicates
    report.invalid += len(errors)
    for index, name, message in errors:
        report.problem(wheres[index], f"{name or 'event'}: {message}")


def records_ingest(
    records: Iterable[Parsed],
    *,
    external: ExternalRecords,
    report: ImportReport,
    chunk_size: int = CHUNK_EVENTS,
    on_chunk: Callable[[], None] | None = None,
    threaded: bool = True,
    memo: PayloadMemo | None = None,
) -> None:
    """Store parsed records a chunk at a time through the one write path; ``memo``: for
    records that share payload objects (tables: ``services.PayloadMemo``)."""
    chunks = chunked(records, chunk_size)
    for chunk in prefetched(chunks) if threaded else chunks:
        chunk, items = chunk_resolve(chunk, external=external, report=report)
        result = chunk_store(items, source=external.source, memo=memo)
        errors = [(e.index, e.field, e.message) for e in result.errors]
        result_note(report, result.stored_count, result.duplicate_count, errors, [r.where for r in chunk])
        if on_chunk is not None:
            on_chunk()


# tables: columns ---------------------------------------------------------------------
MAX_TEMPLATES = 200_000  # (course, content) templates an import keeps (table_ingest)


def _table_prepare(
    chunk: TableChunk, *, external: ExternalRecords, report: ImportReport, templates: dict
) -> tuple[TableChunk, EventColumns]:
    """Resolve a table chunk's distinct learners, courses and activities (creating the
    missing ones) and make its events' columns; erased learners' rows are dropped."""
    from lms.privacy.selectors import erased_among

    erased = erased_among(set(chunk.learners), known=external.erased_keys)
    if erased:
        keep = np.array([learner not in erased for learner in chunk.learners], bool)
        report.skip("learner erased on request", int((~keep).sum()))
        chunk = chunk.taken(np.flatnonzero(keep))
    one_course = len(set(chunk.courses)) == 1  # the common case: rows keyed by their outcome alone
    oids = list(map(id, chunk.outcomes))
    if one_course:
        course = chunk.courses[0]
        distinct = {(course, key): o for key, o in zip(oids, chunk.outcomes, strict=True)}
    else:
        distinct = {(c, key): o for c, key, o in zip(chunk.courses, oids, chunk.outcomes, strict=True)}
    pairs: dict[tuple[str, str], Parsed] = {}
    for (course, _), outcome in distinct.items():
        if (course, outcome[3]) not in pairs:  # its kind and title, if it must be created
            pairs[(course, outcome[3])] = Parsed("", {}, "", course, outcome[3], outcome[4], outcome[3])
    external.resolve_keys(set(chunk.learners), set(chunk.courses), pairs)
    if len(templates) > MAX_TEMPLATES:
        templates.clear()
    made_for: dict[tuple[str, int], dict] = {}
    for key, outcome in distinct.items():
        hit = templates.get(key)
        if hit is None or hit[0] is not outcome:
            course, _ = key
            _, verb, payload, activity, _ = outcome
            template = {
                "verb": verb,
                "session": "",
                "course": external.courses[course][1],
                "activity": external.activities[(course, activity)],
                "payload": payload,
            }
            hit = templates[key] = (outcome, template)
        made_for[key] = hit[1]
    if one_course:
        by_outcome = {key: template for (_, key), template in made_for.items()}
        made = list(map(by_outcome.__getitem__, oids))
    else:
        made = [made_for[pair] for pair in zip(chunk.courses, oids, strict=True)]
    learners = external.learners
    columns = EventColumns(
        learner_ids=np.fromiter((learners[name] for name in chunk.learners), np.int64, len(chunk)),
        times=chunk.times,
        event_ids=chunk.event_ids,
        templates=made,
    )
    report.events += len(chunk)
    return chunk, columns


def table_ingest(
    chunks: Iterable[TableChunk],
    *,
    external: ExternalRecords,
    report: ImportReport,
    memo: PayloadMemo,
    workers: int = 1,
    threaded: bool = True,
) -> None:
    """Store a table's chunks (``TableReader``) through ``events_ingest_columns``.

    The chunks are read in a thread (``prefetched``: no database) while this one
    resolves their keys and makes their columns; ``workers`` > 1 threads, each on its
    own connection, store them (binary COPY and the move out of staging wait on
    PostgreSQL, not on Python), at most ``2 * workers`` chunks in flight, each committed
    on its own: not inside an outer transaction. The report counts chunks in order."""
    if workers > 1 and connection.in_atomic_block:
        raise ValueError("a parallel import commits block by block: it cannot run inside a transaction")
    templates: dict = {}
    source = external.source
    touched: set[int] = set()  # named to learners_touched once, at the end

    def store(columns: EventColumns):
        return _retried(
            lambda: events_ingest_columns(columns=columns, source=source, memo=memo, touched=touched)
        )

    def note(chunk: TableChunk, result) -> None:
        report.stored += result.stored_count
        report.duplicates += result.duplicate_count
        report.invalid += len(result.errors)
        for error in result.errors:
            report.problem(chunk.where(error.index), f"{error.field or 'event'}: {error.message}")

    prepared = (
        _table_prepare(chunk, external=external, report=report, templates=templates)
        for chunk in (prefetched(chunks) if threaded else chunks)
    )
    try:
        _table_store(prepared, store, note, workers)
    finally:  # what was stored, even when a later chunk failed
        learners_touched(touched)


def _table_store(prepared: Iterable[tuple], store: Callable, note: Callable, workers: int) -> None:
    if workers <= 1:
        for chunk, columns in prepared:
            note(chunk, store(columns))
        return
    with _Storers(workers, store) as storers:
        pending: deque = deque()
        for chunk, columns in prepared:
            pending.append((chunk, storers.submit(columns)))
            if len(pending) >= 2 * workers:
                chunk, future = pending.popleft()
                note(chunk, future.result())
        while pending:
            chunk, future = pending.popleft()
            note(chunk, future.result())


class _Storers:
    """``workers`` threads calling ``store``, each on its own database connection
    (closed when the thread ends)."""

    def __init__(self, workers: int, store: Callable[[Any], Any]) -> None:
        self.store = store
        self.inbox: queue.Queue = queue.Queue()
        self.threads = [
            threading.Thread(target=self._loop, name=f"interop-store-{i}", daemon=True)
            for i in range(workers)
        ]

    def _loop(self) -> None:
        try:
            while (item := self.inbox.get()) is not None:
                future, argument = item
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(self.store(argument))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
                        future.set_exception(exc)
        finally:
            connections.close_all()

    def submit(self, argument: Any) -> Future:
        future: Future = Future()
        self.inbox.put((future, argument))
        return future

    def __enter__(self) -> _Storers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if exc_info[0] is not None:  # a failure: what is still queued is dropped
            while True:
                try:
                    future, _ = self.inbox.get_nowait()
                except queue.Empty:
                    break
                future.cancel()
        for _ in self.threads:
            self.inbox.put(None)
        for thread in self.threads:
            thread.join()
