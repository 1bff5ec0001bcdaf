"""python -m recommender.simulate evaluate-policy | calibrate

evaluate-policy: simulated learners follow each policy (syllabus order, most-popular
next step, the trained model's policy when --model is given, and learners on their
own) and the outcomes are compared with 95% intervals; writes a table (Markdown, JSON)
and a plot (PNG).
calibrate: one cohort's aggregate statistics next to published MOOC ranges.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from tqdm import tqdm

from .calibration import cohort_stats, stats_table
from .cohort import simulate_cohort
from .curriculum import Curriculum
from .evaluate import evaluate_policies, write_report
from .simulated_policies import MostPopular, Syllabus

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a Monday; only weekdays matter


def _curriculum(args) -> Curriculum:
    try:
        return Curriculum.load(Path(args.content), None if args.course == ["all"] else args.course)
    except (ValueError, FileNotFoundError) as exc:
        sys.exit(f"error: {exc}")


def evaluate_policy(args) -> None:
    curriculum = _curriculum(args)
    seeds = list(range(args.seed, args.seed + args.seeds))
    began = time.monotonic()

    def popular():
        reference = simulate_cohort(curriculum, learners=args.learners, days=args.days, seed=10_000 + args.seed,
                                    start=START)  # fmt: skip
        return MostPopular(reference)

    policies = {"self-directed": lambda: None, "syllabus": Syllabus, "most-popular": popular}
    if args.model:
        from .simulated_policies import model_policy

        policies["model"] = lambda: model_policy(Path(args.model), curriculum)
    total = len(policies) * len(seeds)
    with tqdm(total=total, unit="run", desc="policy x seed") as bar:
        result = evaluate_policies(
            curriculum, policies, seeds=seeds, learners=args.learners, days=args.days,
            compliance=args.compliance, start=START, progress=lambda name, seed: bar.update(1),
        )  # fmt: skip
    setup = (
        f"{args.learners} simulated learners x {len(seeds)} seeds (common random numbers) over {args.days} days of "
        f"{', '.join(curriculum.courses)}; learners follow the recommendation with probability "
        f"{args.compliance} and otherwise choose for themselves; {time.monotonic() - began:.0f} s."
    )
    for path in write_report(result, Path(args.out), setup=setup):
        print(f"wrote {path}")
    print((Path(args.out) / "policy-evaluation.md").read_text())


def calibrate(args) -> None:
    curriculum = _curriculum(args)
    runs = list(tqdm(simulate_cohort(curriculum, learners=args.learners, days=args.days, seed=args.seed,
                                     start=START), total=args.learners, unit="learner"))  # fmt: skip
    print(stats_table(cohort_stats(runs, curriculum)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recommender.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    for name, defaults in (("evaluate-policy", (200, 56)), ("calibrate", (1000, 112))):
        p = sub.add_parser(name)
        p.add_argument("--content", default="course_content", help="the curriculum folder")
        p.add_argument("--course", action="append", default=None, help="course slug(s), or 'all' (default)")
        p.add_argument("--learners", type=int, default=defaults[0])
        p.add_argument("--days", type=int, default=defaults[1])
        p.add_argument("--seed", type=int, default=1)
        if name == "evaluate-policy":
            p.add_argument("--seeds", type=int, default=5, help="number of seeds (cohorts) per policy")
            p.add_argument("--compliance", type=float, default=0.7)
            p.add_argument("--model", help="a trained recommender (directory) for the model-based policy")
            p.add_argument("--out", default="var/policy-evaluation")
    args = parser.parse_args(argv)
    args.course = args.course or ["all"]
    {"evaluate-policy": evaluate_policy, "calibrate": calibrate}[args.command](args)


if __name__ == "__main__":
    main()
