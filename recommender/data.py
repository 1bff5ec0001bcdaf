"""Events -> per-learner sequences, vocabularies and targets.

Input is the canonical export schema (``docs/events.md``; ``export_events --format parquet``):
``event_id, learner_id, time, verb, session_id, course, activity, payload (JSON text),
source, received`` and, for imported data sets, ``learner_key`` (the learner's id in the
data set, which learner files may use: :func:`resolve_learner_ids`). Only ``learner_id,
time, verb, activity, payload`` are read; a DataFrame with extra or missing optional
columns is fine.

Tokens
    One token per event, in time order per learner (ties keep input order). Each token
    carries four features:

    * ``activity`` id: the activity slug, ``<unk>`` when unseen at training time. Events
      **without an activity** (``navigation.page_viewed``, ``recommendation.shown``,
      enrollment...) are *kept* as the generic ``<none>`` activity: they say the learner
      is active (disengagement needs that) and how they navigate, but they are never a
      next-activity target and never recommended.
    * ``verb`` id (``<unk>`` when unseen).
    * ``outcome`` bucket: the score of ``quiz.graded`` / ``lab.graded`` or the watched
      fraction of a ``video.paused`` / ``video.completed`` with segments and duration, in
      five buckets of 0.2; ``quiz.answered`` with ``correct`` gives CORRECT/INCORRECT;
      anything else is NONE.
    * ``gap`` bucket: ``2 + floor(log2(1 + seconds since the learner's previous event))``
      capped at 25, ``GAP_FIRST`` for the first event.
    * ``answers``: up to ``MAX_ANSWERS`` (question, correct) pairs the event reveals
      (``quiz.answered`` with ``correct``: one; ``quiz.graded``: its ``questions``), as
      ids ``2 * question_id + correct`` (0 = none), so the model sees per-question
      history as PFA does, not only the quiz score.

Knowledge-tracing interactions
    Each ``quiz.graded`` event yields one interaction per entry of ``questions`` with the
    question key ``f"{activity}/{question}"`` and its correctness. The prediction for it
    uses the learner's state *before* the attempt: the ``anchor`` is the last event before
    the graded one that is not a ``quiz.answered`` / ``quiz.submitted`` of the same quiz
    (those reveal the answers).

Targets (causal protocol: a prediction at position t uses events 0..t only)
    (a) next activity: the first later event whose activity is real and differs from the
        activity at t (for a ``<none>`` token, the next real activity);
    (b) correctness of each question interaction;
    (c) disengagement: at a daily *prediction point*, whether the learner is back within
        14 days (``recommender.disengagement``, where it is defined once).

Learner splits and learner files are in ``recommender.splits``; reading the event frame
in ``recommender.event_frame``; windows in ``recommender.batching``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender.disengagement import (
    DAY,
    DEFAULT_HORIZON_DAYS,
    N_RISK_FEATURES,
    disengagement_labels,
    elapsed_bucket,
    prediction_points,
    risk_features,
)
from recommender.event_frame import parse_payload, time_seconds

PAD, UNK, NONE = 0, 1, 2
PAD_TOKEN, UNK_TOKEN, NONE_TOKEN = "<pad>", "<unk>", "<none>"

# outcome buckets
OUTCOME_PAD, OUTCOME_NONE = 0, 1
OUTCOME_SCORE0 = 2  # 2..6: score or watched fraction in [0, .2), [.2, .4) ... [.8, 1]
OUTCOME_CORRECT, OUTCOME_INCORRECT = 7, 8
N_OUTCOMES = 9

# time-gap buckets
GAP_PAD, GAP_FIRST = 0, 1
MAX_GAP_LOG2 = 23  # 2**23 s is ~97 days
N_GAPS = 2 + MAX_GAP_LOG2 + 1

MAX_ANSWERS = 8  # (question, correct) pairs kept per event as input features
N_KT_COUNTS = 6  # prior correct / incorrect answers: overall, on the question, in the activity


_SCORED_VERBS = frozenset({"quiz.graded", "lab.graded"})
_VIDEO_VERBS = frozenset({"video.paused", "video.completed"})
_ANSWER_VERBS = frozenset({"quiz.answered", "quiz.submitted"})
_PARSED_VERBS = _SCORED_VERBS | _VIDEO_VERBS | {"quiz.answered"}


class Vocab:
    """A token <-> id map with reserved specials; unseen tokens encode to ``<unk>``."""

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = (PAD_TOKEN, UNK_TOKEN)) -> None:
        self.specials = tuple(specials)
        self.itos: list[str] = list(self.specials)
        seen = set(self.itos)
        for tok in tokens:
            if tok not in seen:
                seen.add(tok)
                self.itos.append(tok)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    @property
    def n_special(self) -> int:
        return len(self.specials)

    def encode(self, token: str | None) -> int:
        return self.stoi.get(token, UNK) if token is not None else UNK

    def decode(self, index: int) -> str:
        return self.itos[index]

    def to_dict(self) -> dict:
        return {"specials": list(self.specials), "tokens": self.itos[len(self.specials) :]}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        return cls(d["tokens"], specials=d["specials"])


@dataclass(frozen=True)
class Vocabularies:
    """The three vocabularies a model is trained with (built from training learners only)."""

    activities: Vocab  # specials <pad>, <unk>, <none>
    verbs: Vocab
    questions: Vocab  # keys "activity/question"

    def to_dict(self) -> dict:
        return {k: getattr(self, k).to_dict() for k in ("activities", "verbs", "questions")}

    @classmethod
    def from_dict(cls, d: dict) -> Vocabularies:
        return cls(*(Vocab.from_dict(d[k]) for k in ("activities", "verbs", "questions")))

    @classmethod
    def build(cls, events: pd.DataFrame) -> Vocabularies:
        """Sorted vocabularies of the activities, verbs and question keys in ``events``."""
        activities = sorted(a for a in events["activity"].dropna().unique())
        verbs = sorted(events["verb"].dropna().unique())
        questions: set[str] = set()
        graded = events[events["verb"] == "quiz.graded"]
        for act, payload in zip(graded["activity"], graded["payload"], strict=True):
            if isinstance(act, str):
                for q in _questions(parse_payload(payload)):
                    questions.add(f"{act}/{q[0]}")
        return cls(
            Vocab(activities, specials=(PAD_TOKEN, UNK_TOKEN, NONE_TOKEN)),
            Vocab(verbs),
            Vocab(sorted(questions)),
        )


@dataclass
class LearnerSequence:
    """One learner's events as arrays (T events, K question interactions).

    Targets (``next_activity``, ``first_activity`` and the disengagement prediction
    points ``risk_*``) are filled by :func:`attach_targets`; an inference-only sequence
    leaves them empty.
    """

    learner_id: int
    times: np.ndarray  # (T,) float64 seconds since the Unix epoch, non-decreasing
    activity: np.ndarray  # (T,) int64 activity ids (NONE for events without activity)
    verb: np.ndarray  # (T,) int64
    outcome: np.ndarray  # (T,) int64 outcome buckets
    gap: np.ndarray  # (T,) int64 gap buckets
    answers: np.ndarray  # (T, MAX_ANSWERS) int64: 2 * question id + correct, 0 = none
    kt_pos: np.ndarray  # (K,) index of the quiz.graded event
    kt_anchor: np.ndarray  # (K,) last visible event before the attempt (-1: none)
    kt_question: np.ndarray  # (K,) question ids
    kt_activity: np.ndarray  # (K,) the quiz's activity id
    kt_correct: np.ndarray  # (K,) float32 0/1
    kt_counts: np.ndarray  # (K, N_KT_COUNTS) float32 prior-answer counts (see kt_history_counts)
    next_activity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (T,) 0: none
    first_activity: int = 0  # the first real activity (target of the empty-history state)
    # disengagement prediction points (R of them; see prediction_points)
    risk_time: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # (R,) seconds
    risk_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (R,) last event before
    risk_elapsed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (R,) elapsed bucket
    risk_label: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # (R,) 1/0, -1 censored
    risk_feats: np.ndarray = field(
        default_factory=lambda: np.zeros((0, N_RISK_FEATURES), np.float32)
    )  # (R, F)

    def __len__(self) -> int:
        return len(self.times)


def _questions(payload: dict) -> list[tuple[str, bool]]:
    out = []
    for q in payload.get("questions") or ():
        if isinstance(q, dict) and isinstance(q.get("question"), str) and isinstance(q.get("correct"), bool):
            out.append((q["question"], q["correct"]))
    return out


def _score_bucket(x: float) -> int:
    return OUTCOME_SCORE0 + min(max(int(x * 5), 0), 4)


def outcome_of(verb: str, payload: dict) -> int:
    """The outcome bucket of one event (see the module docstring)."""
    if verb in _SCORED_VERBS:
        score = payload.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
            return _score_bucket(float(score))
    elif verb in _VIDEO_VERBS:
        duration, segments = payload.get("duration"), payload.get("segments")
        if isinstance(duration, int | float) and duration > 0 and isinstance(segments, list):
            try:
                watched = sum(float(e) - float(s) for s, e in segments)
            except (TypeError, ValueError):
                return OUTCOME_NONE
            return _score_bucket(min(max(watched / duration, 0.0), 1.0))
    elif verb == "quiz.answered":
        correct = payload.get("correct")
        if isinstance(correct, bool):
            return OUTCOME_CORRECT if correct else OUTCOME_INCORRECT
    return OUTCOME_NONE


def gap_bucket(seconds: float) -> int:
    """Bucket of the gap since the previous event (``GAP_FIRST`` handled by the caller)."""
    return 2 + min(int(math.log2(1.0 + max(seconds, 0.0))), MAX_GAP_LOG2)


# ---------------------------------------------------------------------------- encoding
def encode_learner(
    learner_id: int,
    times: np.ndarray,
    verbs: Sequence[str],
    activities: Sequence[str | None],
    payloads: Sequence[object],
    vocabs: Vocabularies,
) -> tuple[LearnerSequence, list[str | None]]:
    """Encode one learner's time-ordered events (the single code path used by training,
    evaluation and serving). Returns the sequence and the raw activity slugs (for targets).

    Every feature at position t depends on events 0..t only.
    """
    n = len(times)
    act_stoi, verb_stoi = vocabs.activities.stoi, vocabs.verbs.stoi
    q_stoi = vocabs.questions.stoi
    # Plain lists while looping, arrays at the end: per-element writes into numpy arrays
    # and numpy scalars cost several times a list's (this loop is half of serving's
    # encoding time). The gaps are the same float64 differences gap_bucket always saw.
    activity: list[int] = []
    verb: list[int] = []
    outcome = np.full(n, OUTCOME_NONE, np.int64)
    gaps = [GAP_FIRST] * n
    seconds = np.asarray(times, np.float64)
    for i, d in enumerate(np.diff(seconds).tolist(), start=1):
        gaps[i] = gap_bucket(d)
    answers = np.zeros((n, MAX_ANSWERS), np.int64)
    raw_acts: list[str | None] = []
    kt_pos, kt_anchor, kt_q, kt_a, kt_y = [], [], [], [], []
    for i in range(n):
        a = activities[i]
        if not isinstance(a, str):
            a = None
        raw_acts.append(a)
        v = verbs[i]
        activity.append(act_stoi.get(a, UNK) if a is not None else NONE)
        verb.append(verb_stoi.get(v, UNK))
        if v in _PARSED_VERBS:
            payload = parse_payload(payloads[i])
            outcome[i] = outcome_of(v, payload)
            if v == "quiz.answered" and a is not None:
                q, correct = payload.get("question"), payload.get("correct")
                if isinstance(q, str) and isinstance(correct, bool):
                    answers[i, 0] = 2 * q_stoi.get(f"{a}/{q}", UNK) + int(correct)
            elif v == "quiz.graded" and a is not None:
                qs = _questions(payload)
                for j, (q, correct) in enumerate(qs[:MAX_ANSWERS]):
                    answers[i, j] = 2 * q_stoi.get(f"{a}/{q}", UNK) + int(correct)
                if qs:
                    anchor = i - 1
                    while anchor >= 0 and raw_acts[anchor] == a and verbs[anchor] in _ANSWER_VERBS:
                        anchor -= 1
                    for q, correct in qs:
                        kt_pos.append(i)
                        kt_anchor.append(anchor)
                        kt_q.append(q_stoi.get(f"{a}/{q}", UNK))
                        kt_a.append(activity[i])
                        kt_y.append(1.0 if correct else 0.0)
    seq = LearnerSequence(
        learner_id=int(learner_id),
        times=seconds,
        activity=np.array(activity, np.int64),
        verb=np.array(verb, np.int64),
        outcome=outcome,
        gap=np.array(gaps, np.int64),
        answers=answers,
        kt_pos=np.asarray(kt_pos, np.int64),
        kt_anchor=np.asarray(kt_anchor, np.int64),
        kt_question=np.asarray(kt_q, np.int64),
        kt_activity=np.asarray(kt_a, np.int64),
        kt_correct=np.asarray(kt_y, np.float32),
        kt_counts=kt_history_counts(kt_pos, kt_q, kt_y, kt_a),
    )
    return seq, raw_acts


def kt_history_counts(
    kt_pos: Sequence[int],
    kt_question: Sequence[int],
    kt_correct: Sequence[float],
    kt_activity: Sequence[int] | None = None,
) -> np.ndarray:
    """(K, N_KT_COUNTS) ``log1p`` of the learner's prior correct / incorrect answers:
    overall, on the same question, and in the same activity (PFA's per-skill counts:
    where the activity is a skill or a problem set, a learner's record on it says more
    than on a question seen once), counting *earlier* graded events only (the questions
    of one graded event do not see each other). Unknown questions and activities get no
    counts of their own."""
    k = len(kt_pos)
    acts = kt_activity if kt_activity is not None else [UNK] * k
    feats = np.zeros((k, N_KT_COUNTS), np.float64)
    succ = fail = 0
    per_q: dict[int, list[int]] = {}
    per_a: dict[int, list[int]] = {}
    i = 0
    while i < k:
        j = i
        while j < k and kt_pos[j] == kt_pos[i]:
            j += 1
        for m in range(i, j):
            q, a = int(kt_question[m]), int(acts[m])
            sq, fq = per_q.get(q, (0, 0)) if q != UNK else (0, 0)
            sa, fa = per_a.get(a, (0, 0)) if a > NONE else (0, 0)
            feats[m] = (succ, fail, sq, fq, sa, fa)
        for m in range(i, j):
            right = kt_correct[m] > 0.5
            succ, fail = succ + right, fail + (not right)
            for table, key in ((per_q, int(kt_question[m])), (per_a, int(acts[m]))):
                counts = table.setdefault(key, [0, 0])
                counts[0 if right else 1] += 1
        i = j
    return np.log1p(feats).astype(np.float32)


def answer_counts(
    seq: LearnerSequence,
) -> tuple[int, int, dict[int, tuple[int, int]], dict[int, tuple[int, int]]]:
    """All of a sequence's answers: (correct, incorrect, {question id: (correct,
    incorrect)}, {activity id: (correct, incorrect)})."""
    per_q: dict[int, tuple[int, int]] = {}
    per_a: dict[int, tuple[int, int]] = {}
    for q, a, y in zip(
        seq.kt_question.tolist(), seq.kt_activity.tolist(), seq.kt_correct.tolist(), strict=True
    ):
        for table, key in ((per_q, q), (per_a, a)):
            s, f = table.get(key, (0, 0))
            table[key] = (s + 1, f) if y > 0.5 else (s, f + 1)
    succ = int((seq.kt_correct > 0.5).sum())
    return succ, len(seq.kt_correct) - succ, per_q, per_a


def encode_history(history: pd.DataFrame, vocabs: Vocabularies, learner_id: int = 0) -> LearnerSequence:
    """Encode one learner's events given as a DataFrame (any order; sorted by time here)."""
    if len(history) == 0:
        seq, _ = encode_learner(learner_id, np.zeros(0), [], [], [], vocabs)
        return seq
    times = time_seconds(history["time"])
    # Through an object array: tolist() on pandas' Arrow-backed strings is twice as slow
    # (a missing activity stays NaN, which encode_learner reads as none).
    verbs = history["verb"].to_numpy(dtype=object).tolist()
    acts = history["activity"].to_numpy(dtype=object).tolist()
    payloads = history["payload"].tolist() if "payload" in history.columns else [None] * len(times)
    if len(times) > 1 and np.any(np.diff(times) < 0):
        order = np.argsort(times, kind="stable")
        times = times[order]
        verbs = [verbs[i] for i in order]
        acts = [acts[i] for i in order]
        payloads = [payloads[i] for i in order]
    seq, _ = encode_learner(learner_id, times, verbs, acts, payloads, vocabs)
    return seq


