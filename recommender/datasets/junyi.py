"""Junyi Academy 2015: the problem log and the exercise table.

Junyi Academy (junyiacademy.org, built on Khan Academy's open code) released a year of
problem attempts with its exercises (Chang, Hsu & Chen, "Modeling Exercise Relationships
in E-Learning: A Unified Approach", EDM 2015), on PSLC DataShop
(https://pslcdatashop.web.cmu.edu/DatasetInfo?datasetId=1198); the columns are described
there and at https://edudata.readthedocs.io/en/latest/build/blitz/junyi/junyi.html.

``junyi_ProblemLog_original.csv``, one row per problem attempt; the columns read:

=================  ==========================================================================
user_id            the learner
exercise           the exercise's name, also its id (an exercise is a generator of problems)
time_done          when the attempt ended, microseconds since the Unix epoch (UTC)
correct            ``true`` / ``false``: right on the first try without a hint
=================  ==========================================================================

(also ``problem_type``, ``problem_number``, ``topic_mode``, ``suggested``, ``review_mode``, ``time_taken``,
``time_taken_attempts``, ``count_attempts``, ``hint_used``, ``count_hints``,
``hint_time_taken_list``, ``earned_proficiency``, ``points_earned``: not kept.)

``junyi_Exercise_table.csv``, one row per exercise: ``name`` (the exercise), ``topic``
(its topic in the knowledge map), ``area`` (the subject area), ``prerequisites``, the
display names, positions and creation date.

Mapping: learner = ``user_id``; activity and question = ``exercise`` (the unit the
learner practises; the log does not identify the generated problem beyond its number);
concepts = the exercise's ``topic`` from the exercise table (its ``area`` where the topic
is empty; none without the table); time = ``time_done``; order = time, then file order;
correct = 1.0 / 0.0. pyKT (``pykt/preprocess/junyi2015_preprocess.py``) drops attempts
whose exercise has no topic; this reader keeps them, without concepts. Nothing is
dropped: a row without a learner, an exercise, a time or a true/false ``correct`` is a
``LayoutError`` naming its line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .akt import LayoutError

LOG_COLUMNS = ("user_id", "exercise", "time_done", "correct")
EXERCISE_TABLE = "junyi_Exercise_table.csv"
_TRUTH = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0}


def read_exercise_table(path: str | Path) -> dict[str, str]:
    """exercise name -> its concept (the topic, else the area)."""
    path = Path(path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = {"name", "topic"} - set(table.columns)
    if missing:
        raise LayoutError(f"{path}:1: no {', '.join(sorted(missing))} column: not Junyi's exercise table")
    topic = table["topic"].str.strip()
    if "area" in table:
        topic = topic.where(topic != "", table["area"].str.strip())
    named = table["name"].str.strip()
    keep = (named != "") & (topic != "")
    return dict(zip(named[keep], topic[keep], strict=True))


def read_junyi(
    path: str | Path, *, exercises: str | Path | None = None, course: str = "junyi-2015"
) -> pd.DataFrame:
    """The problem log as an interaction frame (``recommender.datasets.COLUMNS``); the
    exercise table is ``exercises`` or, when left out, ``junyi_Exercise_table.csv``
    beside the log if it is there."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        header = [h.strip() for h in handle.readline().rstrip("\r\n").split(",")]
    missing = set(LOG_COLUMNS) - set(header)
    if missing:
        raise LayoutError(f"{path}:1: no {', '.join(sorted(missing))} column: not Junyi's problem log")
    raw = pd.read_csv(path, usecols=list(LOG_COLUMNS), dtype=str, keep_default_na=False, encoding="utf-8")
    raw["line"] = np.arange(2, len(raw) + 2)
    for column in ("user_id", "exercise"):
        raw[column] = raw[column].str.strip()
        empty = raw[column] == ""
        if empty.any():
            raise LayoutError(f"{path}:{raw['line'][empty].iloc[0]}: no {column}")
    correct = raw["correct"].str.strip().str.lower().map(_TRUTH)
    if correct.isna().any():
        row = raw[correct.isna()].iloc[0]
        raise LayoutError(f"{path}:{row['line']}: correct is {row['correct'][:20]!r}, not true or false")
    micros = pd.to_numeric(raw["time_done"], errors="coerce")
    if micros.isna().any():
        row = raw[micros.isna()].iloc[0]
        raise LayoutError(f"{path}:{row['line']}: time_done {row['time_done'][:30]!r} is not a number")
    table = Path(exercises) if exercises else path.parent / EXERCISE_TABLE
    if exercises and not table.is_file():
        raise LayoutError(f"{table}: no such exercise table")
    concept_of = read_exercise_table(table) if table.is_file() else {}
    frame = pd.DataFrame(
        {
            "learner": raw["user_id"],
            "time": pd.to_datetime(micros.astype(np.int64), unit="us", utc=True),
            "line": raw["line"],
            "activity": raw["exercise"],
            "question": raw["exercise"],
            "concepts": raw["exercise"].map(concept_of),
            "correct": correct,
        }
    )
    frame = frame.sort_values(["learner", "time", "line"], kind="stable").reset_index(drop=True)
    frame["order"] = frame.groupby("learner", sort=False).cumcount().astype(np.int64)
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    frame["course"] = course
    frame["kind"] = "question"
    return frame[
        ["learner", "order", "time", "course", "activity", "kind", "question", "concepts", "correct"]
    ]
