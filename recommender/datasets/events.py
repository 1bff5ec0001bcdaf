"""Interaction frame -> canonical events: the one mapping from a data set's rows to the
events Cairn stores and learns from (the platform's table importer uses ``event_of``
too, so an imported file and a benchmark read the same events).

=========================  =================================================================
row                        event
=========================  =================================================================
question (problem, item,   ``quiz.graded``, one question: ``{"attempt": 1, "score": s,
skill) or quiz, with a     "questions": [{"question": q, "correct": c}]}``: a graded
correctness value          interaction the model learns correctness from
quiz / question without    ``quiz.answered`` ``{"question": q, "answer": a}`` (an attempt
one                        whose grade the log does not say)
video                      ``video.completed`` ``{"position": seconds}``
lab                        ``lab.graded`` ``{"score": s, "tests": []}`` (``"passed"``
                           when the row says correct)
reading                    ``navigation.page_viewed`` ``{"path": activity}``
=========================  =================================================================

Concepts, when the row names some, ride along in the payload (``"concepts": [...]``).
``correct`` is 1 / 0 or a fraction (partial credit: the score, and correct only at 1);
``score`` (in [0, 1]) wins over ``correct`` as the graded score. A value outside [0, 1],
or not a number, is a ``RowError``, never a silent guess.

Question keys (``question_key``) keep letters, digits, ``-`` and ``_``; any other run of
characters becomes one ``_`` (``"Box and Whisker"`` -> ``Box_and_Whisker``), and a key
longer than 80 characters keeps its first 71 and a digest of the whole (two long keys
with the same start stay apart). The same id always gives the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

QUESTION_KINDS = frozenset({"question", "problem", "item", "skill", "quiz"})
KINDS = QUESTION_KINDS | {"video", "lab", "reading"}
EPOCH = pd.Timestamp("2000-01-01", tz="UTC")  # synthetic times of rows with an order only
_NOT_KEY = re.compile(r"[^-a-zA-Z0-9_]+")


class RowError(ValueError):
    """A row that cannot become an event; the message says why."""


def question_key(value: Any) -> str:
    """A question id as the event vocabulary accepts it (letters, digits, ``-``, ``_``;
    at most 80): other characters become ``_``, deterministically."""
    text = _NOT_KEY.sub("_", str(value).strip()).strip("_") or "q"
    if len(text) <= 80:
        return text
    return f"{text[:71].rstrip('-_')}-{hashlib.sha1(str(value).encode()).hexdigest()[:8]}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or value == ""


def _fraction(value: Any, name: str) -> float | None:
    """``value`` as a float in [0, 1], None when missing; ``RowError`` otherwise."""
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{name} {str(value)[:30]!r} is not a number") from None
    if not 0.0 <= number <= 1.0:
        raise RowError(f"{name} {number:g} is not in [0, 1]")
    return number


def event_of(
    kind: str,
    activity: str,
    *,
    question: Any = None,
    correct: float | None = None,
    score: float | None = None,
    answer: Any = None,
    position: float | None = None,
    concepts: list[str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """(verb, payload) of one row (see the module docstring); ``RowError`` if it has none."""
    kind = "" if _missing(kind) else str(kind).lower()
    if kind not in KINDS:
        raise RowError(f"kind {kind[:30]!r} is not one of {', '.join(sorted(KINDS))}")
    if _missing(activity):
        raise RowError("no activity")
    correct = _fraction(correct, "correct")
    score = _fraction(score, "score")
    if kind in QUESTION_KINDS:
        key = question_key(activity if _missing(question) else question)
        if correct is not None or score is not None:
            credit = score if score is not None else correct
            right = correct >= 1.0 if correct is not None else credit >= 1.0
            verb, payload = "quiz.graded", {
                "attempt": 1, "score": float(credit), "questions": [{"question": key, "correct": right}],
            }  # fmt: skip
        else:
            verb, payload = "quiz.answered", {"question": key, "answer": None if _missing(answer) else answer}
    elif kind == "lab":
        if score is None and correct is not None:
            score = correct
        if score is None:
            raise RowError("a lab row needs a score or correct")
        verb, payload = "lab.graded", {"score": score, "tests": []}
        if correct is not None:
            payload["passed"] = correct >= 1.0
    elif kind == "video":
        try:
            seconds = 0.0 if _missing(position) else float(position)
        except (TypeError, ValueError):
            raise RowError(f"position {str(position)[:30]!r} is not a number") from None
        verb, payload = "video.completed", {"position": seconds}
    else:
        verb, payload = "navigation.page_viewed", {"path": str(activity)[:500]}
    if concepts:
        payload["concepts"] = list(concepts)
    return verb, payload


def _concepts(value: Any) -> list[str] | None:
    if _missing(value):
        return None
    return [c.strip() for c in str(value).split(";") if c.strip()] or None


def to_events(frame: pd.DataFrame, *, learner_ids: dict[str, int] | None = None) -> pd.DataFrame:
    """An interaction frame as canonical events (``docs/events.md``'s export schema, plus
    ``learner_key``: the learner's id in the data set). ``learner_id`` numbers learners
    1..n in sorted order unless ``learner_ids`` gives them; rows without a time get
    ``EPOCH`` plus one minute per ``order`` step. Raises ``RowError`` on the first row
    that has no event (readers only produce valid rows)."""
    f = frame.reset_index(drop=True)
    keys = f["learner"].astype(str)
    if learner_ids is None:
        learner_ids = {k: i for i, k in enumerate(sorted(keys.unique()), 1)}
    times = f["time"] if "time" in f else pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns, UTC]")
    synthetic = EPOCH + pd.to_timedelta(f["order"].astype(np.int64), unit="min")
    times = times.where(times.notna(), synthetic)
    get = {c: (f[c].tolist() if c in f else [None] * len(f)) for c in
           ("kind", "activity", "question", "correct", "score", "answer", "position", "concepts")}  # fmt: skip
    verbs, payloads = [], []
    for i in range(len(f)):
        verb, payload = event_of(
            get["kind"][i], get["activity"][i], question=get["question"][i], correct=get["correct"][i],
            score=get["score"][i], answer=get["answer"][i], position=get["position"][i],
            concepts=_concepts(get["concepts"][i]),
        )  # fmt: skip
        verbs.append(verb)
        payloads.append(json.dumps(payload, separators=(",", ":")))
    course = f["course"].astype(str) if "course" in f else "dataset"
    return pd.DataFrame(
        {
            "event_id": [f"row-{i}" for i in range(len(f))],
            "learner_id": keys.map(learner_ids).astype(np.int64),
            "learner_key": keys,
            "time": pd.to_datetime(times, utc=True),
            "verb": verbs,
            "session_id": "",
            "course": course,
            "activity": f["activity"].astype(str),
            "payload": payloads,
            "source": "table",
            "received": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        }
    )
