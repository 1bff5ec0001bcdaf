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
as a ``TableChunk`` of its good rows, which ``ingest.table_ingest`` resolves by distinct
keys and stores through ``columns.events_ingest_columns`` (binary COPY); ``--workers N``
stores in N threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lms.tracking.columns import NO_TIME
from recommender.datasets.events import QUESTION_KINDS, RowError, event_of

from .naming import stable_ids
from .records import ImportReport, number
from .table_cells import (
    Stripped,
    all_plain,
    blank_flags,
    cell_text,
    cell_texts,
    correct_credit,
    is_blank,
    order_ranks,
    row_event_id,
    score_fraction,
    time_micros,
)
from .table_columns import ALIASES, columns_map, missing_columns, separator, table_header

KINDS = ("question", "problem", "item", "skill", "quiz", "video", "lab", "reading")
_CONCEPT_SEP = re.compile(r";|~~")

_CONTENT = ("kind", "concepts", "question", "activity", "correct", "score", "answer", "position")
MAX_OUTCOMES = 100_000  # distinct row contents whose event a reader remembers (TableReader._outcome)
PREPASS_ROWS = 200_000  # rows a read of the ordering pre-pass (TableReader._file_ranks)
_EARLY, _LATE = "early", "late"  # a row refused before its time is read / after

_MINUTE_US = 60_000_000
_UNSEEN = object()
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


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
        self._times: dict[Any, int | None] = {}  # time cell -> micros (``time_micros``)
        self._outcomes: dict[bool, dict[tuple, tuple]] = {
            False: {},
            True: {},
        }  # has_result -> content -> outcome

    @staticmethod
    def _chunks(
        path: Path, chunk_size: int, names: list[Any], raw: frozenset = frozenset()
    ) -> Iterator[tuple[dict[Any, list], int]]:
        """({column name: cells} for ``names``, number of rows) a chunk at a time. A CSV's
        cells are stripped (in pyarrow: ``Stripped``), but for the columns in ``raw``
        (an answer is kept as written)."""
        if path.name.lower().endswith((".parquet", ".pq")):
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_size, columns=names):
                yield {name: batch.column(name).to_pylist() for name in names}, batch.num_rows
            return
        reader = pd.read_csv(
            path, sep=separator(path), dtype=str, keep_default_na=False, chunksize=chunk_size,
            encoding_errors="replace", compression="infer", usecols=names,
        )  # fmt: skip
        with reader:
            for frame in reader:
                yield (
                    {
                        name: frame[name].tolist()
                        if name in raw
                        else Stripped(frame[name].str.strip().tolist())
                        for name in names
                    },
                    len(frame),
                )

    def _refused(self, where: str, columns: dict[str, Any], n: int) -> bool:
        """Note a table that lacks a needed column (all its ``n`` rows are bad)."""
        missing = missing_columns(columns)
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
        if all(all_plain(column) for column in content if column is not blank_column):
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
        learner_texts = cell_texts(learners)
        no_learner = np.array(blank_flags(learners), bool)

        # times: the row's own, else a synthetic one from its order
        times = cells.get("time")
        orders = cells.get("order")
        when = np.full(n, NO_TIME, np.int64)
        time_bad = np.zeros(n, bool)
        timed = np.zeros(n, bool) if times is None else ~np.array(blank_flags(times), bool)
        if times is not None:
            seen = self._times
            if len(seen) > MAX_OUTCOMES:
                seen.clear()
            for i in np.flatnonzero(timed).tolist():
                value = times[i]
                try:
                    found = seen.get(value, _UNSEEN)
                except TypeError:  # unhashable: not remembered
                    found = time_micros(value)
                else:
                    if found is _UNSEEN:
                        found = seen[value] = time_micros(value)
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
                if is_blank(orders[i]) or number(cell_text(orders[i])) is None:
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
            course_texts, no_course = cell_texts(courses), blank_flags(courses)
            course_of = [default_course if no_course[i] else course_texts[i] for i in rows]
        names = [name for name in sorted(cells) if name != "course"]
        texts = {"learner": learner_texts}
        columns = [texts.get(name) or cell_texts(cells[name]) for name in names]
        if len(rows) < n:
            columns = [[column[i] for i in rows] for column in columns]
        # "table|<course>|<name>=<text>\x1f<name>=<text>...": the content, names in order
        content = "table|{}|" + "\x1f".join(f"{name}={{}}" for name in names)
        ids = cells.get("id")
        if ids is None:
            event_ids = stable_ids(list(map(content.format, course_of, *columns)))
        else:
            id_texts, no_id = cell_texts(ids), blank_flags(ids)
            contents = [content.format("", *row)[len("table||") :] for row in zip(*columns, strict=True)]
            event_ids = b"".join(
                row_event_id(None if no_id[i] else id_texts[i], course, text)
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
        kind = cell_text(kind).lower() if not is_blank(kind) else None
        kind = kind or ("question" if has_result else "reading")
        if kind not in KINDS:
            return _EARLY, f"kind {kind[:30]!r} is not one of {', '.join(KINDS)}", "unknown kind"
        question_family = kind in QUESTION_KINDS
        concepts = [] if is_blank(concepts) else [
            c.strip() for c in _CONCEPT_SEP.split(cell_text(concepts)) if c.strip()
        ]  # fmt: skip
        item = None if is_blank(question) else cell_text(question)
        activity = None if is_blank(activity) else cell_text(activity)
        if activity is None:
            if question_family and concepts and item is not None:
                activity = concepts[0]  # the unit of practice; the item is the question
            else:
                activity = item if item is not None else (concepts[0] if concepts else None)
        if activity is None:
            return _EARLY, "no activity, question or concept", "no activity, question or concept"
        credit = None
        if not is_blank(correct):
            credit = correct_credit(correct)
            if credit is None:
                why = f"correct {cell_text(correct)[:30]!r} is not 1/0, true/false or a fraction"
                return _LATE, why, "correct is not 1/0, true/false or a fraction"
        graded = None
        if not is_blank(score):
            graded = score_fraction(score)
            if graded is None:
                return (
                    _LATE,
                    f"score {cell_text(score)[:30]!r} is not in 0..1 or 0..100",
                    "score is not in 0..1 or 0..100",
                )
        seconds = None if is_blank(position) else number(cell_text(position))
        try:
            verb, payload = event_of(
                kind, activity, question=item if question_family else None, correct=credit, score=graded,
                answer=None if is_blank(answer) else answer, position=seconds, concepts=concepts or None,
            )  # fmt: skip
        except RowError as exc:
            return _LATE, str(exc), _QUOTED.sub("...", str(exc))
        return None, verb, payload, activity, "quiz" if question_family else kind
