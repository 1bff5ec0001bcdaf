"""The one contract every predictor (the model and each baseline) implements, so that
``recommender.evaluate`` scores them all with the same code.

A scorer maps learner sequences (``recommender.data.LearnerSequence``) to
:class:`SequenceScores`: per event position the next-activity scores over the whole
activity vocabulary, per question interaction the probability of a correct answer, per
disengagement prediction point (``disengagement.prediction_points``) the probability of no
event within the horizon. A scorer that does not address a task leaves it None.
Every score at position t may use events ``0..t`` of the sequence only (for a question
interaction: events up to its anchor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from recommender.batching import collate, make_windows, window_kt, window_risk
from recommender.data import LearnerSequence
from recommender.model import SequenceModel


@dataclass
class SequenceScores:
    next: np.ndarray | None = None  # (T, n_activities) higher = more likely next
    kt: np.ndarray | None = None  # (K,) p(correct)
    risk: np.ndarray | None = None  # (R,) p(no event in the horizon) at each prediction point


class Scorer(Protocol):
    name: str

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]: ...


class ModelScorer:
    """Scores sequences with a :class:`SequenceModel` in batches of windows."""

    def __init__(
        self,
        model: SequenceModel,
        *,
        name: str | None = None,
        batch_size: int = 32,
        device: str | torch.device = "cpu",
    ) -> None:
        self.model = model
        self.name = name or model.cfg.arch
        self.batch_size = batch_size
        self.device = torch.device(device)

    @torch.inference_mode()
    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        model = self.model.eval().to(self.device)
        v = model.cfg.n_activities
        out = [
            SequenceScores(
                next=np.zeros((len(s), v), np.float32),
                kt=np.zeros(len(s.kt_pos), np.float32),
                risk=np.zeros(len(s.risk_pos), np.float32),
            )
            for s in seqs
        ]
        wins = make_windows(seqs, model.cfg.max_len)
        for i in range(0, len(wins), self.batch_size):
            chunk = wins[i : i + self.batch_size]
            o = model(collate(seqs, chunk).to(self.device))
            next_l = o.next_logits.float().cpu().numpy()  # (B, T+1, V)
            risk = torch.sigmoid(o.risk_logits).float().cpu().numpy()  # (B, R)
            kt = torch.sigmoid(o.kt_logits).float().cpu().numpy()  # (B, K)
            for b, w in enumerate(chunk):
                lo, hi = w.start + w.score_from, w.start + w.length
                res = out[w.seq]
                res.next[lo:hi] = next_l[b, 1 + w.score_from : 1 + w.length]
                idx = window_kt(seqs[w.seq], w)
                res.kt[idx] = kt[b, : len(idx)]
                idx = window_risk(seqs[w.seq], w)
                res.risk[idx] = risk[b, : len(idx)]
        return out
