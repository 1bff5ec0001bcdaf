"""OULAD on the fixture written from the publisher's column documentation
(``fixtures/oulad/README.md``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.datasets.akt import LayoutError
from recommender.datasets.events import to_events
from recommender.datasets.oulad import KINDS, oulad_withdrawals, presentation_start, read_oulad
from tests.recommender.datasets.conftest import FIXTURES, assert_valid_events

FOLDER = FIXTURES / "oulad"


@pytest.fixture(scope="module")
def frame():
    return read_oulad(FOLDER)


def _csv(name):
    return pd.read_csv(FOLDER / name, na_values=["?", ""], keep_default_na=False)


def test_presentation_start_dates():
    assert presentation_start("2013J") == pd.Timestamp("2013-10-01", tz="UTC")
    assert presentation_start("2014B") == pd.Timestamp("2014-02-01", tz="UTC")
    with pytest.raises(LayoutError, match="year and B or J"):
        presentation_start("2014X")


def test_material_rows_kinds_times_and_clicks(frame):
    svle, vle = _csv("studentVle.csv"), _csv("vle.csv")
    material = frame[frame["kind"] != "question"]
    types = material["activity"].str.split("-").str[0]
    assert (material["kind"] == types.map(KINDS)).all()
    assert {"quiz", "video", "reading"} <= set(material["kind"])
    # one row per (student, site, day); the release's repeated triple is merged, clicks summed
    keys = ["id_student", "id_site", "date"]
    assert len(material) == len(svle.drop_duplicates(keys))
    assert material["clicks"].sum() == svle["sum_click"].sum()
    assert (
        frame.attrs["accounting"]["merged: repeated (student, site, day) rows"] == svle.duplicated(keys).sum()
    )
    one = svle.iloc[10]
    site_type = vle.set_index("id_site").loc[one["id_site"], "activity_type"]
    row = material[(material["learner"] == str(one["id_student"]))
                   & (material["activity"] == f"{site_type}-{one['id_site']}")
                   & (material["time"] == presentation_start(one["code_presentation"])
                      + pd.Timedelta(days=int(one["date"])))]  # fmt: skip
    assert len(row) == 1 and row["course"].iloc[0] == f"{one['code_module']}-{one['code_presentation']}"


def test_assessments_are_graded_rows(frame):
    marks = _csv("studentAssessment.csv")
    graded = frame[frame["kind"] == "question"]
    acc = frame.attrs["accounting"]
    assert acc["dropped: banked assessment result"] == (marks["is_banked"] == 1).sum() > 0
    assert len(graded) == (marks["is_banked"] == 0).sum()
    scored = graded[graded["score"].notna()]
    kept = marks[marks["is_banked"] == 0].dropna(subset=["score"])
    assert sorted(scored["score"] * 100) == pytest.approx(sorted(kept["score"].astype(float)))
    assert ((scored["score"] >= 0.4) == (scored["correct"] == 1.0)).all()
    missing = graded[graded["score"].isna()]
    assert len(missing) == acc["row: assessment without a score (ungraded)"] == 1
    assert np.isnan(missing["correct"].iloc[0])
    assert graded["activity"].str.match(r"^(TMA|CMA|Exam)-\d+$").all()


def test_rows_are_ordered_per_learner(frame):
    for _learner, rows in frame.groupby("learner"):
        assert list(rows["order"]) == list(range(len(rows)))
        assert rows["time"].is_monotonic_increasing


def test_until_day_keeps_the_earlier_days():
    early = read_oulad(FOLDER, until_day=30)
    starts = early["course"].str.split("-").str[1].map(presentation_start)
    assert ((early["time"] - starts) < pd.Timedelta(days=30)).all()
    assert early.attrs["accounting"]["dropped: material rows on or after until_day"] > 0


def test_withdrawal_labels():
    labels = oulad_withdrawals(FOLDER)
    info = _csv("studentInfo.csv")
    assert len(labels) == len(info)
    assert labels["label"].sum() == (info["final_result"] == "Withdrawn").sum() > 0
    assert (labels.loc[labels["label"] == 1, "unregistered_day"].notna()).all()
    assert (labels["label"] == (labels["final_result"] == "Withdrawn")).all()


def test_events_validate(frame, event_validators):
    events = to_events(frame)
    assert set(events["verb"]) == {
        "navigation.page_viewed",
        "quiz.answered",
        "video.completed",
        "quiz.graded",
    }
    assert_valid_events(events, event_validators)


def test_unknown_site_is_a_clear_error(tmp_path):
    for p in FOLDER.glob("*.csv"):
        (tmp_path / p.name).write_text(p.read_text())
    vle = (tmp_path / "vle.csv").read_text().splitlines()
    (tmp_path / "vle.csv").write_text("\n".join(vle[:1] + vle[2:]) + "\n")
    with pytest.raises(LayoutError, match="is not in vle.csv"):
        read_oulad(tmp_path)
