"""The gate's statistics and decision: the resampled metrics agree with ``metrics`` on
the full sample, intervals behave (paired is narrower, noise straddles 0, a real
difference does not), the decision reads them as documented, and the frozen held-out
set grows by its rule. The last tests train tiny models on the synthetic clickstream:
two seeds on the same data are not told apart; 5x the data is."""

import dataclasses
import math

import numpy as np
import pytest

from recommender.compare import (
    AUC_BINS,
    AucMetric,
    Difference,
    GateConfig,
    RatioMetric,
    compare,
    decide,
    describe,
    paired_difference,
    point_value,
    seed_spread,
)
from recommender.metrics import hit_rate, roc_auc
from recommender.splits import frozen_holdout, read_database_ids

from .conftest import make_clickstream, tiny_config


def _hr_metric(ranks_by_learner: dict[int, np.ndarray]) -> RatioMetric:
    units = list(ranks_by_learner)
    return RatioMetric(units, [float((r <= 10).sum()) for r in ranks_by_learner.values()],
                       [float(len(r)) for r in ranks_by_learner.values()])  # fmt: skip


def test_resampled_metrics_equal_the_plain_metrics_on_the_full_sample():
    rng = np.random.default_rng(0)
    ranks = {i: rng.integers(1, 30, size=rng.integers(1, 20)).astype(float) for i in range(50)}
    ranks[7] = np.array([np.inf, 3.0])  # an unseen target is a miss
    hr = _hr_metric(ranks)
    assert hr.value(np.ones((1, 50)))[0] == pytest.approx(hit_rate(np.concatenate(list(ranks.values())), 10))

    unit = rng.integers(0, 40, 3000)
    y = rng.random(3000) < 0.6
    p = np.round(rng.random(3000) * 0.5 + 0.4 * y, 2)  # informative, with ties
    auc = AucMetric(unit, y, p)
    assert auc.value(np.ones((1, len(auc.units))))[0] == pytest.approx(roc_auc(y, p))
    # Weights are multiplicities: drawing learner 3 twice is the same as duplicating its rows.
    w = np.ones((1, len(auc.units)))
    w[0, 3] = 2.0
    dup = np.r_[np.arange(3000), np.flatnonzero(unit == auc.units[3])]
    assert auc.value(w)[0] == pytest.approx(roc_auc(y[dup], p[dup]))
    # Continuous scores: grouped in AUC_BINS quantile bins, within 1 / (2 * AUC_BINS) of exact.
    q = rng.random(3000) * 0.5 + 0.3 * y
    binned = AucMetric(unit, y, q).value(np.ones((1, len(auc.units))))[0]
    assert abs(binned - roc_auc(y, q)) <= 1 / (2 * AUC_BINS) and binned != roc_auc(y, q)


def test_a_mean_skips_learners_without_a_value():
    m = RatioMetric.mean([1, 2, 3], [1.0, math.nan, 0.0])
    assert m.value(np.ones((1, 3)))[0] == 0.5
    with pytest.raises(ValueError, match="once"):
        RatioMetric([1, 1], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="same length"):
        AucMetric([1, 2], [0, 1], [0.5])


