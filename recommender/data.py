"""Events -> per-learner sequences, vocabularies, targets and learner splits.

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
    (c) disengagement, defined once here (:func:`disengagement_labels`): at a *prediction
        point* at time tau, 1 when the learner has no event in ``(tau, tau + horizon]``
        (14 days), 0 when they have one; censored (-1) when ``tau + horizon`` runs past
        the end of the data. The prediction points are a daily check-in
        (:func:`prediction_points`): every ``CHECKIN_EVERY`` from the learner's first
        event to the end of the data, gaps and the time after the last event included,
        while the learner is still engaged (away less than the horizon: one away longer
        has already disengaged, there is nothing left to predict), each scored from the
        state after the last event before it *and* the time elapsed since that event
        (``elapsed_bucket``). Labelling events instead (the
        earlier design) made almost every label 0 (the next event is usually seconds
        away: a 0.3% base rate) and left the model blind to how long a learner has been
        away when scored at page time; check-ins label the question the at-risk page asks
        ("will this learner be back within 14 days, seen today?") at its real base rate.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

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

DAY = 86_400.0
DEFAULT_HORIZON_DAYS = 14.0
CHECKIN_EVERY = DAY  # prediction points of the disengagement target: one a day

# elapsed-time buckets (time since the last event at a prediction point): quarter days
# up to a day, whole days to 30, then 30-45, 45-60, 60-90 and 90+ days
_ELAPSED_EDGES_DAYS = (0.25, 0.5, 1.0, *range(2, 31), 45, 60, 90)
N_ELAPSED = len(_ELAPSED_EDGES_DAYS) + 1
N_RISK_FEATURES = 5  # see risk_features
TENURE_CAP_DAYS = 60.0  # days since the first event, capped: serving reads the last events only
REQUIRED_COLUMNS = ("learner_id", "time", "verb", "activity", "payload")

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


# ---------------------------------------------------------------------------- loading
def load_events(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read events (DataFrame, ``.parquet`` or ``.csv``) into a normalised frame.

    ``time`` becomes a UTC timestamp, ``learner_id`` int64, ``activity`` str or None;
    rows are sorted by learner then time (stable: ties keep their input order).
    Raises ``ValueError`` naming missing columns or an unknown file type.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no events file at {path}")
        suffixes = "".join(path.suffixes).lower()
        if ".parquet" in suffixes or ".pq" in suffixes:
            df = pd.read_parquet(path)
        elif ".csv" in suffixes:
            df = pd.read_csv(path)
        else:
            raise ValueError(f"{path}: expected a .parquet or .csv events file")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"events are missing column(s) {missing}; the canonical export has {REQUIRED_COLUMNS}"
        )
    if pd.api.types.is_string_dtype(df["time"]) or df["time"].dtype == object:
        df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    else:
        df["time"] = pd.to_datetime(df["time"], utc=True)
    df["learner_id"] = df["learner_id"].astype("int64")
    if "learner_key" in df.columns:  # the id in an imported data set: text (a CSV reads "78276" as a number)
        keys = df["learner_key"].astype(object)
        df["learner_key"] = keys.map({k: _key_text(k) for k in keys.dropna().unique()}).astype(object)
        df["learner_key"] = df["learner_key"].where(df["learner_key"].notna(), None)
    df["activity"] = df["activity"].astype(object).where(df["activity"].notna(), None)
    df["verb"] = df["verb"].astype(str)
    df = df.sort_values(["learner_id", "time"], kind="stable").reset_index(drop=True)
    return df


def _key_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def time_seconds(times: pd.Series) -> np.ndarray:
    """UTC timestamps -> float64 seconds since the Unix epoch."""
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    return times.array.as_unit("us").asi8 / 1e6  # the .dt route costs 5x as much on 200 events


def parse_payload(payload: object) -> dict:
    """A payload as a dict: JSON text is parsed; anything unreadable is ``{}``."""
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, str | bytes) and payload:
        try:
            value = json.loads(payload)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


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


def elapsed_bucket(seconds: np.ndarray | float) -> np.ndarray:
    """Bucket(s) of the time elapsed since the learner's last event at a prediction point
    (``N_ELAPSED`` buckets: finer where the risk changes fast, the first days)."""
    days = np.maximum(np.asarray(seconds, np.float64), 0.0) / DAY
    return np.searchsorted(np.asarray(_ELAPSED_EDGES_DAYS, np.float64), days, side="right").astype(np.int64)


def prediction_points(times: np.ndarray, *, end: float, every: float = CHECKIN_EVERY) -> np.ndarray:
    """Times of the disengagement prediction points of a learner whose (sorted) events
    are at ``times``: every ``every`` seconds after the first event, up to ``end``."""
    if len(times) == 0 or end <= times[0]:
        return np.zeros(0, np.float64)
    count = int((end - times[0]) // every)
    return times[0] + every * np.arange(1, count + 1, dtype=np.float64)


def disengagement_labels(
    times: np.ndarray, points: np.ndarray, *, dataset_end: float, horizon_days: float = DEFAULT_HORIZON_DAYS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one definition of disengagement. For each prediction point tau (``points``)
    of a learner with sorted event ``times``: ``(pos, elapsed_seconds, label)`` where
    ``pos`` is the last event at or before tau (the state the model scores from),
    ``elapsed_seconds`` the time since it, and ``label`` 1 when no event falls in
    ``(tau, tau + horizon]``, 0 when one does, -1 (censored) when ``tau + horizon`` is
    past ``dataset_end``. Points before the first event are an error."""
    horizon = horizon_days * DAY
    after = np.searchsorted(times, points, side="right")  # index of the first event after tau
    if len(points) and after.min() == 0:
        raise ValueError("a prediction point precedes the learner's first event")
    pos = after - 1
    elapsed = points - times[pos] if len(points) else np.zeros(0)
    next_time = np.where(after < len(times), times[np.minimum(after, len(times) - 1)], np.inf)
    label = (next_time - points > horizon).astype(np.float32)
    label[points + horizon > dataset_end] = -1.0
    return pos.astype(np.int64), elapsed.astype(np.float64), label


