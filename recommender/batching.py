"""Windows of learner sequences -> padded tensor batches (training and scoring).

A sequence longer than ``max_len`` is cut into overlapping windows (:func:`windows`).
For scoring (evaluation, serving) the first window scores positions ``0..max_len-1``,
each later one advances by ``max_len // 2`` and scores only its second half, so every
scored position sees at least ``max_len // 2`` earlier events and the window that
scores a position depends on the position alone (never on later events). Training
uses a shorter overlap (``context``): each event is still a target exactly once, and
far fewer events are encoded twice.

Training batches (:func:`length_batches`) group windows of similar length under a
budget of padded events, so a step spends its time on events, not padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from recommender.data import MAX_ANSWERS, N_KT_COUNTS, LearnerSequence
from recommender.disengagement import N_RISK_FEATURES
from recommender.model import Batch


def window_start(position: int, max_len: int) -> int:
    """Start of the window in which ``position`` is scored: 0 below ``max_len``, then
    strided by ``max_len // 2`` so every scored position has at least ``max_len // 2``
    earlier events of context. Depends on the position only (never on later events)."""
    stride = max_len // 2
    if position < max_len:
        return 0
    return ((position - max_len) // stride + 1) * stride


def windows(length: int, max_len: int, context: int | None = None) -> list[tuple[int, int]]:
    """``(start, score_from)`` pairs covering positions 0..length-1 once each: window
    ``[start, start + max_len)`` scores positions ``start + score_from`` onwards.

    ``context`` (default ``max_len - max_len // 2``: the scoring windows of
    :func:`window_start`): the earlier events each later window carries, unscored;
    windows advance by ``max_len - context``. Training uses a shorter context (fewer
    events encoded twice).
    """
    context = max_len - max_len // 2 if context is None else context
    if not 0 <= context < max_len:
        raise ValueError(f"context must be in [0, {max_len})")
    if length <= max_len:
        return [(0, 0)]
    stride = max_len - context
    out = [(0, 0)]
    start = stride
    while start + context < length:
        out.append((start, context))
        start += stride
    return out


@dataclass(frozen=True)
class Window:
    seq: int  # index into the list of sequences
    start: int  # first event of the window
    score_from: int  # positions start + score_from ... are scored; earlier ones are context
    length: int  # events in the window


def make_windows(seqs: Sequence[LearnerSequence], max_len: int, context: int | None = None) -> list[Window]:
    """The windows of every sequence (``context``: see :func:`windows`; None gives the
    scoring windows)."""
    out = []
    for i, s in enumerate(seqs):
        if len(s) == 0:
            continue
        for start, score_from in windows(len(s), max_len, context):
            out.append(Window(i, start, score_from, min(max_len, len(s) - start)))
    return out


def length_batches(wins: Sequence[Window], budget: int, seed: Sequence[int]) -> list[list[Window]]:
    """Batches of windows of similar length, each holding at most ``budget`` padded
    events (at least one window), in a random order that depends on ``seed`` only.

    Windows are shuffled, stably sorted by length (longest first; equal lengths stay in
    random order), cut greedily into batches, and the batches shuffled. The batch sizes
    depend on the window lengths alone, so every epoch has the same number of steps.
    """
    rng = np.random.default_rng(list(seed))
    order = rng.permutation(len(wins))
    lengths = np.array([wins[i].length for i in order], np.int64)
    order = order[np.argsort(-lengths, kind="stable")]
    batches: list[list[Window]] = []
    current: list[Window] = []
    longest = 0
    for i in order:
        w = wins[i]
        longest = max(longest, w.length)
        if current and longest * (len(current) + 1) > budget:
            batches.append(current)
            current, longest = [], w.length
        current.append(w)
    if current:
        batches.append(current)
    return [batches[i] for i in rng.permutation(len(batches))]


def window_kt(seq: LearnerSequence, w: Window) -> np.ndarray:
    """Indices of the question interactions scored in window ``w``."""
    lo, hi = w.start + w.score_from, w.start + w.length
    return np.flatnonzero((seq.kt_pos >= lo) & (seq.kt_pos < hi))


def window_risk(seq: LearnerSequence, w: Window) -> np.ndarray:
    """Indices of the disengagement prediction points scored in window ``w`` (those
    whose last event before the point is one of the window's scored positions)."""
    lo, hi = w.start + w.score_from, w.start + w.length
    return np.flatnonzero((seq.risk_pos >= lo) & (seq.risk_pos < hi))


def collate(seqs: Sequence[LearnerSequence], wins: Sequence[Window]) -> Batch:
    """Pad the windows into one :class:`Batch` (targets are zeros / masked when the
    sequences carry none, as in inference)."""
    b = len(wins)
    t = max(w.length for w in wins)
    kts = [window_kt(seqs[w.seq], w) for w in wins]
    k = max(1, max(len(x) for x in kts))  # >= 1 so the correctness head always runs (DDP)
    risks = [window_risk(seqs[w.seq], w) for w in wins]
    r = max(1, max(len(x) for x in risks))  # >= 1: the risk head always runs too
    act = np.zeros((b, t), np.int64)
    verb = np.zeros((b, t), np.int64)
    outcome = np.zeros((b, t), np.int64)
    gap = np.zeros((b, t), np.int64)
    answers = np.zeros((b, t, MAX_ANSWERS), np.int64)
    next_t = np.zeros((b, t + 1), np.int64)
    risk = np.full((b, r), -1.0, np.float32)
    risk_state = np.zeros((b, r), np.int64)
    risk_elapsed = np.zeros((b, r), np.int64)
    risk_feats = np.zeros((b, r, N_RISK_FEATURES), np.float32)
    kt_state = np.zeros((b, k), np.int64)
    kt_q = np.zeros((b, k), np.int64)
    kt_a = np.zeros((b, k), np.int64)
    kt_y = np.zeros((b, k), np.float32)
    kt_c = np.zeros((b, k, N_KT_COUNTS), np.float32)
    kt_m = np.zeros((b, k), bool)
    for i, w in enumerate(wins):
        s = seqs[w.seq]
        sl = slice(w.start, w.start + w.length)
        n = w.length
        act[i, :n] = s.activity[sl]
        verb[i, :n] = s.verb[sl]
        outcome[i, :n] = s.outcome[sl]
        gap[i, :n] = s.gap[sl]
        answers[i, :n] = s.answers[sl]
        if len(s.next_activity):
            if w.start == 0:
                next_t[i, 0] = s.first_activity
            next_t[i, 1 + w.score_from : 1 + n] = s.next_activity[w.start + w.score_from : w.start + n]
        idx = kts[i]
        m = len(idx)
        kt_state[i, :m] = np.maximum(s.kt_anchor[idx] - w.start + 1, 0)
        kt_q[i, :m] = s.kt_question[idx]
        kt_a[i, :m] = s.kt_activity[idx]
        kt_y[i, :m] = s.kt_correct[idx]
        kt_c[i, :m] = s.kt_counts[idx]
        kt_m[i, :m] = True
        idx = risks[i]
        m = len(idx)
        risk_state[i, :m] = s.risk_pos[idx] - w.start + 1
        risk_elapsed[i, :m] = s.risk_elapsed[idx]
        risk_feats[i, :m] = s.risk_feats[idx]
        risk[i, :m] = s.risk_label[idx]
    return Batch(
        activity=torch.from_numpy(act),
        verb=torch.from_numpy(verb),
        outcome=torch.from_numpy(outcome),
        gap=torch.from_numpy(gap),
        answers=torch.from_numpy(answers),
        next_target=torch.from_numpy(next_t),
        risk_state=torch.from_numpy(risk_state),
        risk_elapsed=torch.from_numpy(risk_elapsed),
        risk_feats=torch.from_numpy(risk_feats),
        risk_target=torch.from_numpy(risk),
        kt_state=torch.from_numpy(kt_state),
        kt_question=torch.from_numpy(kt_q),
        kt_activity=torch.from_numpy(kt_a),
        kt_counts=torch.from_numpy(kt_c),
        kt_target=torch.from_numpy(kt_y),
        kt_mask=torch.from_numpy(kt_m),
    )
