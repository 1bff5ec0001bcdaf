"""Plain interaction tables (CSV, TSV or Parquet; CSV may be gzipped): one row per
learner interaction, the shape knowledge-tracing datasets come in (ASSISTments:
``user_id, order_id, problem_id, skill_name, correct``; KDD Cup: ``Anon Student Id,
Problem Name, KC(Default), Correct First Attempt``); and the interaction frames of
``recommender.datasets`` readers (``read_frames``), which already use our column names.

Columns (header names are matched case-insensitively, spaces and punctuation read as
``_``; the first alias present wins; ``--map ours=theirs,...`` names a column
explicitly and overrides the aliases):

============  =====================================================================
column        accepted names
============  =====================================================================
learner       learner, learner_id, user_id, user, username, student_id, student,
              anon_student_id, studentid (kept as given: the learner's username)
time          time, timestamp, datetime, date, start_time, first_transaction_time
              (ISO 8601, UTC when no offset; or Unix seconds / milliseconds)
order         order, order_id, seq, sequence, step, idx
              (a row without a time, or a table without a time column: the
              learner's rows in this order get synthetic times one minute apart
              from 2000-01-01T00:00Z)
activity      activity, activity_id, exercise, unit, problem_set: the unit of
              practice (see "Activity and question" below)
question      question, question_id, item, item_id, problem_id, problem,
              problem_name, assistment_id: the item answered
kind          kind, activity_kind, activity_type: question | problem | item | skill
              | quiz (the question family) | video | lab | reading (absent: question
              when there is a correct or score column, else reading). A column named
              ``type`` is *not* a kind: ASSISTments' ``type`` is the assignment type
              (``--map kind=type`` if yours is one)
concepts      concepts, concept, skills, skill, skill_name, skill_id, kc, kcs,
              kc_default, knowledge_component (several separated by ";" or "~~")
correct       correct, is_correct, correctness, outcome, correct_first_attempt
              (1/0, true/false, yes/no, correct/incorrect; a fraction is partial credit)
score         score, grade, points (0..1; 1..100 is read as a percentage)
answer        answer, answer_text, response
course        course, course_id (absent: the --course option, else the file's name)
id            id, event_id (absent: uuid5 of the row's content and course)
position      position, duration, seconds (video: where it was completed)
============  =====================================================================

Activity and question: with an ``activity`` column, the activity is that unit and the
question column names the item. Without one, a question-family row of a table that has
both a concept column and a question column is practice of its (first) concept: the
activity is the concept (the unit of practice, like an ASSISTments skill-builder
problem set) and the question the item. Otherwise the activity is the item (the
question column), or the first concept when there is no item. Videos, labs and readings
are always the item they name.

Rows map to events through ``recommender.datasets.events.event_of`` (the mapping the
library's benchmarks use too): every question-family row **with a correctness value**
(correct or score, ``quiz`` included) is one graded question, ``quiz.graded``
``{"attempt": 1, "score": s, "questions": [{"question": q, "correct": c}]}``; one
without is ``quiz.answered``; video -> ``video.completed``, lab -> ``lab.graded``,
reading -> ``navigation.page_viewed``. Concepts ride along (``"concepts": [...]``).
Question keys keep letters, digits, ``-`` and ``_``; other runs of characters become
``_`` (``events.question_key``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from recommender.datasets.events import QUESTION_KINDS, RowError, event_of

from .common import ImportReport, Parsed, number, stable_id

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
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
KINDS = ("question", "problem", "item", "skill", "quiz", "video", "lab", "reading")
_TRUE = {"1", "1.0", "true", "t", "yes", "y", "correct", "right"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "incorrect", "wrong"}
_HEADER = re.compile(r"[^a-z0-9]+")
_CONCEPT_SEP = re.compile(r";|~~")


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
    return list(pd.read_csv(path, sep=_sep(path), nrows=0, encoding_errors="replace").columns)


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


def _missing_columns(columns: dict[str, Any]) -> list[str]:
    missing = [] if "learner" in columns else ["learner"]
    if not {"activity", "question", "concepts"} & columns.keys():
        missing.append("activity, question or concepts")
    if "time" not in columns and "order" not in columns:
        missing.append("time or order")
    return missing


def _sep(path: Path) -> str:
    return "\t" if re.search(r"\.(tsv|tab|txt)(\.gz)?$", path.name.lower()) else ","


def _blank(value: Any) -> bool:
    return value is None or value is pd.NaT or value == "" or (isinstance(value, float) and value != value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _correct(value: Any) -> float | None:
    """1.0 / 0.0, or the partial credit in [0, 1], of a cell; None if unreadable."""
    if isinstance(value, bool):
        return float(value)
    text = _text(value).lower()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    credit = number(text)
    return float(credit) if credit is not None and 0 <= credit <= 1 else None


def _score(value: Any) -> float | None:
    score = number(value if not isinstance(value, str) else value.strip())
    if score is None or score < 0:
        return None
    if score > 1:
        return score / 100 if score <= 100 else None
    return float(score)


def _time(value: Any) -> str | None:
    if isinstance(value, pd.Timestamp | dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.isoformat()
    seconds = number(value)
    if seconds is not None:
        seconds = seconds / 1000 if seconds > 1e11 else seconds
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    text = _text(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


class TableReader:
    """Rows -> ``Parsed`` records; bad rows are noted in the report with their place."""

    def __init__(
        self,
        report: ImportReport,
        *,
        default_course: str | None = None,
        learner_prefix: str = "",
        mapping: dict[str, str] | None = None,
    ) -> None:
        self.report = report
        self.default_course = default_course
        self.learner_prefix = learner_prefix
        self.mapping = mapping or {}
        self._rank: dict[str, int] = {}  # learner -> rows given synthetic times so far

    def _chunks(self, path: Path, chunk_size: int) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """(rows as dicts, number of the first row's line) a chunk at a time."""
        name = path.name.lower()
        if name.endswith((".parquet", ".pq")):
            parquet = pq.ParquetFile(path)
            first = 1
            for batch in parquet.iter_batches(batch_size=chunk_size):
                rows = batch.to_pylist()
                yield rows, first
                first += len(rows)
            return
        first = 2  # line 1 is the header
        reader = pd.read_csv(
            path, sep=_sep(path), dtype=str, keep_default_na=False, chunksize=chunk_size,
            encoding_errors="replace", compression="infer",
        )  # fmt: skip
        with reader:
            for frame in reader:
                rows = frame.to_dict("records")
                yield rows, first
                first += len(rows)

    def _refused(self, where: str, columns: dict[str, Any], n: int) -> bool:
        """Note a table that lacks a needed column (all its ``n`` rows are bad)."""
        missing = _missing_columns(columns)
        if missing:
            self.report.lines += n
            self.report.bad_line(where, f"no {'; no '.join(missing)} column (see table.ALIASES, or --map)")
            self.report.bad += n - 1
        return bool(missing)

    def read(
        self, path: Path, progress: Callable[[int], None] | None = None, chunk_size: int = 5000
    ) -> Iterator[Parsed]:
        where_prefix = f"{path}:" if not path.name.lower().endswith((".parquet", ".pq")) else f"{path}: row "
        columns: dict[str, Any] | None = None
        default_course = self.default_course or path.name.split(".")[0]
        for rows, first in self._chunks(path, chunk_size):
            if columns is None:
                columns = columns_map(list(rows[0].keys()) if rows else [], self.mapping)
                if self._refused(str(path), columns, len(rows)):
                    return
            yield from self._rows(rows, first, columns, where_prefix, default_course)
            if progress is not None:
                progress(len(rows))

    def read_frames(
        self,
        frames: pd.DataFrame | Iterable[pd.DataFrame],
        where: str,
        progress: Callable[[int], None] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[Parsed]:
        """Interaction frames (``recommender.datasets.COLUMNS``) through the same
        ``parse``; ``where`` names their source in the report (``where: row N``).
        A frame whose times are all NaT is read in ``(learner, order)`` order."""
        default_course = self.default_course or Path(where).name.split(".")[0]
        first = 1
        for frame in [frames] if isinstance(frames, pd.DataFrame) else frames:
            columns = {name: name for name in frame.columns if name in ALIASES}
            if self._refused(where, columns, len(frame)):
                return
            if "order" in columns and ("time" not in columns or frame["time"].isna().all()):
                columns.pop("time", None)
                frame = frame.sort_values(["learner", "order"], kind="stable")
            for start in range(0, len(frame), chunk_size):
                rows = frame.iloc[start : start + chunk_size].to_dict("records")
                yield from self._rows(rows, first, columns, f"{where}: row ", default_course, sort=False)
                first += len(rows)
                if progress is not None:
                    progress(len(rows))

    def _rows(
        self,
        rows: list[dict[str, Any]],
        first: int,
        columns: dict[str, Any],
        where_prefix: str,
        default_course: str,
        sort: bool = True,
    ) -> Iterator[Parsed]:
        numbered: Iterable[tuple[int, dict[str, Any]]] = enumerate(rows, first)
        if sort and "time" not in columns:
            numbered = sorted(numbered, key=lambda item: _order_key(item[1], columns))
        report = self.report
        for lineno, row in numbered:
            report.lines += 1
            parsed = self.parse(row, columns, f"{where_prefix}{lineno}", default_course)
            if parsed is not None:
                yield parsed

    def parse(
        self, row: dict[str, Any], columns: dict[str, Any], where: str, default_course: str
    ) -> Parsed | None:
        """One row as a ``Parsed`` record, or None (noted as a bad line, with why)."""
        report = self.report
        cell = {ours: row.get(theirs) for ours, theirs in columns.items()}
        learner = cell.get("learner")
        if _blank(learner):
            report.bad_line(where, "no learner")
            return None
        learner = self.learner_prefix + _text(learner)

        has_result = "correct" in columns or "score" in columns
        kind = _text(cell["kind"]).lower() if not _blank(cell.get("kind")) else None
        kind = kind or ("question" if has_result else "reading")
        if kind not in KINDS:
            report.bad_line(where, f"kind {kind[:30]!r} is not one of {', '.join(KINDS)}")
            return None
        question_family = kind in QUESTION_KINDS
        concepts = [] if _blank(cell.get("concepts")) else [
            c.strip() for c in _CONCEPT_SEP.split(_text(cell["concepts"])) if c.strip()
        ]  # fmt: skip
        item = None if _blank(cell.get("question")) else _text(cell["question"])
        activity = None if _blank(cell.get("activity")) else _text(cell["activity"])
        if activity is None:
            if question_family and concepts and item is not None:
                activity = concepts[0]  # the unit of practice; the item is the question
            else:
                activity = item if item is not None else (concepts[0] if concepts else None)
        if activity is None:
            report.bad_line(where, "no activity, question or concept")
            return None

        when = self._when(cell, columns, learner, where)
        if when is None:
            return None
        correct = None
        if not _blank(cell.get("correct")):
            correct = _correct(cell["correct"])
            if correct is None:
                report.bad_line(
                    where, f"correct {_text(cell['correct'])[:30]!r} is not 1/0, true/false or a fraction"
                )
                return None
        score = None
        if not _blank(cell.get("score")):
            score = _score(cell["score"])
            if score is None:
                report.bad_line(where, f"score {_text(cell['score'])[:30]!r} is not in 0..1 or 0..100")
                return None
        position = None if _blank(cell.get("position")) else number(_text(cell["position"]))
        try:
            verb, payload = event_of(
                kind, activity, question=item if question_family else None, correct=correct, score=score,
                answer=None if _blank(cell.get("answer")) else cell["answer"], position=position,
                concepts=concepts or None,
            )  # fmt: skip
        except RowError as exc:
            report.bad_line(where, str(exc))
            return None

        course = default_course if _blank(cell.get("course")) else _text(cell["course"])
        event_id = None
        if not _blank(cell.get("id")):
            try:
                event_id = str(uuid.UUID(_text(cell["id"])))
            except ValueError:
                event_id = stable_id("table-id|" + _text(cell["id"]))
        if event_id is None:  # the row's content and its course: the same row of two courses is two events
            content = "\x1f".join(f"{k}={_text(v)}" for k, v in sorted(cell.items()) if k != "course")
            event_id = stable_id(f"table|{course}|{content}")
        raw = {"id": event_id, "time": when, "verb": verb, "session": "", "payload": payload}
        return Parsed(learner, raw, where, course, activity, "quiz" if question_family else kind, activity)

    def _when(self, cell: dict[str, Any], columns: dict[str, Any], learner: str, where: str) -> str | None:
        """The row's time: its own, or (none, and an order column) a synthetic one."""
        if not _blank(cell.get("time")):
            when = _time(cell["time"])
            if when is None:
                self.report.bad_line(where, f"time {str(cell.get('time'))[:40]!r} is not a date")
            return when
        if "order" not in columns:
            self.report.bad_line(where, "no time")
            return None
        if _blank(cell.get("order")) or number(_text(cell["order"])) is None:
            self.report.bad_line(where, "order is not a number")
            return None
        rank = self._rank.get(learner, 0)
        self._rank[learner] = rank + 1
        return (EPOCH + dt.timedelta(minutes=rank)).isoformat()


def _order_key(row: dict[str, Any], columns: dict[str, Any]) -> tuple[str, float]:
    order = number(_text(row.get(columns["order"], "")))
    return _text(row.get(columns["learner"], "")), order if order is not None else float("inf")
