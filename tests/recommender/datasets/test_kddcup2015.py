"""KDD Cup 2015 on the fixture written from the competition's data description
(``fixtures/kddcup2015/README.md``)."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.datasets.akt import LayoutError
from recommender.datasets.events import to_events
from recommender.datasets.kddcup2015 import KINDS, kddcup2015_dropouts, read_kddcup2015
from tests.recommender.datasets.conftest import FIXTURES, assert_valid_events

FOLDER = FIXTURES / "kddcup2015"


def test_log_rows_kinds_and_times(event_validators):
    frame = read_kddcup2015(FOLDER)
    log = pd.read_csv(FOLDER / "log_train.csv", dtype=str, keep_default_na=False)
    enr = pd.read_csv(FOLDER / "enrollment_train.csv", dtype=str)
    assert len(frame) == len(log)
    assert sum(frame.attrs["accounting"].values()) == len(log)
    joined = frame.merge(enr, on="enrollment_id")
    assert (joined["learner"] == joined["username"]).all() and (joined["course"] == joined["course_id"]).all()
    video = frame[frame["kind"] == "video"]
    assert len(video) == (log["event"] == "video").sum()
    quiz = frame[frame["kind"] == "quiz"]
    assert len(quiz) == (log["event"] == "problem").sum() and (quiz["question"] == quiz["activity"]).all()
    first = log.iloc[0]
    row = frame[(frame["enrollment_id"] == first["enrollment_id"]) & (frame["source"] == first["source"])]
    assert pd.Timestamp(first["time"], tz="UTC") in set(row["time"])
    no_object = frame[frame["activity"] == frame["course"]]
    assert len(no_object) == (log["object"] == "").sum() > 0  # wiki pages have no object
    events = to_events(frame)
    assert set(events["verb"]) == {"navigation.page_viewed", "quiz.answered", "video.completed"}
    assert_valid_events(events, event_validators)


def test_event_mapping_per_row():
    frame = read_kddcup2015(FOLDER).sort_values(["enrollment_id", "time"], kind="stable")
    log = pd.read_csv(FOLDER / "log_train.csv", dtype=str).sort_values(
        ["enrollment_id", "time"], kind="stable"
    )
    assert list(frame["kind"]) == list(log["event"].map(KINDS))


def test_dropout_labels_and_cutoffs():
    labels = kddcup2015_dropouts(FOLDER)
    truth = pd.read_csv(FOLDER / "truth_train.csv", header=None, names=["enrollment_id", "label"], dtype=str)
    dates = pd.read_csv(FOLDER / "date.csv", dtype=str).set_index("course_id")
    assert list(labels["enrollment_id"]) == list(truth["enrollment_id"])
    assert list(labels["label"]) == [int(x) for x in truth["label"]]
    for course, cutoff in zip(labels["course"], labels["cutoff"], strict=True):
        assert cutoff == pd.Timestamp(dates.loc[course, "to"], tz="UTC") + pd.Timedelta(days=1)
    log = read_kddcup2015(FOLDER)
    assert (log["time"] < log["course"].map(labels.groupby("course")["cutoff"].first())).all()


def test_a_log_with_username_and_course_columns(tmp_path):
    log = read_kddcup2015(FOLDER)
    raw = pd.read_csv(FOLDER / "log_train.csv", dtype=str, keep_default_na=False)
    enr = pd.read_csv(FOLDER / "enrollment_train.csv", dtype=str)
    wide = raw.merge(enr, on="enrollment_id")[["enrollment_id", "username", "course_id", "time", "source",
                                                "event", "object"]]  # fmt: skip
    wide.to_csv(tmp_path / "log_train.csv", index=False)
    again = read_kddcup2015(tmp_path)
    key = ["learner", "time", "order"]
    assert (
        again.sort_values(key)[["learner", "course", "activity", "kind"]].values.tolist()
        == log.sort_values(key)[["learner", "course", "activity", "kind"]].values.tolist()
    )


def test_truth_with_a_header_is_a_clear_error(tmp_path):
    for p in FOLDER.glob("*.csv"):
        (tmp_path / p.name).write_text(p.read_text())
    (tmp_path / "truth_train.csv").write_text(
        "enrollment_id,label\n" + (FOLDER / "truth_train.csv").read_text()
    )
    with pytest.raises(LayoutError, match="no header"):
        kddcup2015_dropouts(tmp_path)
