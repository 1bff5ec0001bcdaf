"""Load the course catalog (docs/content-format.md) into typed dataclasses, keeping lines.

Flow: :func:`read_yaml` parses a YAML file with PyYAML's composer and builds ``LMap`` /
``LList`` containers that remember the line of every key and item. :class:`CatalogBuilder`
walks ``concepts.yaml`` and every ``<slug>/course.yaml`` (with its quizzes) and builds a
:class:`Catalog` of :class:`Course` > :class:`Week` > :class:`Activity` (with
:class:`Quiz` > :class:`Question` > :class:`Option`, or :class:`Lab`) plus the
:class:`Concept` graph. Shape errors (missing keys, wrong types, unknown keys) are
collected as :class:`ContentError` (``file:line: message (fix: ...)``) while building;
cross-references are checked by ``course_content.validate``.

The Django side calls :func:`load_catalog` (raises :class:`ContentInvalid` on any error)
and ``course_content.validate.validate``. Nothing here imports Django.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .rules import PASS_MARK

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MAX = 80
KINDS = ("video", "reading", "quiz", "lab")
QUESTION_TYPES = ("single", "multiple", "numeric")
NOT_COURSES = {"media", "labkit", "__pycache__"}
CONTENT_ROOT = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class ContentError:
    """One problem in the catalog, printed as ``file:line: message (fix: ...)``."""

    file: Path
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{display_path(self.file)}:{self.line}: {self.message}{fix}"


class ContentInvalid(Exception):
    """Raised by :func:`load_catalog` when the catalog has errors."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = errors


def display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- YAML with lines


class LMap(dict):
    """A YAML mapping that remembers its line and the line of each key and value."""

    line: int = 1
    key_lines: dict
    value_lines: dict

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: Any) -> int:
        return self.value_lines.get(key, self.key_line(key))


class LList(list):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int = 1
    item_lines: list

    def item_line(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class YamlFileError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_yaml(path: Path, errors: list[ContentError] | None = None) -> Any:
    """Parse ``path`` into plain values, ``LMap`` and ``LList``; duplicate keys are errors.

    Raises :class:`YamlFileError` (with a line) for invalid YAML.
    """
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlFileError((mark.line + 1) if mark else 1, f"invalid YAML: {exc.problem or exc}") from exc
    finally:
        loader.dispose()
    if node is None:
        return None
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node) -> Any:
        if isinstance(n, yaml.MappingNode):
            constructor.flatten_mapping(n)
            result = LMap()
            result.line, result.key_lines, result.value_lines = n.start_mark.line + 1, {}, {}
            for key_node, value_node in n.value:
                key = build(key_node)
                kline = key_node.start_mark.line + 1
                try:
                    hash(key)
                except TypeError:
                    if errors is not None:
                        errors.append(
                            ContentError(
                                path, kline, "a mapping key must be a plain value", "write the key as a word"
                            )
                        )
                    continue
                if key in result and errors is not None:
                    errors.append(
                        ContentError(
                            path,
                            kline,
                            f"duplicate key {key!r} (also at line {result.key_lines[key]})",
                            "keep one of them",
                        )
                    )
                result[key] = build(value_node)
                result.key_lines[key] = kline
                result.value_lines[key] = value_node.start_mark.line + 1
            return result
        if isinstance(n, yaml.SequenceNode):
            result_list = LList(build(item) for item in n.value)
            result_list.line = n.start_mark.line + 1
            result_list.item_lines = [item.start_mark.line + 1 for item in n.value]
            return result_list
        return constructor.construct_object(n, deep=True)

    return build(node)


# --------------------------------------------------------------------------- the catalog


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
class Catalog:
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


COURSE_KEYS = {
    "slug": "str",
    "number": "int",
    "title": "str",
    "summary": "str",
    "passing_grade": "fraction",
    "weeks": "list",
    "concepts": "list",
}
COURSE_REQUIRED = ("slug", "number", "title", "summary", "passing_grade", "weeks")
WEEK_KEYS = {"id": "str", "title": "str", "summary": "str", "activities": "list"}
WEEK_REQUIRED = ("id", "title", "summary", "activities")
CONCEPT_KEYS = {"id": "str", "title": "str", "requires": "list"}
ACTIVITY_COMMON = {
    "id": "str",
    "kind": "str",
    "title": "str",
    "minutes": "posint",
    "graded": "bool",
    "concepts": "list",
}
ACTIVITY_KIND_KEYS = {
    "video": {"duration": "posint", "media": "str", "interview": "bool", "synopsis": "str"},
    "reading": {},
    "quiz": {},
    "lab": {"lab": "str", "cpu_seconds": "posnum"},
}
# A video without `media` is generated from its transcript (course_content.lecture).
ACTIVITY_REQUIRED = {"video": ("duration",), "reading": (), "quiz": (), "lab": ("lab", "cpu_seconds")}
QUIZ_KEYS = {"max_attempts": "posint", "pass_fraction": "fraction", "questions": "list"}
QUESTION_KEYS = {
    "id": "str",
    "type": "str",
    "prompt": "str",
    "concepts": "list",
    "difficulty": "int",
    "options": "list",
    "answer": "num",
    "tolerance": "num",
    "explanation": "str",
}
OPTION_KEYS = {"text": "text", "correct": "bool", "explanation": "str"}

