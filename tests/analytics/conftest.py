"""A simulated cohort, stored once per test module inside a transaction that is rolled
back afterwards (each test runs in a savepoint inside it), and the people who look at
its dashboards."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from lms.accounts.models import User
from lms.courses.models import Activity, Course, CourseRole, Enrollment
from tests.factories import CourseFactory, UserFactory, analyst_user

COURSE = "neural-networks-deep-learning"


@dataclass
class Cohort:
    course: Course
    other: Course  # a course the instructor does not teach
    instructor: User
    other_instructor: User
    student: User
    staff: User
    analyst: User  # in "Analysts", not staff: learners pseudonymized
    identifying_analyst: User  # an analyst granted view_learner_identity
    video: Activity
    quiz: Activity
    lab: Activity

    def course_access(self) -> list[tuple[User, int]]:
        """Who may open the course's dashboard pages, and the status each one gets."""
        return [
            (self.student, 403),
            (self.other_instructor, 403),
            (self.instructor, 200),
            (self.analyst, 200),
            (self.staff, 200),
        ]


def store_cohort(*, learners: int = 40, days: int = 30, seed: int = 4, batch: int = 100) -> Course:
    """Import the course and store a simulated cohort (``batch`` learners per ingestion
    call, so smaller batches give events several distinct ``received`` stamps)."""
    from lms.courses.services import course_import

    course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    call_command("simulate_cohort", "--course", COURSE, "--learners", str(learners), "--days", str(days),
                 "--seed", str(seed), "--start", "2026-05-04", "--batch", str(batch), "--no-stats",
                 "--policy", "none", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    # (--policy none: the tests add the recommendation events they check themselves)
    return Course.objects.get(slug=COURSE)


def busiest(course: Course, kind: str, rollup, column: str) -> Activity:
    """The course's activity of ``kind`` with the most ``column`` in its ``rollup`` row (the
    lowest id on a tie)."""
    counts = dict(rollup.objects.filter(course=course).values_list("activity_id", column))
    return max(Activity.objects.filter(course=course, kind=kind), key=lambda a: (counts.get(a.pk, 0), -a.pk))


def people_and_items(course: Course) -> Cohort:
    from analytics import models as m

    other = CourseFactory(slug="another-course", title="Another course")
    instructor = UserFactory(username="teacher")
    other_instructor = UserFactory(username="other-teacher")
    student = UserFactory(username="student")
    staff = UserFactory(username="analyst", is_staff=True)
    CourseRole.objects.create(user=instructor, course=course)
    CourseRole.objects.create(user=other_instructor, course=other)
    Enrollment.objects.create(user=student, course=course, track=Enrollment.Track.VERIFIED)

    return Cohort(
        course=course,
        other=other,
        instructor=instructor,
        other_instructor=other_instructor,
        student=student,
        staff=staff,
        analyst=analyst_user(username="pseudo-analyst"),
        identifying_analyst=analyst_user(username="named-analyst", identity=True),
        video=busiest(course, Activity.Kind.VIDEO, m.VideoSummary, "seeks_back"),
        quiz=busiest(course, Activity.Kind.QUIZ, m.QuizSummary, "first_attempts"),
        lab=busiest(course, Activity.Kind.LAB, m.LabSummary, "attempted"),
    )


def forget_caches() -> None:
    """Per-process catalog caches must not outlive the rolled-back catalog."""
    from lms.courses.selectors import catalog_graph_forget
    from lms.tracking.services import catalog_index_forget

    catalog_graph_forget()
    catalog_index_forget()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """A transaction around the whole module: what a module fixture stores is rolled back
    at the end, and each test's own transaction is a savepoint inside it."""
    forget_caches()  # nothing cached by an earlier module may describe this one's catalog
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)
            forget_caches()


@pytest.fixture(scope="module")
def cohort(module_db) -> Cohort:
    from django.utils import timezone

    from analytics.rollups import rollups_update

    course = store_cohort()
    rollups_update(until=timezone.now())
    return people_and_items(course)


