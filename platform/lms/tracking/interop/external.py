"""External records: the learners, courses and activities an import names by their keys
in the source (a username, an edX course key, a block id), found or created in bulk, once
per import, and cached as key -> Cairn id.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.db.models import Max
from django.utils import timezone

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.tracking.services import catalog_index_forget

from .naming import (
    NOT_SLUG,
    digest,
    digested_slug,
    external_slug,
    readable_slug,
    slug_like,
    xapi_learner_pseudonym,
)
from .records import ImportReport, Parsed

ACTIVITY_KINDS = frozenset(Activity.Kind.values)


def _unusable_password() -> str:
    """What ``make_password(None)`` makes (an unusable password: the prefix, then 40
    random characters), from one call to the system's random source instead of 40
    (thousands of learners are created at once)."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


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
                    xapi_learner_pseudonym(pk): pk for pk in User.objects.values_list("pk", flat=True)
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
        base = NOT_SLUG.sub("-", key.lower()).strip("-_")[-50:].strip("-_") or "x"
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
