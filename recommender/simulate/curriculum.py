"""What the simulated learners take: the activities in syllabus order, with what the
learner model needs of each (concepts, difficulty, questions, the labs' checks and known
mistakes). Built from ``course_content`` or by hand (tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course_content.rules import PASS_MARK


@dataclass(frozen=True)
class Question:
    key: str  # question slug, unique within its quiz
    type: str  # single | multiple | numeric
    difficulty: int  # 1 (easy) .. 5 (hard)
    concepts: tuple[str, ...]
    n_options: int = 0
    correct: tuple[int, ...] = ()  # option indexes (choice questions)
    answer: float | None = None  # numeric questions


@dataclass(frozen=True)
class LabCheck:
    """One function the learner writes: its tests and the known ways to get it wrong."""

    call: str
    tests: tuple[tuple[str, bool], ...]  # (test name, public)
    mistakes: tuple[str, ...] = ()  # names of known mistakes (their hints teach the fix)
    hints: tuple[str, ...] = ()  # the lab's hint for each mistake, as the grader shows it ("": none)

    def hint(self, mistake: str) -> str:
        """The hint the grader attaches to a test failed by ``mistake`` ("" if none)."""
        for name, hint in zip(self.mistakes, self.hints, strict=False):
            if name == mistake:
                return hint
        return ""


@dataclass(frozen=True)
class CurriculumActivity:
    slug: str
    course: str
    week: int  # 1-based week of the specialization (courses follow each other)
    course_week: int  # 1-based week within its course
    kind: str  # video | reading | quiz | lab
    minutes: int
    concepts: tuple[str, ...] = ()
    graded: bool = False
    duration: int = 0  # video seconds
    interview: bool = False
    pass_fraction: float = PASS_MARK
    max_attempts: int = 3
    questions: tuple[Question, ...] = ()
    checks: tuple[LabCheck, ...] = ()


@dataclass
class Curriculum:
    items: list[CurriculumActivity]  # syllabus order
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)  # concept -> prerequisites
    passing_grade: dict[str, float] = field(default_factory=dict)  # course -> passing grade

    def __post_init__(self) -> None:
        self.index = {item.slug: i for i, item in enumerate(self.items)}
        self.courses = list(dict.fromkeys(item.course for item in self.items))
        self.weeks = max((item.week for item in self.items), default=0)
        self.concepts = sorted({c for item in self.items for c in item.concepts})

    def __len__(self) -> int:
        return len(self.items)

    def item(self, slug: str) -> CurriculumActivity:
        return self.items[self.index[slug]]

    @classmethod
    def from_catalog(cls, catalog, courses: list[str] | None = None, *, with_labs: bool = True) -> Curriculum:
        """From a loaded ``course_content`` catalog (``courses``: slugs, in catalog
        order when None). Labs' tests and mistakes come from their ``tests.py``."""
        wanted = [c for c in catalog.courses if courses is None or c.slug in courses]
        missing = set(courses or ()) - {c.slug for c in wanted}
        if missing:
            raise ValueError(f"unknown course(s): {', '.join(sorted(missing))}")
        items, week_offset = [], 0
        for course in sorted(wanted, key=lambda c: c.number):
            for week_number, week in enumerate(course.weeks, start=1):
                for activity in week.activities:
                    items.append(
                        _item(activity, course.slug, week_offset + week_number, week_number, with_labs)
                    )
            week_offset += len(course.weeks)
        requires = {slug: tuple(concept.requires) for slug, concept in catalog.concepts.items()}
        return cls(items, requires, {c.slug: c.passing_grade for c in wanted})

    @classmethod
    def load(
        cls, root: str | Path, courses: list[str] | None = None, *, with_labs: bool = True
    ) -> Curriculum:
        from course_content.validate import load_catalog

        return cls.from_catalog(load_catalog(Path(root)), courses, with_labs=with_labs)


def _item(activity, course: str, week: int, course_week: int, with_labs: bool) -> CurriculumActivity:
    questions: tuple[Question, ...] = ()
    pass_fraction, max_attempts = PASS_MARK, 3
    if activity.quiz is not None:
        pass_fraction, max_attempts = activity.quiz.pass_fraction, activity.quiz.max_attempts
        questions = tuple(
            Question(
                key=q.id,
                type=q.type,
                difficulty=q.difficulty,
                concepts=tuple(q.concepts or activity.concepts),
                n_options=len(q.options),
                correct=tuple(i for i, o in enumerate(q.options) if o.correct),
                answer=q.answer,
            )
            for q in activity.quiz.questions
        )
    checks: tuple[LabCheck, ...] = ()
    if activity.lab is not None and with_labs:
        checks = _lab_checks(activity.lab.dir)
    return CurriculumActivity(
        slug=activity.id,
        course=course,
        week=week,
        course_week=course_week,
        kind=activity.kind,
        minutes=activity.minutes,
        concepts=tuple(activity.concepts),
        graded=activity.graded,
        duration=activity.duration or activity.minutes * 60,
        interview=activity.interview,
        pass_fraction=pass_fraction,
        max_attempts=max_attempts,
        questions=questions,
        checks=checks,
    )


def _lab_checks(lab_dir: Path) -> tuple[LabCheck, ...]:
    from course_content.labkit.labspec import load_lab

    lab = load_lab(lab_dir)
    calls = list(dict.fromkeys(t.call for t in lab.tests))
    return tuple(
        LabCheck(
            call=call,
            tests=tuple((t.name, t.public) for t in lab.tests if t.call == call),
            mistakes=tuple(m.name for m in lab.mistakes if m.call == call),
            hints=tuple(m.hint for m in lab.mistakes if m.call == call),
        )
        for call in calls
    )
