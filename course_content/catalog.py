"""The course catalog as typed dataclasses: a :class:`CourseCatalog` of :class:`Course` >
:class:`Week` > :class:`Activity` (with :class:`Quiz` > :class:`Question` > :class:`Option`,
or :class:`Lab`) plus the :class:`Concept` graph. Built by ``loader.build_catalog``,
checked by ``validate``; every item keeps its file and line. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .rules import PASS_MARK


@dataclass
class Concept:
    id: str
    title: str
    requires: list[str]
    file: Path
    line: int
    course: str | None = None  # slug of the course that declares it, None for concepts.yaml


@dataclass
class Option:
    text: str
    correct: bool
    explanation: str
    line: int


@dataclass
class Question:
    id: str
    type: str  # single | multiple | numeric
    prompt: str
    concepts: list[str]
    difficulty: int
    file: Path
    line: int
    options: list[Option] = field(default_factory=list)
    answer: float | None = None
    tolerance: float | None = None
    explanation: str = ""  # numeric questions


@dataclass
class Quiz:
    activity_id: str
    file: Path
    line: int
    questions: list[Question]
    max_attempts: int = 3
    pass_fraction: float = PASS_MARK


@dataclass
class Lab:
    activity_id: str
    dir: Path  # the folder holding lab.py and tests.py
    cpu_seconds: float
    file: Path  # course.yaml
    line: int

    @property
    def lab_file(self) -> Path:
        return self.dir / "lab.py"

    @property
    def tests_file(self) -> Path:
        return self.dir / "tests.py"


@dataclass
class Activity:
    id: str
    kind: str  # video | reading | quiz | lab
    title: str
    minutes: int
    graded: bool
    concepts: list[str]
    file: Path
    line: int
    week_id: str = ""
    course_slug: str = ""
    duration: int | None = None  # video: seconds
    media: str | None = None  # video: path under course_content/ or https URL; None: generated
    interview: bool = False
    synopsis: str = ""
    transcript: Path | None = None  # transcripts/<id>.md when the file exists
    quiz: Quiz | None = None
    lab: Lab | None = None

    @property
    def transcript_text(self) -> str:
        return self.transcript.read_text(encoding="utf-8") if self.transcript else ""


@dataclass
class Week:
    id: str
    title: str
    summary: str
    activities: list[Activity]
    file: Path
    line: int


@dataclass
class Course:
    slug: str
    number: int
    title: str
    summary: str
    passing_grade: float
    weeks: list[Week]
    concepts: list[Concept]
    dir: Path
    file: Path
    line: int

    def activities(self) -> Iterator[Activity]:
        for week in self.weeks:
            yield from week.activities


@dataclass
class CourseCatalog:
    root: Path
    concepts: dict[str, Concept]  # by id (the first declaration wins)
    courses: list[Course]
    declared_concepts: list[Concept] = field(default_factory=list)  # all, duplicates included

    def activities(self) -> Iterator[Activity]:
        for course in self.courses:
            yield from course.activities()

    def counts(self) -> dict[str, int]:
        acts = list(self.activities())
        videos = [a for a in acts if a.kind == "video"]
        quizzes = [a for a in acts if a.kind == "quiz"]
        return {
            "courses": len(self.courses),
            "weeks": sum(len(c.weeks) for c in self.courses),
            "videos": len(videos),
            "interviews": sum(a.interview for a in videos),
            "readings": sum(a.kind == "reading" for a in acts),
            "quizzes": len(quizzes),
            "questions": sum(len(a.quiz.questions) for a in quizzes if a.quiz),
            "labs": sum(a.kind == "lab" for a in acts),
            "concepts": len(self.concepts),
        }


# --------------------------------------------------------------------------- building
