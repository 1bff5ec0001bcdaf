"""Plain interaction tables (CSV, TSV or Parquet; CSV may be gzipped): one row per
learner interaction, the shape knowledge-tracing datasets come in (ASSISTments:
``user_id, order_id, problem_id, skill_name, correct``; KDD Cup: ``Anon Student Id,
Problem Name, KC(Default), Correct First Attempt``).

Columns (header names are matched case-insensitively, spaces and punctuation read as
``_``; the first alias present wins):

============  =====================================================================
column        accepted names
============  =====================================================================
learner       learner, learner_id, user_id, user, username, student_id, student,
              anon_student_id, studentid
time          time, timestamp, datetime, date, start_time, first_transaction_time
              (ISO 8601, UTC when no offset; or Unix seconds / milliseconds)
order         order, order_id, seq, sequence, step, idx
              (when there is no time: the learner's rows in this order get synthetic
              times one minute apart from 2000-01-01T00:00Z)
activity      activity, activity_id, item, item_id, problem_id, problem, problem_name,
              question, question_id, exercise, assistment_id
              (absent: the concept column names the activity)
kind          kind, type, activity_type: video | quiz | lab | reading
              (absent: quiz when there is a correct or score column, else reading)
concepts      concepts, concept, skills, skill, skill_name, skill_id, kc, kcs,
              kc_default, knowledge_component (several separated by ";" or "~~")
correct       correct, is_correct, correctness, outcome, correct_first_attempt
              (1/0, true/false, yes/no, correct/incorrect; a fraction is partial credit)
score         score, grade, points (0..1; 1..100 is read as a percentage)
answer        answer, answer_text, response
course        course, course_id (absent: the --course option, else the file's name)
id            id, event_id (absent: uuid5 of the row's content)
position      position, duration, seconds (video: where it was completed)
============  =====================================================================

Kinds map to verbs: quiz -> quiz.answered (question = the activity), video ->
video.completed, lab -> lab.graded (score), reading -> navigation.page_viewed.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from .common import ImportReport, Parsed, number, stable_id

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ALIASES: dict[str, tuple[str, ...]] = {
    "learner": (
        "learner", "learner_id", "user_id", "user", "username", "student_id", "student",
        "anon_student_id", "studentid",
    ),
    "time": ("time", "timestamp", "datetime", "date", "start_time", "first_transaction_time"),
    "order": ("order", "order_id", "seq", "sequence", "step", "idx"),
    "activity": (
        "activity", "activity_id", "item", "item_id", "problem_id", "problem", "problem_name",
        "question", "question_id", "exercise", "assistment_id",
    ),
    "kind": ("kind", "type", "activity_type"),
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
KINDS = ("video", "quiz", "lab", "reading")
_TRUE = {"1", "1.0", "true", "t", "yes", "y", "correct", "right"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "incorrect", "wrong"}
_HEADER = re.compile(r"[^a-z0-9]+")
_CONCEPT_SEP = re.compile(r";|~~")


def _normal(name: Any) -> str:
    return _HEADER.sub("_", str(name).strip().lower()).strip("_")


def columns_map(header: list[Any]) -> dict[str, str]:
    """Our column -> the table's column, for those present."""
    normal = {}
    for name in header:
        normal.setdefault(_normal(name), name)
    found = {}
    for ours, aliases in ALIASES.items():
        for alias in aliases:
            if alias in normal:
                found[ours] = normal[alias]
                break
    return found


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _correct(value: Any) -> tuple[bool | None, float | None]:
    """(correct, partial credit) from a cell."""
    if isinstance(value, bool):
        return value, None
    text = _text(value).lower()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    credit = number(text)
    if credit is None or not 0 <= credit <= 1:
        return None, None
    return credit >= 1, float(credit)


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
    def __init__(
        self, report: ImportReport, *, default_course: str | None = None, learner_prefix: str = ""
    ) -> None:
        self.report = report
        self.default_course = default_course
        self.learner_prefix = learner_prefix
        self._rank: dict[str, int] = {}  # learner -> rows seen (synthetic times)

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
        sep = "\t" if re.search(r"\.(tsv|tab|txt)(\.gz)?$", name) else ","
        first = 2  # line 1 is the header
        reader = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, chunksize=chunk_size,
            encoding_errors="replace", compression="infer",
        )  # fmt: skip
        with reader:
            for frame in reader:
                rows = frame.to_dict("records")
                yield rows, first
                first += len(rows)

    def read(
        self, path: Path, progress: Callable[[int], None] | None = None, chunk_size: int = 5000
    ) -> Iterator[Parsed]:
        report = self.report
        where_prefix = f"{path}:" if not path.name.lower().endswith((".parquet", ".pq")) else f"{path}: row "
        columns: dict[str, str] | None = None
        default_course = self.default_course or path.name.split(".")[0]
        for rows, first in self._chunks(path, chunk_size):
            if columns is None:
                columns = columns_map(list(rows[0].keys())) if rows else {}
                missing = [c for c in ("learner",) if c not in columns]
                if "activity" not in columns and "concepts" not in columns:
                    missing.append("activity")
                if "time" not in columns and "order" not in columns:
                    missing.append("time or order")
                if missing:
                    report.lines += len(rows)
                    report.bad_line(f"{path}", f"no {', '.join(missing)} column (see table.ALIASES)")
                    report.bad += len(rows) - 1
                    return
            numbered = list(enumerate(rows, first))
            if "time" not in columns:
                numbered.sort(key=lambda item: _order_key(item[1], columns))
            for lineno, row in numbered:
                report.lines += 1
                parsed = self.parse(row, columns, f"{where_prefix}{lineno}", default_course)
                if parsed is not None:
                    yield parsed
            if progress is not None:
                progress(len(rows))

    def parse(
        self, row: dict[str, Any], columns: dict[str, str], where: str, default_course: str
    ) -> Parsed | None:
        report = self.report
        cell = {ours: row.get(theirs) for ours, theirs in columns.items()}
        learner = cell.get("learner")
        if _blank(learner):
            report.bad_line(where, "no learner")
            return None
        learner = self.learner_prefix + _text(learner)
        concepts = [] if _blank(cell.get("concepts")) else [
            c.strip() for c in _CONCEPT_SEP.split(_text(cell["concepts"])) if c.strip()
        ]  # fmt: skip
        activity = None if _blank(cell.get("activity")) else _text(cell["activity"])
        if activity is None and concepts:
            activity = concepts[0]
        if activity is None:
            report.bad_line(where, "no activity")
            return None
        if "time" in columns:
            when = None if _blank(cell.get("time")) else _time(cell["time"])
            if when is None:
                report.bad_line(where, f"time {str(cell.get('time'))[:40]!r} is not a date")
                return None
        else:
            if _blank(cell.get("order")) or number(_text(cell["order"])) is None:
                report.bad_line(where, "order is not a number")
                return None
            rank = self._rank.get(learner, 0)
            self._rank[learner] = rank + 1
            when = (EPOCH + dt.timedelta(minutes=rank)).isoformat()

        has_result = "correct" in columns or "score" in columns
        kind = _text(cell["kind"]).lower() if not _blank(cell.get("kind")) else None
        kind = kind or ("quiz" if has_result else "reading")
        if kind not in KINDS:
            report.bad_line(where, f"kind {kind[:30]!r} is not one of {', '.join(KINDS)}")
            return None
        correct, credit = (None, None) if _blank(cell.get("correct")) else _correct(cell["correct"])
        score = None if _blank(cell.get("score")) else _score(cell["score"])
        if score is None:
            score = credit
        payload: dict[str, Any]
        if kind == "quiz":
            answer = None if _blank(cell.get("answer")) else cell["answer"]
            verb, payload = "quiz.answered", {"question": activity[:80], "answer": answer}
            if correct is not None:
                payload["correct"] = correct
            if score is not None:
                payload["score"] = score
        elif kind == "lab":
            if score is None and correct is not None:
                score = 1.0 if correct else 0.0
            if score is None:
                report.bad_line(where, "a lab row needs a score or correct")
                return None
            verb, payload = "lab.graded", {"score": score, "tests": []}
            if correct is not None:
                payload["passed"] = correct
        elif kind == "video":
            position = None if _blank(cell.get("position")) else number(_text(cell["position"]))
            verb, payload = "video.completed", {"position": position or 0}
        else:
            verb, payload = "navigation.page_viewed", {"path": activity[:500]}
        if concepts:
            payload["concepts"] = concepts

        event_id = None
        if not _blank(cell.get("id")):
            try:
                event_id = str(uuid.UUID(_text(cell["id"])))
            except ValueError:
                event_id = stable_id("table-id|" + _text(cell["id"]))
        if event_id is None:
            event_id = stable_id("table|" + "\x1f".join(f"{k}={_text(v)}" for k, v in sorted(cell.items())))
        course = default_course if _blank(cell.get("course")) else _text(cell["course"])
        raw = {"id": event_id, "time": when, "verb": verb, "session": "", "payload": payload}
        return Parsed(learner, raw, where, course, activity, kind, activity)


def _order_key(row: dict[str, Any], columns: dict[str, str]) -> tuple[str, float]:
    order = number(_text(row.get(columns["order"], "")))
    return _text(row.get(columns["learner"], "")), order if order is not None else float("inf")
