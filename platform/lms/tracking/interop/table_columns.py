"""Which column of a table is which: our columns' aliases (``ALIASES``, listed in
``table.py``'s docstring), an explicit ``--map`` (``mapping_parse``, ``mapping_check``)
and the table's header (``table_header``, ``columns_map``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

ALIASES: dict[str, tuple[str, ...]] = {
    "learner": (
        "learner", "learner_id", "user_id", "user", "username", "student_id", "student",
        "anon_student_id", "studentid",
    ),
    "time": ("time", "timestamp", "datetime", "date", "start_time", "first_transaction_time"),
    "order": ("order", "order_id", "seq", "sequence", "step", "idx"),
    "activity": ("activity", "activity_id", "exercise", "unit", "problem_set"),
    "question": (
        "question", "question_id", "item", "item_id", "problem_id", "problem", "problem_name",
        "assistment_id",
    ),
    "kind": ("kind", "activity_kind", "activity_type"),
    "concepts": (
        "concepts", "concept", "skills", "skill", "skill_name", "skill_id", "kc", "kcs",
        "kc_default", "knowledge_component",
    ),
    "correct": ("correct", "is_correct", "correctness", "outcome", "correct_first_attempt"),
    "score": ("score", "grade", "points"),
    "answer": ("answer", "answer_text", "response"),
    "course": ("course", "course_id"),
    "id": ("id", "event_id"),
    "position": ("position", "duration", "seconds"),
}  # fmt: skip
_HEADER = re.compile(r"[^a-z0-9]+")


class MappingError(ValueError):
    """A ``--map`` that cannot be applied (the message says why); raised before any
    row is read."""


def _normal(name: Any) -> str:
    return _HEADER.sub("_", str(name).strip().lower()).strip("_")


def mapping_parse(text: str) -> dict[str, str]:
    """``"correct=answered_correctly,learner=user"`` -> {ours: theirs}; ``MappingError``
    naming the problem (not ``ours=theirs``, an unknown column of ours, a repeat)."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        ours, sep, theirs = (s.strip() for s in part.partition("="))
        if not sep or not ours or not theirs:
            raise MappingError(f"--map: {part!r} is not ours=theirs (e.g. correct=answered_correctly)")
        if ours not in ALIASES:
            raise MappingError(f"--map: {ours!r} is not one of our columns: {', '.join(ALIASES)}")
        if ours in mapping:
            raise MappingError(f"--map: {ours!r} is mapped twice")
        mapping[ours] = theirs
    return mapping


def _find(theirs: str, header: list[Any]) -> Any | None:
    """The header name ``theirs`` names: exactly, else by its normal form."""
    if theirs in header:
        return theirs
    wanted = _normal(theirs)
    return next((name for name in header if _normal(name) == wanted), None)


def mapping_check(mapping: dict[str, str], header: list[Any], where: str) -> None:
    """``MappingError`` when a mapped column is not in the table."""
    missing = [theirs for theirs in mapping.values() if _find(theirs, header) is None]
    if missing:
        raise MappingError(
            f"--map: {where} has no column {', '.join(map(repr, missing))}; "
            f"its columns: {', '.join(map(str, header))}"
        )


def table_header(path: Path) -> list[Any]:
    """The column names of a table file, reading only its header."""
    if path.name.lower().endswith((".parquet", ".pq")):
        return list(pq.ParquetFile(path).schema_arrow.names)
    return list(pd.read_csv(path, sep=separator(path), nrows=0, encoding_errors="replace").columns)


def columns_map(header: list[Any], mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """Our column -> the table's column, for those present: ``mapping``'s first, then
    the first alias present among the columns no mapping claimed."""
    found = {ours: _find(theirs, header) for ours, theirs in (mapping or {}).items()}
    found = {ours: theirs for ours, theirs in found.items() if theirs is not None}
    claimed = set(found.values())
    normal = {}
    for name in header:
        if name not in claimed:
            normal.setdefault(_normal(name), name)
    for ours, aliases in ALIASES.items():
        if ours in found:
            continue
        for alias in aliases:
            if alias in normal:
                found[ours] = normal[alias]
                break
    return found


def missing_columns(columns: dict[str, Any]) -> list[str]:
    missing = [] if "learner" in columns else ["learner"]
    if not {"activity", "question", "concepts"} & columns.keys():
        missing.append("activity, question or concepts")
    if "time" not in columns and "order" not in columns:
        missing.append("time or order")
    return missing


def separator(path: Path) -> str:
    return "\t" if re.search(r"\.(tsv|tab|txt)(\.gz)?$", path.name.lower()) else ","
