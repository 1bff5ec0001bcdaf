"""pyKT's data protocol for the knowledge-tracing benchmark (``recommender.benchmark.pykt_models``
states it in full): a fold's frames encoded as pyKT encodes them (ids mapped over the whole
data set, 0-based; concept-only data sets; sequences shorter than ``MIN_LEN`` left out),
training and validation sequences cut into ``MAXLEN`` chunks, and pyKT's window evaluation
of the test sequences (``window_plan``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

MAXLEN = 200  # pyKT's maxlen / seq_len
MIN_LEN = 3  # pyKT's min_seq_len


@dataclass
class Sequences:
    """One part of a fold: per sequence, 0-based question ids (zeros when concept-only), concept
    ids, responses (0/1), and the positions of its rows in the part's input frame."""

    q: list[np.ndarray]
    c: list[np.ndarray]
    r: list[np.ndarray]
    rows: list[np.ndarray]
    learners: list[str]

    @property
    def lengths(self) -> list[int]:
        return [len(x) for x in self.r]


@dataclass
class KTFold:
    """A fold encoded as pyKT encodes a data set (see the module docstring)."""

    train: Sequences
    valid: Sequences
    test: Sequences
    num_q: int  # distinct questions; 0 for a concept-only data set
    num_c: int  # distinct concepts (the item itself when concept-only)
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)  # part -> sequences, interactions


