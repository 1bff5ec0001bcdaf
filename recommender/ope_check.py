"""Checking the off-policy estimators where the truth is known: a simulated cohort is
logged under an exploring syllabus-order policy, each probe policy is estimated from
that log (``recommender.ope``), and the same cohort is simulated following it for the
truth (``python -m recommender ope-check``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recommender.ope import (
    BOOTSTRAP,
    ESTIMATORS,
    EXPLORATION,
    REWARDS,
    candidate_steps,
    estimate,
    logged_decisions,
)


class _Ahead:
    """Probe policies for the validation: a choice among the syllabus's next ``k`` open
    steps (what an exploring syllabus-order logging policy can put on top)."""

    k = 3

    def __init__(self, name: str, pick: Callable[[list], Any]):
        self.name, self.pick = name, pick

    def choose(self, view) -> str | None:
        ahead = []
        for item in view.curriculum.items:
            row = view.progress.get(item.slug)
            if row is None or row.completed is None:
                ahead.append(item)
                if len(ahead) == self.k:
                    break
        return self.pick(ahead).slug if ahead else None


def probe_policies() -> dict[str, Any]:
    """Target policies the validation estimates: syllabus order, the shortest of the next
    three steps, graded work (quiz or lab) first among them, and the second step."""
    from recommender.simulate.simulated_policies import Syllabus

    return {
        "syllabus": Syllabus(),
        "shortest-next": _Ahead("shortest-next", lambda items: min(items, key=lambda i: i.minutes)),
        "graded-next": _Ahead("graded-next", lambda items: next((i for i in items if i.graded), items[0])),
        "skip-one": _Ahead("skip-one", lambda items: items[min(1, len(items) - 1)]),
    }


def validate_in_simulation(
    curriculum,
    *,
    learners: int,
    days: int,
    seed: int,
    start,
    compliance: float = 0.7,
    exploration: float = EXPLORATION,
    targets: dict[str, Any] | None = None,
    bootstrap: int = BOOTSTRAP,
    truth_factor: int = 4,
) -> list[dict]:
    """Log a cohort under an exploring syllabus-order policy, estimate each target from
    that log, then simulate the cohort (the same seed: the same learners, common random
    numbers) following each target for the truth, with ``truth_factor`` times the
    learners (the logged ones and more) so that the truth's own sampling noise is small
    next to the estimate's. Returns, per target and reward, the truth and each
    estimator's estimate with whether its interval covers the truth."""
    from recommender.simulate.cohort import simulate_cohort
    from recommender.simulate.records import Shows, events_frame
    from recommender.simulate.simulated_policies import Syllabus

    targets = targets or probe_policies()

    def run(policy, share, n):
        runs = simulate_cohort(curriculum, learners=n, days=days, seed=seed, start=start, policy=policy,
                               compliance=compliance, shows=Shows(exploration=share))  # fmt: skip
        return logged_decisions(events_frame(list(runs)), passing_grade=curriculum.passing_grade)

    log = run(Syllabus(), exploration, learners)
    out = []
    for name, policy in targets.items():
        found = estimate(
            log, candidate_steps(log, policy, curriculum), name=name, bootstrap=bootstrap, seed=seed
        )
        truth = run(policy, 0.0, learners * truth_factor).decisions
        for reward in REWARDS:
            value = float(truth[reward].mean())
            row = {"policy": name, "reward": reward, "truth": value, "support": found.support}
            for e, est in found.estimates[reward].items():
                row[e] = est
                row[f"{e}_covers"] = est.low <= value <= est.high
            out.append(row)
    return out


def validation_table(rows: list[dict]) -> str:
    lines = ["| policy | reward | truth (on-policy) | IPS | SNIPS | DR | support |", "|---" * 7 + "|"]
    for r in rows:
        cells = [f"{r[e]}{'' if r[f'{e}_covers'] else ' ✗'}" for e in ESTIMATORS]
        lines.append(f"| {r['policy']} | {r['reward']} | {r['truth']:.3f} | " + " | ".join(cells)
                     + f" | {r['support']:.0%} |")  # fmt: skip
    return "\n".join(lines)