def risk_features(times: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(R, 5) float32 ``log1p`` of, at each prediction point tau: the learner's events in
    the 1, 7 and 14 days up to tau, the days elapsed since the last one, and the days
    since the first (capped at ``TENURE_CAP_DAYS``: new learners leave most often). The
    model's "wide" disengagement part (as PFA's counts are for correctness): recent
    activity, absence and tenure, readable from the last events (serving sees 200)."""
    points = np.asarray(points, np.float64)
    feats = np.zeros((len(points), N_RISK_FEATURES), np.float64)
    if len(points):
        upto = np.searchsorted(times, points, side="right")
        for c, days in enumerate((1, 7, 14)):
            feats[:, c] = upto - np.searchsorted(times, points - days * DAY, side="right")
        feats[:, 3] = np.maximum(points - times[np.maximum(upto - 1, 0)], 0.0) / DAY
        feats[:, 4] = np.minimum(np.maximum(points - times[0], 0.0) / DAY, TENURE_CAP_DAYS)
    return np.log1p(feats).astype(np.float32)


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


# ---------------------------------------------------------------------------- windows
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


# ---------------------------------------------------------------------------- splits
def split_learners(learner_ids: Iterable[int], holdout_frac: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded split by learner: ``(train_ids, holdout_ids)``, both sorted."""
    if not 0.0 <= holdout_frac < 1.0:
        raise ValueError("holdout_frac must be in [0, 1)")
    ids = np.array(sorted({int(i) for i in learner_ids}), dtype=np.int64)
    rng = np.random.default_rng(seed)
    n_hold = int(round(len(ids) * holdout_frac))
    hold = set(rng.permutation(ids)[:n_hold].tolist())
    return [int(i) for i in ids if i not in hold], sorted(hold)


def read_learner_ids(path: str | Path) -> list[str]:
    """The learner ids of a file, one a line, as written (blank lines and ``#`` comments
    skipped; repeats dropped, file order kept). They may be the data set's own ids
    (``learner_key``) or database ids (``learner_id``): :func:`resolve_learner_ids` maps
    them to ``learner_id`` against the events."""
    ids: dict[str, None] = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids[line] = None
    return list(ids)


def read_database_ids(path: str | Path) -> list[int]:
    """``learner_id`` integers (sorted, unique) from a file the library writes
    (``holdout_learners.txt``, a frozen held-out set): every line must be an integer."""
    ids = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            try:
                ids.append(int(line))
            except ValueError:
                raise ValueError(f"{path}:{n}: not a learner id: {line!r}") from None
    return sorted(set(ids))


DATABASE_IDS_HEADER = "# ids: learner_id"  # a file whose lines are database ids, taken as they are
MAX_UNKNOWN_SHARE = 0.1  # unmatched lines of a learner file up to this share warn; more is an error


