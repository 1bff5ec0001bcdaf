"""pyKT's prepared folds: whole sequences, cut sequences, sliding windows, folds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from recommender.datasets import COLUMNS, REQUIRED
from recommender.datasets.akt import LayoutError
from recommender.datasets.pykt import pykt_folds, read_pykt

from .conftest import FIXTURES

A09 = FIXTURES / "pykt" / "assist2009"
A15 = FIXTURES / "pykt" / "assist2015"


def test_train_valid_one_row_per_answer_with_original_ids() -> None:
    frame = read_pykt(A09 / "train_valid.csv")
    assert set(REQUIRED) <= set(frame.columns) and set(frame.columns) - set(COLUMNS) == {"fold"}
    # 29 expanded entries, 3 of them the second concept of a two-concept question
    assert len(frame) == 29 - 3
    assert frame["course"].unique().tolist() == ["assist2009"]
    first = frame[frame["learner"] == "64525"]
    assert first["question"].tolist() == ["51424", "51435", "51444", "51395"]
    assert first["concepts"].tolist() == ["10", "10", "10;13", "13"]
    assert first["activity"].tolist() == ["10", "10", "10", "13"]
    assert first["correct"].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert first["order"].tolist() == [0, 1, 2, 3]
    assert first["fold"].unique().tolist() == [0]
    assert frame["time"].isna().all() and str(frame["time"].dtype) == "datetime64[ns, UTC]"


def test_sequences_respect_selectmasks_and_padding() -> None:
    whole = read_pykt(A09 / "train_valid.csv")
    cut = read_pykt(A09 / "train_valid_sequences.csv")
    # pyKT drops a learner's tail shorter than min_seq_len (3) when it cuts at maxlen (5):
    # 70363 has 7 answers (5 kept), 70677 has 5 answers over 6 entries (the 6th dropped).
    counts = cut.groupby("learner").size().to_dict()
    assert counts == {"64525": 4, "70363": 5, "70677": 4, "71881": 3, "72218": 4, "73125": 3}
    assert not cut["correct"].isna().any()  # no padding read as an answer
    shared = whole.merge(cut, on=["learner", "order"], suffixes=("", "_cut"))
    assert len(shared) == len(cut)
    assert (shared["question"] == shared["question_cut"]).all()
    assert (shared["correct"] == shared["correct_cut"]).all()


def test_window_sequences_count_each_answer_once() -> None:
    """test_window_sequences.csv repeats 4 of 5 entries per window; only the scored
    entry is new, so the learner's answers come back exactly as in test.csv."""
    test = read_pykt(A09 / "test.csv")
    windows = read_pykt(A09 / "test_window_sequences.csv")
    columns = ["learner", "order", "question", "concepts", "correct", "fold"]
    pd.testing.assert_frame_equal(windows[columns], test[columns])
    assert len(windows) == 10 and windows["fold"].eq(-1).all()
    assert (pd.read_csv(A09 / "test_window_sequences.csv")["uid"] == 6).sum() == 3  # three windows


def test_na_questions_and_timestamps() -> None:
    frame = read_pykt(A15 / "train_valid.csv")
    assert len(frame) == 13
    assert frame["question"].isna().all()
    assert (frame["activity"] == frame["concepts"]).all()
    assert frame[frame["learner"] == "50121"]["concepts"].tolist() == ["5976", "5976", "5976", "7014"]
    assert frame["time"].isna().all()


def test_absent_question_column_and_timestamps_in_ms(tmp_path: Path) -> None:
    path = tmp_path / "train_valid.csv"
    path.write_text(
        "fold,uid,concepts,responses,timestamps,usetimes\n"
        '0,17,"3,3,4","1,0,1","1349337600000,1349337660000,1349337720500","12000,8000,NA"\n'
        '1,18,"4,4,4","0,1,1",NA,NA\n'
    )
    frame = read_pykt(path, course="assist2012")
    assert frame["question"].isna().all() and frame["course"].unique().tolist() == ["assist2012"]
    times = frame[frame["learner"] == "17"]["time"].tolist()
    assert times[0] == pd.Timestamp("2012-10-04T08:00:00Z")
    assert times[2] == pd.Timestamp("2012-10-04T08:02:00.500Z")
    assert frame[frame["learner"] == "18"]["time"].isna().all()


def test_folds_follow_the_fold_column() -> None:
    folds = pykt_folds(A09)
    whole = read_pykt(A09 / "train_valid.csv")
    test = read_pykt(A09 / "test.csv")
    assert [f.k for f in folds] == [0, 1, 2, 3, 4]
    for fold in folds:
        assert fold.valid["fold"].eq(fold.k).all() and not fold.train["fold"].eq(fold.k).any()
        assert len(fold.train) + len(fold.valid) == len(whole)
        assert set(fold.train["learner"]).isdisjoint(fold.valid["learner"])
        pd.testing.assert_frame_equal(fold.test, test)
    assert set(folds[0].valid["learner"]) == {"64525", "73125"}
    # test_sequences.csv cuts 78970's 7 entries (6 answers) at 5 and drops the 2 left over
    assert pykt_folds(A09, sequences=True)[0].test.groupby("learner").size().to_dict() == {
        "78970": 4,
        "79021": 4,
    }


def test_folds_refuse_a_learner_in_train_and_test(tmp_path: Path) -> None:
    for name in ("train_valid.csv", "keyid2idx.json"):
        shutil.copy(A09 / name, tmp_path / name)
    lines = (A09 / "train_valid.csv").read_text().splitlines()
    (tmp_path / "test.csv").write_text("\n".join([lines[0], "-1" + lines[1][1:]]) + "\n")
    with pytest.raises(LayoutError, match=r"1 learner\(s\) in both train_valid.csv and test.csv"):
        pykt_folds(tmp_path)
    with pytest.raises(LayoutError, match="no train_valid_sequences.csv"):
        pykt_folds(tmp_path, sequences=True)


def test_question_level_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "test_question_sequences.csv"
    path.write_text(
        'fold,uid,questions,concepts,responses,selectmasks,qidxs,rest,orirow\n-1,0,"1,2","3,3","1,0","-1,1","0,1","0,0","0,0"\n'
    )
    with pytest.raises(LayoutError, match="read test.csv instead"):
        read_pykt(path)
    other = tmp_path / "other.csv"
    other.write_text("user_id,correct\n1,1\n")
    with pytest.raises(LayoutError, match=r"other.csv:1: no responses, uid column"):
        read_pykt(other)
