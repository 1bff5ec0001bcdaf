"""ASSISTments raw problem logs: version detection and the mapping of each release."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recommender.datasets import COLUMNS, REQUIRED
from recommender.datasets.akt import LayoutError
from recommender.datasets.assistments import detect_version, read_assistments

from .conftest import FIXTURES

DIR = FIXTURES / "assistments"
FILES = {
    "2009": DIR / "skill_builder_data.csv",
    "2012": DIR / "2012-2013-data-with-predictions-4-final.csv",
    "2015": DIR / "2015_100_skill_builders_main_problems.csv",
    "2017": DIR / "anonymized_full_release_competition_dataset.csv",
}


@pytest.mark.parametrize("version", sorted(FILES))
def test_version_is_read_from_the_header(version: str) -> None:
    header = FILES[version].read_bytes().decode("latin-1").splitlines()[0].split(",")
    assert detect_version(header) == version
    frame = read_assistments(FILES[version])
    assert set(REQUIRED) <= set(frame.columns) <= set(COLUMNS)
    assert frame["course"].unique().tolist() == [f"assistments-{version}"]
    assert (frame["kind"] == "question").all()
    for _, rows in frame.groupby("learner"):
        assert rows["order"].tolist() == list(range(len(rows)))


def test_unknown_header_and_wrong_version(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match=r":1: not an ASSISTments"):
        detect_version(["user", "item", "right"], "x.csv")
    with pytest.raises(LayoutError, match="asked for ASSISTments 2012, the header is 2009's"):
        read_assistments(FILES["2009"], version="2012")


def test_2009_multi_skill_rows_are_one_answer() -> None:
    frame = read_assistments(FILES["2009"])
    assert len(frame) == 13 - 3  # three problems tagged with two skills
    multi = frame[frame["learner"] == "70677"]
    # ordered by order_id (33170571, 33170640, 33170689), not by file position
    assert multi["question"].tolist() == ["62432", "62434", "62436"]
    assert multi["concepts"].unique().tolist() == [
        "Equation Solving Two or Fewer Steps;Multiplication and Division Integers"
    ]
    assert multi["activity"].unique().tolist() == ["Equation Solving Two or Fewer Steps"]
    assert multi["correct"].tolist() == [1.0, 1.0, 0.0]
    assert frame["time"].isna().all()


def test_2009_latin1_scaffolding_and_no_skill() -> None:
    frame = read_assistments(FILES["2009"])
    box = frame[frame["learner"] == "70363"]
    assert box["question"].tolist() == ["51477", "51478", "51507"]  # 51478 is a scaffold: kept
    assert box["activity"].unique().tolist() == ["Box and Whisker"]
    untagged = frame[frame["learner"] == "71881"]
    assert untagged["activity"].tolist() == ["97614", "97615"] and untagged["concepts"].isna().all()


def test_2012_times_and_partial_credit() -> None:
    frame = read_assistments(FILES["2012"])
    assert len(frame) == 12
    learner = frame[frame["learner"] == "96297"]
    assert learner["time"].iloc[0] == pd.Timestamp("2012-09-27T09:14:32Z")
    assert learner["time"].is_monotonic_increasing
    essay = learner[learner["question"] == "175302"].iloc[0]
    assert essay["score"] == 0.25 and pd.isna(essay["correct"]) and essay["activity"] == "175302"
    assert frame["score"].notna().all()


def test_2015_no_questions_ordered_by_log_id() -> None:
    frame = read_assistments(FILES["2015"])
    assert frame["question"].isna().all()
    assert (frame["activity"] == frame["concepts"]).all()
    learner = frame[frame["learner"] == "51327"]
    assert learner["correct"].tolist()[:2] == [0.0, 1.0]  # log 167494948 comes first
    assert pd.isna(learner["correct"].iloc[2]) and learner["score"].iloc[2] == 0.5
    assert frame[frame["learner"] == "50121"]["correct"].tolist() == [0.0, 1.0, 1.0, 1.0, 0.0, 1.0]


def test_2017_unix_seconds() -> None:
    frame = read_assistments(FILES["2017"])
    first = frame[frame["learner"] == "8"].iloc[0]
    assert first["time"] == pd.Timestamp(1096470301, unit="s", tz="UTC")
    assert first["question"] == "104051" and first["activity"] == "properties-of-geometric-figures"
    assert len(frame) == 12 and frame["correct"].isin([0.0, 1.0]).all()
