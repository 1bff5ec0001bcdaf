"""EdNet KT4 on the real nine-learner sample (``../shared/data``), KT1 on a file written
from the README's columns and graded with the sample's real questions.csv."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from recommender.datasets.akt import LayoutError
from recommender.datasets.ednet import read_ednet_kt1, read_ednet_kt4, user_files
from recommender.datasets.events import to_events
from tests.recommender.datasets.conftest import assert_valid_events


def _answers(folder) -> dict[str, tuple[str, str, str]]:
    with open(folder / "questions.csv") as f:
        return {r["question_id"]: (r["bundle_id"], r["correct_answer"], r["tags"]) for r in csv.DictReader(f)}


def _actions(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def kt4(request):
    folder = request.getfixturevalue("ednet_kt4_dir")
    return folder, read_ednet_kt4(folder)


def test_every_action_is_accounted_for(kt4):
    folder, frame = kt4
    actions = [a for p in user_files(folder) for a in _actions(p)]
    acc = frame.attrs["accounting"]
    assert sum(acc.values()) == len(actions)
    assert sum(v for k, v in acc.items() if k.startswith("row: ")) == len(frame)
    payments = sum(a["action_type"] in ("pay", "refund", "enroll_coupon") for a in actions)
    assert payments > 0
    assert acc["dropped: payment or coupon (pay, refund, enroll_coupon)"] == payments
    responds = sum(a["action_type"] == "respond" for a in actions)
    graded = (frame["kind"] == "question").sum()
    assert (
        graded + acc.get("dropped: superseded response", 0) + acc.get("dropped: response never submitted", 0)
        == responds
    )
    assert set(frame["learner"]) == {p.stem for p in user_files(folder)}


@pytest.mark.parametrize("learner", ["u3", "u6"])
def test_a_known_response_is_graded_against_questions_csv(kt4, learner):
    folder, frame = kt4
    log = _actions(folder / f"{learner}.csv")
    respond = next(a for a in log if a["action_type"] == "respond")
    submit = next(a for a in log if a["action_type"] == "submit")
    bundle, key, tags = _answers(folder)[respond["item_id"]]
    row = frame[(frame["learner"] == learner) & (frame["question"] == respond["item_id"])].iloc[0]
    assert row["kind"] == "question" and row["activity"] == bundle == submit["item_id"]
    assert row["answer"] == respond["user_answer"]
    assert row["correct"] == float(respond["user_answer"] == key)
    assert row["concepts"] == tags
    assert row["time"].value // 1_000_000 == int(submit["timestamp"])  # the submit's time
    mine = frame[frame["learner"] == learner]
    assert list(mine["order"]) == list(range(len(mine)))
    assert mine["time"].is_monotonic_increasing


def test_lectures_explanations_and_superseded_answers(ednet_kt4_dir, tmp_path):
    answers = _answers(ednet_kt4_dir)
    q, (bundle, key, _tags) = next(iter(answers.items()))
    wrong = next(c for c in "abcd" if c != key)
    header = "timestamp,action_type,item_id,cursor_time,source,user_answer,platform\n"
    (tmp_path / "u42.csv").write_text(header + "\n".join([
        f"1000,enter,{bundle},,sprint,,mobile",
        f"2000,respond,{q},,sprint,{key},mobile",
        f"2500,erase_choice,{q},,sprint,{wrong},mobile",
        f"3000,respond,{q},,sprint,{wrong},mobile",  # the last response before submit counts
        f"4000,submit,{bundle},,sprint,,mobile",
        f"5000,enter,e{bundle[1:]},,sprint,,mobile",
        f"6000,quit,e{bundle[1:]},,sprint,,mobile",
        "7000,enter,l1259,,archive,,mobile",
        "8000,play_video,l1259,0,archive,,mobile",
        "9000,pause_video,l1259,30000,archive,,mobile",
        "9500,play_video,l1259,30000,archive,,mobile",
        "20000,pause_video,l1259,95000,archive,,mobile",
        "21000,quit,l1259,,archive,,mobile",
        "22000,pay,p3,,,,",
        f"23000,enter,{bundle},,sprint,,mobile",
        f"24000,respond,{q},,sprint,{key},mobile",  # never submitted
    ]) + "\n")  # fmt: skip
    frame = read_ednet_kt4([tmp_path / "u42.csv"], contents=ednet_kt4_dir)
    assert list(frame["kind"]) == ["question", "reading", "video"]
    graded, reading, video = (frame.iloc[i] for i in range(3))
    assert graded["answer"] == wrong and graded["correct"] == 0.0
    assert reading["activity"] == f"e{bundle[1:]}"
    assert video["activity"] == "l1259" and video["position"] == 95.0
    assert video["time"].value // 1_000_000 == 21000  # at the end of the view
    with open(ednet_kt4_dir / "lectures.csv") as f:
        tag = next(r["tags"] for r in csv.DictReader(f) if r["lecture_id"] == "l1259")
    assert video["concepts"] == tag
    acc = frame.attrs["accounting"]
    assert acc["dropped: superseded response"] == 1
    assert acc["dropped: response never submitted"] == 1
    assert acc["dropped: erase_choice / undo_erase_choice"] == 1
    assert acc["dropped: payment or coupon (pay, refund, enroll_coupon)"] == 1
    assert sum(acc.values()) == 16


def test_kt4_events_validate(kt4, event_validators):
    _folder, frame = kt4
    events = to_events(frame)
    assert set(events["verb"]) == {"quiz.graded", "navigation.page_viewed", "video.completed"}
    assert_valid_events(events, event_validators)


def test_kt1_is_graded_with_the_contents(ednet_kt4_dir, tmp_path):
    answers = list(_answers(ednet_kt4_dir).items())[:3]
    lines = ["timestamp,solving_id,question_id,user_answer,elapsed_time"]
    for i, (q, (_b, key, _t)) in enumerate(answers):
        lines.append(f"{1548996377530 + 600 * i},1,{q},{key if i != 1 else 'z'},47000")
    (tmp_path / "u7.csv").write_text("\n".join(lines) + "\n")
    lines.append("1548996380000,2,q99999999,a,1000")
    (tmp_path / "u8.csv").write_text("\n".join(lines) + "\n")
    shutil.copy(ednet_kt4_dir / "questions.csv", tmp_path)
    frame = read_ednet_kt1(tmp_path)
    u7 = frame[frame["learner"] == "u7"]
    assert list(u7["correct"]) == [1.0, 0.0, 1.0]
    assert list(u7["activity"]) == [b for _q, (b, _k, _t) in answers]
    assert str(u7["time"].iloc[0]) == "2019-02-01 04:46:17.530000+00:00"
    u8 = frame[frame["learner"] == "u8"]
    assert np.isnan(u8["correct"].iloc[-1]) and u8["activity"].iloc[-1] == "q99999999"
    assert frame.attrs["accounting"]["row: response to an unknown question"] == 1
    assert to_events(frame)["verb"].tolist().count("quiz.answered") == 1


def test_missing_contents_and_columns_are_clear_errors(tmp_path):
    (tmp_path / "u1.csv").write_text(
        "timestamp,solving_id,question_id,user_answer,elapsed_time\n1,1,q1,a,1\n"
    )
    with pytest.raises(LayoutError, match="questions.csv"):
        read_ednet_kt1(tmp_path)
    (tmp_path / "questions.csv").write_text("question_id,bundle_id,correct_answer,tags\nq1,b1,a,1\n")
    with pytest.raises(LayoutError, match="action_type"):
        read_ednet_kt4(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LayoutError, match="no u<number>.csv"):
        read_ednet_kt4(tmp_path / "empty")
