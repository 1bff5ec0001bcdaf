"""Comparing two recommenders honestly: paired bootstrap intervals, and the promotion
decision that reads them.

Why a bootstrap, and why paired. A difference of +0.003 HR@10 on a few hundred
held-out learners is well inside what a different draw of learners gives. The
interval says how far the difference could move: the held-out *learners* are
resampled with replacement (a learner's predictions are not independent of each
other, so events are never resampled one by one), and each resample scores *both*
systems on the same learners, so what the two share (an easy learner, a hard one)
cancels out of the difference. The interval is the 2.5th and 97.5th percentiles of the
resampled differences (the percentile bootstrap).

Every metric here is expressed as a function of per-unit weights, so one resample is a
vector of multiplicities (how many times each learner was drawn) applied to both
systems:

* ``RatioMetric``: ``sum(w * numerator) / sum(w * denominator)`` per unit: HR@10
  (hits over targets, pooled over events as ``metrics.hit_rate`` does), and a mean of
  per-learner values (completion, mastery per hour; a learner without a value, NaN,
  counts in neither sum);
* ``AucMetric``: ROC-AUC over observations that belong to units, each observation
  weighted by its unit's multiplicity (ties counted half, as ``metrics.roc_auc``).

The learner bootstrap sees which learners happened to be held out, not which seed the
training happened to draw; two tiny models trained on the same data with different
seeds can differ "significantly" by it alone. So the registry also trains a seed twin
of each new version and holds both to the same rules (a ``Difference`` carries its
``subject``).

``decide`` turns the intervals into promote / keep, and ``describe`` says why in plain
words. The thresholds are the constants below (documented in docs/recommender.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

PRIMARY = "hr@10"  # the metric a new version must improve, vs the active version and the best baseline
# How much worse than its comparator any other metric may be: the lower bound of the
# difference (new - other) must stay above -TOLERANCE[metric], in the metric's own units.
# Each is above the interval's half-width measured at the default sizes (docs/recommender.md:
# two seeds of one model, 400 simulated learners: completion +-0.034, mastery per hour
# +0.0004 [+0.0001, +0.0006] on a base of 0.0072), so two equal systems pass and a real
# regression (about 14% of the mastery per hour, 4 points of completion) does not.
TOLERANCE = {"hr@10": 0.0, "auc": 0.01, "completion": 0.04, "mastery_per_hour": 0.001}
LEVEL = 0.95  # two-sided level of every interval
N_BOOT = 1000  # resamples per comparison
LABELS = {"hr@10": "HR@10", "auc": "AUC", "completion": "simulated completion",
          "mastery_per_hour": "simulated mastery per hour"}  # fmt: skip


class Metric(Protocol):
    """A metric that can be recomputed under per-unit resampling weights."""

    units: np.ndarray  # (U,) sorted unit ids (learner ids)

    def value(self, weights: np.ndarray) -> np.ndarray:
        """(B, U) weights aligned with ``units`` -> (B,) metric values."""
        ...


@dataclass
class RatioMetric:
    """``sum(w * numerator) / sum(w * denominator)`` over units; NaN numerators (a
    learner with no value) count in neither sum."""

    units: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray

    def __post_init__(self) -> None:
        self.units = np.asarray(self.units, np.int64)
        num = np.asarray(self.numerator, np.float64)
        den = np.asarray(self.denominator, np.float64)
        if not (len(self.units) == len(num) == len(den)):
            raise ValueError("units, numerator and denominator must have the same length")
        if len(np.unique(self.units)) != len(self.units):
            raise ValueError("each unit must appear once")
        missing = np.isnan(num)
        self.numerator, self.denominator = np.where(missing, 0.0, num), np.where(missing, 0.0, den)
        order = np.argsort(self.units)
        self.units, self.numerator, self.denominator = (
            self.units[order],
            self.numerator[order],
            self.denominator[order],
        )

    @classmethod
    def mean(cls, units, values) -> RatioMetric:
        """The mean of one value per unit (NaN: no value)."""
        values = np.asarray(values, np.float64)
        return cls(units, values, np.ones_like(values))

    def value(self, weights: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (weights @ self.numerator) / (weights @ self.denominator)


AUC_BINS = 1000  # at most this many score groups per AUC (exact when there are fewer distinct scores)


@dataclass
class AucMetric:
    """ROC-AUC of scores ``p`` for labels ``y``; observation i belongs to unit
    ``unit[i]`` and weighs as much as that unit was drawn.

    Kept as per-unit counts of positives and negatives in each score group (U, G), so a
    resample costs two (B, U) x (U, G) products, whatever the number of observations.
    With more than ``AUC_BINS`` distinct scores, the groups are quantile bins of the
    scores: pairs within a bin count half, which moves the AUC by at most
    ``1 / (2 * AUC_BINS)`` (0.0005), far below any tolerance; otherwise it is exact."""

    unit: np.ndarray  # (N,) unit id per observation
    y: np.ndarray  # (N,) 0/1
    p: np.ndarray  # (N,) scores
    units: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        unit = np.asarray(self.unit, np.int64)
        y = np.asarray(self.y).astype(bool)
        p = np.asarray(self.p, np.float64)
        if not (len(unit) == len(y) == len(p)):
            raise ValueError("unit, y and p must have the same length")
        self.units, col = np.unique(unit, return_inverse=True)
        distinct, group = np.unique(p, return_inverse=True)
        if len(distinct) > AUC_BINS:
            edges = np.quantile(p, np.linspace(0, 1, AUC_BINS + 1)[1:-1])
            distinct, group = np.unique(np.searchsorted(edges, p, side="right"), return_inverse=True)
        n_groups = max(len(distinct), 1)
        self._pos = np.zeros((len(self.units), n_groups))  # (U, G) positives per unit and score group
        self._neg = np.zeros((len(self.units), n_groups))
        np.add.at(self._pos, (col[y], group[y]), 1.0)
        np.add.at(self._neg, (col[~y], group[~y]), 1.0)
        self.unit, self.y, self.p = unit, y, p

    def value(self, weights: np.ndarray) -> np.ndarray:
        if not len(self.p):
            return np.full(len(weights), np.nan)
        pos, neg = weights @ self._pos, weights @ self._neg  # (B, G)
        below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower
        with np.errstate(invalid="ignore", divide="ignore"):
            return (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))


@dataclass(frozen=True)
class Difference:
    """``new - other`` on one metric: the point estimate on all units, and its paired
    bootstrap interval."""

    metric: str
    against: str  # who the new version is compared with: "v3", "markov", "syllabus"
    role: str  # "active" or "baseline"
    new: float
    other: float
    diff: float
    low: float
    high: float
    n_units: int
    subject: str = ""  # what is compared (the new version, or its seed twin); "" = the new version

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Difference:
        return cls(**{k: (float("nan") if v is None and k not in ("metric", "against", "role", "subject") else v)
                      for k, v in d.items()})  # fmt: skip


def multiplicities(n_units: int, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """(n_boot, n_units) how many times each unit is drawn in each resample."""
    if n_units < 1:
        raise ValueError("nothing to resample: no units")
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(np.float64)


def paired_difference(
    new: Metric, other: Metric, *, metric: str, against: str, role: str, n_boot: int = N_BOOT,
    seed: int = 0, level: float = LEVEL,
) -> Difference:  # fmt: skip
    """The paired bootstrap interval of ``new - other``: both metrics are recomputed on
    the same resamples of the union of their units (a unit one system did not score
    adds nothing to that system's value)."""
    units = np.union1d(new.units, other.units)
    weights = multiplicities(len(units), n_boot, seed)
    a = new.value(_align(weights, units, new.units))
    b = other.value(_align(weights, units, other.units))
    full = np.ones((1, len(units)))
    point_a = float(new.value(_align(full, units, new.units))[0])
    point_b = float(other.value(_align(full, units, other.units))[0])
    d = a - b
    d = d[np.isfinite(d)]
    tail = (1.0 - level) / 2.0 * 100
    low, high = (float(x) for x in np.percentile(d, [tail, 100 - tail])) if len(d) else (math.nan, math.nan)
    return Difference(metric, against, role, point_a, point_b, point_a - point_b, low, high, len(units))


def _align(weights: np.ndarray, union: np.ndarray, units: np.ndarray) -> np.ndarray:
    return weights[:, np.searchsorted(union, units)]


# ---------------------------------------------------------------------------- decision
@dataclass(frozen=True)
class Check:
    """One rule of the decision, and whether it held."""

    ok: bool
    text: str


@dataclass(frozen=True)
class Decision:
    promote: bool
    summary: str  # one plain sentence: "Promoted: ..." or "Kept as a candidate: ..."
    checks: tuple[Check, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"promote": self.promote, "summary": self.summary,
                "checks": [{"ok": c.ok, "text": c.text} for c in self.checks]}  # fmt: skip


def fmt(d: Difference) -> str:
    """``+0.012 [+0.004, +0.020]``"""

    def s(x: float) -> str:
        return "n/a" if not math.isfinite(x) else f"{x:+.3f}".replace("-", "−")

    return f"{s(d.diff)} [{s(d.low)}, {s(d.high)}]"


def describe(d: Difference) -> str:
    """``HR@10 +0.012 [+0.004, +0.020] over v3`` (prefixed by the subject when it is the
    seed twin: ``v4 retrained with another seed: HR@10 ...``)."""
    prefix = f"{d.subject}: " if _twin(d) else ""
    return f"{prefix}{LABELS.get(d.metric, d.metric)} {fmt(d)} over {d.against}"


def _twin(d: Difference) -> bool:
    return "seed" in d.subject


def seed_spread(*pairs: tuple[float, float]) -> float:
    """How far two training seeds of one version land apart on a metric (the largest gap
    among the ``(seed, seed twin)`` value pairs given; pairs with a missing value are
    skipped). The learner bootstrap does not see this noise: a gain over the active
    version must clear it too."""
    gaps = [abs(a - b) for a, b in pairs if a is not None and b is not None and math.isfinite(a - b)]
    return max(gaps, default=0.0)


def decide(
    differences: Sequence[Difference], *, invariants_passed: bool | None, invariants_summary: str = "",
    primary: str = PRIMARY, tolerance: dict[str, float] | None = None, spread: float = 0.0,
) -> Decision:  # fmt: skip
    """Promote only when, all at once:

    1. the primary metric's lower bound is above 0 against the best baseline, and above
       ``spread`` (the seed spread, ``seed_spread``: what another training seed alone
       moves the metric) against the active version, when there is one;
    2. no other difference's lower bound is below ``-tolerance[metric]`` (a metric
       without a tolerance may not be worse at all: tolerance 0);
    3. the invariant suite passed on the new version's policy (None: it could not run,
       which blocks the promotion too).

    A missing primary comparison, or one whose interval is undefined, blocks it as well:
    no evidence is not evidence of a gain."""
    tolerance = TOLERANCE if tolerance is None else tolerance
    checks: list[Check] = []
    gains = [d for d in differences if d.metric == primary]
    if not any(d.role == "baseline" for d in gains):
        checks.append(Check(False, f"no {LABELS.get(primary, primary)} comparison with a baseline"))
    for d in gains:
        bar = spread if d.role == "active" else 0.0
        ok = math.isfinite(d.low) and d.low > bar
        who = f"{d.subject}: " if _twin(d) else ""
        noise = f"; a training seed alone moves it by {bar:.3f}" if bar > 0 else ""
        checks.append(Check(ok, describe(d) if ok else
                            f"{who}the gain in {LABELS.get(primary, primary)} over {d.against} could be noise ({fmt(d)}{noise})"))  # fmt: skip
    for d in differences:
        if d.metric == primary:
            continue
        tol = tolerance.get(d.metric, 0.0)
        ok = math.isfinite(d.low) and d.low > -tol
        who = f"{d.subject}: " if _twin(d) else ""
        text = describe(d) if ok else (
            f"{who}{LABELS.get(d.metric, d.metric)} may be worse than {d.against} by more than {tol:g} ({fmt(d)})")  # fmt: skip
        checks.append(Check(ok, text))
    if invariants_passed is None:
        checks.append(Check(False, f"the pedagogy invariants could not be checked{': ' + invariants_summary if invariants_summary else ''}"))  # fmt: skip
    else:
        checks.append(Check(bool(invariants_passed), ("pedagogy invariants pass" if invariants_passed else
                            "the pedagogy invariants fail") + (f" ({invariants_summary})" if invariants_summary else "")))  # fmt: skip
    promote = all(c.ok for c in checks)
    if promote:
        shown = [describe(d) for d in gains if not _twin(d)]
        summary = "Promoted: " + "; ".join(
            [*shown, "nothing worse beyond its tolerance", "pedagogy invariants pass"]
        )
    else:
        summary = "Kept as a candidate: " + "; ".join(c.text for c in checks if not c.ok)
    return Decision(promote, summary, tuple(checks))


# ---------------------------------------------------------------------------- building the comparisons
@dataclass
class GateConfig:
    """How much evidence the gate gathers (the registry stores it with each version)."""

    n_boot: int = N_BOOT  # bootstrap resamples per comparison
    seed: int = 0  # of the resamples (the same draws for every comparison: reproducible)
    sim_learners: int = 300  # simulated learners per seed, for completion and mastery per hour
    sim_days: int = 56
    sim_seeds: tuple[int, ...] = (101, 102)  # the same seeds for every policy: paired outcomes
    compliance: float = 0.7  # share of the time a simulated learner follows the recommendation
    invariant_learners: int = 60  # the fresh simulated cohort the invariant suite runs on
    reseed: bool = True  # also train the same run with the next seed; both must show the gain
    tolerance: dict[str, float] = field(default_factory=lambda: dict(TOLERANCE))  # see TOLERANCE

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GateConfig:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in d.items() if k in known}
        if "sim_seeds" in values:
            values["sim_seeds"] = tuple(values["sim_seeds"])
        return cls(**values)


