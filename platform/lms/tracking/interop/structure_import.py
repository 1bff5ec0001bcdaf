"""Course structures read from a file and written onto Cairn rows.

The rows are the ones the edX event importer names (``external.ExternalRecords``): the
course ``edx-<course key>-<hash>``, each activity ``edx-<block id>-<hash>`` from the
course key and the block id alone, so events and structure meet in the same rows in
whichever order they are imported. A re-import updates those rows in place (events
keep pointing at them); a chapter or component no longer in the structure is retired,
never deleted. Everything is parsed and checked before the first write, and the write
is one transaction: bad input leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from lms.courses.models import Activity, Course, Week
from lms.courses.services import row_save

from .external import ExternalRecords
from .naming import external_slug
from .records import ImportReport
from .structure import (
    MAX_JSON_BYTES,
    MAX_TITLE,
    MINUTES,
    SOURCE,
    CourseStructure,
    StructureInvalid,
    structure_from_blocks,
    structure_from_json,
)
from .structure_olx import structure_from_olx


def structures_read(
    path: Path, *, format: str = "auto", course_key: str | None = None
) -> list[CourseStructure]:
    """Every course structure in ``path``: one, or for a JSON-lines file one per line (the
    analytics pipeline dumps the Course Blocks API's answers for many courses that way)."""
    path = Path(path)
    if format == "olx" or (
        format == "auto" and not (path.is_file() and path.suffix.lower() in (".json", ".jsonl"))
    ):
        return [structure_read(path, format=format, course_key=course_key)]
    if path.stat().st_size > MAX_JSON_BYTES:
        raise StructureInvalid(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MiB")
    try:
        text = path.read_bytes().decode("utf-8")
        values = [json.loads(text)]
    except UnicodeDecodeError as exc:
        raise StructureInvalid(f"{path.name} is not valid JSON: {exc}") from exc
    except ValueError as whole:
        values = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    values.append(json.loads(line))
                except ValueError as exc:
                    where = f"line {number}" if number > 1 or len(values) else "its start"
                    raise StructureInvalid(
                        f"{path.name} is not valid JSON or JSON lines ({where}: {exc}; as one document: {whole})"
                    ) from exc
    if course_key and len(values) > 1:
        raise StructureInvalid(f"{path.name} holds {len(values)} courses: --course-id names one")
    return [structure_from_blocks(value, course_key=course_key) for value in values]


def structure_read(path: Path, *, format: str = "auto", course_key: str | None = None) -> CourseStructure:
    """Parse ``path`` (``format``: json, olx, or auto: .json files are JSON)."""
    path = Path(path)
    if not path.exists():
        raise StructureInvalid(f"{path} does not exist")
    if format == "auto":
        format = "json" if path.is_file() and path.suffix.lower() == ".json" else "olx"
    if format == "json":
        return structure_from_json(path, course_key=course_key)
    if format == "olx":
        return structure_from_olx(path, course_key=course_key)
    raise StructureInvalid(f"unknown format {format!r}: json, olx or auto")


# Writing --------------------------------------------------------------------------------
@dataclass
class StructureReport:
    course_key: str
    course_slug: str = ""
    counts: Counter = field(default_factory=Counter)  # e.g. counts["activity created"]
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        done = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n) or "nothing to do"
        lines = [f"{self.course_key} -> {self.course_slug}: {done}"]
        lines += [f"  skipped {n}: {why}" for why, n in self.skipped.most_common()]
        return "\n".join(lines)


def week_slug(course_key: str, chapter: str) -> str:
    return external_slug(f"{SOURCE}-ch", f"{course_key}|{chapter}")


@transaction.atomic
def course_structure_import(*, structure: CourseStructure, source_name: str = "") -> StructureReport:
    """Write ``structure`` onto the course's external records (creating the missing ones);
    see the module docstring. Idempotent."""
    from lms.courses.selectors import catalog_graph_forget
    from lms.tracking.services import catalog_index_forget

    naming = ExternalRecords(source=SOURCE, prefix=SOURCE, report=ImportReport(SOURCE))
    key = structure.course_key
    report = StructureReport(key, skipped=Counter(structure.skipped))
    slug = external_slug(SOURCE, key)
    existing = Course.objects.select_for_update().filter(slug=slug).first()
    if existing is not None and not existing.external_source:
        raise StructureInvalid(f"{slug} is a Cairn course; its structure comes from course_content/")
    course = row_save(
        Course,
        {"slug": slug},
        {"title": structure.title[:MAX_TITLE], "external_source": existing.external_source if existing else SOURCE,
         "source_path": source_name[:500]},
        report.counts,
        "course",
        lock=True,
    )  # fmt: skip
    report.course_slug = course.slug
    seen_weeks, seen_activities = set(), set()
    for position, chapter in enumerate(structure.chapters, start=1):
        week = row_save(
            Week,
            {"slug": week_slug(key, chapter.block_id)},
            {"course": course, "position": position, "title": chapter.title, "retired": False},
            report.counts,
            "week",
            lock=True,
        )
        seen_weeks.add(week.pk)
        for place, spec in enumerate(chapter.activities, start=1):
            activity_slug = naming._derived((key, spec.block_id))  # the slug edX events give it
            owner = Activity.objects.filter(slug=activity_slug).values_list("course_id", flat=True).first()
            if owner is not None and owner != course.pk:
                raise StructureInvalid(f"activity {activity_slug} belongs to another course")
            kind = spec.kind
            activity = row_save(
                Activity,
                {"slug": activity_slug},
                {"course": course, "week": week, "position": place, "kind": kind, "title": spec.title,
                 "graded": spec.graded, "minutes": MINUTES[kind], "retired": False,
                 "external_source": SOURCE},
                report.counts,
                "activity",
                lock=True,
            )  # fmt: skip
            seen_activities.add(activity.pk)
    # Activities first seen in logs and absent from the structure stay in the events'
    # week, which moves after the chapters; what an earlier structure placed and this
    # one lacks is retired (its events and history are kept).
    events_week = external_slug(f"{SOURCE}-w", course.slug)
    moved = Week.objects.filter(slug=events_week, course=course).exclude(position=len(structure.chapters) + 1)
    report.counts["week updated"] += moved.update(position=min(len(structure.chapters) + 1, 32767))
    report.counts["week retired"] += (
        Week.objects.filter(course=course, retired=False)
        .exclude(pk__in=seen_weeks)
        .exclude(slug=events_week)
        .update(retired=True)
    )
    report.counts["activity retired"] += (
        Activity.objects.filter(course=course, retired=False)
        .exclude(pk__in=seen_activities)
        .exclude(week__slug=events_week)
        .update(retired=True)
    )
    report.counts += Counter()  # drops the zero counts
    course.imported_at = timezone.now()
    course.save(update_fields=["imported_at"])
    transaction.on_commit(catalog_graph_forget)
    transaction.on_commit(catalog_index_forget)
    return report


def course_structure_import_file(
    *, path: Path, format: str = "auto", course_key: str | None = None
) -> StructureReport:
    """Parse, then write: nothing is written unless the whole file parses."""
    structure = structure_read(path, format=format, course_key=course_key)
    return course_structure_import(structure=structure, source_name=Path(path).name)


@transaction.atomic
def course_structures_import_file(
    *, path: Path, format: str = "auto", course_key: str | None = None
) -> list[StructureReport]:
    """Every course of ``path`` (``structures_read``), all or none."""
    structures = structures_read(path, format=format, course_key=course_key)
    return [course_structure_import(structure=s, source_name=Path(path).name) for s in structures]


__all__ = [
    "StructureReport",
    "course_structure_import",
    "course_structure_import_file",
    "course_structures_import_file",
    "structure_read",
    "structures_read",
]
