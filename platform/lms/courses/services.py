"""Write side of the catalog: importing a course from its files.

``course_import`` is idempotent. Everything is matched on the stable ids of the files:
a re-import updates rows in place (learner history, keyed on them, is untouched), and
something removed from the files is *retired* (hidden, its history kept), never deleted.
Nothing is written unless the course's files validate.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from course_content.catalog import Course as CourseSpec
from course_content.catalog import CourseCatalog
from course_content.schema import ContentInvalid
from course_content.validate import errors_under, validate_catalog

from .models import Activity, Concept, Course, CourseSession, Enrollment, Question, Week
from .signals import course_imported, enrollment_changed


@dataclass
class ImportReport:
    course: str
    counts: Counter = field(default_factory=Counter)  # e.g. counts["activity created"]

    def summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n) or "nothing to do"


def row_save(model, lookup: dict, values: dict, counts: Counter, label: str, *, lock: bool = False):
    """update_or_create that only writes (and counts in ``counts``: "<label> created" or
    "<label> updated") rows that really changed; ``lock`` takes the row's lock first.
    Shared by the content loader and the Open edX course-structure import."""
    rows = model.objects.select_for_update() if lock else model.objects
    obj = rows.filter(**lookup).first()
    if obj is None:
        counts[f"{label} created"] += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        counts[f"{label} updated"] += 1
    return obj


def _concepts_upsert(catalog: CourseCatalog, spec: CourseSpec, report: ImportReport) -> dict[str, Concept]:
    """The shared graph (concepts.yaml) plus this course's own concepts and every concept
    they reach through prerequisites."""
    wanted = {cid for cid, c in catalog.concepts.items() if c.course in (None, spec.slug)}
    wanted |= {cid for a in spec.activities() for cid in a.concepts}
    wanted |= {cid for a in spec.activities() if a.quiz for q in a.quiz.questions for cid in q.concepts}
    stack = list(wanted)
    while stack:
        for required in catalog.concepts[stack.pop()].requires:
            if required not in wanted:
                wanted.add(required)
                stack.append(required)
    rows = {
        cid: row_save(
            Concept, {"slug": cid}, {"title": catalog.concepts[cid].title}, report.counts, "concept"
        )
        for cid in sorted(wanted)
    }
    known = {
        c.slug: c
        for c in Concept.objects.filter(
            slug__in={r for cid in wanted for r in catalog.concepts[cid].requires}
        )
    }
    for cid, row in rows.items():
        required = {known[r].pk for r in catalog.concepts[cid].requires}
        if set(row.requires.values_list("pk", flat=True)) != required:
            row.requires.set(required)
    return rows


def _set_m2m(manager, wanted: list[Concept]) -> None:
    if set(manager.values_list("pk", flat=True)) != {c.pk for c in wanted}:
        manager.set(wanted)


@transaction.atomic
def course_import(*, course_dir: Path) -> ImportReport:
    """Import (or re-import) the course in ``course_dir`` (a folder of course_content/)."""
    course_dir = Path(course_dir).resolve()
    root = course_dir.parent
    if not (course_dir / "course.yaml").is_file():
        raise FileNotFoundError(f"{course_dir} has no course.yaml")
    catalog, errors = validate_catalog(root)
    errors = errors_under(errors, [course_dir, root / "concepts.yaml"])
    if errors:
        raise ContentInvalid(errors)
    spec = next(c for c in catalog.courses if c.dir.resolve() == course_dir)
    report = ImportReport(spec.slug)
    concepts = _concepts_upsert(catalog, spec, report)

    course = row_save(
        Course,
        {"slug": spec.slug},
        {
            "number": spec.number,
            "title": spec.title,
            "summary": spec.summary,
            "passing_grade": spec.passing_grade,
            "source_path": str(course_dir.relative_to(root.parent))
            if root.parent in course_dir.parents
            else str(course_dir),
        },
        report.counts,
        "course",
    )
    seen_weeks, seen_activities = set(), set()
    for week_position, week_spec in enumerate(spec.weeks, start=1):
        week = row_save(
            Week,
            {"slug": week_spec.id},
            {"course": course, "position": week_position, "title": week_spec.title,
             "summary": week_spec.summary, "retired": False},
            report.counts,
            "week",
        )  # fmt: skip
        seen_weeks.add(week.pk)
        for position, act in enumerate(week_spec.activities, start=1):
            values = {
                "course": course,
                "week": week,
                "position": position,
                "kind": act.kind,
                "title": act.title,
                "minutes": act.minutes,
                "graded": act.graded,
                "retired": False,
                "duration_seconds": act.duration,
                "media": act.media or "",
                "transcript": act.transcript.read_text(encoding="utf-8").strip() if act.transcript else "",
                "interview": act.interview,
                "synopsis": act.synopsis or "",
                "max_attempts": act.quiz.max_attempts if act.quiz else None,
                "pass_fraction": act.quiz.pass_fraction if act.quiz else None,
                "lab_path": str(act.lab.dir.relative_to(root)) if act.lab else "",
                "cpu_seconds": round(act.lab.cpu_seconds) if act.lab else None,
            }
            activity = row_save(Activity, {"slug": act.id}, values, report.counts, "activity")
            seen_activities.add(activity.pk)
            _set_m2m(activity.concepts, [concepts[c] for c in act.concepts])
            if act.quiz:
                _questions_import(activity, act.quiz, concepts, report)

    retired = (
        Week.objects.filter(course=course, retired=False).exclude(pk__in=seen_weeks).update(retired=True)
    )
    report.counts["week retired"] += retired
    retired = (
        Activity.objects.filter(course=course, retired=False)
        .exclude(pk__in=seen_activities)
        .update(retired=True)
    )
    report.counts["activity retired"] += retired
    course.imported_at = timezone.now()
    course.save(update_fields=["imported_at"])
    course_imported.send(sender=Course, course=course)  # lms.search: titles and transcripts as imported
    from .selectors import catalog_graph_forget

    transaction.on_commit(catalog_graph_forget)
    return report


def _questions_import(activity: Activity, quiz, concepts: dict[str, Concept], report: ImportReport) -> None:
    seen = set()
    for position, q in enumerate(quiz.questions, start=1):
        question = row_save(
            Question,
            {"activity": activity, "slug": q.id},
            {
                "position": position,
                "type": q.type,
                "prompt": q.prompt,
                "difficulty": q.difficulty,
                "options": [
                    {"text": o.text, "correct": o.correct, "explanation": o.explanation} for o in q.options
                ],
                "answer": q.answer,
                "tolerance": q.tolerance,
                "explanation": q.explanation,
                "retired": False,
            },
            report.counts,
            "question",
        )
        seen.add(question.pk)
        _set_m2m(question.concepts, [concepts[c] for c in q.concepts])
    retired = (
        Question.objects.filter(activity=activity, retired=False).exclude(pk__in=seen).update(retired=True)
    )
    report.counts["question retired"] += retired


def _month_start(day: dt.date, months_ahead: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return dt.date(index // 12, index % 12 + 1, 1)


def session_for_joining(*, course: Course, today: dt.date | None = None) -> CourseSession:
    """The session a new learner joins: sessions start on the first of each month. While
    the first week of the one under way is open you join it, later the next one, so a
    new learner never starts behind a deadline that has passed (content stays open
    either way; only the soft deadlines differ)."""
    today = today or timezone.localdate()
    under_way = _month_start(today)
    first_deadline = CourseSession(course=course, starts=under_way).week_deadline(1)
    starts = under_way if today <= first_deadline else _month_start(today, 1)
    session, _ = CourseSession.objects.get_or_create(course=course, starts=starts)
    return session


@transaction.atomic
def enrollment_create(*, user, course: Course, track: str = Enrollment.Track.AUDIT) -> Enrollment:
    """Enroll (or re-activate, or change track); the enrollment event is recorded
    (``signals.enrollment_changed``)."""
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        user=user, course=course, defaults={"track": track}
    )
    if created or not enrollment.active:
        enrollment.active, enrollment.track = True, track
        if enrollment.session_id is None:
            enrollment.session = session_for_joining(course=course)
        enrollment.save(update_fields=["active", "track", "session"])
        _enrollment_changed(enrollment, course, "enrollment.activated", {"track": track})
    elif enrollment.track != track:
        old = enrollment.track
        enrollment.track = track
        enrollment.save(update_fields=["track"])
        _enrollment_changed(
            enrollment, course, "enrollment.track_changed", {"old_track": old, "new_track": track}
        )
    return enrollment


def _enrollment_changed(enrollment: Enrollment, course: Course, verb: str, payload: dict) -> None:
    """Tell the listeners of ``signals.enrollment_changed`` (the event store) what changed."""
    enrollment_changed.send(
        sender=Enrollment, learner_id=enrollment.user_id, verb=verb, course=course.slug, payload=payload
    )


@transaction.atomic
def enrollment_session_move(*, enrollment: Enrollment, today: dt.date | None = None) -> Enrollment:
    """Move a learner who fell behind to the next monthly session. Their work is kept
    (it belongs to learner and activity); only the deadlines move."""
    today = today or timezone.localdate()
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("session", "course")
        .get(pk=enrollment.pk)
    )
    current = enrollment.session.starts if enrollment.session else today
    starts = _month_start(max(current, today), 1)
    session, _ = CourseSession.objects.get_or_create(course=enrollment.course, starts=starts)
    old = enrollment.session
    enrollment.session = session
    enrollment.save(update_fields=["session"])
    moved = {"old_session": old.starts.isoformat() if old else None, "new_session": starts.isoformat()}
    _enrollment_changed(enrollment, enrollment.course, "enrollment.session_changed", moved)
    return enrollment