def point_value(metric: Metric) -> float:
    return float(metric.value(np.ones((1, len(metric.units))))[0])


def compare(
    new: dict[str, Metric],
    *,
    active: dict[str, Metric] | None,
    active_name: str,
    baselines: dict[str, dict[str, Metric]],
    n_boot: int = N_BOOT,
    seed: int = 0,
    rank_by: str | None = None,
) -> list[Difference]:
    """For each metric of ``new``: the paired difference against the active version
    (when given) and against the best baseline on that metric (the highest point value;
    a baseline that does not produce the metric, such as syllabus order for AUC, is not
    a rival on it).

    ``rank_by`` names one metric that picks a single best baseline for every metric:
    for policies in simulation, the best baseline *policy* is the one with the best
    completion, and mastery per hour is compared with that same policy (the best value of
    each metric taken from different policies is a frontier no single policy reaches: one
    that skips content gains mastery per hour by completing less)."""
    out = []
    leader = None
    if rank_by is not None:
        ranked = {name: point_value(m[rank_by]) for name, m in baselines.items() if rank_by in m}
        ranked = {name: v for name, v in ranked.items() if math.isfinite(v)}
        leader = max(ranked, key=ranked.get) if ranked else None
    for metric, mine in new.items():
        if active is not None and metric in active:
            out.append(paired_difference(mine, active[metric], metric=metric, against=active_name, role="active",
                                         n_boot=n_boot, seed=seed))  # fmt: skip
        rivals = {name: m[metric] for name, m in baselines.items() if metric in m}
        rivals = {name: m for name, m in rivals.items() if math.isfinite(point_value(m))}
        if leader is not None:
            rivals = {name: m for name, m in rivals.items() if name == leader}
        if rivals:
            best = max(rivals, key=lambda name: point_value(rivals[name]))
            out.append(paired_difference(mine, rivals[best], metric=metric, against=best, role="baseline",
                                         n_boot=n_boot, seed=seed))  # fmt: skip
    return out