def _binary(n_learners: int, per: int, seed: int, shift: float = 0.0):
    """Two scorers of the same learners' outcomes: ``b`` adds its own noise to ``a``'s
    score and ``shift`` times the label (a real improvement when positive)."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_learners), per)
    ability = rng.normal(size=n_learners)[unit]
    y = rng.random(len(unit)) < 1 / (1 + np.exp(-ability))
    a = ability + rng.normal(size=len(unit))
    b = a + 0.3 * rng.normal(size=len(unit)) + shift * y
    return AucMetric(unit, y, b), AucMetric(unit, y, a)


def test_noise_straddles_zero_and_a_real_gain_does_not():
    same_b, same_a = _binary(300, 20, seed=1)
    noise = paired_difference(same_b, same_a, metric="auc", against="a", role="active", n_boot=400)
    assert noise.low < 0 < noise.high
    better_b, better_a = _binary(300, 20, seed=1, shift=0.4)
    gain = paired_difference(better_b, better_a, metric="auc", against="a", role="active", n_boot=400)
    assert gain.low > 0 and gain.diff == pytest.approx(gain.new - gain.other)


def test_pairing_narrows_the_interval():
    """The same two scorers, resampled together (paired) and apart (each by its own
    draws): what the learners share cancels only when paired."""
    b, a = _binary(200, 10, seed=2)
    paired = paired_difference(b, a, metric="auc", against="a", role="active", n_boot=400)
    draws_b = paired_difference(b, b, metric="auc", against="a", role="active", n_boot=400, seed=1)
    # Unpaired: each side's own bootstrap spread; the difference's spread adds them.
    unpaired_width = 2 * (draws_b.high - draws_b.low)  # Var(b_boot) + Var(a_boot) ~ 2 Var
    spread = np.percentile(
        b.value(_draws(len(b.units), 400, 3)) - a.value(_draws(len(a.units), 400, 4)), [2.5, 97.5]
    )
    assert paired.high - paired.low < (spread[1] - spread[0]) / 2
    assert draws_b.low == draws_b.high == 0.0 and unpaired_width == 0.0  # a system against itself: exactly 0


def _draws(n: int, b: int, seed: int) -> np.ndarray:
    from recommender.compare import multiplicities

    return multiplicities(n, b, seed)


def _d(metric, against, role, diff, low, high, subject="v4") -> Difference:
    return Difference(metric, against, role, 0.5 + diff, 0.5, diff, low, high, 100, subject)


def test_the_decision_promotes_only_a_gain_that_is_not_noise():
    good = [
        _d("hr@10", "v3", "active", 0.012, 0.004, 0.020),
        _d("hr@10", "markov", "baseline", 0.030, 0.020, 0.040),
        _d("auc", "v3", "active", -0.002, -0.008, 0.004),  # within the 0.01 tolerance
        _d("completion", "syllabus order", "baseline", 0.01, -0.02, 0.04),
    ]
    decision = decide(good, invariants_passed=True, invariants_summary="120 steps checked")
    assert decision.promote
    assert (
        decision.summary
        == "Promoted: HR@10 +0.012 [+0.004, +0.020] over v3; HR@10 +0.030 [+0.020, +0.040] over markov; "
        "nothing worse beyond its tolerance; pedagogy invariants pass"
    )

    noisy = [_d("hr@10", "v3", "active", 0.003, -0.002, 0.008), *good[1:]]
    decision = decide(noisy, invariants_passed=True)
    assert not decision.promote
    assert (
        decision.summary
        == "Kept as a candidate: the gain in HR@10 over v3 could be noise (+0.003 [−0.002, +0.008])"
    )

    regress = [*good, _d("mastery_per_hour", "v3", "active", -0.0008, -0.0015, 0.0001)]
    decision = decide(regress, invariants_passed=True)
    assert (
        not decision.promote
        and "simulated mastery per hour may be worse than v3 by more than 0.001" in decision.summary
    )

    assert not decide(good, invariants_passed=False, invariants_summary="3 locked steps").promote
    unchecked = decide(good, invariants_passed=None, invariants_summary="the suite is not available")
    assert not unchecked.promote and "could not be checked" in unchecked.summary
    twin = [
        *good,
        _d("hr@10", "v3", "active", 0.002, -0.001, 0.006, subject="v4 retrained with another seed"),
    ]
    decision = decide(twin, invariants_passed=True)
    assert (
        not decision.promote
        and "v4 retrained with another seed: the gain in HR@10 over v3 could be noise" in decision.summary
    )
    # No comparison with a baseline, or an undefined interval: no evidence, no promotion.
    assert not decide(good[:1], invariants_passed=True).promote
    nan = [_d("hr@10", "markov", "baseline", math.nan, math.nan, math.nan)]
    assert not decide(nan, invariants_passed=True).promote


def test_a_difference_survives_json_and_reads_plainly():
    d = _d("hr@10", "v3", "active", 0.012, 0.004, 0.020)
    assert Difference.from_dict(d.as_dict()) == d
    assert describe(d) == "HR@10 +0.012 [+0.004, +0.020] over v3"
    blank = dataclasses.replace(d, low=math.nan)
    assert blank.as_dict()["low"] is None and math.isnan(Difference.from_dict(blank.as_dict()).low)
    assert GateConfig.from_dict({"sim_seeds": [1, 2], "unknown": 3}).sim_seeds == (1, 2)


def test_the_best_baseline_is_the_rival():
    rng = np.random.default_rng(3)
    ranks = {i: rng.integers(1, 15, 10).astype(float) for i in range(40)}
    weak = {i: r + 10 for i, r in ranks.items()}
    out = compare({"hr@10": _hr_metric(ranks)}, active=None, active_name="",
                  baselines={"weak": {"hr@10": _hr_metric(weak)}, "same": {"hr@10": _hr_metric(ranks)}}, n_boot=100)  # fmt: skip
    assert [(d.against, d.role) for d in out] == [("same", "baseline")] and out[0].diff == 0.0


def test_the_frozen_holdout_keeps_its_members_and_grows_by_the_keyed_hash(tmp_path):
    path = tmp_path / "holdout.txt"
    first = frozen_holdout(path, range(1, 1001))
    assert 150 < len(first) < 250  # about 20% of new learners
    assert read_database_ids(path) == first  # the file is a plain holdout_file too
    again = frozen_holdout(path, range(1, 1001))
    assert again == first  # the same learners: the same set
    grown = frozen_holdout(path, range(1, 2001), rate=0.9)  # the recorded rate wins over a new one
    assert set(first) < set(grown) and 300 < len(grown) < 500
    assert set(frozen_holdout(path, [])) == set(grown)  # members stay when they leave the data
    other = frozen_holdout(tmp_path / "other.txt", range(1, 1001))
    assert other != first  # another registry, another key
    (tmp_path / "bad.txt").write_text("1\n2\n")
    with pytest.raises(ValueError, match="key"):
        frozen_holdout(tmp_path / "bad.txt", [1])


# ---------------------------------------------------------------------------- with trained models
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Tiny models on one frozen held-out set, each with its seed twin (the next seed,
    as the registry trains one): ``a`` (seeds 0, 1) and ``b`` (seeds 2, 3) on the same
    50 learners, ``big`` (seeds 0, 1) on 5x as many."""
    import pandas as pd

    from recommender.compare import model_row
    from recommender.evaluate import evaluate
    from recommender.train import train

    root = tmp_path_factory.mktemp("compare")
    small = make_clickstream(n_learners=50, seed=11)
    extra = make_clickstream(n_learners=200, seed=12)
    extra["learner_id"] += 100_000
    big = pd.concat([small, extra], ignore_index=True)
    holdout = root / "holdout.txt"
    # A fixed key: the same held-out learners in every run (a fresh registry draws a random
    # key, and a different split each run made these tiny models' comparisons differ by run).
    holdout.write_text("# key: 000102030405060708090a0b0c0d0e0f\n# rate: 0.2\n")
    frozen_holdout(holdout, big["learner_id"].unique())
    cfg = tiny_config(epochs=3, holdout_file=str(holdout))
    out = {}
    for name, events, seed in (("a", small, 0), ("b", small, 2), ("big", big, 0)):
        for twin, s in ((name, seed), (f"{name} twin", seed + 1)):
            train(events, root / twin, dataclasses.replace(cfg, seed=s), progress=False)
            scores = evaluate(big, root / twin, None, holdout_file=holdout, progress=False, per_learner=True)
            per = scores["per_learner"]
            model = model_row(per)[0]
            out[twin] = (per[model], {k: v for k, v in per.items() if k != model})
    return out


