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
              from 2000-01-01T00:00Z; ranked over the whole file, ties in file
              order, so rows far apart are in order too; a row refused for
              another reason keeps its minute, and fixing it later adds only it)
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

Speed (``benchmarks/import_table.py``): a file with an order column is read twice, its
learner / order / time columns first (``order_ranks``: about 20 bytes a row while
ranking). Rows are then read as columns, a chunk at a time (a CSV's cells stripped by
pyarrow); what a row's content makes (its event or its refusal) is worked out once per
distinct content (``MAX_OUTCOMES`` remembered) and shared, payload object included; times
are read once per distinct cell; only bad rows are looked at one by one. A chunk leaves
as a ``TableChunk`` of its good rows, which ``common.table_ingest`` resolves by distinct
keys and stores through ``services.events_ingest_columns`` (binary COPY); ``--workers N``
stores in N threads.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lms.tracking.services import NO_TIME
from lms.tracking.store import micros
from lms.tracking.validation import time_parse
from recommender.datasets.events import QUESTION_KINDS, RowError, event_of

from .common import ImportReport, number, stable_ids

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


_CONTENT = ("kind", "concepts", "question", "activity", "correct", "score", "answer", "position")
MAX_OUTCOMES = 100_000  # distinct row contents whose event a reader remembers (TableReader._outcome)
PREPASS_ROWS = 200_000  # rows a read of the ordering pre-pass (TableReader._file_ranks)
_EARLY, _LATE = "early", "late"  # a row refused before its time is read / after


def _all_text(values: list[Any]) -> bool:
    return set(map(type, values)) <= {str}


class _Stripped(list):
    """A CSV column's cells, all strings, already stripped (by pyarrow, in ``_chunks``):
    their ``_texts`` are themselves."""


def _texts(values: list[Any]) -> list[str]:
    """``_text`` of each cell: one ``strip`` each when all are strings (a CSV's cells)."""
    if type(values) is _Stripped:
        return values
    if _all_text(values):
        return [v.strip() for v in values]
    return [_text(v) for v in values]


def _blanks(values: list[Any]) -> list[bool]:
    """``_blank`` of each cell (a string is blank when empty)."""
    if type(values) is _Stripped or _all_text(values):
        return list(map(operator.not_, values))
    return list(map(_blank, values))


def _plain(values: list[Any]) -> bool:
    """Whether every cell is a string or None: cells equal only when they read the same
    (unlike 1, 1.0 and True), so rows with equal cells can share one outcome."""
    return set(map(type, values)) <= {str, type(None)}


def _numbers(texts: list[str]) -> np.ndarray:
    """``number`` of each text as float64, NaN where there is none (vectorised; the
    texts pandas does not read, such as ``1_000``, go through ``number`` one by one)."""
    values = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(
        float, na_value=np.nan, copy=True
    )
    for i in np.flatnonzero(np.isnan(values)):
        found = number(texts[i])
        values[i] = np.nan if found is None else found
    return values


def order_ranks(chunks: Iterable[tuple[list[Any], list[Any], list[Any] | None]]) -> np.ndarray:
    """Each row's place among its learner's rows that get a synthetic time (a learner,
    no time, a numeric order), by order, then by place in the file; -1 for the others.

    ``chunks`` are (learner, order, time or None) cells in file order. The whole file is
    ranked at once, so a learner's rows far apart in the file are in order of ``order``
    all the same. Memory: 13 bytes a row while ranking, 8 a row for the result, plus the
    distinct learners."""
    index: dict[str, int] = {}
    codes, orders, untimed = [], [], []
    for learners, order_cells, times in chunks:
        n = len(learners)
        local, uniques = pd.factorize(np.asarray(_texts(learners), dtype=object))
        known = np.fromiter((index.setdefault(u, len(index)) for u in uniques), np.int32, len(uniques))
        blank = np.array(_blanks(learners), bool)
        codes.append(np.where(blank, -1, known[local] if len(known) else -1).astype(np.int32))
        values = _numbers(_texts(order_cells))
        values[np.array(_blanks(order_cells), bool)] = np.nan
        orders.append(values)
        untimed.append(np.ones(n, bool) if times is None else np.array(_blanks(times), bool))
    if not codes:
        return np.zeros(0, np.int64)
    code, order = np.concatenate(codes), np.concatenate(orders)
    rows = np.flatnonzero(np.concatenate(untimed) & (code >= 0) & ~np.isnan(order))
    rows = rows[np.lexsort((rows, order[rows], code[rows]))]  # by learner, order, file place
    learner = code[rows]
    place = np.arange(len(rows))
    starts = np.ones(len(rows), bool)
    starts[1:] = learner[1:] != learner[:-1]
    ranks = np.full(len(code), -1, np.int64)
    ranks[rows] = place - np.maximum.accumulate(np.where(starts, place, 0))
    return ranks


