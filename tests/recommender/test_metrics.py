"""Each metric on cases small enough to compute by hand."""

import math

import numpy as np
import pytest

from recommender.metrics import (
    accuracy,
    average_precision,
    correctness_metrics,
    disengagement_metrics,
    expected_calibration_error,
    hit_rate,
    log_loss,
    mrr,
    ndcg,
    ranking_metrics,
    reliability,
    roc_auc,
    target_ranks,
)


def test_target_ranks_count_ties_half_and_unrankable_targets_as_misses():
    scores = np.array(
        [
            [0.1, 0.5, 0.3, 0.2],  # target 1 is the best -> rank 1
            [0.1, 0.5, 0.3, 0.2],  # target 3: below 0.5 and 0.3 -> rank 3
            [0.2, 0.2, 0.2, 0.2],  # all tied
            [0.9, 0.5, 0.3, 0.2],  # target 0 is not a candidate -> inf
        ]
    )
    cand = np.array([False, True, True, True])
    ranks = target_ranks(scores, np.array([1, 3, 2, 0]), cand)
    assert ranks[:2].tolist() == [1.0, 3.0]
    assert ranks[2] == pytest.approx(1 + 2 / 2)  # three candidates tied: two others
    assert math.isinf(ranks[3])
    # without a candidate mask the 0.9 column counts
    assert target_ranks(scores[3:], np.array([1])).tolist() == [2.0]


def test_hit_rate_ndcg_mrr_by_hand():
    ranks = np.array([1.0, 2.0, 4.0, 11.0, np.inf])
    assert hit_rate(ranks, 1) == pytest.approx(1 / 5)
    assert hit_rate(ranks, 5) == pytest.approx(3 / 5)
    assert hit_rate(ranks, 10) == pytest.approx(3 / 5)
    assert ndcg(ranks, 10) == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(5)) / 5)
    assert mrr(ranks) == pytest.approx((1 + 1 / 2 + 1 / 4 + 1 / 11 + 0) / 5)
    m = ranking_metrics(ranks)
    assert set(m) == {"hr@1", "hr@5", "hr@10", "ndcg@10", "mrr", "n"} and m["n"] == 5


def test_roc_auc_by_hand_with_ties():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)  # 3 of 4 pairs
    assert roc_auc(y, np.array([0.1, 0.5, 0.5, 0.8])) == pytest.approx(0.875)  # a tie counts half
    assert roc_auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)
    assert roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.0)
    assert math.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))


def test_average_precision_by_hand():
    # ranked: 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg): AP = 0.5 * 1 + 0.5 * 2/3
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.1])
    assert average_precision(y, p) == pytest.approx(0.5 + 1 / 3)
    assert average_precision(np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1])) == pytest.approx(1.0)
    # tied scores form one threshold: precision 1/2 at recall 1
    assert average_precision(np.array([1, 0]), np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert math.isnan(average_precision(np.array([0, 0]), np.array([0.1, 0.2])))


def test_accuracy_and_log_loss_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.3, 0.4, 0.5])
    assert accuracy(y, p) == pytest.approx(0.5)  # 0.5 counts as a "correct" prediction
    expected = -(math.log(0.8) + math.log(0.7) + math.log(0.4) + math.log(0.5)) / 4
    assert log_loss(y, p) == pytest.approx(expected)
    assert math.isfinite(log_loss(np.array([1]), np.array([0.0])))  # clipped


def test_expected_calibration_error_by_hand():
    # bin [0.2, 0.3): p 0.25, 0.25, y 0, 1 -> |0.5 - 0.25| weight 2/4
    # bin [0.9, 1.0]: p 0.95, 1.0, y 1, 1 -> |1 - 0.975| weight 2/4
    y = np.array([0, 1, 1, 1])
    p = np.array([0.25, 0.25, 0.95, 1.0])
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.25 + 0.5 * 0.025)
    r = reliability(y, p)
    assert r["count"].tolist() == [0, 0, 2, 0, 0, 0, 0, 0, 0, 2]
    assert expected_calibration_error(np.array([0, 1]), np.array([0.0, 1.0])) == 0.0


def test_task_bundles():
    c = correctness_metrics(np.array([1, 0]), np.array([0.9, 0.1]))
    assert c["auc"] == 1.0 and c["accuracy"] == 1.0 and c["n"] == 2
    d = disengagement_metrics(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]))
    assert d["roc_auc"] == 1.0 and d["pr_auc"] == 1.0 and d["positive_rate"] == 0.25
