"""Load the course catalog (docs/content-format.md) into typed dataclasses, keeping lines.

Flow: ``schema.read_yaml`` parses a YAML file into ``LMap`` / ``LList`` containers that
remember the line of every key and item. :class:`CatalogBuilder` walks ``concepts.yaml``
and every ``<slug>/course.yaml`` (with its quizzes) and builds a
``catalog.CourseCatalog``. Shape errors (missing keys, wrong types, unknown keys, checked
against the key tables of ``schema``) are collected as ``ContentError``
(``file:line: message (fix: ...)``) while building; cross-references are checked by
``course_content.validate``, which also holds ``load_catalog``.

The Django side calls ``course_content.validate.load_catalog`` (raises ``ContentInvalid``
on any error) and ``course_content.validate.validate``. Nothing here imports Django.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .catalog import Activity, Concept, Course, CourseCatalog, Lab, Option, Question, Quiz, Week
from .rules import PASS_MARK
from .schema import (
    ACTIVITY_COMMON,
    ACTIVITY_KIND_KEYS,
    ACTIVITY_REQUIRED,
    CONCEPT_KEYS,
    COURSE_KEYS,
    COURSE_REQUIRED,
    KINDS,
    OPTION_KEYS,
    QUESTION_KEYS,
    QUESTION_TYPES,
    QUIZ_KEYS,
    WEEK_KEYS,
    WEEK_REQUIRED,
    ContentError,
    LList,
    LMap,
    ShapeChecker,
    did_you_mean,
)

NOT_COURSES = {"media", "labkit", "__pycache__"}
CONTENT_ROOT = Path(__file__).resolve().parent


class CatalogBuilder(ShapeChecker):
    """Builds a :class:`CourseCatalog` from files, collecting shape errors in ``errors``."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = Path(root)

    # ---------------------------------------------------------------- concepts

    def concepts(self, items: Any, file: Path, course: str | None) -> list[Concept]:
        out: list[Concept] = []
        if not isinstance(items, LList):
            self.error(
                file,
                getattr(items, "line", 1),
                "'concepts' must be a list of concepts",
                "write '- {id: ..., title: ..., requires: [...]}' items",
            )
            return out
        for i, entry in enumerate(items):
            line = items.item_line(i)
            if not self.check_map(entry, file, line, "a concept", CONCEPT_KEYS, ("id", "title")):
                continue
            cid = self.check_id(entry.get("id"), file, entry.value_line("id"), "concept")
            out.append(
                Concept(
                    cid,
                    str(entry.get("title") or ""),
                    self.str_list(entry, "requires", file, "a concept"),
                    file,
                    entry.line,
                    course,
                )
            )
        return out

    def root_concepts(self) -> list[Concept]:
        path = self.root / "concepts.yaml"
        if not path.is_file():
            self.error(path, 1, "concepts.yaml is missing", "create it with a 'concepts:' list")
            return []
        data = self.read(path)
        if data is None:
            return []
        if not self.check_map(data, path, 1, "concepts.yaml", {"concepts": "list"}, ("concepts",)):
            return []
        return self.concepts(data.get("concepts"), path, None) if "concepts" in data else []

    # ---------------------------------------------------------------- courses

    def course(self, course_dir: Path) -> Course | None:
        path = course_dir / "course.yaml"
        data = self.read(path)
        if data is None:
            return None
        if not self.check_map(data, path, 1, "course.yaml", COURSE_KEYS, COURSE_REQUIRED):
            return None
        slug = self.check_id(data.get("slug"), path, data.value_line("slug"), "course slug")
        if slug and slug != course_dir.name:
            self.error(
                path,
                data.value_line("slug"),
                f"slug '{slug}' differs from the folder name '{course_dir.name}'",
                f"write 'slug: {course_dir.name}' or rename the folder",
            )
        concepts = self.concepts(data["concepts"], path, slug) if data.get("concepts") is not None else []
        course = Course(
            slug=slug or course_dir.name,
            number=_int(data.get("number")),
            title=_text(data.get("title")),
            summary=_text(data.get("summary")),
            passing_grade=_float(data.get("passing_grade"), PASS_MARK),
            weeks=[],
            concepts=concepts,
            dir=course_dir,
            file=path,
            line=data.line,
        )
        weeks = data.get("weeks")
        if isinstance(weeks, LList):
            if not weeks:
                self.error(path, weeks.line, "'weeks' is empty", "add at least one week")
            for i, week in enumerate(weeks):
                built = self.week(week, course, path, weeks.item_line(i))
                if built:
                    course.weeks.append(built)
        return course

    def week(self, data: Any, course: Course, path: Path, line: int) -> Week | None:
        if not self.check_map(data, path, line, "a week", WEEK_KEYS, WEEK_REQUIRED):
            return None
        wid = self.check_id(data.get("id"), path, data.value_line("id"), "week")
        week = Week(wid, _text(data.get("title")), _text(data.get("summary")), [], path, data.line)
        acts = data.get("activities")
        if isinstance(acts, LList):
            if not acts:
                self.error(path, acts.line, f"week '{wid}' has no activities", "add activities")
            for i, act in enumerate(acts):
                built = self.activity(act, course, week, path, acts.item_line(i))
                if built:
                    week.activities.append(built)
        return week

    def activity(self, data: Any, course: Course, week: Week, path: Path, line: int) -> Activity | None:
        kind = data.get("kind") if isinstance(data, LMap) else None
        if isinstance(data, LMap) and kind not in KINDS:
            if "kind" not in data:
                self.error(
                    path,
                    data.line,
                    "an activity is missing the required key 'kind'",
                    f"add 'kind: ' one of {', '.join(KINDS)}",
                )
            else:
                self.error(
                    path,
                    data.value_line("kind"),
                    f"unknown activity kind {kind!r}",
                    did_you_mean(str(kind), set(KINDS)) or f"use one of {', '.join(KINDS)}",
                )
            kind = None
        keys = dict(ACTIVITY_COMMON)
        other: dict[str, str] = {}
        for k, extra in ACTIVITY_KIND_KEYS.items():
            if k == kind or kind is None:
                keys.update(extra)
            else:
                other.update({key: f"{k} activities" for key in extra if key not in keys})
        required = ("id", "kind", "title", "minutes") + ACTIVITY_REQUIRED.get(kind or "", ())
        if kind in ("video", "quiz", "lab"):
            required += ("concepts",)
        if not self.check_map(data, path, line, "an activity", keys, required, other):
            return None
        aid = self.check_id(data.get("id"), path, data.value_line("id"), "activity")
        act = Activity(
            id=aid,
            kind=kind or "",
            title=_text(data.get("title")),
            minutes=_int(data.get("minutes")),
            graded=bool(data.get("graded", kind in ("quiz", "lab"))),
            concepts=self.str_list(data, "concepts", path, "an activity"),
            file=path,
            line=data.line,
            week_id=week.id,
            course_slug=course.slug,
        )
        if (
            kind in ("video", "quiz", "lab")
            and isinstance(data.get("concepts"), list)
            and not data["concepts"]
        ):
            self.error(
                path,
                data.value_line("concepts"),
                f"{kind} '{aid}' lists no concepts",
                "name the concepts it teaches or tests",
            )
        transcript = course.dir / "transcripts" / f"{aid}.md"
        act.transcript = transcript if transcript.is_file() else None
        if kind == "video":
            act.duration = _int(data.get("duration")) or None
            act.media = data.get("media") if isinstance(data.get("media"), str) else None
            act.interview = data.get("interview") is True
            act.synopsis = _text(data.get("synopsis"))
        elif kind == "quiz":
            act.quiz = self.quiz(course, aid, path, data.line)
        elif kind == "lab" and isinstance(data.get("lab"), str):
            act.lab = Lab(
                aid,
                (course.dir / data["lab"]).resolve(),
                _float(data.get("cpu_seconds"), 0.0),
                path,
                data.value_line("lab"),
            )
        return act

    # ---------------------------------------------------------------- quizzes

    def quiz(self, course: Course, aid: str, course_file: Path, line: int) -> Quiz | None:
        path = course.dir / "quizzes" / f"{aid}.yaml"
        if not path.is_file():
            self.error(
                course_file,
                line,
                f"quiz '{aid}' has no questions file quizzes/{aid}.yaml",
                f"create quizzes/{aid}.yaml",
            )
            return None
        data = self.read(path)
        if data is None:
            return None
        if not self.check_map(data, path, 1, "a quiz file", QUIZ_KEYS, ("questions",)):
            return None
        quiz = Quiz(
            aid,
            path,
            data.line,
            [],
            _int(data.get("max_attempts"), 3),
            _float(data.get("pass_fraction"), PASS_MARK),
        )
        questions = data.get("questions")
        if isinstance(questions, LList):
            if not questions:
                self.error(path, questions.line, "the quiz has no questions", "add questions")
            seen: dict[str, int] = {}
            for i, q in enumerate(questions):
                built = self.question(q, path, questions.item_line(i))
                if built is None:
                    continue
                if built.id in seen:
                    self.error(
                        path,
                        built.line,
                        f"question id '{built.id}' is used twice in this "
                        f"quiz (first at line {seen[built.id]})",
                        "give each question its own id",
                    )
                seen.setdefault(built.id, built.line)
                quiz.questions.append(built)
        return quiz

    def question(self, data: Any, path: Path, line: int) -> Question | None:
        qtype = data.get("type") if isinstance(data, LMap) else None
        required: tuple[str, ...] = ("id", "type", "prompt", "concepts", "difficulty")
        if qtype in ("single", "multiple"):
            required += ("options",)
        elif qtype == "numeric":
            required += ("answer", "tolerance", "explanation")
        if not self.check_map(data, path, line, "a question", QUESTION_KEYS, required):
            return None
        qid = self.check_id(data.get("id"), path, data.value_line("id"), "question")
        if qtype not in QUESTION_TYPES:
            self.error(
                path,
                data.value_line("type"),
                f"question '{qid}': unknown type {qtype!r}",
                did_you_mean(str(qtype), set(QUESTION_TYPES)) or f"use one of {', '.join(QUESTION_TYPES)}",
            )
        difficulty = data.get("difficulty")
        if isinstance(difficulty, int) and not isinstance(difficulty, bool) and not 1 <= difficulty <= 5:
            self.error(
                path,
                data.value_line("difficulty"),
                f"question '{qid}': difficulty {difficulty} is outside 1..5",
                "use 1 (easy) to 5 (hard)",
            )
        q = Question(
            qid,
            str(qtype),
            _text(data.get("prompt")),
            self.str_list(data, "concepts", path, "a question"),
            _int(difficulty),
            path,
            data.line,
        )
        if isinstance(data.get("concepts"), list) and not data["concepts"]:
            self.error(
                path,
                data.value_line("concepts"),
                f"question '{qid}' lists no concepts",
                "name the concepts it tests",
            )
        if qtype == "numeric":
            for key in ("options",):
                if key in data:
                    self.error(
                        path,
                        data.key_line(key),
                        f"numeric question '{qid}' cannot have options",
                        "remove 'options'",
                    )
            q.answer = _float(data.get("answer"), None)
            q.tolerance = _float(data.get("tolerance"), None)
            q.explanation = _text(data.get("explanation"))
            if q.tolerance is not None and q.tolerance < 0:
                self.error(
                    path,
                    data.value_line("tolerance"),
                    f"question '{qid}': tolerance is negative",
                    "use 0 or more",
                )
        elif qtype in ("single", "multiple"):
            for key in ("answer", "tolerance", "explanation"):
                if key in data:
                    self.error(
                        path,
                        data.key_line(key),
                        f"{qtype}-choice question '{qid}' cannot have '{key}'",
                        "put explanations on each option; 'answer'/'tolerance' are for numeric questions",
                    )
            q.options = self.options(data.get("options"), qid, qtype, path, data)
        return q

    def options(self, items: Any, qid: str, qtype: str, path: Path, parent: LMap) -> list[Option]:
        if not isinstance(items, LList):
            return []
        out = []
        for i, opt in enumerate(items):
            if self.check_map(
                opt, path, items.item_line(i), "an option", OPTION_KEYS, ("text", "correct", "explanation")
            ):
                out.append(
                    Option(
                        _text(opt.get("text")),
                        opt.get("correct") is True,
                        _text(opt.get("explanation")),
                        opt.line,
                    )
                )
        line = parent.key_line("options")
        if len(items) < 2:
            self.error(
                path, line, f"question '{qid}' has {len(items)} option(s)", "give at least two options"
            )
        correct = sum(o.correct for o in out)
        if qtype == "single" and correct != 1 and len(out) == len(items):
            self.error(
                path,
                line,
                f"single-choice question '{qid}' has {correct} correct options, needs exactly one",
                "mark exactly one option 'correct: true', or use 'type: multiple'",
            )
        if qtype == "multiple" and correct < 1 and len(out) == len(items):
            self.error(
                path,
                line,
                f"multiple-choice question '{qid}' has no correct option",
                "mark at least one option 'correct: true'",
            )
        texts = [o.text for o in out]
        for o in out:
            if texts.count(o.text) > 1:
                self.error(
                    path,
                    o.line,
                    f"question '{qid}': option text {o.text!r} appears twice",
                    "make the options distinct",
                )
                break
        return out

    # ---------------------------------------------------------------- all

    def course_dirs(self) -> list[Path]:
        dirs = []
        for entry in sorted(self.root.iterdir()):
            if not entry.is_dir() or entry.name in NOT_COURSES or entry.name[0] in "._":
                continue
            if (entry / "course.yaml").is_file():
                dirs.append(entry)
            elif any((entry / sub).exists() for sub in ("transcripts", "quizzes", "labs")):
                self.error(
                    entry / "course.yaml",
                    1,
                    f"course folder '{entry.name}' has no course.yaml",
                    "add course.yaml",
                )
        return dirs

    def build(self) -> CourseCatalog:
        concepts = self.root_concepts()
        courses = []
        for course_dir in self.course_dirs():
            course = self.course(course_dir)
            if course is not None:
                courses.append(course)
                concepts.extend(course.concepts)
        by_id: dict[str, Concept] = {}
        for c in concepts:
            by_id.setdefault(c.id, c)
        courses.sort(key=lambda c: (c.number, c.slug))
        return CourseCatalog(root=self.root, concepts=by_id, courses=courses, declared_concepts=concepts)


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value: Any, default: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) and value is not None else ""


def build_catalog(root: str | Path = CONTENT_ROOT) -> tuple[CourseCatalog, list[ContentError]]:
    """The catalog as far as it can be built, and the shape errors met on the way."""
    builder = CatalogBuilder(Path(root))
    catalog = builder.build()
    return catalog, builder.errors