_MINUTE_US = 60_000_000
_UNSEEN = object()
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _micros(value: Any) -> int | None:
    """A time cell as microseconds from 2000-01-01 UTC (``store.micros``); None when it
    is no date (a bad row); ``NO_TIME`` when it reads as one that ``event_clean`` would
    refuse all the same (an invalid event)."""
    text = _time(value)
    if text is None:
        return None
    moment = time_parse(text)
    return NO_TIME if moment is None else micros(moment)


def _row_id(given: str | None, course: str, content: str) -> bytes:
    """The bytes of a row's event id: its id cell's (a UUID, else uuid5 of it), else
    uuid5 of its course and content."""
    if given is not None:
        try:
            return uuid.UUID(given).bytes
        except ValueError:
            return stable_ids(["table-id|" + given])
    return stable_ids([f"table|{course}|{content}"])


@dataclass(slots=True)
class TableChunk:
    """A chunk's good rows as columns: row i is ``learners[i]`` (username, prefix
    included) in ``courses[i]`` (course key), with ``outcomes[i]`` (``TableReader._outcome``:
    one object for rows of the same content), at ``times[i]`` (microseconds from
    2000-01-01 UTC, or ``NO_TIME``), with event id ``event_ids[16 i : 16 i + 16]``, read
    from line (or frame row) ``lines[i]``."""

    learners: list[str]
    courses: list[str]
    outcomes: list[tuple]
    times: np.ndarray
    event_ids: bytes
    lines: np.ndarray
    where_prefix: str

    def __len__(self) -> int:
        return len(self.learners)

    def where(self, i: int) -> str:
        return f"{self.where_prefix}{self.lines[i]}"

    def taken(self, keep: np.ndarray) -> TableChunk:
        """The rows ``keep`` (positions, in order)."""
        rows = keep.tolist()
        return TableChunk(
            learners=[self.learners[i] for i in rows],
            courses=[self.courses[i] for i in rows],
            outcomes=[self.outcomes[i] for i in rows],
            times=self.times[keep],
            event_ids=b"".join([self.event_ids[16 * i : 16 * i + 16] for i in rows]),
            lines=self.lines[keep],
            where_prefix=self.where_prefix,
        )