def _split_sequences(frame: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each sequence: a learner's rows in the frame's order, with a new sequence
    wherever ``order`` fails to increase (the same record twice in a fold file, as in statics'
    train1, is read as two sequences, like pyKT reads each record)."""
    learner_codes, _ = pd.factorize(frame["learner"].astype(str), sort=False)
    idx = np.argsort(learner_codes, kind="stable")
    order = frame["order"].to_numpy(np.int64)[idx]
    codes = learner_codes[idx]
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (order[1:] <= order[:-1])])
    return np.split(idx, starts[1:])


def _concept_keys(values: pd.Series) -> pd.Series:
    """One concept label per row: several concepts (``a;b``) as their sorted combination."""
    text = values.astype(str)
    return text.map(lambda v: ";".join(sorted(x.strip() for x in v.split(";"))) if ";" in v else v)


def _check(frame: pd.DataFrame, part: str) -> None:
    missing = {"learner", "order", "question", "correct"} - set(frame.columns)
    if missing:
        raise ValueError(f"{part}: the interaction frame lacks column(s) {sorted(missing)}")
    if "kind" in frame and (frame["kind"] != "question").any():
        raise ValueError(f"{part}: {int((frame['kind'] != 'question').sum())} row(s) are not questions; "
                         "knowledge tracing reads graded question attempts only (filter them first)")  # fmt: skip
    bad = ~frame["correct"].isin([0, 1])
    if bad.any():
        raise ValueError(f"{part}: {int(bad.sum())} row(s) have `correct` other than 0/1 "
                         f"(first at row {int(np.flatnonzero(bad.to_numpy())[0])})")  # fmt: skip
    if frame["question"].isna().any():
        raise ValueError(f"{part}: {int(frame['question'].isna().sum())} row(s) have no question id")


def encode_fold(
    train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, *, min_len: int = MIN_LEN
) -> KTFold:
    """Encode a fold's three interaction frames (``recommender.datasets`` columns; at least
    learner, order, question, concepts, correct). One prediction per row, so that other models
    are scored on the same rows: a row tagged with several concepts (``;``; the ASSIST2009 reader
    merges AKT's one-line-per-skill repeats of a problem into one row) has their combination,
    in sorted order, as its one concept. pyKT's expansion of such rows into one per concept
    (and its question-level evaluation) is not reproduced."""
    parts = {"train": train, "valid": valid, "test": test}
    for name, frame in parts.items():
        if frame is None or not len(frame):
            raise ValueError(f"{name}: no interactions (pyKT's protocol needs train, valid and test)")
        _check(frame, name)
    has_concepts = [("concepts" in f) and f["concepts"].notna().any() for f in parts.values()]
    if any(has_concepts) != all(has_concepts):
        raise ValueError("concepts are given in some parts of the fold and not in others")
    concept_only = not has_concepts[0]
    if not concept_only:
        for name, frame in parts.items():
            if frame["concepts"].isna().any():
                raise ValueError(f"{name}: {int(frame['concepts'].isna().sum())} row(s) have no concept")
    concept_col = "question" if concept_only else "concepts"
    everything = pd.concat(list(parts.values()), ignore_index=True)
    keys = {name: _concept_keys(frame[concept_col]) for name, frame in parts.items()}
    concepts = {k: i for i, k in enumerate(sorted(set().union(*(set(v) for v in keys.values()))))}
    questions = {} if concept_only else {k: i for i, k in enumerate(sorted(everything["question"].astype(str).unique()))}  # fmt: skip
    encoded, dropped = {}, {}
    for name, frame in parts.items():
        c_all = keys[name].map(concepts).to_numpy(np.int64)
        q_all = np.zeros(len(frame), np.int64) if concept_only else frame["question"].astype(str).map(questions).to_numpy(np.int64)  # fmt: skip
        r_all = frame["correct"].to_numpy().astype(np.int64)
        seqs = Sequences([], [], [], [], [])
        short = [0, 0]
        learners = frame["learner"].astype(str).to_numpy()
        for rows in _split_sequences(frame):
            if len(rows) < min_len:
                short[0] += 1
                short[1] += len(rows)
                continue
            seqs.q.append(q_all[rows])
            seqs.c.append(c_all[rows])
            seqs.r.append(r_all[rows])
            seqs.rows.append(rows)
            seqs.learners.append(learners[rows[0]])
        encoded[name] = seqs
        dropped[name] = {"sequences": short[0], "interactions": short[1]}
    return KTFold(encoded["train"], encoded["valid"], encoded["test"], num_q=len(questions),
                  num_c=len(concepts), dropped=dropped)  # fmt: skip


@dataclass
class Batchable:
    """(N, MAXLEN) arrays: question, concept and response ids (0 in padding), ``real`` (a real
    interaction) and ``select`` (a position to predict and score)."""

    q: np.ndarray
    c: np.ndarray
    r: np.ndarray
    real: np.ndarray
    select: np.ndarray

    def __len__(self) -> int:
        return len(self.q)

    def batch(self, idx: np.ndarray) -> tuple[torch.Tensor, ...]:
        return tuple(torch.from_numpy(a[idx]) for a in (self.q, self.c, self.r, self.real, self.select))


def _rows(seqs: Sequences, pieces: list[tuple[int, int, int, int]], maxlen: int) -> Batchable:
    """Pieces (sequence, start, end, first predicted) -> padded arrays."""
    n = len(pieces)
    out = Batchable(*(np.zeros((n, maxlen), np.int64) for _ in range(3)), np.zeros((n, maxlen), bool),
                    np.zeros((n, maxlen), bool))  # fmt: skip
    for i, (s, start, end, first) in enumerate(pieces):
        k = end - start
        out.q[i, :k] = seqs.q[s][start:end]
        out.c[i, :k] = seqs.c[s][start:end]
        out.r[i, :k] = seqs.r[s][start:end]
        out.real[i, :k] = True
        out.select[i, first - start : k] = True
    return out


def chunks(seqs: Sequences, *, maxlen: int = MAXLEN, min_len: int = MIN_LEN) -> Batchable:
    """pyKT's training / validation sequences: each sequence cut into chunks of ``maxlen``, the
    last one left out when shorter than ``min_len``; positions 1.. of each chunk are scored."""
    pieces = []
    for s, n in enumerate(seqs.lengths):
        for start in range(0, n, maxlen):
            end = min(start + maxlen, n)
            if end - start == maxlen or end - start >= min_len:
                pieces.append((s, start, end, start + 1))
    return _rows(seqs, pieces, maxlen)


def chunk_drops(seqs: Sequences, *, maxlen: int = MAXLEN, min_len: int = MIN_LEN) -> int:
    """Interactions that ``chunks`` leaves out (last chunks shorter than ``min_len``)."""
    return sum(n % maxlen for n in seqs.lengths if 0 < n % maxlen < min_len)


class Window(NamedTuple):
    """Interactions ``start..end-1`` of test sequence ``sequence`` are the model's input; it is
    scored at positions ``first..end-1``."""

    sequence: int
    start: int
    end: int
    first: int


def window_plan(lengths: Sequence[int], *, maxlen: int = MAXLEN) -> Iterator[Window]:
    """pyKT's window evaluation (``generate_window_sequences``), in order of sequence then
    position. For a sequence of n interactions:

    * ``Window(s, 0, min(n, maxlen), 1)``: positions 1..min(n, maxlen)-1, each from the
      interactions before it;
    * for p = maxlen..n-1: ``Window(s, p - maxlen + 1, p + 1, p)``: position p from the
      ``maxlen - 1`` interactions before it.

    So every position but the first is predicted exactly once (n - 1 per sequence; none for
    n < 2), from at most ``maxlen - 1`` past interactions. Another model scored on the same
    plan (e.g. Cairn's, given each window as history) is compared on the same interactions.
    pyKT also leaves out test sequences shorter than 3 (``encode_fold`` does).
    """
    for s, n in enumerate(lengths):
        if n < 2:
            continue
        yield Window(s, 0, min(n, maxlen), 1)
        for p in range(maxlen, n):
            yield Window(s, p - maxlen + 1, p + 1, p)


def predicted_rows(seqs: Sequences, *, maxlen: int = MAXLEN) -> np.ndarray:
    """The input frame's row positions that ``window_plan`` scores, in the plan's order (the
    order of ``run_pykt``'s test predictions)."""
    rows = [seqs.rows[w.sequence][w.first : w.end] for w in window_plan(seqs.lengths, maxlen=maxlen)]
    return np.concatenate(rows) if rows else np.zeros(0, np.int64)


def windows(seqs: Sequences, *, maxlen: int = MAXLEN) -> Batchable:
    """The test set as ``window_plan``'s padded windows."""
    return _rows(seqs, list(window_plan(seqs.lengths, maxlen=maxlen)), maxlen)
