"""Junyi Academy 2015: the problem log with concepts from the exercise table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from recommender.datasets import COLUMNS, REQUIRED
from recommender.datasets.akt import LayoutError
from recommender.datasets.junyi import read_exercise_table, read_junyi

from .conftest import FIXTURES

LOG = FIXTURES / "junyi" / "junyi_ProblemLog_original.csv"
TABLE = FIXTURES / "junyi" / "junyi_Exercise_table.csv"


def test_problem_log_with_the_exercise_table_beside_it() -> None:
    frame = read_junyi(LOG)
    assert set(REQUIRED) <= set(frame.columns) <= set(COLUMNS)
    assert len(frame) == 12 and frame["course"].unique().tolist() == ["junyi-2015"]
    assert (frame["activity"] == frame["question"]).all()
    learner = frame[frame["learner"] == "25081"]
    assert learner["order"].tolist() == list(range(6))
    assert learner["time"].iloc[0] == pd.Timestamp(1372734312540910, unit="us", tz="UTC")
    assert learner["time"].is_monotonic_increasing  # the two adding_fractions rows are swapped in the file
    assert learner["correct"].tolist() == [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    assert learner["concepts"].tolist() == ["similar-triangles"] * 4 + ["fractions"] * 2
    concept = dict(zip(frame["question"], frame["concepts"], strict=True))
    assert concept["converting_decimals_to_fractions_1"] == "arithmetic"  # no topic: its area
    assert pd.isna(concept["exercise_retired_2012"])  # not in the table: kept, no concept


def test_without_the_exercise_table(tmp_path: Path) -> None:
    shutil.copy(LOG, tmp_path / LOG.name)
    frame = read_junyi(tmp_path / LOG.name)
    assert len(frame) == 12 and frame["concepts"].isna().all()
    with pytest.raises(LayoutError, match="no such exercise table"):
        read_junyi(tmp_path / LOG.name, exercises=tmp_path / "missing.csv")
    assert read_junyi(tmp_path / LOG.name, exercises=TABLE)["concepts"].notna().sum() == 11


def test_exercise_table_columns(tmp_path: Path) -> None:
    assert read_exercise_table(TABLE)["adding_fractions"] == "fractions"
    bad = tmp_path / "table.csv"
    bad.write_text("name,area\nadding_fractions,arithmetic\n")
    with pytest.raises(LayoutError, match=r":1: no topic column"):
        read_exercise_table(bad)
