"""A table's cells read as values: blank, text, correctness, score, time (one cell, or a
column at a time), the ordering of rows with no time (``order_ranks``) and a row's
event id.
"""

from __future__ import annotations

import datetime as dt
import operator
import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from lms.tracking.columns import NO_TIME
from lms.tracking.store import micros
from lms.tracking.validation import time_parse

from .naming import stable_ids
from .records import number

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "correct", "right"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "incorrect", "wrong"}


def is_blank(value: Any) -> bool:
    return value is None or value is pd.NaT or value == "" or (isinstance(value, float) and value != value)


def cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def correct_credit(value: Any) -> float | None:
    """1.0 / 0.0, or the partial credit in [0, 1], of a cell; None if unreadable."""
    if isinstance(value, bool):
        return float(value)
    text = cell_text(value).lower()
    if text in _TRUE:
        return 1.0
    if text in _FALSE:
        return 0.0
    credit = number(text)
    return float(credit) if credit is not None and 0 <= credit <= 1 else None


def score_fraction(value: Any) -> float | None:
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
    text = cell_text(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def _all_text(values: list[Any]) -> bool:
    return set(map(type, values)) <= {str}


class Stripped(list):
    """A CSV column's cells, all strings, already stripped (by pyarrow, in ``_chunks``):
    their ``cell_texts`` are themselves."""


def cell_texts(values: list[Any]) -> list[str]:
    """``cell_text`` of each cell: one ``strip`` each when all are strings (a CSV's cells)."""
    if type(values) is Stripped:
        return values
    if _all_text(values):
        return [v.strip() for v in values]
    return [cell_text(v) for v in values]


def blank_flags(values: list[Any]) -> list[bool]:
    """``is_blank`` of each cell (a string is blank when empty)."""
    if type(values) is Stripped or _all_text(values):
        return list(map(operator.not_, values))
    return list(map(is_blank, values))


def all_plain(values: list[Any]) -> bool:
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
        local, uniques = pd.factorize(np.asarray(cell_texts(learners), dtype=object))
        known = np.fromiter((index.setdefault(u, len(index)) for u in uniques), np.int32, len(uniques))
        blank = np.array(blank_flags(learners), bool)
        codes.append(np.where(blank, -1, known[local] if len(known) else -1).astype(np.int32))
        values = _numbers(cell_texts(order_cells))
        values[np.array(blank_flags(order_cells), bool)] = np.nan
        orders.append(values)
        untimed.append(np.ones(n, bool) if times is None else np.array(blank_flags(times), bool))
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


def time_micros(value: Any) -> int | None:
    """A time cell as microseconds from 2000-01-01 UTC (``store.micros``); None when it
    is no date (a bad row); ``NO_TIME`` when it reads as one that ``event_clean`` would
    refuse all the same (an invalid event)."""
    text = _time(value)
    if text is None:
        return None
    moment = time_parse(text)
    return NO_TIME if moment is None else micros(moment)


def row_event_id(given: str | None, course: str, content: str) -> bytes:
    """The bytes of a row's event id: its id cell's (a UUID, else uuid5 of it), else
    uuid5 of its course and content."""
    if given is not None:
        try:
            return uuid.UUID(given).bytes
        except ValueError:
            return stable_ids(["table-id|" + given])
    return stable_ids([f"table|{course}|{content}"])
