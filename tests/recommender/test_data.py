"""Events -> sequences: tokens and features, question interactions, targets, censoring,
vocabulary unknowns, windows and learner splits."""

import numpy as np
import pandas as pd
import pytest

from recommender.batching import window_start, windows
from recommender.data import (
    GAP_FIRST,
    NONE,
    OUTCOME_CORRECT,
    OUTCOME_NONE,
    OUTCOME_SCORE0,
    UNK,
    Vocab,
    Vocabularies,
    build_sequences,
    encode_history,
    gap_bucket,
)
from recommender.event_frame import load_events, time_seconds
from recommender.splits import read_database_ids, read_learner_ids, split_learners
from tests.recommender.conftest import events_frame, quiz

ROWS = [
    (7, 0, "navigation.page_viewed", None, {"path": "/"}),
    (7, 1, "video.played", "v1", {"position": 0}),
    (7, 11, "video.completed", "v1", {"position": 600, "segments": [[0, 450]], "duration": 600}),
    (7, 12, "quiz.started", "q1", {"attempt": 1}),
    (7, 13, "quiz.answered", "q1", {"question": "a", "answer": "x", "correct": True}),
    (7, 14, "quiz.submitted", "q1", {"attempt": 1}),
    (7, 14, "quiz.graded", "q1", quiz(0.5, ("a", True), ("b", False))),
    (7, 20, "video.played", "v1", {"position": 0}),
    (7, 30, "lab.opened", "lab1", {}),
]


@pytest.fixture
def frame():
    return events_frame(ROWS)


@pytest.fixture
def vocabs(frame):
    return Vocabularies.build(load_events(frame))


def test_vocabularies_are_sorted_with_specials_and_map_unknowns_to_unk(vocabs):
    assert vocabs.activities.itos == ["<pad>", "<unk>", "<none>", "lab1", "q1", "v1"]
    assert vocabs.questions.itos == ["<pad>", "<unk>", "q1/a", "q1/b"]
    assert vocabs.activities.encode("never-seen") == UNK
    assert vocabs.verbs.encode("video.rewound") == UNK
    assert Vocabularies.from_dict(vocabs.to_dict()) == vocabs
    assert Vocab(["b", "a", "b"]).itos == ["<pad>", "<unk>", "b", "a"]


def test_tokens_carry_activity_verb_outcome_gap_and_answers(frame, vocabs):
    seq = build_sequences(load_events(frame), vocabs)[0]
    a = vocabs.activities.stoi
    assert seq.learner_id == 7
    # events without an activity are kept as the generic <none> token
    assert seq.activity.tolist() == [
        NONE,
        a["v1"],
        a["v1"],
        a["q1"],
        a["q1"],
        a["q1"],
        a["q1"],
        a["v1"],
        a["lab1"],
    ]
    assert seq.verb[0] == vocabs.verbs.stoi["navigation.page_viewed"]
    # 450 of 600 s watched -> bucket [0.6, 0.8); quiz score 0.5 -> [0.4, 0.6); answered -> CORRECT
    assert seq.outcome[2] == OUTCOME_SCORE0 + 3
    assert seq.outcome[6] == OUTCOME_SCORE0 + 2
    assert seq.outcome[4] == OUTCOME_CORRECT
    assert seq.outcome[1] == OUTCOME_NONE
    assert seq.gap[0] == GAP_FIRST
    assert seq.gap[1] == gap_bucket(60) and seq.gap[6] == gap_bucket(0)
    q = vocabs.questions.stoi
    assert seq.answers[4, 0] == 2 * q["q1/a"] + 1
    assert seq.answers[6, :2].tolist() == [2 * q["q1/a"] + 1, 2 * q["q1/b"]]


def test_one_interaction_per_graded_question_anchored_before_the_answers(frame, vocabs):
    seq = build_sequences(load_events(frame), vocabs)[0]
    assert seq.kt_pos.tolist() == [6, 6]
    # quiz.answered / quiz.submitted of the same quiz reveal the answers: the anchor is
    # the quiz.started event before them
    assert seq.kt_anchor.tolist() == [3, 3]
    assert seq.kt_question.tolist() == [vocabs.questions.stoi["q1/a"], vocabs.questions.stoi["q1/b"]]
    assert seq.kt_correct.tolist() == [1.0, 0.0]


