"""pyKT's models in the benchmark: the window plan, the fold encoding, and each model trained one
epoch on a small slice of the statics fold and scored on the window-evaluation positions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recommender.benchmark import pykt_models as pm
from recommender.benchmark.pykt_data import Window, encode_fold, predicted_rows, window_plan
from tests.recommender.benchmark.conftest import STATICS, statics_with_pykt


def test_window_plan_small_maxlen():
    # maxlen 4: the first window scores 1..3, then each position p >= 4 from p-3..p-1
    assert list(window_plan([1, 3, 6], maxlen=4)) == [
        Window(1, 0, 3, 1),
        Window(2, 0, 4, 1),
        Window(2, 1, 5, 4),
        Window(2, 2, 6, 5),
    ]


@pytest.mark.parametrize("lengths", [[2, 5, 199, 200, 201, 450], [3]])
def test_window_plan_predicts_every_position_but_the_first_once(lengths):
    seen: dict[int, list[int]] = {s: [] for s in range(len(lengths))}
    for w in window_plan(lengths, maxlen=200):
        assert 0 <= w.start < w.first < w.end <= lengths[w.sequence]
        assert w.end - w.start <= 200
        if w.start > 0:  # a sliding window: one position, from the 199 before it
            assert (w.first, w.end - w.start) == (w.end - 1, 200)
        seen[w.sequence] += range(w.first, w.end)
    assert all(seen[s] == list(range(1, n)) for s, n in enumerate(lengths))


def _frame(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["learner", "order", "question", "correct"]).assign(
        concepts=None, kind="question"
    )


def test_encode_fold_concept_only_restarts_and_short_sequences():
    # learner "a" holds the same record twice (order restarts): two sequences, as pyKT reads them
    train = _frame(
        [("a", i % 3, f"q{i % 3}", i % 2) for i in range(6)] + [("b", 0, "q9", 1), ("b", 1, "q1", 0)]
    )
    other = _frame([("c", i, f"q{i}", 1) for i in range(4)])
    fold = encode_fold(train, other, other)
    assert fold.num_q == 0 and fold.num_c == 5  # q0, q1, q2, q3, q9: the item is the concept
    assert fold.train.lengths == [3, 3] and fold.train.learners == ["a", "a"]
    assert fold.dropped["train"] == {"sequences": 1, "interactions": 2}  # "b", shorter than 3
    assert [r.tolist() for r in fold.train.rows] == [[0, 1, 2], [3, 4, 5]]
    assert (fold.train.q[0] == 0).all()


def test_encode_fold_refuses_bad_responses():
    bad = _frame([("a", i, "q", 0.5) for i in range(3)])
    good = _frame([("a", i, "q", 1.0) for i in range(3)])
    with pytest.raises(ValueError, match="correct"):
        encode_fold(bad, good, good)


@pytest.fixture(scope="module")
def statics_slice():
    statics_with_pykt()
    from recommender.datasets.akt import akt_folds, read_akt

    files = akt_folds(STATICS)[0]

    def part(path, learners: int, length: int) -> pd.DataFrame:
        frame = read_akt(path)
        keep = frame["learner"].isin(frame["learner"].drop_duplicates().iloc[:learners])
        return frame[keep & (frame["order"] < length)].reset_index(drop=True)

    test = part(files.test, 3, 230)  # long enough for 30 sliding windows each
    return encode_fold(part(files.train, 8, 260), part(files.valid, 3, 200), test), test


# narrower than pyKT's defaults (same code paths, a test of seconds on a shared CPU)
SMALL = {
    "dkt": {"emb_size": 32},
    "dkt+": {"emb_size": 32},
    "akt": {"d_model": 32, "d_ff": 32, "num_attn_heads": 4, "n_blocks": 1},
    "simplekt": {"d_model": 32, "d_ff": 32, "final_fc_dim": 32, "final_fc_dim2": 32, "n_blocks": 1},
}


@pytest.mark.parametrize("name", pm.MODELS)
def test_each_model_trains_and_scores_the_window_positions(statics_slice, name):
    fold, test = statics_slice
    result = pm.run_pykt(name, fold, seed=0, max_epochs=1, patience=1, threads=1, overrides=SMALL[name],
                         return_predictions=True)  # fmt: skip
    assert result["config"] == {**pm.DEFAULTS[name], **SMALL[name]}
    assert [e["epoch"] for e in result["epochs"]] == [1] and result["best_epoch"] == 1
    assert math.isfinite(result["epochs"][0]["train_loss"]) and result["seconds_to_best"] > 0
    expected = sum(n - 1 for n in fold.test.lengths)
    assert result["test"]["n"] == expected == len(result["predictions"]["p"])
    assert math.isfinite(result["test"]["auc"]) and 0 <= result["test"]["ece"] <= 1
    # the truths come from exactly the rows that the plan names, in its order
    truth = test["correct"].to_numpy()[predicted_rows(fold.test)]
    assert np.array_equal(result["predictions"]["y"], truth)
    assert ((result["predictions"]["p"] > 0) & (result["predictions"]["p"] < 1)).all()
