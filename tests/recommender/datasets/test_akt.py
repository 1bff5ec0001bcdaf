"""The AKT / DKVMN fold reader on slices of the real published folds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from recommender.datasets import COLUMNS, REQUIRED
from recommender.datasets.akt import LayoutError, akt_folds, read_akt


def _slice(source: Path, target: Path, records: list[int], step: int) -> list[list[str]]:
    """Copy the given records (0-based) of a fold file to ``target``; returns their lines."""
    lines = [ln for ln in source.read_text().splitlines() if ln.strip()]
    chosen = [lines[r * step : (r + 1) * step] for r in records]
    target.write_text("\n".join(ln for rec in chosen for ln in rec) + "\n")
    return chosen


def test_statics_three_line_records(akt_folds_dir: Path, tmp_path: Path) -> None:
    chosen = _slice(
        akt_folds_dir / "statics" / "statics_train1.csv", tmp_path / "statics_train1.csv", [0, 1, 2], 3
    )
    frame = read_akt(tmp_path / "statics_train1.csv")
    assert set(REQUIRED) <= set(frame.columns) <= set(COLUMNS)
    assert len(frame) == sum(int(rec[0].split(",")[0]) for rec in chosen)
    assert frame["course"].unique().tolist() == ["statics"]
    assert frame["learner"].nunique() == 3 and frame["learner"].str.startswith("seq-").all()
    first = frame[frame["learner"] == frame["learner"].iloc[0]]
    assert first["question"].tolist() == [q for q in chosen[0][1].rstrip(",").split(",")]
    assert first["correct"].tolist() == [float(y) for y in chosen[0][2].rstrip(",").split(",")]
    assert (frame["activity"] == frame["question"]).all() and frame["concepts"].isna().all()
    assert first["order"].tolist() == list(range(len(first)))


def test_same_sequence_in_two_files_is_the_same_learner(akt_folds_dir: Path, tmp_path: Path) -> None:
    """AKT's test1 is valid5: a record read from either file gets the same learner."""
    folder = akt_folds_dir / "statics"
    _slice(folder / "statics_test1.csv", tmp_path / "statics_test1.csv", [0], 3)
    _slice(folder / "statics_valid5.csv", tmp_path / "statics_valid5.csv", [0], 3)
    a, b = read_akt(tmp_path / "statics_test1.csv"), read_akt(tmp_path / "statics_valid5.csv")
    assert a["learner"].iloc[0] == b["learner"].iloc[0]


def test_assist2009_four_line_records_with_maps(akt_folds_dir: Path, tmp_path: Path) -> None:
    folder = akt_folds_dir / "assist2009_pid"
    for name in ("problems.json", "skill.json"):
        shutil.copy(folder / name, tmp_path / name)
    skills = {v: k for k, v in json.loads((folder / "skill.json").read_text()).items()}
    problems = {v: k for k, v in json.loads((folder / "problems.json").read_text()).items()}
    lines = [ln for ln in (folder / "assist2009_pid_train1.csv").read_text().splitlines() if ln.strip()]
    # the first record that practises skill 1 ("Box and Whisker"), and the one before it
    box = next(r for r in range(len(lines) // 4) if "1" in lines[4 * r + 2].rstrip(",").split(","))
    chosen = _slice(folder / "assist2009_pid_train1.csv", tmp_path / "assist2009_pid_train1.csv", [0, box], 4)
    frame = read_akt(tmp_path / "assist2009_pid_train1.csv", expand=True)  # the published lines
    assert frame["course"].unique().tolist() == ["assist2009_pid"]
    assert frame["learner"].unique().tolist() == [chosen[0][0].split(",")[1], chosen[1][0].split(",")[1]]
    record = frame[frame["learner"] == chosen[1][0].split(",")[1]]
    ids = [int(x) for x in chosen[1][1].rstrip(",").split(",")]
    assert record["question"].tolist() == [problems[i] for i in ids]  # original problem ids
    assert "Box and Whisker" in set(record["activity"])
    assert record["activity"].tolist() == [skills[int(s)] for s in chosen[1][2].rstrip(",").split(",")]
    assert (record["concepts"] == record["activity"]).all()
    assert record["correct"].isin([0.0, 1.0]).all()
    # Read as one answer per problem: a multi-skill run folds into one row with every skill.
    merged = read_akt(tmp_path / "assist2009_pid_train1.csv")
    merged = merged[merged["learner"] == record["learner"].iloc[0]]
    assert len(merged) < len(record)
    assert merged["concepts"].str.contains(";").any()
    assert set(merged["question"]) == set(record["question"])
    # its activity is the combination of its skills, in one order whatever the lines' order
    combos = merged["concepts"].map(lambda c: ";".join(sorted(c.split(";"))))
    assert merged["activity"].tolist() == combos.tolist()


def test_malformed_record_names_its_line(akt_folds_dir: Path, tmp_path: Path) -> None:
    source = akt_folds_dir / "assist2009_pid" / "assist2009_pid_train1.csv"
    good = [ln for ln in source.read_text().splitlines() if ln.strip()][:4]
    bad = ["7,1001", "1,2,3", "4,5", "1,0,1"]  # skills line shorter than the problems line
    path = tmp_path / "assist2009_pid_train1.csv"
    path.write_text("\n".join(good + bad) + "\n")
    with pytest.raises(LayoutError, match=r"assist2009_pid_train1\.csv:5: .*different numbers of ids"):
        read_akt(path)


def test_responses_must_be_binary(tmp_path: Path) -> None:
    path = tmp_path / "statics_train1.csv"
    path.write_text("3\n1,2,3\n1,0,2\n")
    with pytest.raises(LayoutError, match=r":1: responses must be 0 or 1"):
        read_akt(path)


def test_akt_folds_pair_files_by_k(akt_folds_dir: Path) -> None:
    folds = akt_folds(akt_folds_dir / "statics")
    assert [f.k for f in folds] == [1, 2, 3, 4, 5]
    assert folds[0].train.name == "statics_train1.csv" and folds[0].test.name == "statics_test1.csv"
    assert folds[0].valid is not None and folds[0].valid.name == "statics_valid1.csv"