def _gate(trained, new: str, old: str) -> tuple[list, bool]:
    """The registry's comparisons of ``new`` (and its twin) with ``old`` as the active one."""
    diffs = []
    for subject in (new, f"{new} twin"):
        mine, baselines = trained[subject]
        diffs += [dataclasses.replace(d, subject=subject.replace("twin", "retrained with another seed"))
                  for d in compare(mine, active=trained[old][0], active_name=old, baselines=baselines, n_boot=500)]  # fmt: skip
    spread = seed_spread(*[(point_value(trained[v][0]["hr@10"]), point_value(trained[f"{v} twin"][0]["hr@10"]))
                           for v in (new, old)])  # fmt: skip
    return diffs, decide(diffs, invariants_passed=True, spread=spread).promote


def test_two_seeds_on_the_same_data_are_not_promoted_over_each_other(trained):
    for new, old in (("b", "a"), ("a", "b")):
        diffs, promoted = _gate(trained, new, old)
        gains = [d for d in diffs if d.metric == "hr@10" and d.role == "active"]
        assert len(gains) == 2, gains  # the version and its seed twin, each against the other's
        assert not promoted, gains


def test_five_times_the_data_is_a_real_gain(trained):
    for old in ("a", "b"):
        diffs, _ = _gate(trained, "big", old)
        gains = [d for d in diffs if d.metric == "hr@10" and d.role == "active"]
        assert len(gains) == 2 and all(d.low > 0 for d in gains), gains