TYPE_WORDS = {
    "str": "a text",
    "int": "an integer",
    "posint": "an integer >= 1",
    "posnum": "a number > 0",
    "num": "a number",
    "bool": "true or false",
    "list": "a list",
    "fraction": "a number in (0, 1]",
    "text": "a text",
}


def _type_ok(value: Any, kind: str) -> bool:
    is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {
        "str": isinstance(value, str) and value.strip() != "",
        "text": (isinstance(value, str) and value.strip() != "") or is_num,
        "int": isinstance(value, int) and not isinstance(value, bool),
        "posint": isinstance(value, int) and not isinstance(value, bool) and value >= 1,
        "posnum": is_num and value > 0,
        "num": is_num,
        "bool": isinstance(value, bool),
        "list": isinstance(value, list),
        "fraction": is_num and 0 < value <= 1,
    }[kind]


def did_you_mean(word: str, choices: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


class CatalogBuilder:
    """Builds a :class:`Catalog` from files, collecting shape errors in ``errors``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.errors: list[ContentError] = []

    def error(self, file: Path, line: int, message: str, fix: str = "") -> None:
        self.errors.append(ContentError(Path(file), line, message, fix))

    # ---------------------------------------------------------------- helpers

    def read(self, path: Path) -> Any:
        try:
            return read_yaml(path, self.errors)
        except YamlFileError as exc:
            self.error(path, exc.line, exc.message, "fix the YAML syntax (indentation, quotes, colons)")
        except OSError as exc:
            self.error(path, 1, f"cannot read the file: {exc.strerror}")
        except UnicodeDecodeError:
            self.error(path, 1, "the file is not UTF-8 text", "save it as UTF-8")
        return None

    def check_map(
        self,
        data: Any,
        file: Path,
        line: int,
        what: str,
        keys: dict[str, str],
        required: tuple[str, ...],
        other_keys: dict[str, str] | None = None,
    ) -> bool:
        """Type-check a mapping: unknown keys (with did-you-mean), required keys, value types."""
        if not isinstance(data, LMap):
            self.error(
                file,
                getattr(data, "line", line),
                f"{what} must be a mapping of keys",
                "write 'key: value' lines",
            )
            return False
        for key in data:
            if key not in keys:
                if other_keys and key in other_keys:
                    fix = f"'{key}' belongs to {other_keys[key]}: remove it here"
                else:
                    fix = did_you_mean(key, set(keys)) or f"allowed keys: {', '.join(keys)}"
                self.error(file, data.key_line(key), f"unknown key '{key}' in {what}", fix)
        for key in required:
            if key not in data or data[key] is None:
                self.error(
                    file, data.line, f"{what} is missing the required key '{key}'", f"add '{key}: ...'"
                )
        for key, kind in keys.items():
            if key in data and data[key] is not None and not _type_ok(data[key], kind):
                quote = isinstance(data[key], bool) and kind in ("str", "text")
                self.error(
                    file,
                    data.value_line(key),
                    f"'{key}' in {what} must be {TYPE_WORDS[kind]}, not {data[key]!r}",
                    "put the value in quotes (YAML reads yes/no/on/off as booleans)"
                    if quote
                    else f"write {TYPE_WORDS[kind]}",
                )
        return True

    def check_id(self, value: Any, file: Path, line: int, what: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value) or len(value) > ID_MAX:
            suggestion = re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-")[:ID_MAX]
            self.error(
                file,
                line,
                f"{what} id {value!r} is not lowercase kebab-case "
                f"(letters, digits, single hyphens, at most {ID_MAX} chars)",
                f"use '{suggestion}'" if suggestion else "use e.g. 'my-id'",
            )
        return str(value) if value is not None else ""

    def str_list(self, data: LMap, key: str, file: Path, what: str) -> list[str]:
        value = data.get(key)
        if not isinstance(value, list):
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.error(
                    file,
                    value.item_line(i),
                    f"'{key}' in {what} must list ids, not {item!r}",
                    "write ids as plain words",
                )
            else:
                out.append(item)
        return out

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

    def build(self) -> Catalog:
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
        return Catalog(root=self.root, concepts=by_id, courses=courses, declared_concepts=concepts)


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value: Any, default: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) and value is not None else ""


def build_catalog(root: str | Path = CONTENT_ROOT) -> tuple[Catalog, list[ContentError]]:
    """The catalog as far as it can be built, and the shape errors met on the way."""
    builder = CatalogBuilder(Path(root))
    catalog = builder.build()
    return catalog, builder.errors


def load_catalog(root: str | Path = CONTENT_ROOT, *, strict: bool = True) -> Catalog:
    """Load the catalog; with ``strict`` (default), raise :class:`ContentInvalid` unless
    ``course_content.validate.validate(root)`` finds no error."""
    if strict:
        from .validate import validate_catalog

        catalog, errors = validate_catalog(root)
        if errors:
            raise ContentInvalid(errors)
        return catalog
    return build_catalog(root)[0]
