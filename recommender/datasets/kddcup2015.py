"""KDD Cup 2015 (dropout prediction on XuetangX, a Chinese MOOC platform running Open edX)
as an interaction frame and dropout labels.

Column documentation: the competition's data description (biendata.com/competition/
kddcup2015/data, mirrored at moocdata.cn/challenges/kdd-cup-2015):

* ``enrollment_train.csv``: ``enrollment_id``, ``username``, ``course_id`` (one learner in
  one course);
* ``log_train.csv``: ``enrollment_id``, ``time`` (``2014-06-14T09:38:29``), ``source``
  (``server`` or ``browser``), ``event`` (``problem``: working on a course's homework,
  ``video``: watching a video, ``access``: other course objects, ``wiki``,
  ``discussion``: the forum, ``navigate``: other parts of the course, ``page_close``:
  closing a page), ``object`` (the module accessed). Some releases also carry
  ``username`` and ``course_id`` in the log; either is read;
* ``truth_train.csv``: ``enrollment_id``, ``label``, with no header; 1 is a dropout: the
  learner left no record in the course in the 10 days after the log's window;
* ``object.csv``: ``course_id``, ``module_id``, ``category``, ``children``, ``start`` (the
  course structure; not needed for the mapping below);
* ``date.csv`` (optional): ``course_id``, ``from``, ``to``: each course's logging window.

Mapping (learner ``username``, course ``course_id``, activity = the ``object``): ``video``
-> ``video``; ``problem`` -> ``quiz`` with no correctness (the log says a problem was
worked on, not the answer: a ``quiz.answered`` event); ``access``, ``wiki``,
``discussion``, ``navigate``, ``page_close`` -> ``reading``; an event outside that list is
read as ``reading`` and counted in ``attrs["accounting"]``. Times have no zone in the
files; they are read as UTC (one fixed zone: only differences matter here). A row
without an object keeps the course as its activity.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.datasets.akt import LayoutError

KINDS = {
    "video": "video", "problem": "quiz",
    "access": "reading", "wiki": "reading", "discussion": "reading", "navigate": "reading",
    "page_close": "reading",
}  # fmt: skip
HORIZON_DAYS = 10.0  # the competition's dropout definition: no record in the next 10 days


def _read(path: Path, columns: tuple[str, ...], *, header: bool = True) -> pd.DataFrame:
    if not path.is_file():
        raise LayoutError(f"{path}: missing")
    if header:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise LayoutError(f"{path}: missing column(s) {missing}")
        return frame
    frame = pd.read_csv(path, header=None, dtype=str, keep_default_na=False)
    if frame.shape[1] != len(columns):
        raise LayoutError(f"{path}: {frame.shape[1]} columns, expected {len(columns)} ({', '.join(columns)})")
    if not frame.empty and not str(frame.iloc[0, 0]).strip().isdigit():
        raise LayoutError(f"{path}: the first line is not a record (this file has no header)")
    frame.columns = list(columns)
    return frame


def read_enrollments(folder: str | Path, split: str = "train") -> pd.DataFrame:
    """``enrollment_<split>.csv``: enrollment_id, username, course_id."""
    return _read(Path(folder) / f"enrollment_{split}.csv", ("enrollment_id", "username", "course_id"))


def read_kddcup2015(folder: str | Path, split: str = "train") -> pd.DataFrame:
    """``log_<split>.csv`` as an interaction frame (module docstring), with ``source`` and
    ``enrollment_id`` kept."""
    folder = Path(folder)
    log = _read(folder / f"log_{split}.csv", ("enrollment_id", "time", "source", "event", "object"))
    if not {"username", "course_id"} <= set(log.columns):
        enr = read_enrollments(folder, split)
        log = log.merge(enr, on="enrollment_id", how="left", validate="many_to_one")
        if log["username"].isna().any():
            missing = log.loc[log["username"].isna(), "enrollment_id"].iloc[0]
            raise LayoutError(f"log_{split}.csv: enrollment {missing} is not in enrollment_{split}.csv")
    try:
        times = pd.to_datetime(log["time"], format="ISO8601", utc=True)
    except ValueError as exc:
        raise LayoutError(f"log_{split}.csv: unreadable time ({exc})") from None
    kinds = log["event"].map(KINDS)
    acc = Counter({f"row: {e}": int(n) for e, n in log.loc[kinds.notna(), "event"].value_counts().items()})
    for e, n in log.loc[kinds.isna(), "event"].value_counts().items():
        acc[f"row: event {e[:30]!r} (not documented) read as reading"] += int(n)
    objects = log["object"].where(log["object"] != "", log["course_id"])
    kinds = kinds.fillna("reading")
    frame = pd.DataFrame({
        "learner": log["username"],
        "course": log["course_id"],
        "time": times,
        "activity": objects,
        "kind": kinds,
        "question": objects.where(kinds == "quiz"),
        "source": log["source"],
        "enrollment_id": log["enrollment_id"],
    })  # fmt: skip
    frame = frame.sort_values(["learner", "time"], kind="stable").reset_index(drop=True)
    frame["order"] = frame.groupby("learner", sort=False).cumcount().astype(np.int64)
    frame.attrs["accounting"] = dict(acc)
    return frame


def kddcup2015_dropouts(folder: str | Path, split: str = "train") -> pd.DataFrame:
    """One row per labelled enrollment: ``enrollment_id``, ``learner`` (username),
    ``course``, ``label`` (1 = dropout), and ``cutoff``: the end of the course's logging
    window (midnight after ``date.csv``'s ``to``; without date.csv, the course's last
    logged time), the moment the label is about."""
    folder = Path(folder)
    truth = _read(folder / f"truth_{split}.csv", ("enrollment_id", "label"), header=False)
    if not truth["label"].isin(["0", "1"]).all():
        raise LayoutError(f"truth_{split}.csv: labels must be 0 or 1")
    enr = read_enrollments(folder, split)
    out = truth.merge(enr, on="enrollment_id", how="left", validate="one_to_one")
    if out["username"].isna().any():
        missing = out.loc[out["username"].isna(), "enrollment_id"].iloc[0]
        raise LayoutError(f"truth_{split}.csv: enrollment {missing} is not in enrollment_{split}.csv")
    dates = folder / "date.csv"
    if dates.is_file():
        window = _read(dates, ("course_id", "from", "to"))
        ends = pd.to_datetime(window["to"], utc=True) + pd.Timedelta(days=1)
        cutoff = dict(zip(window["course_id"], ends, strict=True))
    else:
        log = read_kddcup2015(folder, split)
        cutoff = log.groupby("course")["time"].max().to_dict()
    out["cutoff"] = out["course_id"].map(cutoff)
    if out["cutoff"].isna().any():
        course = out.loc[out["cutoff"].isna(), "course_id"].iloc[0]
        raise LayoutError(f"{folder}: no logging window for course {course} (date.csv or log)")
    return pd.DataFrame({
        "enrollment_id": out["enrollment_id"],
        "learner": out["username"],
        "course": out["course_id"],
        "label": out["label"].astype(np.int64),
        "cutoff": pd.to_datetime(out["cutoff"], utc=True),
    })  # fmt: skip
