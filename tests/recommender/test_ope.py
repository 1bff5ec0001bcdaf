"""Off-policy evaluation (recommender/ope.py, ope_check.py): exact propensities, the estimators and
the CLI. The validation in simulation where the truth is known (the issue's "OPE test in
simulation") is in test_ope_simulation.py, its own module so that `make test` runs it
beside this one."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from recommender import ope
from recommender.__main__ import main
from recommender.simulate import Curriculum, simulate_cohort
from recommender.simulate.records import Shows, events_frame
from recommender.simulate.simulated_policies import Syllabus

from .conftest import tiny_config

# Simulated cohorts and a training run: `make test` starts it first.
pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
COURSE = "neural-networks-deep-learning"


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return Curriculum.load(ROOT / "course_content", [COURSE])


@pytest.fixture(scope="module")
def logged(curriculum):
    runs = list(simulate_cohort(curriculum, learners=40, days=42, seed=3, start=START, policy=Syllabus(),
                                compliance=0.7, shows=Shows()))  # fmt: skip
    return runs, events_frame(runs)


def test_exploration_draws_slates_with_the_recorded_probabilities():
    ranked = ["a", "b", "c"]
    rng = np.random.default_rng(0)
    draws = [tuple(ope.explore(ranked, 0.3, rng)[0]) for _ in range(30_000)]
    counts = Counter(draws)
    assert set(counts) == {("a", "b", "c"), ("b", "a", "c"), ("c", "a", "b")}  # the others keep their order
    for slate, n in counts.items():
        expected = ope.slot_propensities(ranked, slate, 0.3)[0]  # P(this top) determines the slate
        assert abs(n / len(draws) - expected) < 0.01
    # Slot by slot: P(slot 2 holds "a") = P(top is b or c) = 2 * 0.3 / 3.
    assert ope.slot_propensities(ranked, ["b", "a", "c"], 0.3) == pytest.approx([0.1, 0.2, 0.8 + 0.1])
    assert ope.explore(ranked, 0.0, rng) == (ranked, [1.0, 1.0, 1.0])
    assert ope.explore(["a", "a", "b"], 0.0, rng) == (["a", "b"], [1.0, 1.0])  # duplicates dropped
    with pytest.raises(ValueError, match="within"):
        ope.explore(ranked, 1.5, rng)


def test_the_simulator_records_showings_as_the_platform_does(logged, curriculum):
    runs, frame = logged
    assert Shows().exploration == ope.EXPLORATION
    shown = frame[frame["verb"] == "recommendation.shown"]
    answers = frame[frame["verb"].isin(["recommendation.followed", "recommendation.dismissed"])]
    assert len(shown) > 500 and len(answers) == len(shown)
    payloads = [json.loads(p) for p in shown["payload"]]
    ids = {p["recommendation"] for p in payloads}
    assert ids == {json.loads(p)["recommendation"] for p in answers["payload"]}
    for p in payloads:
        assert p["model"] == "syllabus" and len(p["items"]) == len(p["propensities"]) <= 3
        assert all(slug in curriculum.index for slug in p["items"])
    # Each answer names the top step shown, with its activity (the dashboards need its course).
    top = {p["recommendation"]: p["items"][0] for p in payloads}
    for row in answers.itertuples():
        assert (
            json.loads(row.payload)["target"]
            == top[json.loads(row.payload)["recommendation"]]
            == row.activity
        )
    explored = sum(p["propensities"][0] < 0.5 for p in payloads)
    assert 0.02 < explored / len(payloads) < 0.15  # 10% draw a top, 2/3 of those differ from the policy's
    # Long steps are followed less often than short ones.
    minutes = {i.slug: i.minutes for i in curriculum.items}
    followed = [(minutes[top[json.loads(p)["recommendation"]]], v == "recommendation.followed")
                for p, v in zip(answers["payload"], answers["verb"], strict=True)]  # fmt: skip
    short = [f for m, f in followed if m <= 10]
    long = [f for m, f in followed if m >= 30]
    assert np.mean(short) > np.mean(long)


def test_the_logging_policy_estimate_is_its_own_mean(logged, curriculum):
    _, frame = logged
    log = ope.logged_decisions(frame, passing_grade=curriculum.passing_grade)
    d = log.decisions
    assert len(d) == (frame["verb"] == "recommendation.shown").sum()
    assert d["propensity"].between(0, 1).all() and d["followed"].isin([0, 1]).all()
    assert d["progress"].isna().any() and (d["progress"].dropna() >= 0).all()  # the last week is censored
    result = ope.estimate(log, None, name="logging", bootstrap=200)
    assert result.support == 1.0
    for e in ope.ESTIMATORS:
        follow = result.estimates["followed"][e]
        assert follow.value == pytest.approx(d["followed"].mean())
        assert follow.low < follow.value < follow.high
        assert result.estimates["progress"][e].value == pytest.approx(d["progress"].mean())


def test_a_log_without_propensities_is_a_clear_error(logged, curriculum):
    _, frame = logged
    old = frame.copy()
    shown = old["verb"] == "recommendation.shown"
    old.loc[shown, "payload"] = [
        json.dumps({k: v for k, v in json.loads(p).items() if k != "propensities"})
        for p in old.loc[shown, "payload"]
    ]
    with pytest.raises(ope.OPEError, match="no recommendation.shown with propensities"):
        ope.logged_decisions(old)
    with pytest.raises(ope.OPEError):
        ope.logged_decisions(frame[~shown])


def test_the_cli_estimates_candidates_from_an_exported_file(logged, tmp_path, capsys):
    _, frame = logged
    events = tmp_path / "events.parquet"
    frame.to_parquet(events, index=False)
    frame.to_csv(tmp_path / "events.csv", index=False)
    from recommender.train import train

    train(str(events), str(tmp_path / "model"), tiny_config(), progress=False)
    out = tmp_path / "ope.json"
    code = main(["ope", "--events", str(events), "--course", COURSE, "--policy", "logging", "--policy", "syllabus",
                 "--policy", f"model:{tmp_path / 'model'}", "--limit", "400", "--bootstrap", "200",
                 "--json", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0 and "the first 400 used" in printed
    assert "| logging | dr |" in printed and "| syllabus | snips |" in printed and "| model:" in printed
    results = {r["policy"]: r for r in json.loads(out.read_text())}
    assert {r["decisions"] for r in results.values()} == {400}
    assert results["syllabus"]["support"] > 0.9  # a syllabus-order log supports syllabus order
    assert 0 <= results["logging"]["estimates"]["followed"]["dr"]["value"] <= 1
    assert (
        main(["ope", "--events", str(tmp_path / "events.csv"), "--course", COURSE, "--bootstrap", "50"]) == 0
    )
    without = frame[frame["verb"] != "recommendation.shown"]
    without.to_parquet(tmp_path / "old.parquet", index=False)
    assert main(["ope", "--events", str(tmp_path / "old.parquet"), "--course", COURSE]) == 2
    assert "no recommendation.shown with propensities" in capsys.readouterr().err
    assert main(["ope", "--events", str(events), "--course", COURSE, "--policy", "random"]) == 2