class TableReader:
    """Rows -> ``Parsed`` records; bad rows are noted in the report with their place.

    A chunk is read as columns (lists of cells), not as one dict a row. The part of a
    row that makes its event (kind, activity, question, concepts, correctness, score,
    answer, position) repeats across a table's rows: its outcome (the event's verb and
    payload, or why the row is refused) is worked out once per distinct content and
    shared (``_outcome``), payload object included, which the write path then checks
    and encodes once (``validation.event_clean``'s ``checked``, ``store``). Learner,
    time, course and event id are read for every row."""

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
        self._rank: dict[str, int] = {}  # learner -> rows given synthetic times so far (frames)
        self._times: dict[Any, int | None] = {}  # time cell -> micros (``_micros``)
        self._outcomes: dict[bool, dict[tuple, tuple]] = {
            False: {},
            True: {},
        }  # has_result -> content -> outcome

    @staticmethod
    def _chunks(
        path: Path, chunk_size: int, names: list[Any], raw: frozenset = frozenset()
    ) -> Iterator[tuple[dict[Any, list], int]]:
        """({column name: cells} for ``names``, number of rows) a chunk at a time. A CSV's
        cells are stripped (in pyarrow: ``_Stripped``), but for the columns in ``raw``
        (an answer is kept as written)."""
        if path.name.lower().endswith((".parquet", ".pq")):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size, columns=names):
                yield {name: batch.column(name).to_pylist() for name in names}, batch.num_rows
            return
        reader = pd.read_csv(
            path, sep=_sep(path), dtype=str, keep_default_na=False, chunksize=chunk_size,
            encoding_errors="replace", compression="infer", usecols=names,
        )  # fmt: skip
        with reader:
            for frame in reader:
                yield (
                    {
                        name: frame[name].tolist()
                        if name in raw
                        else _Stripped(frame[name].str.strip().tolist())
                        for name in names
                    },
                    len(frame),
                )

    def _refused(self, where: str, columns: dict[str, Any], n: int) -> bool:
        """Note a table that lacks a needed column (all its ``n`` rows are bad)."""
        missing = _missing_columns(columns)
        if missing:
            self.report.lines += n
            self.report.bad_line(where, f"no {'; no '.join(missing)} column (see table.ALIASES, or --map)")
            self.report.bad += n - 1
        return bool(missing)

    def _file_ranks(self, path: Path, columns: dict[str, Any]) -> np.ndarray:
        """``order_ranks`` of the whole file, read first: its learner, order and time
        columns only."""
        names = list(dict.fromkeys(columns[c] for c in ("learner", "order", "time") if c in columns))
        chunks = (
            (
                cells[columns["learner"]],
                cells[columns["order"]],
                cells[columns["time"]] if "time" in columns else None,
            )
            for cells, _ in self._chunks(path, PREPASS_ROWS, names)
        )
        return order_ranks(chunks)

    def read(
        self, path: Path, progress: Callable[[int], None] | None = None, chunk_size: int = 5000
    ) -> Iterator[TableChunk]:
        """The table's good rows in file order, a chunk at a time. Synthetic times (no time, an order column)
        come from ranking the whole file first (``order_ranks``)."""
        parquet = path.name.lower().endswith((".parquet", ".pq"))
        where_prefix = f"{path}: row " if parquet else f"{path}:"
        default_course = self.default_course or path.name.split(".")[0]
        columns = columns_map(table_header(path), self.mapping)
        names = list(dict.fromkeys(columns.values()))
        ranks: np.ndarray | None = None
        start = first = 1 if parquet else 2  # a CSV's line 1 is the header
        raw = frozenset({columns["answer"]} if "answer" in columns else ())
        for cells, n in self._chunks(path, chunk_size, names, raw):
            if first == start:
                if self._refused(str(path), columns, n):
                    return
                if "order" in columns:
                    ranks = self._file_ranks(path, columns)
            mine = {ours: cells[theirs] for ours, theirs in columns.items()}
            place = first - start
            chunk_ranks = None if ranks is None else ranks[place : place + n].tolist()
            yield self._columns(mine, n, first, where_prefix, default_course, chunk_ranks)
            first += n
            if progress is not None:
                progress(n)

    def read_frames(
        self,
        frames: pd.DataFrame | Iterable[pd.DataFrame],
        where: str,
        progress: Callable[[int], None] | None = None,
        chunk_size: int = 5000,
    ) -> Iterator[TableChunk]:
        """Interaction frames (``recommender.datasets.COLUMNS``) through the same
        ``_rows``; ``where`` names their source in the report (``where: row N``).
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
                part = frame.iloc[start : start + chunk_size]
                cells = {ours: part[theirs].tolist() for ours, theirs in columns.items()}
                yield self._columns(cells, len(part), first, f"{where}: row ", default_course)
                first += len(part)
                if progress is not None:
                    progress(len(part))

    def _columns(
        self,
        cells: dict[str, list[Any]],
        n: int,
        first: int,
        where_prefix: str,
        default_course: str,
        ranks: list[int] | None = None,
    ) -> TableChunk:
        """A chunk's rows (``cells``: our column -> its cells) as a ``TableChunk`` of its
        good rows, in order; a bad row is noted with its reason, in the order ``parse``
        checks them (no learner, its content's early refusal, its time or order, its
        content's late refusal). ``ranks``: each row's synthetic-time place
        (``order_ranks``); None counts places as rows come (frames, already in order).

        The checks are made per column and per distinct content or time, not row by row;
        only bad rows are looked at one by one, to tell them."""
        report = self.report
        report.lines += n
        blank_column = [None] * n
        has_result = "correct" in cells or "score" in cells
        content = [cells.get(name, blank_column) for name in _CONTENT]
        keys = list(zip(*content, strict=True)) if n else []
        outcomes = self._outcomes[has_result]
        if len(outcomes) > MAX_OUTCOMES:
            outcomes.clear()
        outcome_of = self._outcome
        if all(_plain(column) for column in content if column is not blank_column):
            get = outcomes.get
            per_row = [get(key) for key in keys]
            for i in [i for i, outcome in enumerate(per_row) if outcome is None]:
                outcome = per_row[i] = outcomes.get(keys[i])
                if outcome is None:
                    per_row[i] = outcomes[keys[i]] = outcome_of(*keys[i], has_result=has_result)
        else:
            per_row = [outcome_of(*key, has_result=has_result) for key in keys]
        status = [outcome[0] for outcome in per_row]
        early = np.array([s is _EARLY for s in status], bool)
        late = np.array([s is _LATE for s in status], bool)
        learners = cells["learner"]
        learner_texts = _texts(learners)
        no_learner = np.array(_blanks(learners), bool)

        # times: the row's own, else a synthetic one from its order
        times = cells.get("time")
        orders = cells.get("order")
        when = np.full(n, NO_TIME, np.int64)
        time_bad = np.zeros(n, bool)
        timed = np.zeros(n, bool) if times is None else ~np.array(_blanks(times), bool)
        if times is not None:
            seen = self._times
            if len(seen) > MAX_OUTCOMES:
                seen.clear()
            for i in np.flatnonzero(timed).tolist():
                value = times[i]
                try:
                    found = seen.get(value, _UNSEEN)
                except TypeError:  # unhashable: not remembered
                    found = _micros(value)
                else:
                    if found is _UNSEEN:
                        found = seen[value] = _micros(value)
                if found is None:
                    time_bad[i] = True
                else:
                    when[i] = found
        untimed = ~timed
        if orders is None:
            time_bad |= untimed
        elif ranks is not None:
            rank = np.asarray(ranks, np.int64)
            time_bad |= untimed & (rank < 0)
            synthetic = untimed & (rank >= 0)
            when[synthetic] = rank[synthetic] * _MINUTE_US
        else:
            rank_of = self._rank
            prefix = self.learner_prefix
            for i in np.flatnonzero(untimed & ~no_learner & ~early).tolist():
                if _blank(orders[i]) or number(_text(orders[i])) is None:
                    time_bad[i] = True
                    continue
                learner = prefix + learner_texts[i]
                place = rank_of.get(learner, 0)
                rank_of[learner] = place + 1
                when[i] = place * _MINUTE_US
        bad = no_learner | early | time_bad | late
        for i in np.flatnonzero(bad).tolist():
            where = f"{where_prefix}{first + i}"
            if no_learner[i]:
                report.bad_line(where, "no learner", "no learner")
            elif early[i] or not time_bad[i]:
                report.bad_line(where, per_row[i][1], per_row[i][2])
            elif timed[i]:
                report.bad_line(where, f"time {str(times[i])[:40]!r} is not a date", "time is not a date")
            elif orders is None:
                report.bad_line(where, "no time", "no time")
            else:
                report.bad_line(where, "order is not a number", "order is not a number")
        good = np.flatnonzero(~bad)
        rows = good.tolist()
        # the event id of a row without one: uuid5 of its content (all cells but the course)
        courses = cells.get("course")
        if courses is None:
            course_of = [default_course] * len(rows)
        else:
            course_texts, no_course = _texts(courses), _blanks(courses)
            course_of = [default_course if no_course[i] else course_texts[i] for i in rows]
        names = [name for name in sorted(cells) if name != "course"]
        texts = {"learner": learner_texts}
        columns = [texts.get(name) or _texts(cells[name]) for name in names]
        if len(rows) < n:
            columns = [[column[i] for i in rows] for column in columns]
        # "table|<course>|<name>=<text>\x1f<name>=<text>...": the content, names in order
        content = "table|{}|" + "\x1f".join(f"{name}={{}}" for name in names)
        ids = cells.get("id")
        if ids is None:
            event_ids = stable_ids(list(map(content.format, course_of, *columns)))
        else:
            id_texts, no_id = _texts(ids), _blanks(ids)
            contents = [content.format("", *row)[len("table||") :] for row in zip(*columns, strict=True)]
            event_ids = b"".join(
                _row_id(None if no_id[i] else id_texts[i], course, text)
                for i, course, text in zip(rows, course_of, contents, strict=True)
            )
        prefix = self.learner_prefix
        return TableChunk(
            learners=[prefix + learner_texts[i] for i in rows],
            courses=course_of,
            outcomes=[per_row[i] for i in rows],
            times=when[good],
            event_ids=event_ids,
            lines=good + first,
            where_prefix=where_prefix,
        )

    @staticmethod
    def _outcome(
        kind: Any,
        concepts: Any,
        question: Any,
        activity: Any,
        correct: Any,
        score: Any,
        answer: Any,
        position: Any,
        *,
        has_result: bool,
    ) -> tuple:
        """What a row's content makes: (None, verb, payload, activity, activity kind);
        or (``_EARLY``, why, reason), a refusal found before the row's time is read, or
        (``_LATE``, why, reason), one found after (the order in which a row's problems
        are told); the reason, without the row's values, is what the report counts."""
        kind = _text(kind).lower() if not _blank(kind) else None
        kind = kind or ("question" if has_result else "reading")
        if kind not in KINDS:
            return _EARLY, f"kind {kind[:30]!r} is not one of {', '.join(KINDS)}", "unknown kind"
        question_family = kind in QUESTION_KINDS
        concepts = [] if _blank(concepts) else [
            c.strip() for c in _CONCEPT_SEP.split(_text(concepts)) if c.strip()
        ]  # fmt: skip
        item = None if _blank(question) else _text(question)
        activity = None if _blank(activity) else _text(activity)
        if activity is None:
            if question_family and concepts and item is not None:
                activity = concepts[0]  # the unit of practice; the item is the question
            else:
                activity = item if item is not None else (concepts[0] if concepts else None)
        if activity is None:
            return _EARLY, "no activity, question or concept", "no activity, question or concept"
        credit = None
        if not _blank(correct):
            credit = _correct(correct)
            if credit is None:
                why = f"correct {_text(correct)[:30]!r} is not 1/0, true/false or a fraction"
                return _LATE, why, "correct is not 1/0, true/false or a fraction"
        graded = None
        if not _blank(score):
            graded = _score(score)
            if graded is None:
                return (
                    _LATE,
                    f"score {_text(score)[:30]!r} is not in 0..1 or 0..100",
                    "score is not in 0..1 or 0..100",
                )
        seconds = None if _blank(position) else number(_text(position))
        try:
            verb, payload = event_of(
                kind, activity, question=item if question_family else None, correct=credit, score=graded,
                answer=None if _blank(answer) else answer, position=seconds, concepts=concepts or None,
            )  # fmt: skip
        except RowError as exc:
            return _LATE, str(exc), _QUOTED.sub("...", str(exc))
        return None, verb, payload, activity, "quiz" if question_family else kind