def simulated_outcomes(curriculum, policy, *, config: GateConfig, start) -> dict[str, RatioMetric]:
    """Completion (of the curriculum's first course) and mastery gained per study hour,
    per simulated learner, for learners following ``policy`` (None: on their own) with
    ``config.compliance``. A learner is ``seed * 1_000_000 + index``: the same learners
    (same seeds, common random numbers) under every policy, so the outcomes pair up."""
    from recommender.simulate import simulate_cohort

    course = curriculum.courses[0]
    units, completion, per_hour = [], [], []
    for seed in config.sim_seeds:
        for run in simulate_cohort(curriculum, learners=config.sim_learners, days=config.sim_days, seed=seed,
                                   start=start, policy=policy, compliance=config.compliance):  # fmt: skip
            units.append(seed * 1_000_000 + run.index)
            completion.append(1.0 if course in run.completed else 0.0)
            hours = run.study_minutes / 60
            per_hour.append((run.mastery - run.start_mastery) / hours if hours > 0 else math.nan)
    return {
        "completion": RatioMetric.mean(units, completion),
        "mastery_per_hour": RatioMetric.mean(units, per_hour),
    }


# ---------------------------------------------------------------------------- reading a stored gate
def gate_rows(gate: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A stored gate (the registry's ``metrics["gate"]``) as rows for a page or a
    terminal: who is compared (``subject``), the metric, against whom, both values, the
    difference with its interval (``interval``: ``+0.012 [+0.004, +0.020]``), the rule
    applied and whether it held. Empty for a version trained before the gate existed."""
    rows = []
    for raw in (gate or {}).get("differences", []):
        d = Difference.from_dict(raw)
        tol = (gate.get("tolerance") or TOLERANCE).get(d.metric, 0.0)
        primary = d.metric == PRIMARY
        ok = math.isfinite(d.low) and (d.low > 0 if primary else d.low > -tol)
        rows.append({
            "subject": d.subject, "metric": LABELS.get(d.metric, d.metric), "against": d.against, "role": d.role,
            "new": d.new, "other": d.other, "interval": fmt(d), "ok": ok,
            "rule": "lower bound above 0" if primary else f"lower bound above −{tol:g}",
        })  # fmt: skip
    return rows


MODEL_ROW_PREFIX = "model"  # evaluate() names the trained model's row "model (<arch>)"


def model_row(scores: dict[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """The trained model's row of one task's scores (``{scorer name: metrics}``, as
    ``report["results"][task]``): ``(name, metrics)``, or ``(None, {})`` when the report has
    no model row. The other rows are the baselines."""
    for name, row in (scores or {}).items():
        if name.startswith(MODEL_ROW_PREFIX) and isinstance(row, dict):
            return name, row
    return None, {}
