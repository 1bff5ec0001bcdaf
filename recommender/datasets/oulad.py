"""OULAD, the Open University Learning Analytics Dataset (Kuzilek, Hlosta and Zdrahal,
Scientific Data 4, 170171, 2017; CC BY 4.0), as an interaction frame and withdrawal labels.

Column documentation: analyse.kmi.open.ac.uk/open_dataset ("Data description") and the
paper's "Data Records". Days are counted from the start of the module presentation
(negative: before it); missing values are written ``?``.

* ``courses.csv``: ``code_module``, ``code_presentation`` (the year and ``B``, starting in
  February, or ``J``, starting in October), ``module_presentation_length`` (days);
* ``vle.csv``: ``id_site`` (a VLE material), ``code_module``, ``code_presentation``,
  ``activity_type`` (resource, oucontent, url, forumng, quiz...), ``week_from``,
  ``week_to`` (the weeks it was planned for);
* ``studentVle.csv``: ``code_module``, ``code_presentation``, ``id_student``, ``id_site``,
  ``date`` (the day), ``sum_click`` (the student's clicks on the material that day);
* ``assessments.csv``: ``code_module``, ``code_presentation``, ``id_assessment``,
  ``assessment_type`` (TMA tutor-marked, CMA computer-marked, Exam), ``date`` (deadline
  day), ``weight`` (%);
* ``studentAssessment.csv``: ``id_assessment``, ``id_student``, ``date_submitted`` (day),
  ``is_banked`` (1: a result transferred from a previous presentation), ``score``
  (0-100; below 40 is a fail);
* ``studentInfo.csv``: demographics and ``final_result`` (Distinction, Pass, Fail,
  Withdrawn) per student and presentation;
* ``studentRegistration.csv``: ``date_registration``, ``date_unregistration`` (day;
  empty unless the student withdrew).

Mapping (course ``<code_module>-<code_presentation>``, learner ``id_student``):

* times: the data give days only. A presentation starts on a fixed date,
  ``PRESENTATION_START`` (``2013J`` -> 2013-10-01, ``2014B`` -> 2014-02-01: the month the
  publisher names, its first day), and a row of day ``d`` is at midnight UTC of start +
  ``d`` days; within a day the material rows come first (by site), then the day's
  assessment submissions (``order`` keeps that, as every row of a day shares the time);
* one row per (student, site, day), ``clicks`` = ``sum_click`` (not expanded into one row
  per click: a count of clicks on one page in a day is not that many page visits); the
  release repeats some (student, site, day) triples: their clicks are summed, and the
  merge is counted in ``attrs["accounting"]``;
* ``activity_type`` -> kind by ``KINDS``: quizzes (``quiz``, ``externalquiz``,
  ``questionnaire``) are ``quiz`` rows without correctness (the log says a student opened
  them, not their answers); the live online tutorial rooms (``oucollaborate``,
  ``ouelluminate``) ``video``; every other material (content pages, resources, forum,
  wiki, glossary...) ``reading``; a type outside ``KINDS`` is read as ``reading`` and
  counted; activity = ``<activity_type>-<id_site>``;
* each submitted assessment -> a ``question`` row at its submission day: activity
  ``<assessment_type>-<id_assessment>``, question ``id_assessment``, ``score`` =
  score / 100, ``correct`` = 1.0 when score >= 40 (the pass mark), NaN with the score
  missing; banked results are not rows (not work done in this presentation; counted);
* ``studentInfo`` / ``studentRegistration`` give the labels (:func:`oulad_withdrawals`),
  not rows.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.datasets.akt import LayoutError

KINDS = {
    "quiz": "quiz", "externalquiz": "quiz", "questionnaire": "quiz",
    "oucollaborate": "video", "ouelluminate": "video",
    "resource": "reading", "oucontent": "reading", "url": "reading", "homepage": "reading",
    "subpage": "reading", "sharedsubpage": "reading", "page": "reading", "glossary": "reading",
    "forumng": "reading", "ouwiki": "reading", "dataplus": "reading", "dualpane": "reading",
    "htmlactivity": "reading", "folder": "reading", "repeatactivity": "reading",
}  # fmt: skip
PASS_MARK = 40.0
_PRESENTATION = re.compile(r"^(?P<year>\d{4})(?P<month>[BJ])$")
_MONTH = {"B": 2, "J": 10}
_NA = ["?", ""]
FILES = {
    "studentVle.csv": ("code_module", "code_presentation", "id_student", "id_site", "date", "sum_click"),
    "vle.csv": ("id_site", "code_module", "code_presentation", "activity_type"),
    "assessments.csv": ("code_module", "code_presentation", "id_assessment", "assessment_type"),
    "studentAssessment.csv": ("id_assessment", "id_student", "date_submitted", "is_banked", "score"),
    "studentInfo.csv": ("code_module", "code_presentation", "id_student", "final_result"),
    "studentRegistration.csv": (
        "code_module", "code_presentation", "id_student", "date_registration", "date_unregistration",
    ),
}  # fmt: skip


def presentation_start(code_presentation: str) -> pd.Timestamp:
    """The date a presentation is taken to start: the 1st of February (``B``) or October
    (``J``) of its year (the publisher names the month, not the day)."""
    m = _PRESENTATION.match(str(code_presentation))
    if not m:
        raise LayoutError(f"code_presentation {code_presentation!r} is not a year and B or J (e.g. 2013J)")
    return pd.Timestamp(year=int(m["year"]), month=_MONTH[m["month"]], day=1, tz="UTC")


def read_table(folder: str | Path, name: str) -> pd.DataFrame:
    """One OULAD file, its documented columns checked (``?`` and empty read as missing)."""
    path = Path(folder) / name
    if not path.is_file():
        raise LayoutError(f"{path}: missing (an OULAD folder has {', '.join(FILES)})")
    frame = pd.read_csv(path, na_values=_NA, keep_default_na=False, dtype={"code_presentation": str})
    missing = [c for c in FILES[name] if c not in frame.columns]
    if missing:
        raise LayoutError(f"{path}: missing column(s) {missing}")
    return frame


def _day_times(presentations: pd.Series, days: pd.Series) -> pd.Series:
    starts = {p: presentation_start(p) for p in presentations.unique()}
    return presentations.map(starts) + pd.to_timedelta(days.astype(np.int64), unit="D")


def read_oulad(folder: str | Path, *, until_day: int | None = None) -> pd.DataFrame:
    """The VLE and assessment rows of an OULAD folder as an interaction frame (module
    docstring), with ``clicks``; ``until_day``: only rows of days before it."""
    acc: Counter = Counter()
    svle = read_table(folder, "studentVle.csv")
    vle = read_table(folder, "vle.csv")
    keys = ["code_module", "code_presentation", "id_student", "id_site", "date"]
    if until_day is not None:
        late = svle["date"] >= until_day
        acc["dropped: material rows on or after until_day"] += int(late.sum())
        svle = svle[~late]
    days = svle.groupby(keys, sort=False, as_index=False)["sum_click"].sum()
    acc["merged: repeated (student, site, day) rows"] += len(svle) - len(days)
    days = days.merge(vle[["id_site", "code_module", "code_presentation", "activity_type"]],
                      on=["id_site", "code_module", "code_presentation"], how="left")  # fmt: skip
    unknown_site = days["activity_type"].isna()
    if unknown_site.any():
        row = days[unknown_site].iloc[0]
        raise LayoutError(
            f"studentVle.csv: site {row['id_site']} of {row['code_module']}-{row['code_presentation']} "
            f"is not in vle.csv ({int(unknown_site.sum())} row(s))"
        )
    kinds = days["activity_type"].map(KINDS)
    for t, n in days.loc[kinds.isna(), "activity_type"].value_counts().items():
        acc[f"row: activity type {t!r} (not documented) read as reading"] += int(n)
    acc["row: material day"] += int(kinds.notna().sum())
    material = pd.DataFrame({
        "learner": days["id_student"].astype(str),
        "course": days["code_module"] + "-" + days["code_presentation"],
        "time": _day_times(days["code_presentation"], days["date"]),
        "activity": days["activity_type"] + "-" + days["id_site"].astype(str),
        "kind": kinds.fillna("reading"),
        "clicks": days["sum_click"].astype(np.int64),
        "_rank": 0, "_tie": days["id_site"].astype(np.int64),
    })  # fmt: skip
    graded = _assessment_rows(folder, acc, until_day)
    frame = pd.concat([material, graded], ignore_index=True)
    frame = frame.sort_values(["learner", "time", "_rank", "_tie"], kind="stable").reset_index(drop=True)
    frame["order"] = frame.groupby("learner", sort=False).cumcount().astype(np.int64)
    frame = frame.drop(columns=["_rank", "_tie"])
    frame.attrs["accounting"] = {k: v for k, v in acc.items() if v}
    return frame


def _assessment_rows(folder: str | Path, acc: Counter, until_day: int | None) -> pd.DataFrame:
    marks = read_table(folder, "studentAssessment.csv")
    info = read_table(folder, "assessments.csv")
    banked = marks["is_banked"].fillna(0).astype(int) == 1
    acc["dropped: banked assessment result"] += int(banked.sum())
    marks = marks[~banked].merge(info, on="id_assessment", how="left", validate="many_to_one")
    unknown = marks["assessment_type"].isna()
    if unknown.any():
        raise LayoutError(
            f"studentAssessment.csv: assessment {marks.loc[unknown, 'id_assessment'].iloc[0]} "
            f"is not in assessments.csv ({int(unknown.sum())} row(s))"
        )
    if until_day is not None:
        late = marks["date_submitted"] >= until_day
        acc["dropped: assessments submitted on or after until_day"] += int(late.sum())
        marks = marks[~late]
    score = marks["score"].astype(float) / 100.0
    acc["row: assessment"] += int(score.notna().sum())
    acc["row: assessment without a score (ungraded)"] += int(score.isna().sum())
    return pd.DataFrame({
        "learner": marks["id_student"].astype(str),
        "course": marks["code_module"] + "-" + marks["code_presentation"],
        "time": _day_times(marks["code_presentation"], marks["date_submitted"]),
        "activity": marks["assessment_type"] + "-" + marks["id_assessment"].astype(str),
        "kind": "question",
        "question": marks["id_assessment"].astype(str),
        "score": score,
        "correct": np.where(score.isna(), np.nan, (score * 100 >= PASS_MARK).astype(float)),
        "_rank": 1, "_tie": marks["id_assessment"].astype(np.int64),
    })  # fmt: skip


def oulad_withdrawals(folder: str | Path) -> pd.DataFrame:
    """One row per (student, presentation) of ``studentInfo.csv``: ``learner``, ``course``,
    ``label`` (1 when ``final_result`` is Withdrawn, else 0), ``final_result``, and
    ``registered_day`` / ``unregistered_day`` from ``studentRegistration.csv`` (NaN when
    absent)."""
    info = read_table(folder, "studentInfo.csv")
    results = set(info["final_result"].dropna().unique())
    unknown = results - {"Pass", "Fail", "Withdrawn", "Distinction"}
    if unknown:
        raise LayoutError(f"studentInfo.csv: unknown final_result(s) {sorted(unknown)}")
    reg = read_table(folder, "studentRegistration.csv")
    keys = ["code_module", "code_presentation", "id_student"]
    both = info[[*keys, "final_result"]].merge(reg[[*keys, "date_registration", "date_unregistration"]],
                                               on=keys, how="left", validate="one_to_one")  # fmt: skip
    return pd.DataFrame({
        "learner": both["id_student"].astype(str),
        "course": both["code_module"] + "-" + both["code_presentation"],
        "label": (both["final_result"] == "Withdrawn").astype(np.int64),
        "final_result": both["final_result"],
        "registered_day": both["date_registration"].astype(float),
        "unregistered_day": both["date_unregistration"].astype(float),
    })  # fmt: skip
