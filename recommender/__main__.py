"""Command line for analysts: ``python -m recommender {train,evaluate,predict,ope,ope-check,benchmark}``.

python -m recommender train --events X.parquet --out DIR [--preset clickstream|kt] [--seed 0]
    [--holdout-frac 0.2 | --holdout-file ids.txt] [--valid-frac 0.1 | --valid-file ids.txt]
    [--epochs N] [--patience 3] [--early-stop-metric loss|kt_auc|next_hr10] [--resume]
torchrun --nproc_per_node=2 -m recommender train ...      (DDP, gloo on CPU)
python -m recommender evaluate --events X.parquet --model DIR --out REPORT_DIR [--syllabus S.json]
    [--holdout-file ids.txt] [--metrics next,correctness,risk]
python -m recommender predict --model DIR --events history.parquet [--learner ID] [--question KEY ...]
(speed: python -m benchmarks.recommender_model --model DIR --events X.parquet, from the repository root)
python -m recommender ope --events X.parquet [--policy logging|syllabus|model:DIR ...] [--limit N]
python -m recommender ope-check [--learners 150] [--days 56] [--seed 1]
python -m recommender benchmark --task dropout --data DIR --layout kddcup2015|oulad [--holdout-frac 0.2]

A learner id (--holdout-file, --valid-file, --learner) is the data set's own id (the
events' ``learner_key``, e.g. ``u6256``) or a database ``learner_id``
(``recommender.splits.resolve_learner_ids``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from recommender.artifact import ArtifactError


def _train_parser(sub: argparse._SubParsersAction) -> None:
    from recommender.train import EARLY_STOP_METRICS, PRESETS, TrainConfig

    p = sub.add_parser("train", help="train a model version into --out")
    p.add_argument("--events", required=True, help="events (.parquet or .csv, canonical export schema)")
    p.add_argument("--out", required=True, help="model directory to write (checkpoints in DIR/checkpoints)")
    p.add_argument("--preset", choices=list(PRESETS), default="clickstream",
                   help="named settings (recommender.train.PRESETS); explicit flags override them")  # fmt: skip
    # Every TrainConfig setting is a flag; None means "not given", so that the preset's value stands.
    split = p.add_mutually_exclusive_group()
    split.add_argument("--holdout-frac", type=float, help=f"default {TrainConfig.holdout_frac}")
    split.add_argument("--holdout-file", help="held-out learners, one a line: learner_key or learner_id")
    valid = p.add_mutually_exclusive_group()
    valid.add_argument("--valid-frac", type=float, help=f"share of the training learners validated on "
                       f"(default {TrainConfig.valid_frac}; 0: no validation, no early stopping)")  # fmt: skip
    valid.add_argument("--valid-file", help="validation learners, one a line: learner_key or learner_id")
    p.add_argument("--early-stop-metric", choices=list(EARLY_STOP_METRICS),
                   help=f"default {TrainConfig.early_stop_metric} (the kt preset: kt_auc)")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue from DIR/checkpoints/last.pt")
    p.add_argument("--code-version", help="recorded in the artifact (default: the library version)")
    p.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bars (epoch summaries still print)"
    )
    skip = {"holdout_frac", "holdout_file", "valid_frac", "valid_file", "early_stop_metric", "preset"}
    for f in fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = type(f.default) if f.default is not None else str
        p.add_argument(flag, type=kind, help=f"default {f.default}")


def train_config(args: argparse.Namespace):
    """The TrainConfig of the command line: the defaults, then ``--preset``, then the flags given."""
    from recommender.train import TrainConfig

    names = {f.name for f in fields(TrainConfig)} - {"preset"}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return TrainConfig.from_preset(args.preset, **given)


def _cmd_train(args: argparse.Namespace) -> int:
    from recommender.train import train

    cfg = train_config(args)
    result = train(
        args.events,
        args.out,
        cfg,
        resume=args.resume,
        code_version=args.code_version,
        progress=not args.no_progress,
        device=args.device,
    )
    if result.rank == 0:
        kept = next((h for h in result.history if h["epoch"] == result.best_epoch), {})
        print(f"model written to {result.out_dir} (preset {cfg.preset}; {result.stop_reason}; "
              f"kept epoch: {json.dumps(kept)})")  # fmt: skip
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from recommender.evaluate import evaluate

    report = evaluate(
        args.events,
        args.model,
        args.out,
        syllabus=args.syllabus,
        holdout_file=args.holdout_file,
        progress=not args.no_progress,
        record_metrics=args.record_metrics,
        metrics=args.metrics,
    )
    print((Path(args.out) / "report.md").read_text())
    print(f"report: {args.out}/report.json, report.md, reliability.png, metrics.png")
    return 0 if report["results"] else 1


def _cmd_predict(args: argparse.Namespace) -> int:
    from recommender.artifact import Recommender
    from recommender.event_frame import load_events

    rec = Recommender.load(args.model)
    ev = load_events(args.events)
    ids = sorted(ev["learner_id"].unique().tolist())
    if args.learner is not None:
        learner = _one_learner(args.learner, ev)
        ev = ev[ev["learner_id"] == learner] if learner is not None else ev.iloc[:0]
        if len(ev) == 0:
            print(f"no events for learner {args.learner}; predicting from an empty history", file=sys.stderr)
    elif len(ids) > 1:
        print(f"the file holds {len(ids)} learners: pick one with --learner (e.g. {ids[0]})", file=sys.stderr)
        return 2
    pred = rec.predict(ev, top_k=args.top_k)
    questions = list(args.question or [])
    if not questions:  # the questions of the recommended quizzes the model knows
        top = {slug for slug, _ in pred.next_activities[:3]}
        questions = [q for q in rec.vocabs.questions.itos[2:] if q.split("/", 1)[0] in top][:10]
    correctness = pred.correctness_many(questions)
    if args.json:
        print(
            json.dumps(
                {
                    "next_activities": [{"activity": a, "probability": p} for a, p in pred.next_activities],
                    "risk": pred.risk,
                    "horizon_days": rec.horizon_days,
                    "correctness": correctness,
                },
                indent=2,
            )
        )
        return 0
    who = (
        f"learner {args.learner}"
        if args.learner is not None
        else (f"learner {ids[0]}" if ids else "empty history")
    )
    print(f"{who}: {len(ev)} events" + (f", last at {ev['time'].max().isoformat()}" if len(ev) else ""))
    print("Next activities:")
    for i, (slug, p) in enumerate(pred.next_activities, 1):
        print(f"  {i:2d}. {slug:<40} {p:.3f}")
    print(f"Disengagement risk (no event within {rec.horizon_days:g} days of the last one): {pred.risk:.3f}")
    if correctness:
        print("Correctness if asked next:")
        for key, p in correctness.items():
            print(f"  {key:<44} {p:.3f}")
    return 0


def _one_learner(text: str, ev) -> int | None:
    """``--learner``: a learner_key of the events or a learner_id (None: neither has events)."""
    import warnings

    from recommender.splits import resolve_learner_ids

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = resolve_learner_ids([text], ev, source="--learner")
        except ValueError as e:
            if "match no learner" not in str(e):
                raise
            found = []
    return found[0] if found else None


def _curriculum(args: argparse.Namespace):
    from recommender.simulate import Curriculum

    return Curriculum.load(Path(args.content), args.course or None)


def _cmd_ope(args: argparse.Namespace) -> int:
    from recommender import ope

    curriculum = _curriculum(args)
    log = ope.logged_decisions(args.events, passing_grade=curriculum.passing_grade)
    results = ope.evaluate_candidates(
        log, args.policy or ["logging", "syllabus"], curriculum, limit=args.limit, bootstrap=args.bootstrap
    )
    models = ", ".join(sorted(set(log.decisions["model"])))
    print(f"{len(log.decisions):,} showings with propensities logged by {models}"
          + (f" ({log.without_propensities:,} without, not used)" if log.without_propensities else "")
          + (f"; the first {args.limit:,} used" if args.limit else ""))  # fmt: skip
    print(ope.table(results))
    print(f"follow rate: the top step followed; progress: activities completed within {ope.HORIZON_DAYS} days; "
          "95% bootstrap intervals over learners; support: share of showings where the candidate's step "
          "could have been on top.")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=2))
    return 0


def _cmd_ope_check(args: argparse.Namespace) -> int:
    import datetime as dt
    import time

    from recommender import ope, ope_check

    began = time.monotonic()
    rows = ope_check.validate_in_simulation(
        _curriculum(args), learners=args.learners, days=args.days, seed=args.seed,
        start=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), compliance=args.compliance, exploration=args.exploration,
        truth_factor=args.truth_factor,
    )  # fmt: skip
    print(ope_check.validation_table(rows))
    covered = {e: sum(r[f"{e}_covers"] for r in rows) for e in ope.ESTIMATORS}
    print(f"intervals covering the truth: {covered} of {len(rows)} each; {time.monotonic() - began:.0f} s")
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    if args.task == "dropout":
        from recommender.benchmark import dropout as benchmark_dropout

        if args.layout not in benchmark_dropout.LAYOUTS:
            layouts = ", ".join(benchmark_dropout.LAYOUTS)
            raise ValueError(f"--task dropout reads {layouts}, not {args.layout!r}")
        return benchmark_dropout.main(args)
    from recommender.benchmark import kt

    args.layout = args.layout or "akt"
    if args.layout not in kt.LAYOUTS:
        raise ValueError(f"--task kt reads the {' or '.join(kt.LAYOUTS)} layout, not {args.layout!r}")
    return kt.main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)

    p = sub.add_parser("evaluate", help="score the model and the baselines on held-out learners")
    p.add_argument("--events", required=True)
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--syllabus", help="ordered activity slugs (.json list or .csv) for the syllabus baseline")
    p.add_argument(
        "--holdout-file", help="override the model's held-out learners (learner_key or learner_id)"
    )
    p.add_argument("--metrics", help="comma-separated among next, correctness, risk (default: the heads the model "
                   "was trained for); one without targets among the held-out learners is an error")  # fmt: skip
    p.add_argument(
        "--record-metrics", action="store_true", help="also store the metrics in the model's config"
    )
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("predict", help="rank next activities for one learner's history")
    p.add_argument("--model", required=True)
    p.add_argument("--events", required=True, help="the learner's events (.parquet or .csv)")
    p.add_argument("--learner", help="the learner (learner_key or learner_id) when the file holds several")
    p.add_argument("--question", action="append", help="question key activity/question (repeatable)")
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--json", action="store_true")

    for name in ("ope", "ope-check"):
        if name == "ope":
            p = sub.add_parser("ope", help="off-policy estimates of candidate policies from logged showings")
            p.add_argument(
                "--events", required=True, help="events (.parquet or .csv, as export_events writes)"
            )
            p.add_argument("--policy", action="append",
                           help="logging, syllabus or model:DIR (repeatable; default logging and syllabus)")  # fmt: skip
            p.add_argument(
                "--limit", type=int, help="only the first N showings (a model policy predicts per showing)"
            )
            p.add_argument("--bootstrap", type=int, default=1000)
            p.add_argument("--json", help="also write the estimates to this file")
        else:
            p = sub.add_parser(
                "ope-check", help="validate the estimators in simulation, where the truth is known"
            )
            p.add_argument("--learners", type=int, default=150)
            p.add_argument("--days", type=int, default=56)
            p.add_argument("--seed", type=int, default=1)
            p.add_argument("--compliance", type=float, default=0.7)
            p.add_argument("--exploration", type=float, default=0.1)
            p.add_argument(
                "--truth-factor",
                type=int,
                default=4,
                help="learners of the on-policy truth, times --learners",
            )
        p.add_argument("--content", default="course_content", help="the curriculum folder")
        p.add_argument("--course", action="append", help="course slug(s) (default: all)")

    p = sub.add_parser(
        "benchmark",
        help="public data sets: --task kt (folds; pyKT side by side), --task dropout (KDD Cup 2015, OULAD)",
    )
    p.add_argument("--task", choices=("kt", "dropout"), default="kt")
    p.add_argument("--data", required=True, help="the data set's folder")
    p.add_argument("--layout", help="kt: akt (default) or pykt; dropout: kddcup2015 or oulad")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=10)
    from recommender.benchmark import dropout as benchmark_dropout

    benchmark_dropout.add_arguments(p, common=False)
    from recommender.benchmark import kt as kt_benchmark

    kt_benchmark.add_arguments(p)

    args = parser.parse_args(argv)
    handlers = {"train": _cmd_train, "evaluate": _cmd_evaluate, "predict": _cmd_predict,
                "ope": _cmd_ope, "ope-check": _cmd_ope_check, "benchmark": _cmd_benchmark}  # fmt: skip
    try:
        return handlers[args.command](args)
    except (ArtifactError, ValueError, FileNotFoundError) as e:  # OPEError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