def learner_keys(events: pd.DataFrame) -> dict[str, int]:
    """``learner_key -> learner_id`` of the events that carry a key (imported data
    sets; empty when the column is absent). A key naming two learners is an error."""
    if "learner_key" not in events.columns:
        return {}
    pairs = events.loc[events["learner_key"].notna(), ["learner_key", "learner_id"]].drop_duplicates()
    clash = pairs[pairs["learner_key"].duplicated(keep=False)]
    if len(clash):
        key = clash["learner_key"].iloc[0]
        raise ValueError(
            f"learner_key {key!r} names several learners: {sorted(clash['learner_id'].tolist())[:5]}"
        )
    return dict(
        zip(pairs["learner_key"].astype(str), pairs["learner_id"].astype("int64").tolist(), strict=True)
    )


def resolve_learner_ids(
    lines: Sequence[str], events: pd.DataFrame, *, source: str = "learner ids"
) -> list[int]:
    """Map learner ids as an analyst writes them to ``learner_id`` (sorted, unique).

    Each line is, in this order:

    * ``key:X``: the learner whose ``learner_key`` is X; ``id:N``: learner_id N;
    * a ``learner_key`` of the events (the id in the imported data set, e.g. ``u6256``);
    * an integer that is a ``learner_id`` of the events.

    A plain line that is the key of one learner and the database id of another is read as
    the key (the ids of an imported data set are what an analyst has at hand: AKT's
    ASSIST2009 user "14" beside learner_id 14), with a warning naming the ``id:N`` form.
    Lines that match no learner
    are an error when they are more than ``MAX_UNKNOWN_SHARE`` of the lines (or all of
    them), naming the first few; fewer are a warning (a published split may name
    learners a sliced import left out) and are dropped."""
    keys = learner_keys(events)
    ids = set(events["learner_id"].unique().tolist())
    found: set[int] = set()
    unknown: list[str] = []
    ambiguous: list[str] = []
    for raw in lines:
        line = raw.strip()
        kind, _, value = line.partition(":")
        if kind in ("key", "id") and value:
            if kind == "key":
                learner = keys.get(value.strip())
            else:
                learner = _int_or_none(value)
                learner = learner if learner in ids else None
        else:
            by_key, by_id = keys.get(line), _int_or_none(line)
            by_id = by_id if by_id in ids else None
            if by_key is not None and by_id is not None and by_key != by_id:
                ambiguous.append(line)
            learner = by_key if by_key is not None else by_id
        if learner is None:
            unknown.append(line)
        else:
            found.add(int(learner))
    if ambiguous:
        warnings.warn(
            f"{source}: {len(ambiguous)} line(s) are the learner_key of one learner and the learner_id of "
            f"another: {', '.join(map(repr, ambiguous[:5]))}; read as learner_key (write id:N for a "
            "database id)",
            stacklevel=2,
        )
    if unknown:
        example = f" (e.g. learner_key {next(iter(keys))!r})" if keys else " (the events have no learner_key)"
        what = (
            f"{source}: {len(unknown)} of {len(lines)} learner ids match no learner of the events, neither a "
            f"learner_key nor a learner_id{example}: {', '.join(map(repr, unknown[:5]))}"
            + (" ..." if len(unknown) > 5 else "")
        )
        if not found or len(unknown) > MAX_UNKNOWN_SHARE * len(lines):
            raise ValueError(what)
        warnings.warn(what + "; they are left out", stacklevel=2)
    return sorted(found)


def resolve_learner_file(path: str | Path, events: pd.DataFrame) -> list[int]:
    """The ``learner_id`` of each learner a file names (:func:`resolve_learner_ids`).
    A file with the :data:`DATABASE_IDS_HEADER` line (written by
    :func:`write_learner_ids`) holds database ids, taken as they are, with or without
    events (a frozen held-out set keeps learners who have since left the data)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no learner ids file at {path}")
    if DATABASE_IDS_HEADER in (line.strip() for line in path.read_text().splitlines()):
        return read_database_ids(path)
    return resolve_learner_ids(read_learner_ids(path), events, source=str(path))


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def write_learner_ids(path: str | Path, ids: Iterable[int]) -> None:
    """Database ids, one a line, under the :data:`DATABASE_IDS_HEADER` line."""
    Path(path).write_text(DATABASE_IDS_HEADER + "\n" + "".join(f"{i}\n" for i in sorted(ids)))
