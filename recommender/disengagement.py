"""The disengagement target and its inputs.

Disengagement, defined once here (:func:`disengagement_labels`): at a *prediction
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

``recommender.data`` attaches these labels to each learner's sequence.
"""

from __future__ import annotations

import numpy as np

DAY = 86_400.0
DEFAULT_HORIZON_DAYS = 14.0
CHECKIN_EVERY = DAY  # prediction points of the disengagement target: one a day

# elapsed-time buckets (time since the last event at a prediction point): quarter days
# up to a day, whole days to 30, then 30-45, 45-60, 60-90 and 90+ days
_ELAPSED_EDGES_DAYS = (0.25, 0.5, 1.0, *range(2, 31), 45, 60, 90)
N_ELAPSED = len(_ELAPSED_EDGES_DAYS) + 1
N_RISK_FEATURES = 5  # see risk_features
TENURE_CAP_DAYS = 60.0  # days since the first event, capped: serving reads the last events only


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
