"""Disengagement, defined once (``recommender.data``): labels at daily prediction points
with censoring, the elapsed time as an input, and the model's figures on held-out
simulated learners."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.compare import model_row
from recommender.data import Vocabularies, build_sequences
from recommender.disengagement import (
    DAY,
    disengagement_labels,
    elapsed_bucket,
    prediction_points,
    risk_features,
)
from recommender.event_frame import load_events, time_seconds
from recommender.metrics import disengagement_metrics, occupied_bins, platt_fit
from tests.recommender.conftest import events_frame

MINUTES_A_DAY = 24 * 60


def test_every_daily_prediction_point_is_labelled_with_censoring():
    rows = [
        (1, 0, "video.played", "v1", {}),
        (1, 1 * MINUTES_A_DAY, "video.played", "v2", {}),  # then away 19 days
        (1, 20 * MINUTES_A_DAY, "video.played", "v3", {}),  # the learner's last event
        (3, 40 * MINUTES_A_DAY, "video.played", "v1", {}),  # the dataset's last event
    ]
    ev = load_events(events_frame(rows))
    seq = {s.learner_id: s for s in build_sequences(ev, Vocabularies.build(ev))}[1]
    t0 = float(time_seconds(ev["time"]).min())
    days = np.round((seq.risk_time - t0) / DAY).astype(int).tolist()
    # a check-in every day after the first event while the learner is still engaged
    # (away less than 14 days): days 15-19 and from 34 on they have disengaged already
    assert days == [*range(1, 15), *range(20, 34)]
    # 1: no event in the next 14 days; 0: back within them; -1: the horizon runs past
    # the data's end (day 40), whatever happened
    assert seq.risk_label.tolist() == [1.0] * 5 + [0.0] * 9 + [1.0] * 7 + [-1.0] * 7
    # each point is scored from the state after the last event before it, and knows how
    # long ago that event was
    assert seq.risk_pos.tolist() == [1] * 14 + [2] * 14
    assert seq.risk_elapsed.tolist() == elapsed_bucket(np.r_[np.arange(14), np.arange(14)] * DAY).tolist()
    np.testing.assert_allclose(seq.risk_feats[:, 3], np.log1p(np.r_[np.arange(14), np.arange(14)]), rtol=1e-6)

    # the base rate is real: positives are not a rounding error of the events
    labelled = seq.risk_label[seq.risk_label >= 0]
    assert labelled.mean() == pytest.approx(12 / 21)

    # a subset of learners is censored against the whole dataset's end
    end = float(time_seconds(ev["time"]).max())
    alone = build_sequences(ev[ev["learner_id"] == 1], Vocabularies.build(ev), dataset_end=end)[0]
    assert alone.risk_label.tolist() == seq.risk_label.tolist()
    # a shorter horizon changes the labels, the censoring and who is still engaged
    short = {s.learner_id: s for s in build_sequences(ev, Vocabularies.build(ev), horizon_days=3)}[1]
    assert np.round((short.risk_time - t0) / DAY).astype(int).tolist() == [1, 2, 3, 20, 21, 22]
    assert short.risk_label.tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_labels_need_points_after_the_first_event():
    times = np.array([100.0, 200.0])
    with pytest.raises(ValueError, match="precedes the learner's first event"):
        disengagement_labels(times, np.array([50.0]), dataset_end=1e9)
    assert len(prediction_points(np.zeros(0), end=1e9)) == 0
    assert len(prediction_points(times, end=150.0)) == 0  # less than a day of data
    pos, elapsed, label = disengagement_labels(
        times, np.array([200.0, 250.0]), dataset_end=1e9, horizon_days=1
    )
    assert pos.tolist() == [1, 1] and elapsed.tolist() == [0.0, 50.0] and label.tolist() == [1.0, 1.0]


def test_risk_features_count_recent_events_and_the_time_away():
    times = np.array([0.0, 0.5, 3.0, 10.0]) * DAY
    feats = np.expm1(risk_features(times, np.array([10.5, 16, 70]) * DAY))
    # events in the last 1, 7 and 14 days, days away, days since the first event (capped at 60)
    np.testing.assert_allclose(feats, [[1, 1, 4, 0.5, 10.5], [0, 1, 2, 6, 16], [0, 0, 0, 60, 60]], atol=1e-4)


def test_platt_scaling_recovers_a_known_miscalibration():
    rng = np.random.default_rng(0)
    true_logit = rng.normal(0, 2, 20_000)
    y = (rng.random(len(true_logit)) < 1 / (1 + np.exp(-true_logit))).astype(float)
    a, b = platt_fit((true_logit - 1.0) / 2.0, y)  # a model too timid and biased low
    assert a == pytest.approx(2.0, abs=0.1) and b == pytest.approx(1.0, abs=0.1)
    assert platt_fit(true_logit, np.ones_like(y)) == (1.0, 0.0)  # one class: left alone
    # Scores that barely vary would need a slope in the thousands: not trusted, left alone
    # (such a fit saturated every prediction of a retrain to 0 or 1 on other learners).
    assert platt_fit(true_logit / 20.0, y) == (1.0, 0.0)  # a slope of 20 is needed


def test_a_constant_risk_fills_one_bin_of_the_reliability_diagram():
    assert occupied_bins(np.full(100, 0.3)) == 1
    assert occupied_bins(np.linspace(0, 1, 100)) == 10
    y = np.array([0, 0, 1, 1.0])
    m = disengagement_metrics(y, np.array([0.1, 0.2, 0.8, 0.9]), elapsed=np.array([0, 30, 0, 30]))
    assert m["roc_auc"] == 1.0 and m["n_recent"] == 2 and m["positive_rate"] == 0.5


# ---------------------------------------------------------------------------- held-out figures
LEARNERS, DAYS, SEED = 500, 70, 11


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """A realistic simulated cohort (``recommender.simulate``: learners who study, fail,
    fall behind and give up as calibrated), as the canonical export file."""
    from recommender.simulate import Curriculum, simulate_cohort
    from recommender.simulate.records import events_frame as simulated_frame

    curriculum = Curriculum.load(Path("course_content"), None)
    runs = list(simulate_cohort(curriculum, learners=LEARNERS, days=DAYS, seed=SEED,
                                start=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)))  # fmt: skip
    path = tmp_path_factory.mktemp("risk") / "events.parquet"
    simulated_frame(runs).to_parquet(path)
    return path


@pytest.fixture(scope="module")
def trained(simulated, tmp_path_factory):
    from recommender.evaluate import evaluate
    from recommender.train import TrainConfig, train

    out = tmp_path_factory.mktemp("risk-model")
    cfg = TrainConfig(epochs=3, d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=128, seed=0)
    train(simulated, out, cfg, progress=False)
    report = evaluate(simulated, out, progress=False)
    return out, report["results"]["disengagement"]


def test_held_out_simulated_learners_meet_the_at_risk_figures(trained):
    """ROC-AUC >= 0.85, ECE <= 0.05 and a reliability diagram spread over several bins,
    on every uncensored daily prediction point of held-out learners. PR-AUC: the base
    rate of this population is near one half (learners seen in the last 14 days who
    will not be back in the next 14), where "3x the base rate" exceeds 1 and cannot be
    met by any model; the test asks for most of the possible lift over a random ranking
    instead: ``(PR-AUC - base) / (1 - base) >= 0.5`` (docs/benchmarks.md has the full
    figures on a larger cohort)."""
    _, results = trained
    model = model_row(results)[1]
    base = model["positive_rate"]
    assert model["n"] > 2000 and 0.2 < base < 0.8, model
    assert model["roc_auc"] >= 0.85, model
    assert model["ece"] <= 0.05, model
    assert model["occupied_bins"] >= 5, model
    assert (model["pr_auc"] - base) / (1 - base) >= 0.5, model


def test_time_away_raises_the_served_risk(trained, simulated):
    """Scored at page time, the same history is riskier the longer the learner has been
    away (the elapsed time is an input): a learner away 10 days ranks above the same
    learner active an hour ago."""
    from recommender.artifact import Recommender

    out, _ = trained
    rec = Recommender.load(out)
    ev = load_events(simulated)
    higher = 0
    learners = sorted(ev["learner_id"].unique())[:40]
    for learner in learners:
        history = ev[ev["learner_id"] == learner]
        last = pd.Timestamp(history["time"].max())
        soon = rec.predict(history, now=last + pd.Timedelta(hours=1)).risk
        later = rec.predict(history, now=last + pd.Timedelta(days=10)).risk
        higher += later > soon
    assert higher >= 0.9 * len(learners), higher
    with pytest.raises(ValueError, match="timezone-aware"):
        rec.predict(history, now=dt.datetime(2026, 3, 1))