def attach_targets(
    seq: LearnerSequence,
    raw_activities: Sequence[str | None],
    vocabs: Vocabularies,
    *,
    dataset_end: float,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> LearnerSequence:
    """Fill the next-activity and first-activity targets and the disengagement
    prediction points with their labels (they look ahead)."""
    n = len(seq)
    enc = vocabs.activities.encode
    nxt = np.zeros(n, np.int64)
    first: str | None = None  # nearest later real activity
    second: str | None = None  # nearest later real activity different from `first`
    for t in range(n - 1, -1, -1):
        a = raw_activities[t]
        target = first if (a is None or first != a) else second
        nxt[t] = enc(target) if target is not None else 0
        if a is not None and a != first:
            second, first = first, a
    seq.next_activity = nxt
    seq.first_activity = enc(first) if first is not None else 0
    points = prediction_points(seq.times, end=dataset_end)
    pos, elapsed, label = disengagement_labels(
        seq.times, points, dataset_end=dataset_end, horizon_days=horizon_days
    )
    engaged = elapsed < horizon_days * DAY  # away longer: already disengaged, nothing to predict
    points, pos, elapsed, label = points[engaged], pos[engaged], elapsed[engaged], label[engaged]
    seq.risk_time, seq.risk_pos, seq.risk_label = points, pos, label
    seq.risk_elapsed = elapsed_bucket(elapsed)
    seq.risk_feats = risk_features(seq.times, points)
    return seq


def build_sequences(
    events: pd.DataFrame,
    vocabs: Vocabularies,
    *,
    dataset_end: float | None = None,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
    learners: Iterable[int] | None = None,
    progress: bool = False,
) -> list[LearnerSequence]:
    """One :class:`LearnerSequence` with targets per learner of ``events`` (a frame from
    :func:`load_events`), in learner-id order.

    ``dataset_end`` (seconds) is the censoring reference: pass the last timestamp of the
    *whole* dataset when ``events`` is a subset (default: this frame's last timestamp).
    """
    if learners is not None:
        events = events[events["learner_id"].isin(set(learners))]
    if len(events) == 0:
        return []
    times = time_seconds(events["time"])
    end = float(times.max()) if dataset_end is None else float(dataset_end)
    ids = events["learner_id"].to_numpy()
    verbs = events["verb"].tolist()
    acts = events["activity"].tolist()
    payloads = events["payload"].tolist()
    bounds = np.flatnonzero(np.diff(ids)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(ids)]])
    it = zip(starts, stops, strict=True)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(list(it), desc="sequences", unit="learner", leave=False)
    out = []
    for s, e in it:
        seq, raw = encode_learner(int(ids[s]), times[s:e], verbs[s:e], acts[s:e], payloads[s:e], vocabs)
        out.append(attach_targets(seq, raw, vocabs, dataset_end=end, horizon_days=horizon_days))
    return out
