"""Read side of progress: where a learner stands in a course, computed from the catalog,
their progress rows and the concept graph in a handful of queries (pages that show it
stay within their query budget; tests pin the counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from course_content.rules import course_grade as course_grade_of
from course_content.rules import course_passed
from lms.courses.models import Activity, Course, Enrollment
from lms.courses.selectors import catalog_graph

from .models import ActivityProgress, Certificate


class State:
    DONE = "done"
    STARTED = "started"
    AVAILABLE = "available"
    LOCKED = "locked"  # prerequisite concepts not met yet (the page still opens: a soft lock)


@dataclass
class ActivityState:
    activity: Activity
    state: str
    row: ActivityProgress | None = None
    needs: list[str] = field(default_factory=list)  # titles of unmet prerequisite concepts
    missing: list[int] = field(default_factory=list)  # their ids

    @property
    def percent(self) -> int | None:
        """Video coverage or best score, as a whole percent."""
        if self.row is None:
            return None
        if self.activity.kind == Activity.Kind.VIDEO:
            return round(100 * self.row.coverage)
        return None if self.row.score is None else round(100 * self.row.score)


@dataclass
class WeekState:
    week: object
    items: list[ActivityState]
    deadline: dt.date | None
    overdue: bool  # the deadline passed with graded work not passed

    @property
    def done(self) -> int:
        return sum(i.state == State.DONE for i in self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done / len(self.items)) if self.items else 0


@dataclass
class Grade:
    grade: float  # mean best score over graded items (missing counts 0)
    passing: float
    graded_total: int
    graded_passed: int

    @property
    def passes(self) -> bool:
        return self.graded_total > 0 and course_passed(self.grade, self.passing)


@dataclass
class CourseState:
    course: Course
    enrollment: Enrollment | None
    weeks: list[WeekState]
    grade: Grade
    path: list[ActivityState]  # activities in the order the learner first opened them
    certificate: Certificate | None

    @property
    def items(self) -> list[ActivityState]:
        return [i for w in self.weeks for i in w.items]

    @property
    def percent(self) -> int:
        items = self.items
        return round(100 * sum(i.state == State.DONE for i in items) / len(items)) if items else 0

    @property
    def behind(self) -> bool:
        return any(w.overdue for w in self.weeks)


def _grade(course: Course, activities: list[Activity], rows: dict[int, ActivityProgress]) -> Grade:
    graded = [a for a in activities if a.graded]
    passed = sum(1 for a in graded if a.pk in rows and rows[a.pk].passed)
    return Grade(
        grade=course_grade_of([rows[a.pk].score if a.pk in rows else None for a in graded]),
        passing=course.passing_grade,
        graded_total=len(graded),
        graded_passed=passed,
    )


def course_grade(*, learner_id: int, course_id: int) -> Grade:
    course = Course.objects.get(pk=course_id)
    activities = list(Activity.objects.filter(course_id=course_id, retired=False))
    rows = {
        r.activity_id: r for r in ActivityProgress.objects.filter(learner_id=learner_id, course_id=course_id)
    }
    return _grade(course, activities, rows)


def learner_rows(*, learner) -> list[ActivityProgress]:
    """All of a learner's progress rows, oldest first (one query)."""
    if not learner.is_authenticated:
        return []
    return list(ActivityProgress.objects.filter(learner=learner).order_by("started"))


def course_state(
    *,
    learner,
    course: Course,
    activities: list[Activity],
    rows: list[ActivityProgress],
    enrollment: Enrollment | None,
    certificate: Certificate | None = None,
    today: dt.date | None = None,
) -> CourseState:
    """Assemble a course's state from rows already fetched (``activities`` with their
    week selected, live ones only, in syllabus order; ``rows`` may span all courses:
    prerequisites met in one course count in the others)."""
    graph = catalog_graph()
    today = today or timezone.localdate()
    done_ids = {r.activity_id for r in rows if r.completed}
    met = graph.concepts_of(done_ids)
    mine = {r.activity_id: r for r in rows if r.course_id == course.pk}
    session = enrollment.session if enrollment is not None else None
    weeks: dict[int, WeekState] = {}
    by_id: dict[int, ActivityState] = {}
    for activity in activities:
        row = mine.get(activity.pk)
        needs = [] if row else graph.missing(activity.pk, met)
        if row is not None and row.completed:
            state = State.DONE
        elif row is not None:
            state = State.STARTED
        else:
            state = State.LOCKED if needs else State.AVAILABLE
        item = ActivityState(activity, state, row, [graph.titles.get(c, "?") for c in needs], needs)
        by_id[activity.pk] = item
        week = weeks.get(activity.week_id)
        if week is None:
            deadline = session.week_deadline(activity.week.position) if session else None
            week = weeks[activity.week_id] = WeekState(activity.week, [], deadline, False)
        week.items.append(item)
    for week in weeks.values():
        week.overdue = bool(
            week.deadline
            and week.deadline < today
            and any(i.activity.graded and not (i.row and i.row.passed) for i in week.items)
        )
    path = [by_id[r.activity_id] for r in rows if r.activity_id in by_id]
    return CourseState(
        course=course,
        enrollment=enrollment,
        weeks=sorted(weeks.values(), key=lambda w: w.week.position),
        grade=_grade(course, activities, mine),
        path=path,
        certificate=certificate,
    )


def course_state_for(*, learner, course_slug: str) -> CourseState | None:
    """One course for one learner (anonymous visitors see the plain syllabus)."""
    course = Course.objects.filter(slug=course_slug).first()
    if course is None:
        return None
    activities = list(
        Activity.objects.filter(course=course, retired=False, week__retired=False)
        .select_related("week")
        .order_by("week__position", "position")
    )
    enrollment = certificate = None
    if learner.is_authenticated:
        enrollment = (
            Enrollment.objects.filter(user=learner, course=course, active=True)
            .select_related("session")
            .first()
        )
        certificate = Certificate.objects.filter(learner=learner, course=course).first()
    return course_state(
        learner=learner,
        course=course,
        activities=activities,
        rows=learner_rows(learner=learner),
        enrollment=enrollment,
        certificate=certificate,
    )


def missing_prerequisites(*, learner, activity: Activity) -> list[str]:
    """Titles of the concepts this activity builds on that the learner has not covered."""
    graph = catalog_graph()
    done = ActivityProgress.objects.filter(learner=learner, completed__isnull=False).values_list(
        "activity_id", flat=True
    )
    return [graph.titles.get(c, "?") for c in graph.missing(activity.pk, graph.concepts_of(done))]


def course_certificates(*, course) -> list[Certificate]:
    """The course's certificates, newest first, with their learners (one query)."""
    return list(
        Certificate.objects.filter(course=course).select_related("learner").order_by("-issued", "-pk")
    )