POLICIES = ("model-v1", "rules-v1", "syllabus")


def store_recommendations(course: Course, *, per_learner: int = 3, learners: int = 30) -> int:
    """Recommendation events for the cohort's learners, ingested in three calls (three
    ``received`` stamps): some answers are stored *before* the recommendation they answer.
    Each learner's k-th recommendation suggests the k-th activity they first completed, shown
    a day before they completed it; odd ones are followed, every third dismissed."""
    import datetime as dt
    import uuid

    from lms.progress.models import ActivityProgress
    from lms.tracking.models import Event
    from lms.tracking.services import events_ingest_many

    done = ActivityProgress.objects.filter(course=course, completed__isnull=False).select_related("activity")
    by_learner: dict[int, list] = {}
    for row in done.order_by("learner_id", "completed"):
        by_learner.setdefault(row.learner_id, []).append(row)
    shown, answers_first, answers_later = [], [], []
    for n, (learner, rows) in enumerate(sorted(by_learner.items())[:learners]):
        for k, row in enumerate(rows[:per_learner]):
            rec, when = uuid.uuid4().hex, row.completed - dt.timedelta(days=1, hours=n % 5)
            shown.append((learner, {"id": str(uuid.uuid4()), "time": when.isoformat(), "verb": "recommendation.shown",
                                    "course": course.slug, "payload": {"items": [row.activity.slug],
                                    "model": POLICIES[(n + k) % 3], "recommendation": rec, "reasons": ["r"]}}))  # fmt: skip
            answers = answers_first if k == 0 else answers_later
            for verb, yes in (("followed", (n + k) % 2), ("dismissed", (n + k) % 3 == 0)):
                if yes:
                    answers.append((learner, {"id": str(uuid.uuid4()), "verb": f"recommendation.{verb}",
                                              "time": (when + dt.timedelta(minutes=5)).isoformat(),
                                              "activity": row.activity.slug,
                                              "payload": {"target": row.activity.slug, "recommendation": rec}}))  # fmt: skip
    for items in (answers_first, shown, answers_later):
        result = events_ingest_many(items=items, source=Event.Source.SERVER)
        assert not result.errors, result.errors[:3]
    return len(shown)


# The demo cohort in a real browser (tests/analytics/*_browser.py): committed data, so the
# live server's thread and a Celery worker see it; transactional tests truncate it after.
PHONE = {"width": 390, "height": 844}
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => el.tagName === 'BUTTON' ? !el.innerText.trim() && !el.getAttribute('aria-label')
                : !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def demo_cohort() -> Course:
    """The cohort of ``make run``: 300 simulated learners over eight weeks of the first
    course, with recommendation events and the rollups up to now; no model is served."""
    from django.utils import timezone

    from analytics.rollups import rollups_update
    from lms.recommendations.serving import serving_forget

    forget_caches()
    course = store_cohort(learners=300, days=56, seed=1)
    store_recommendations(course, learners=300)
    serving_forget()  # no model: the at-risk page ranks by its rule
    report = rollups_update(until=timezone.now())
    assert report.events > 50_000
    from analytics.risk import learner_risk_refresh
    from lms.tracking.models import Event

    # the at-risk rollup as a refresh the day after the cohort's last event would leave it
    last = Event.objects.order_by("-time").values_list("time", flat=True).first()
    learner_risk_refresh(course=course, now=last + dt.timedelta(days=1))
    return course


def errors_watch(page, errors: list[str]) -> None:
    """Collect the page's script errors, console errors and failed responses in ``errors``."""
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Failed loads are reported by URL below (the site has no favicon: not ours).
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and
            not msg.text.startswith("Failed to load resource") else None)  # fmt: skip
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and
            not r.url.endswith("/favicon.ico") else None)  # fmt: skip
