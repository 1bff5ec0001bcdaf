"""Policy evaluation in simulation: the same simulated learners (same seeds: common
random numbers, so differences come from the policy, not the draw) follow each policy's
recommendation with a given compliance and otherwise act on their own. Reported per
policy: completion, mastery reached, mastery per study hour, hours to certificate and
dropout, as means over seeds with 95% intervals, in a table and a plot."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recommender.simulate.records import Policy

from .cohort import simulate_cohort
from .curriculum import Curriculum
from .learner import LearnerParams
from .simulated_policies import checked

METRICS = {
    "completion": "share of learners who passed every graded item",
    "mastery": "mean mastery (p) of the course's concepts at the end",
    "mastery_per_hour": "mastery gained per hour of study",
    "hours_to_certificate": "median study hours of verified learners to their certificate",
    "dropout": "share of learners who dropped out",
}
HIGHER_IS_BETTER = {"completion": True, "mastery": True, "mastery_per_hour": True,
                    "hours_to_certificate": False, "dropout": False}  # fmt: skip
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


@dataclass
class Summary:
    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def run_metrics(runs, curriculum: Curriculum) -> dict[str, float]:
    course = curriculum.courses[0]
    hours = [r.minutes_to_complete(course, curriculum) / 60 for r in runs if course in r.certificates]
    studied = [r for r in runs if r.study_minutes > 0]
    return {
        "completion": sum(course in r.completed for r in runs) / len(runs),
        "mastery": statistics.fmean(r.mastery for r in runs),
        "mastery_per_hour": (
            statistics.fmean((r.mastery - r.start_mastery) / (r.study_minutes / 60) for r in studied)
            if studied
            else float("nan")
        ),  # fmt: skip
        "hours_to_certificate": statistics.median(hours) if hours else float("nan"),
        "dropout": sum(r.dropped_day is not None for r in runs) / len(runs),
    }


def interval(values: list[float]) -> Summary:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return Summary(float("nan"), float("nan"), float("nan"), 0)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return Summary(mean, float("nan"), float("nan"), 1)
    df = len(values) - 1
    t = _T975.get(df) or next((v for k, v in sorted(_T975.items()) if k >= df), 1.96)
    half = t * statistics.stdev(values) / math.sqrt(len(values))
    return Summary(mean, mean - half, mean + half, len(values))


def evaluate_policies(
    curriculum: Curriculum,
    policies: dict[str, Callable[[], Policy | None]],
    *,
    seeds: list[int],
    learners: int,
    days: int,
    compliance: float,
    start: dt.datetime,
    params: LearnerParams | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict:
    """``policies`` maps a name to a factory (None: learners choose alone); every policy's
    output goes through the pedagogy checker (``recommender.pedagogy``), as on the
    platform. Returns
    {"per_seed": {policy: [metrics per seed]}, "summary": {policy: {metric: Summary}},
    "replaced": {policy: {invariant rule: steps the checker replaced}}}."""
    per_seed: dict[str, list[dict]] = {}
    replaced: dict[str, dict[str, int]] = {}
    for name, factory in policies.items():
        policy = checked(factory())  # what learners get: through the pedagogy checker
        per_seed[name] = []
        for seed in seeds:
            runs = list(simulate_cohort(curriculum, learners=learners, days=days, seed=seed, start=start,
                                        params=params, policy=policy, compliance=compliance))  # fmt: skip
            per_seed[name].append(run_metrics(runs, curriculum))
            if progress:
                progress(name, seed)
        if policy is not None:
            replaced[name] = dict(policy.replaced or {})
    summary = {
        name: {metric: interval([row[metric] for row in rows]) for metric in METRICS}
        for name, rows in per_seed.items()
    }
    return {"per_seed": per_seed, "summary": summary, "replaced": replaced}


def separated(summary: dict, metric: str, better: str, worse: str) -> bool:
    """True when ``better`` beats ``worse`` on ``metric`` with non-overlapping 95% intervals."""
    a, b = summary[better][metric], summary[worse][metric]
    return a.low > b.high if HIGHER_IS_BETTER[metric] else a.high < b.low


def table(result: dict, *, setup: str = "") -> str:
    lines = [setup, ""] if setup else []
    lines += ["| policy | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for name, metrics in result["summary"].items():
        cells = []
        for metric in METRICS:
            s = metrics[metric]
            cells.append("n/a" if math.isnan(s.mean) else f"{s.mean:.3f} [{s.low:.3f}, {s.high:.3f}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Means over seeds with 95% intervals (t distribution). " + "; ".join(
        f"{k}: {v}" for k, v in METRICS.items()) + "."]  # fmt: skip
    replaced = [
        f"{name}: " + ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items()))
        for name, counts in result.get("replaced", {}).items()
        if counts
    ]
    lines += ["", "Every policy's steps went through the pedagogy checker (recommender.pedagogy); "
              + (f"steps it replaced: {'; '.join(replaced)}." if replaced else "it replaced none.")]  # fmt: skip
    return "\n".join(lines)


def write_report(result: dict, out: Path, *, setup: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "setup": setup,
        "per_seed": result["per_seed"],
        "summary": {p: {m: s.as_dict() for m, s in ms.items()} for p, ms in result["summary"].items()},
        "replaced": result.get("replaced", {}),  # steps the pedagogy checker replaced, per policy and rule
    }
    (out / "policy-evaluation.json").write_text(json.dumps(data, indent=2, default=float))
    (out / "policy-evaluation.md").write_text(table(result, setup=setup) + "\n")
    png = out / "policy-evaluation.png"
    plot(result, png)
    return [out / "policy-evaluation.json", out / "policy-evaluation.md", png]


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["summary"])
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.4))
    for ax, metric in zip(axes, METRICS, strict=True):
        means = [result["summary"][n][metric].mean for n in names]
        errors = [
            0.0 if math.isnan(result["summary"][n][metric].high) else result["summary"][n][metric].high - m
            for n, m in zip(names, means, strict=True)
        ]
        ax.bar(range(len(names)), [0 if math.isnan(m) else m for m in means], yerr=errors, capsize=4,
               color=["#9aa5b1", "#d9a400", "#2f6f4e", "#2563eb"][: len(names)])  # fmt: skip
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_title(metric.replace("_", " ") + (" ↑" if HIGHER_IS_BETTER[metric] else " ↓"), fontsize=9)
    fig.suptitle("Policies in simulation (means, 95% intervals over seeds)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
