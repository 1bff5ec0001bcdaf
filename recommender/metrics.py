"""Evaluation metrics in numpy (no scikit-learn).

Ranking (next activity): the rank of the target among all candidate activities, ties
counted half (the expected rank under random tie-breaking: ``1 + #higher + #tied / 2``),
so a constant scorer gets no credit for ties. A target that cannot be ranked (an
activity unseen at training time) has rank ``inf``: a miss for every metric.

Binary (correctness, disengagement): ROC-AUC as the Mann-Whitney statistic with tied
scores counted half; PR-AUC as average precision (precision summed at each distinct
threshold, weighted by the recall it adds); log-loss with probabilities clipped to
``[1e-7, 1 - 1e-7]``; expected calibration error over 10 equal-width bins of the
predicted probability: ``sum_b n_b / N * |mean(y)_b - mean(p)_b|``.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-7


# ---------------------------------------------------------------------------- ranking
def target_ranks(scores: np.ndarray, targets: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each row's target among the candidate columns.

    scores (N, V); targets (N,) column indices; candidates (V,) bool, the columns that
    take part (default all). A target outside the candidates ranks ``inf``.
    """
    scores = np.asarray(scores, np.float64)
    targets = np.asarray(targets, np.int64)
    n = len(targets)
    if n == 0:
        return np.zeros(0)
    if candidates is not None:
        scores = np.where(candidates[None, :], scores, -np.inf)
    tgt = scores[np.arange(n), targets]
    higher = (scores > tgt[:, None]).sum(1)
    tied = (scores == tgt[:, None]).sum(1) - 1
    ranks = 1.0 + higher + tied / 2.0
    if candidates is not None:
        ranks = np.where(candidates[targets], ranks, np.inf)
    return ranks


def hit_rate(ranks: np.ndarray, k: int) -> float:
    return float(np.mean(ranks <= k)) if len(ranks) else float("nan")


def ndcg(ranks: np.ndarray, k: int) -> float:
    """NDCG@k with one relevant item: ``1 / log2(1 + rank)`` when ``rank <= k``."""
    if not len(ranks):
        return float("nan")
    gain = np.where(ranks <= k, 1.0 / np.log2(1.0 + np.minimum(ranks, 1e12)), 0.0)
    return float(gain.mean())


def mrr(ranks: np.ndarray) -> float:
    return float(np.mean(1.0 / ranks)) if len(ranks) else float("nan")


def ranking_metrics(ranks: np.ndarray) -> dict[str, float]:
    return {
        "hr@1": hit_rate(ranks, 1),
        "hr@5": hit_rate(ranks, 5),
        "hr@10": hit_rate(ranks, 10),
        "ndcg@10": ndcg(ranks, 10),
        "mrr": mrr(ranks),
        "n": int(len(ranks)),
    }


# ---------------------------------------------------------------------------- binary
def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    boundaries = np.flatnonzero(np.diff(xs)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [n]])
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(n)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties half)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = _midranks(p)
    return float((r[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """PR-AUC as average precision: sum over distinct thresholds of
    ``(recall_i - recall_{i-1}) * precision_i``."""
    y = np.asarray(y).astype(np.float64)
    p = np.asarray(p, np.float64)
    n_pos = y.sum()
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]  # last index of each threshold
    tp = np.cumsum(ys)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def accuracy(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> float:
    y = np.asarray(y).astype(bool)
    return float(np.mean((np.asarray(p) >= threshold) == y)) if len(y) else float("nan")


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y, np.float64)
    p = np.clip(np.asarray(p, np.float64), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if len(y) else float("nan")


def reliability(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> dict[str, np.ndarray]:
    """Per equal-width bin of p: ``count``, ``mean_p`` and ``mean_y`` (NaN when empty)."""
    y = np.asarray(y, np.float64)
    p = np.asarray(p, np.float64)
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    bins = np.maximum(bins, 0)
    count = np.bincount(bins, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(bins, weights=p, minlength=n_bins) / count
        mean_y = np.bincount(bins, weights=y, minlength=n_bins) / count
    return {"count": count, "mean_p": mean_p, "mean_y": mean_y}


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    if not len(y):
        return float("nan")
    r = reliability(y, p, n_bins)
    nz = r["count"] > 0
    return float(np.sum(r["count"][nz] / len(y) * np.abs(r["mean_y"][nz] - r["mean_p"][nz])))


def correctness_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "auc": roc_auc(y, p),
        "accuracy": accuracy(y, p),
        "log_loss": log_loss(y, p),
        "ece": expected_calibration_error(y, p),
        "n": int(len(y)),
    }


def disengagement_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": roc_auc(y, p),
        "pr_auc": average_precision(y, p),
        "positive_rate": float(np.mean(y)) if len(y) else float("nan"),
        "n": int(len(y)),
    }
