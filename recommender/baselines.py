"""Baselines, scored through the same :class:`recommender.scoring.Scorer` contract as
the model (``fit(train_seqs)`` then ``score(seqs)``), so ``recommender.evaluate``
treats them identically.

Next activity
    * :class:`SyllabusBaseline`: follow the syllabus. Activities after the current one
      in syllabus order come first (nearest first), wrapping around; those the learner
      already did are ranked below all not-yet-done ones (same order inside each tier);
      activities outside the syllabus come last. The order comes from a ``--syllabus``
      file (:func:`read_syllabus`) or, absent one, from the training data: activities
      sorted by the median rank of their first occurrence per learner.
    * :class:`MarkovBaseline`: most-popular next step: first-order transition counts
      between consecutive distinct activities of the training learners, normalised per
      row, with global popularity breaking ties and serving when the current activity
      has no outgoing transitions (or the learner has no activity yet).
    * :class:`PopularityBaseline`: global popularity only.

Correctness
    * :class:`IRTBaseline` (IRT/PFA-style logistic regression): a per-question
      difficulty plus the learner's prior successes and failures (overall and on the
      same question, as ``log1p`` counts), fitted with L-BFGS on the training learners.

Disengagement
    * :class:`ActivityLogRegBaseline`: logistic regression on the learner's events in
      the last 1/7/14 days, days since the first event and days since the previous
      event (``log1p``, standardised).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from recommender.data import N_KT_COUNTS, NONE, PAD, UNK, LearnerSequence, Vocabularies
from recommender.disengagement import DAY
from recommender.scoring import SequenceScores


def current_activity(seq: LearnerSequence) -> np.ndarray:
    """(T,) the last real activity id at or before each position (0: none yet)."""
    real = seq.activity != NONE
    idx = np.where(real, np.arange(len(seq)), -1)
    last = np.maximum.accumulate(idx) if len(seq) else idx
    return np.where(last >= 0, seq.activity[np.maximum(last, 0)], 0)


def _runs(seq: LearnerSequence) -> np.ndarray:
    """The learner's real activities with consecutive repeats collapsed."""
    a = seq.activity[seq.activity != NONE]
    if len(a) == 0:
        return a
    keep = np.ones(len(a), bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


# ---------------------------------------------------------------------------- syllabus
def read_syllabus(path: str | Path) -> list[str]:
    """An ordered list of activity slugs from JSON (a list, or an object with an
    ``activities`` / ``syllabus`` / ``order`` list) or CSV (column ``activity`` or
    ``slug``, else the first; rows sorted by ``position`` / ``order`` when present)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            for key in ("activities", "syllabus", "order"):
                if isinstance(data.get(key), list):
                    data = data[key]
                    break
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON list of activity slugs")
        slugs = [d["slug"] if isinstance(d, dict) else d for d in data]
    else:
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            raise ValueError(f"{path}: empty syllabus")
        cols = list(rows[0])
        col = next((c for c in ("activity", "slug") if c in cols), cols[0])
        pos = next((c for c in ("position", "order", "rank") if c in cols), None)
        if pos is not None:
            rows.sort(key=lambda r: float(r[pos]))
        slugs = [r[col] for r in rows]
    slugs = [str(s).strip() for s in slugs if str(s).strip()]
    if not slugs:
        raise ValueError(f"{path}: empty syllabus")
    return list(dict.fromkeys(slugs))


def derive_syllabus(seqs: Sequence[LearnerSequence], vocabs: Vocabularies) -> list[str]:
    """Activities sorted by the median rank of their first occurrence per learner
    (ties: more learners first, then slug)."""
    ranks: dict[int, list[int]] = defaultdict(list)
    for s in seqs:
        seen: dict[int, int] = {}
        for a in s.activity:
            a = int(a)
            if a > NONE and a not in seen:
                seen[a] = len(seen)
        for a, r in seen.items():
            ranks[a].append(r)
    itos = vocabs.activities.itos
    keyed = sorted(ranks.items(), key=lambda kv: (float(np.median(kv[1])), -len(kv[1]), itos[kv[0]]))
    return [itos[a] for a, _ in keyed]


class SyllabusBaseline:
    name = "syllabus"

    def __init__(self, vocabs: Vocabularies, order: Sequence[str] | None = None) -> None:
        self.vocabs = vocabs
        self.order = list(order) if order is not None else None

    def fit(self, seqs: Sequence[LearnerSequence]) -> SyllabusBaseline:
        if self.order is None:
            self.order = derive_syllabus(seqs, self.vocabs)
        return self

    def _positions(self) -> np.ndarray:
        pos = np.full(len(self.vocabs.activities), -1, np.int64)
        n = 0
        for slug in self.order or ():
            a = self.vocabs.activities.stoi.get(slug)
            if a is not None and a > NONE and pos[a] < 0:
                pos[a] = n
                n += 1
        return pos

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        if self.order is None:
            raise RuntimeError("fit() first (or pass an order)")
        pos = self._positions()
        in_syl = pos >= 0
        n = max(int(in_syl.sum()), 1)
        out = []
        for s in seqs:
            cur = current_activity(s)
            done = np.zeros(len(pos), bool)
            scores = np.zeros((len(s), len(pos)), np.float32)
            for t in range(len(s)):
                if s.activity[t] != NONE:
                    done[s.activity[t]] = True
                p = pos[cur[t]] if cur[t] > 0 else -1
                dist = np.mod(pos - p - 1, n) / n  # 0 for the very next in order
                scores[t] = np.where(in_syl, np.where(done, 1.0, 2.0) - dist, -1.0)
            out.append(SequenceScores(next=scores))
        return out


# ---------------------------------------------------------------------------- markov
class PopularityBaseline:
    name = "popularity"

    def __init__(self, n_activities: int) -> None:
        self.pop = np.zeros(n_activities, np.float64)

    def fit(self, seqs: Sequence[LearnerSequence]) -> PopularityBaseline:
        for s in seqs:
            self.pop += np.bincount(_runs(s), minlength=len(self.pop))[: len(self.pop)]
        self.pop[[PAD, UNK, NONE]] = 0
        return self

    def probabilities(self) -> np.ndarray:
        return self.pop / max(self.pop.sum(), 1.0)

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        p = self.probabilities().astype(np.float32)
        return [SequenceScores(next=np.broadcast_to(p, (len(s), len(p))).copy()) for s in seqs]


class MarkovBaseline:
    name = "markov"

    def __init__(self, n_activities: int) -> None:
        self.counts = np.zeros((n_activities, n_activities), np.float64)
        self.popularity = PopularityBaseline(n_activities)

    def fit(self, seqs: Sequence[LearnerSequence]) -> MarkovBaseline:
        v = len(self.counts)
        for s in seqs:
            r = _runs(s)
            if len(r) > 1:
                np.add.at(self.counts, (r[:-1], r[1:]), 1.0)
        self.counts[:, [PAD, UNK, NONE]] = 0
        self.popularity.fit(seqs)
        rows = self.counts.sum(1, keepdims=True)
        self.probs = np.where(rows > 0, self.counts / np.maximum(rows, 1), 0.0)
        self.probs += 1e-6 * self.popularity.probabilities()[None, :v]
        return self

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        probs = self.probs.astype(np.float32)
        return [SequenceScores(next=probs[current_activity(s)]) for s in seqs]


# ---------------------------------------------------------------------------- logistic regressions
class _LogReg(nn.Module):
    """logit = x @ w + b (+ per-category bias)."""

    def __init__(self, n_features: int, n_categories: int = 0) -> None:
        super().__init__()
        self.linear = nn.Linear(n_features, 1, dtype=torch.float64)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)
        self.cat = nn.Embedding(n_categories, 1, dtype=torch.float64) if n_categories else None
        if self.cat is not None:
            nn.init.zeros_(self.cat.weight)

    def forward(self, x: torch.Tensor, cat: torch.Tensor | None = None) -> torch.Tensor:
        z = self.linear(x).squeeze(-1)
        if self.cat is not None and cat is not None:
            z = z + self.cat(cat).squeeze(-1)
        return z

    def fit(self, x: np.ndarray, y: np.ndarray, cat: np.ndarray | None = None, l2: float = 1e-3) -> _LogReg:
        xt = torch.as_tensor(x, dtype=torch.float64)
        yt = torch.as_tensor(y, dtype=torch.float64)
        ct = torch.as_tensor(cat, dtype=torch.long) if cat is not None else None
        if len(yt) == 0:
            return self
        opt = torch.optim.LBFGS(self.parameters(), lr=1.0, max_iter=200, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(self(xt, ct), yt)
            loss = loss + l2 * self.linear.weight.pow(2).sum()
            if self.cat is not None:
                loss = loss + l2 * self.cat.weight.pow(2).sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            opt.step(closure)
        return self

    @torch.no_grad()
    def predict(self, x: np.ndarray, cat: np.ndarray | None = None) -> np.ndarray:
        xt = torch.as_tensor(x, dtype=torch.float64)
        ct = torch.as_tensor(cat, dtype=torch.long) if cat is not None else None
        return torch.sigmoid(self(xt, ct)).numpy().astype(np.float32)


def pfa_features(seq: LearnerSequence) -> np.ndarray:
    """(K, 6) log1p of the learner's prior successes / failures, overall, on the
    same question and in the same activity, counting interactions of *earlier* graded events only
    (``recommender.data.kt_history_counts``)."""
    return seq.kt_counts.astype(np.float64)


class IRTBaseline:
    name = "irt_pfa"

    def __init__(self, n_questions: int, l2: float = 1e-3) -> None:
        self.model = _LogReg(N_KT_COUNTS, n_questions)
        self.l2 = l2

    def fit(self, seqs: Sequence[LearnerSequence]) -> IRTBaseline:
        x = np.concatenate([pfa_features(s) for s in seqs] or [np.zeros((0, N_KT_COUNTS))])
        q = np.concatenate([s.kt_question for s in seqs] or [np.zeros(0, np.int64)])
        y = np.concatenate([s.kt_correct for s in seqs] or [np.zeros(0, np.float32)])
        self.model.fit(x, y, q, l2=self.l2)
        return self

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        return [SequenceScores(kt=self.model.predict(pfa_features(s), s.kt_question)) for s in seqs]


def activity_features(seq: LearnerSequence) -> np.ndarray:
    """(R, 5) log1p at each disengagement prediction point tau (``seq.risk_time``) of:
    events in the last 1, 7 and 14 days before tau, days since the first event, days
    since the last event (the elapsed time the at-risk page sees)."""
    times, points = seq.times, seq.risk_time
    feats = np.zeros((len(points), 5), np.float64)
    if len(points):
        upto = np.searchsorted(times, points, side="right")  # events at or before tau
        for c, days in enumerate((1, 7, 14)):
            feats[:, c] = upto - np.searchsorted(times, points - days * DAY, side="right")
        feats[:, 3] = (points - times[0]) / DAY
        feats[:, 4] = (points - times[upto - 1]) / DAY
    return np.log1p(feats)


class ActivityLogRegBaseline:
    name = "activity_logreg"

    def __init__(self, l2: float = 1e-4) -> None:
        self.model = _LogReg(5)
        self.l2 = l2
        self.mean = np.zeros(5)
        self.std = np.ones(5)

    def fit(self, seqs: Sequence[LearnerSequence]) -> ActivityLogRegBaseline:
        x = np.concatenate([activity_features(s) for s in seqs] or [np.zeros((0, 5))])
        y = np.concatenate([s.risk_label for s in seqs] or [np.zeros(0, np.float32)])
        keep = y >= 0
        x, y = x[keep], y[keep]
        if len(x):
            self.mean, self.std = x.mean(0), x.std(0) + 1e-9
        self.model.fit((x - self.mean) / self.std, y, l2=self.l2)
        return self

    def score(self, seqs: Sequence[LearnerSequence]) -> list[SequenceScores]:
        return [
            SequenceScores(risk=self.model.predict((activity_features(s) - self.mean) / self.std))
            for s in seqs
        ]