def test_next_activity_is_the_next_different_real_activity(frame, vocabs):
    seq = build_sequences(load_events(frame), vocabs)[0]
    a = vocabs.activities.stoi
    assert seq.next_activity.tolist() == [
        a["v1"],
        a["q1"],
        a["q1"],
        a["v1"],
        a["v1"],
        a["v1"],
        a["v1"],
        a["lab1"],
        0,
    ]
    assert seq.first_activity == a["v1"]


def test_unseen_items_encode_to_unk_without_crashing(vocabs):
    hist = events_frame(
        [
            (7, 0, "video.played", "brand-new-video", {}),
            (7, 1, "quiz.graded", "new-quiz", quiz(1.0, ("z", True))),
            (7, 2, "video.teleported", "v1", {}),
            (7, 3, "quiz.graded", "q1", quiz(1.0, ("new-question", True), ("a", True))),
        ]
    )
    seq = encode_history(hist, vocabs)
    assert seq.activity.tolist()[:2] == [UNK, UNK]
    assert seq.verb[2] == UNK
    assert seq.kt_question.tolist() == [UNK, UNK, vocabs.questions.stoi["q1/a"]]
    assert seq.kt_activity.tolist() == [UNK, vocabs.activities.stoi["q1"], vocabs.activities.stoi["q1"]]


def test_encode_history_sorts_by_time_and_tolerates_bad_payloads(frame, vocabs):
    shuffled = frame.sample(frac=1.0, random_state=0)
    a = encode_history(shuffled, vocabs)
    b = encode_history(frame, vocabs)
    assert a.activity.tolist() == b.activity.tolist()
    broken = frame.copy()
    broken.loc[2, "payload"] = "{not json"
    assert encode_history(broken, vocabs).outcome[2] == OUTCOME_NONE
    assert len(encode_history(frame.iloc[0:0], vocabs)) == 0


def test_load_events_reads_parquet_and_csv_alike(frame, tmp_path):
    frame.to_parquet(tmp_path / "e.parquet", index=False)
    frame.to_csv(tmp_path / "e.csv", index=False)
    p, c = load_events(tmp_path / "e.parquet"), load_events(tmp_path / "e.csv")
    assert (time_seconds(p["time"]) == time_seconds(c["time"])).all()
    assert p["activity"].tolist() == c["activity"].tolist()
    assert p["activity"].iloc[0] is None and c["activity"].iloc[0] is None
    with pytest.raises(ValueError, match="missing column"):
        load_events(frame.drop(columns=["verb"]))
    frame.to_csv(tmp_path / "e.txt", index=False)
    with pytest.raises(ValueError, match="parquet or .csv"):
        load_events(tmp_path / "e.txt")


