"""The catalog's file format, shared by the loader and the validator.

- :class:`ContentError` (``file:line: message (fix: ...)``), :class:`ContentInvalid` and
  :class:`ErrorList`, the list both collect errors in;
- :func:`read_yaml`: PyYAML's composer building ``LMap`` / ``LList`` containers that
  remember the line of every key and item (duplicate keys are errors);
- the key tables of every mapping (course, week, concept, activity, quiz, question,
  option) with their value types (:data:`TYPE_WORDS`), :func:`type_ok` and
  :func:`did_you_mean`.

Nothing here imports Django.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_MAX = 80
KINDS = ("video", "reading", "quiz", "lab")
QUESTION_TYPES = ("single", "multiple", "numeric")


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
    """Raised by ``validate.load_catalog`` when the catalog has errors."""

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


class ErrorList(list):
    """The :class:`ContentError` list that the loader and the validator fill."""

    def add(self, file: Path, line: int, message: str, fix: str = "") -> None:
        self.append(ContentError(Path(file), line, message, fix))


# --------------------------------------------------------------------------- keys


def _keys(spec: str) -> dict[str, str]:
    """A key table, in the order written: ``"id:str minutes:posint"`` -> ``{"id": "str", ...}``
    (the types are those of :data:`TYPE_WORDS`)."""
    return dict(item.split(":") for item in spec.split())


COURSE_KEYS = _keys(
    "slug:str number:int title:str summary:str passing_grade:fraction weeks:list concepts:list"
)
COURSE_REQUIRED = ("slug", "number", "title", "summary", "passing_grade", "weeks")
WEEK_KEYS = _keys("id:str title:str summary:str activities:list")
WEEK_REQUIRED = ("id", "title", "summary", "activities")
CONCEPT_KEYS = _keys("id:str title:str requires:list")
ACTIVITY_COMMON = _keys("id:str kind:str title:str minutes:posint graded:bool concepts:list")
ACTIVITY_KIND_KEYS = {
    "video": _keys("duration:posint media:str interview:bool synopsis:str"),
    "reading": {},
    "quiz": {},
    "lab": _keys("lab:str cpu_seconds:posnum"),
}
# A video without `media` is generated from its transcript (course_content.lecture).
ACTIVITY_REQUIRED = {"video": ("duration",), "reading": (), "quiz": (), "lab": ("lab", "cpu_seconds")}
QUIZ_KEYS = _keys("max_attempts:posint pass_fraction:fraction questions:list")
QUESTION_KEYS = _keys(
    "id:str type:str prompt:str concepts:list difficulty:int options:list answer:num tolerance:num"
    " explanation:str"
)
OPTION_KEYS = _keys("text:text correct:bool explanation:str")

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


def type_ok(value: Any, kind: str) -> bool:
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


# --------------------------------------------------------------------------- shape checks


class ShapeChecker:
    """Reads YAML files and checks mappings against the key tables, collecting every
    problem in ``errors`` (the base of ``loader.CatalogBuilder``)."""

    def __init__(self) -> None:
        self.errors = ErrorList()

    def error(self, file: Path, line: int, message: str, fix: str = "") -> None:
        self.errors.add(file, line, message, fix)

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
            if key in data and data[key] is not None and not type_ok(data[key], kind):
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
