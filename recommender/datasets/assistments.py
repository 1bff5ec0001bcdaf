"""ASSISTments raw problem logs (2009-10, 2012-13, 2015, 2017), one reader that tells the
version from the header.

ASSISTments (WPI; sites.google.com/site/assistmentsdata) publishes one CSV row per
problem a student did. The columns this reader uses, as the publisher documents them
("An explanation on how to interpret our data sets",
https://sites.google.com/site/assistmentsdata/an-explanation-on-how-to-interpret-our-data-sets,
and each data set's page):

* **2009-10 skill builder** (``skill_builder_data.csv``, latin-1;
  https://sites.google.com/site/assistmentsdata/home/2009-2010-assistment-data/skill-builder-data-2009-2010):
  ``order_id`` the row's id, chronological; ``user_id`` the student; ``problem_id`` the
  problem; ``original`` 1 main problem / 0 scaffolding; ``correct`` 1 right on the first
  attempt, 0 wrong or asked for help first; ``sequence_id`` the problem set (the skill
  builder); ``skill_id`` / ``skill_name`` the skill the problem is tagged with. A problem
  with several skills is one row per skill, with the same ``order_id``.
* **2012-13 school data with affect** (``2012-2013-data-with-predictions-4-final.csv``;
  https://sites.google.com/site/assistmentsdata/datasets/2012-13-school-data-with-affect):
  ``problem_log_id`` the row's id; ``user_id``, ``problem_id``, ``skill`` (name) and
  ``skill_id``; ``start_time`` / ``end_time`` (``YYYY-MM-DD HH:MM:SS[.f]``, no zone);
  ``correct`` as in 2009 (a few rows carry partial credit in [0, 1]).
* **2015 skill builders** (``2015_100_skill_builders_main_problems.csv``;
  https://sites.google.com/site/assistmentsdata/datasets/2015-assistments-skill-builder-data):
  ``user_id``, ``log_id`` (the row's id, chronological), ``sequence_id`` (one of 100
  skill builders, each one skill), ``correct`` (first attempt; fractional for partial
  credit). No problem ids.
* **2017 data mining competition** (``anonymized_full_release_competition_dataset.csv``;
  https://sites.google.com/view/assistmentsdatamining/dataset): ``studentId``,
  ``skill``, ``problemId``, ``assignmentId``, ``startTime`` / ``endTime`` (Unix seconds),
  ``correct`` (first attempt), ``original``, plus per-action features not kept.

Mapping: learner = the user id; question = the problem (2015: none); concepts = the
skill(s), several joined by ``;`` (2015: the skill builder); activity = the skill (the
unit a skill builder practises), else the question where a row has no skill; time =
the start time (2012: read as UTC, the file names no zone; 2009 and 2015: NaT, the
order comes from ``order_id`` / ``log_id``); correct = 1.0 / 0.0, and score the
credit (partial credit leaves correct NaN, score the fraction). Scaffolding rows
(``original`` 0) are kept: they are graded attempts too. The rows of a multi-skill
problem (same ``order_id``, 2009; same ``problem_log_id``, 2012) become one
interaction, so none is counted twice. Nothing else is dropped: a row without a
learner or with a ``correct`` outside [0, 1] is a ``LayoutError`` naming its line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .akt import LayoutError

# version -> (columns that identify it, encoding, the file's own name)
VERSIONS = {
    "2009": ({"order_id", "user_id", "problem_id", "correct", "skill_name", "sequence_id"}, "latin-1"),
    "2012": ({"problem_log_id", "user_id", "problem_id", "correct", "start_time", "skill"}, "utf-8"),
    "2015": ({"user_id", "log_id", "sequence_id", "correct"}, "utf-8"),
    "2017": ({"studentId", "problemId", "correct", "startTime", "skill"}, "utf-8"),
}
# version -> (learner, question, skill, the row's id that orders / merges it, time)
_COLUMNS = {
    "2009": ("user_id", "problem_id", "skill_name", "order_id", None),
    "2012": ("user_id", "problem_id", "skill", "problem_log_id", "start_time"),
    "2015": ("user_id", None, "sequence_id", "log_id", None),
    "2017": ("studentId", "problemId", "skill", None, "startTime"),
}


def detect_version(header: list[str], where: str = "") -> str:
    """The ASSISTments release a CSV header belongs to (checked most specific first)."""
    names = {h.strip() for h in header}
    for version in ("2009", "2012", "2017", "2015"):
        if VERSIONS[version][0] <= names:
            return version
    raise LayoutError(
        f"{where}:1: not an ASSISTments 2009, 2012, 2015 or 2017 header (columns: {', '.join(sorted(names))[:200]})"
    )


def _header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        line = handle.readline().decode("latin-1")
    return [h.strip().strip('"') for h in line.rstrip("\r\n").split(",")]


def read_assistments(
    path: str | Path, version: str | None = None, *, course: str | None = None
) -> pd.DataFrame:
    """An ASSISTments CSV as an interaction frame (``recommender.datasets.COLUMNS``);
    ``version`` ("2009", "2012", "2015", "2017") is read from the header when left out."""
    path = Path(path)
    found = detect_version(_header(path), str(path))
    if version is not None and str(version) != found:
        raise LayoutError(f"{path}: asked for ASSISTments {version}, the header is {found}'s")
    learner, question, skill, row_id, time = _COLUMNS[found]
    wanted = [c for c in (learner, question, skill, row_id, time, "correct") if c]
    if found == "2009":
        wanted.append("skill_id")  # a tagged skill with no name still names the skill
    raw = pd.read_csv(
        path, usecols=wanted, dtype=str, keep_default_na=False, encoding=VERSIONS[found][1], low_memory=False
    )
    raw["line"] = np.arange(2, len(raw) + 2)
    raw = raw.rename(columns={learner: "learner", skill: "skill", "correct": "credit"})
    raw["learner"] = raw["learner"].str.strip()
    empty = raw["learner"] == ""
    if empty.any():
        raise LayoutError(f"{path}:{raw['line'][empty].iloc[0]}: no learner id ({learner})")
    credit = pd.to_numeric(raw["credit"].str.strip().replace("", "nan"), errors="coerce")
    bad = credit.notna() & ~credit.between(0, 1) | (credit.isna() & (raw["credit"].str.strip() != ""))
    if bad.any():
        row = raw[bad].iloc[0]
        raise LayoutError(f"{path}:{row['line']}: correct is {row['credit'][:20]!r}, not a number in [0, 1]")
    raw["score"] = credit
    raw["question"] = raw[question].str.strip() if question else None
    skills = raw["skill"].str.strip()
    if found == "2009":
        skills = skills.where(skills != "", raw["skill_id"].str.strip())
    raw["skill"] = skills.replace("", None)
    if time == "startTime":
        seconds = pd.to_numeric(raw[time], errors="coerce")
        raw["time"] = pd.to_datetime(seconds, unit="s", utc=True)
    elif time:
        raw["time"] = pd.to_datetime(raw[time].replace("", None), format="mixed", utc=True, errors="coerce")
    else:
        raw["time"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    if time and raw["time"].isna().any():
        row = raw[raw["time"].isna()].iloc[0]
        raise LayoutError(f"{path}:{row['line']}: {time} {row[time][:30]!r} is not a time")
    raw["key"] = pd.to_numeric(raw[row_id], errors="coerce") if row_id else raw["line"]
    if raw["key"].isna().any():
        row = raw[raw["key"].isna()].iloc[0]
        raise LayoutError(f"{path}:{row['line']}: {row_id} {row[row_id][:20]!r} is not a number")
    frame = _one_row_per_interaction(raw) if found in ("2009", "2012") else raw
    frame = frame.assign(concepts=frame["skill"] if "concepts" not in frame else frame["concepts"])
    sort = ["learner", "time", "key", "line"] if time else ["learner", "key", "line"]
    frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
    frame["order"] = frame.groupby("learner", sort=False).cumcount().astype(np.int64)
    frame["score"] = frame["score"].astype(np.float64)
    frame["correct"] = frame["score"].where(frame["score"].isin([0.0, 1.0]))
    frame["activity"] = frame["skill"].where(frame["skill"].notna(), frame["question"])
    frame["time"] = frame["time"].astype("datetime64[ns, UTC]")
    frame["course"] = course or f"assistments-{found}"
    frame["kind"] = "question"
    columns = [
        "learner",
        "order",
        "time",
        "course",
        "activity",
        "kind",
        "question",
        "concepts",
        "correct",
        "score",
    ]
    return frame[columns]


def _one_row_per_interaction(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows sharing a learner and a row id (one per skill of a multi-skill problem, or a
    published duplicate) become one, carrying every skill; the first row's values stay."""
    dup = raw.duplicated(["learner", "key"], keep=False)
    if not dup.any():
        return raw.assign(concepts=raw["skill"])
    many = raw[dup]
    joined = (
        many.dropna(subset=["skill"])
        .groupby(["learner", "key"], sort=False)["skill"]
        .agg(lambda s: ";".join(dict.fromkeys(s)))
    )
    firsts = many.groupby(["learner", "key"], sort=False, as_index=False).first()
    firsts["concepts"] = joined.reindex(pd.MultiIndex.from_frame(firsts[["learner", "key"]])).to_numpy()
    single = raw[~dup].assign(concepts=raw.loc[~dup, "skill"])
    return pd.concat([single, firsts], ignore_index=True)