def test_windows_cover_each_position_once_and_depend_on_position_only():
    for length, max_len in [(5, 8), (8, 8), (9, 8), (40, 8), (41, 9), (300, 64)]:
        ws = windows(length, max_len)
        scored = []
        for start, score_from in ws:
            stop = min(start + max_len, length)
            for p in range(start + score_from, stop):
                scored.append(p)
                assert window_start(p, max_len) == start
                assert p - start >= min(p, max_len - max_len // 2)  # enough context
        assert scored == list(range(length))


def test_training_windows_with_a_shorter_context_still_score_each_position_once():
    for length, max_len, context in [(5, 8, 0), (9, 8, 0), (40, 8, 2), (300, 64, 16), (257, 256, 32)]:
        ws = windows(length, max_len, context)
        scored = [p for start, s in ws for p in range(start + s, min(start + max_len, length))]
        assert scored == list(range(length))
        assert all(s == (context if start else 0) for start, s in ws)
        assert [b - a for (a, _), (b, _) in zip(ws, ws[1:], strict=False)] == [max_len - context] * (
            len(ws) - 1
        )
    assert windows(300, 64) == windows(300, 64, 32) and windows(41, 9) == windows(41, 9, 5)
    with pytest.raises(ValueError, match="context"):
        windows(10, 8, 8)


def test_split_by_learner_is_seeded_and_can_come_from_a_file(tmp_path):
    ids = list(range(100, 200))
    train, hold = split_learners(ids, 0.2, seed=0)
    assert len(hold) == 20 and not set(train) & set(hold) and sorted(train + hold) == ids
    assert split_learners(ids, 0.2, seed=0) == (train, hold)
    assert split_learners(ids, 0.2, seed=1)[1] != hold
    f = tmp_path / "ids.txt"
    f.write_text("# published split\n105\n\n101\n105\n")
    assert read_learner_ids(f) == ["105", "101"]  # as written, repeats dropped
    assert read_database_ids(f) == [101, 105]
    f.write_text("101\nabc\n")
    assert read_learner_ids(f) == ["101", "abc"]  # "abc" may be a learner_key: resolved against the events
    with pytest.raises(ValueError, match=r"ids.txt:2"):
        read_database_ids(f)


def test_synthetic_clickstream_has_every_target(clickstream):
    ev = load_events(clickstream)
    assert list(clickstream.columns) == [
        "event_id", "learner_id", "time", "verb", "session_id", "course", "activity", "payload", "source", "received",
    ]  # fmt: skip
    seqs = build_sequences(ev, Vocabularies.build(ev))
    dis = np.concatenate([s.risk_label for s in seqs])  # labels: tests/recommender/test_risk.py
    assert (dis == 1).sum() > 10 and (dis == 0).sum() > 100 and (dis == -1).sum() > 0
    kt = np.concatenate([s.kt_correct for s in seqs])
    assert 0.3 < kt.mean() < 0.8 and len(kt) > 1000
    assert isinstance(ev["time"].dtype, pd.DatetimeTZDtype)


def _keyed_events(keys: dict[int, str | None]) -> pd.DataFrame:
    """One event per learner_id, with its learner_key (None: a site learner)."""
    ev = events_frame([(i, n, "navigation.page_viewed", None, {}) for n, i in enumerate(keys)])
    return load_events(ev.assign(learner_key=[keys[i] for i in keys]))


def test_learner_ids_resolve_by_the_data_sets_key_then_by_database_id():
    from recommender.splits import resolve_learner_ids

    ev = _keyed_events({1: "u6256", 2: "78276", 3: None, 4: "4"})
    assert resolve_learner_ids(["u6256", "78276", "3", "4"], ev) == [1, 2, 3, 4]  # key "4" is learner 4 too
    assert resolve_learner_ids(["key:78276", "id:3"], ev) == [2, 3]
    ev = _keyed_events({1: "u6256", 2: "3", 3: None})
    with pytest.warns(UserWarning, match=r"learner_key of one learner and the learner_id of another: '3'"):
        assert resolve_learner_ids(["3"], ev) == [2]  # the data set's id wins; id:3 names learner 3
    assert resolve_learner_ids(["key:3", "id:3"], ev) == [2, 3]
    with pytest.raises(ValueError, match=r"2 of 3 learner ids match no learner .* 'u1', 'u2'"):
        resolve_learner_ids(["u1", "u2", "u6256"], ev)


def test_a_few_unknown_learner_ids_warn_and_a_database_id_file_is_taken_as_it_is(tmp_path):
    from recommender.splits import resolve_learner_file, resolve_learner_ids, write_learner_ids

    ev = _keyed_events({i: f"k{i}" for i in range(1, 21)})
    with pytest.warns(UserWarning, match=r"1 of 20 learner ids match no learner .* 'k99'; they are left out"):
        assert resolve_learner_ids([f"k{i}" for i in range(1, 20)] + ["k99"], ev) == list(range(1, 20))
    f = tmp_path / "ids.txt"
    write_learner_ids(f, [5, 3, 500])  # 500 has no events (an erased learner of a frozen held-out set)
    assert resolve_learner_file(f, ev) == [3, 5, 500]
    f.write_text("k5\nk3\n")
    assert resolve_learner_file(f, ev) == [3, 5]
    with pytest.raises(FileNotFoundError):
        resolve_learner_file(tmp_path / "none.txt", ev)


def test_learner_keys_stay_text_when_a_csv_reads_them_as_numbers(tmp_path):
    ev = _keyed_events({1: "78276", 2: None})
    ev.to_csv(tmp_path / "ev.csv", index=False)
    back = load_events(tmp_path / "ev.csv")
    assert back["learner_key"].tolist() == ["78276", None]
