"""Knowledge tracing on public folds: Cairn's model and pyKT's own, side by side
(``python -m recommender benchmark --task kt``).

For each fold of a data set (AKT's ``<name>_{train,valid,test}<k>.csv``, or pyKT's
``train_valid.csv`` + ``test.csv``), every model trains on the fold's training learners,
stops early on its validation learners and is scored on its test learners, on the same
interactions: ``pykt_data.window_plan``'s (every test interaction but a sequence's
first; sequences shorter than 3 left out). Per model and fold: test AUC, accuracy,
log-loss and ECE at the best validation epoch, the wall time to that epoch (training and
validation), and for Cairn the wall time to reach DKT's best validation AUC. The table
gives mean ± std over the folds.

Cairn's model goes through the product's own path: the fold's rows become canonical
events (``datasets.events.to_events``: one ``quiz.graded`` per interaction), trained by
``recommender.train`` with ``--preset kt`` and the fold's valid file as validation
learners, and scored by ``scoring.ModelScorer``. Differences from pyKT's protocol, kept
small and stated: Cairn validates on every interaction of the validation learners (pyKT on
their 200-chunks), and scores long test sequences in its own windows (256 events, the
second half of each scored, so a prediction sees 128 to 255 earlier interactions; pyKT's
window sees 199).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender.benchmark import pykt_data, pykt_models
from recommender.metrics import correctness_metrics

LAYOUTS = ("akt", "pykt")
MODELS = ("cairn", *pykt_models.MODELS)


def fold_frames(data: str | Path, layout: str) -> list[tuple[int, dict[str, pd.DataFrame]]]:
    """(k, {"train", "valid", "test"} interaction frames) of every fold of a data set."""
    if layout == "akt":
        from recommender.datasets.akt import akt_folds, read_akt

        out = []
        for f in akt_folds(data):
            if f.valid is None:
                raise ValueError(f"fold {f.k} of {data} has no valid file (early stopping needs one)")
            out.append(
                (f.k, {"train": read_akt(f.train), "valid": read_akt(f.valid), "test": read_akt(f.test)})
            )
        return out
    if layout == "pykt":
        from recommender.datasets.pykt import pykt_folds

        return [(f.k, {"train": f.train, "valid": f.valid, "test": f.test}) for f in pykt_folds(data)]
    raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")


def run_cairn(
    frames: dict[str, pd.DataFrame],
    fold: pykt_data.KTFold,
    *,
    seed: int,
    max_epochs: int,
    patience: int,
    threads: int,
    overrides: dict[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Cairn's model on one fold (``--preset kt``), scored on ``fold``'s test plan."""
    from recommender.data import build_sequences
    from recommender.datasets.events import to_events
    from recommender.event_frame import load_events
    from recommender.scoring import ModelScorer
    from recommender.train import TrainConfig, train

    parts = {name: f.assign(_part=name, _row=np.arange(len(f))) for name, f in frames.items()}
    rows = pd.concat(parts.values(), ignore_index=True)
    events = to_events(rows)
    key_of = {name: sorted(set(f["learner"].astype(str))) for name, f in parts.items()}
    with tempfile.TemporaryDirectory(prefix="cairn-kt-") as tmp:
        work = Path(tmp)
        # "key:": the data set's ids (a numeric one may also be another learner's learner_id)
        (work / "test.txt").write_text("".join(f"key:{k}\n" for k in key_of["test"]))
        (work / "valid.txt").write_text("".join(f"key:{k}\n" for k in key_of["valid"]))
        cfg = TrainConfig.from_preset(
            "kt", seed=seed, epochs=max_epochs, patience=patience, threads=threads,
            holdout_file=str(work / "test.txt"), valid_file=str(work / "valid.txt"), **(overrides or {}),
        )  # fmt: skip
        began = time.perf_counter()
        result = train(events, work / "model", cfg, progress=progress)
        seconds = time.perf_counter() - began
    # score the test learners; their kt interactions are their rows in order (one event a row)
    ev = load_events(events)
    test_ids = set(events.loc[events["learner_key"].isin(key_of["test"]), "learner_id"])
    seqs = build_sequences(ev[ev["learner_id"].isin(test_ids)], result.vocabs)
    began = time.perf_counter()
    scores = ModelScorer(result.model, batch_size=64).score(seqs)
    score_seconds = time.perf_counter() - began
    test = parts["test"]
    test_learner_id = events.loc[rows["_part"].to_numpy() == "test", "learner_id"].to_numpy()
    p_row = np.full(len(test), np.nan)
    by_id = {s.learner_id: (s, sc) for s, sc in zip(seqs, scores, strict=True)}
    order = test.assign(_id=test_learner_id).sort_values(["_id", "order"], kind="stable")
    for learner_id, group in order.groupby("_id", sort=False):
        seq, sc = by_id[int(learner_id)]
        if len(sc.kt) != len(group):
            raise RuntimeError(f"learner {learner_id}: {len(sc.kt)} predictions for {len(group)} rows")
        p_row[group["_row"].to_numpy()] = sc.kt
    scored = pykt_data.predicted_rows(fold.test)
    y = test["correct"].to_numpy(np.float64)[scored]
    p = p_row[scored]
    history = result.history
    best = max(history, key=lambda h: (h.get("valid") or {}).get("kt_auc") or -1.0) if history else {}
    return {
        "model": "cairn", "label": "Cairn (--preset kt)", "config": cfg.__dict__ | {"holdout_file": None,
                                                                                 "valid_file": None},
        "epochs": [{"epoch": h["epoch"], "valid_auc": (h.get("valid") or {}).get("kt_auc"),
                    "seconds": h.get("elapsed")} for h in history],
        "best_epoch": best.get("epoch"), "best_valid_auc": (best.get("valid") or {}).get("kt_auc"),
        "seconds_to_best": best.get("elapsed"), "train_seconds": seconds,
        "test": {**correctness_metrics(y, p), "seconds": score_seconds},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip


def seconds_to_reach(result: dict[str, Any], target_auc: float) -> float | None:
    """Wall seconds until ``result``'s validation AUC first reached ``target_auc``."""
    for epoch in result["epochs"]:
        if epoch["valid_auc"] is not None and epoch["valid_auc"] >= target_auc:
            return epoch["seconds"]
    return None


def benchmark(
    data: str | Path,
    *,
    layout: str = "akt",
    folds: list[int] | None = None,
    models: tuple[str, ...] = MODELS,
    seed: int = 0,
    max_epochs: int = 30,
    patience: int = 3,
    threads: int = 1,
    time_limit_s: float | None = None,
    cairn_overrides: dict[str, Any] | None = None,
    progress: bool = True,
    on_result: Any = None,
) -> dict[str, Any]:
    """Every model on every (chosen) fold; returns {"runs": [...], "summary": {...}}."""
    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; choose among {', '.join(MODELS)}")
    say = (lambda s: print(s, file=sys.stderr, flush=True)) if progress else (lambda s: None)
    runs = []
    for k, frames in fold_frames(data, layout):
        if folds and k not in folds:
            continue
        fold = pykt_data.encode_fold(frames["train"], frames["valid"], frames["test"])
        for name in models:
            say(f"fold {k}: {name}")
            if name == "cairn":
                r = run_cairn(frames, fold, seed=seed, max_epochs=max_epochs, patience=patience,
                              threads=threads, overrides=cairn_overrides)  # fmt: skip
            else:
                r = pykt_models.run_pykt(name, fold, seed=seed, max_epochs=max_epochs, patience=patience,
                                         threads=threads, time_limit_s=time_limit_s, progress=progress)  # fmt: skip
            r["fold"] = k
            say(f"fold {k}: {r['label']}: test AUC {r['test']['auc']:.4f}, best epoch {r['best_epoch']}, "
                f"{r['seconds_to_best']:.0f} s to best")  # fmt: skip
            runs.append(r)
            if on_result is not None:
                on_result(runs)
    return {"data": str(data), "layout": layout, "seed": seed, "max_epochs": max_epochs, "patience": patience,
            "threads": threads, "runs": runs, "summary": summarize(runs)}  # fmt: skip


def _mean_std(values: list[float]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], np.float64)
    if not len(a):
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per model: mean ± std over folds of the test metrics and the times; Cairn's time to
    DKT's best validation AUC, fold by fold."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(r["model"] for r in runs):
        mine = [r for r in runs if r["model"] == name]
        out[name] = {
            "label": mine[0]["label"], "folds": [r["fold"] for r in mine],
            **{m: _mean_std([r["test"][m] for r in mine]) for m in ("auc", "accuracy", "ece", "log_loss")},
            "seconds_to_best": _mean_std([r["seconds_to_best"] for r in mine]),
            "best_epoch": _mean_std([r["best_epoch"] for r in mine]),
        }  # fmt: skip
    dkt = {r["fold"]: r for r in runs if r["model"] == "dkt"}
    reach = []
    for r in runs:
        if r["model"] == "cairn" and r["fold"] in dkt:
            d = dkt[r["fold"]]
            t = seconds_to_reach(r, d["best_valid_auc"])
            reach.append({"fold": r["fold"], "dkt_best_valid_auc": d["best_valid_auc"],
                          "dkt_seconds_to_best": d["seconds_to_best"], "cairn_seconds": t,
                          "ratio": None if t is None else t / d["seconds_to_best"]})  # fmt: skip
    if reach:
        out["cairn_vs_dkt_time"] = reach
    return out


def markdown(report: dict[str, Any]) -> str:
    """The summary as a Markdown table (mean ± std over the folds)."""
    s = report["summary"]
    lines = [
        f"`{report['data']}` ({report['layout']} layout), folds {s[next(iter(s))]['folds']}, "
        f"seed {report['seed']}, at most {report['max_epochs']} epochs, patience {report['patience']}, "
        f"{report['threads']} torch thread(s)",
        "",
        "| model | test AUC | accuracy | ECE | seconds to best epoch | best epoch |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in s.items():
        if name == "cairn_vs_dkt_time":
            continue
        lines.append(
            f"| {m['label']} | {m['auc'][0]:.4f} ± {m['auc'][1]:.4f} | {m['accuracy'][0]:.4f} | "
            f"{m['ece'][0]:.4f} | {m['seconds_to_best'][0]:.0f} ± {m['seconds_to_best'][1]:.0f} | "
            f"{m['best_epoch'][0]:.1f} |"
        )
    for row in s.get("cairn_vs_dkt_time", []):
        t = "never" if row["cairn_seconds"] is None else f"{row['cairn_seconds']:.0f} s ({row['ratio']:.2f}x)"
        lines.append(
            f"\nfold {row['fold']}: DKT's best validation AUC {row['dkt_best_valid_auc']:.4f} after "
            f"{row['dkt_seconds_to_best']:.0f} s; Cairn reached it in {t}"
        )
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``benchmark --task kt`` (``--data``, ``--layout``, ``--seed`` are common)."""
    p.add_argument("--folds", help="comma-separated fold numbers (default: all)")
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    p.add_argument("--max-epochs", type=int, default=30, help="per model and fold (pyKT: 200)")
    p.add_argument(
        "--patience", type=int, default=3, help="epochs without a better validation AUC (pyKT: 10)"
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads for every model")
    p.add_argument("--time-limit", type=float, help="pyKT models: no new epoch after this many seconds")
    p.add_argument("--out", help="write the report as JSON here (rewritten after each run)")
    p.add_argument("--cairn-set", help="Cairn's settings over the kt preset, e.g. lr=0.003,d_model=64")


def parse_settings(text: str | None) -> dict[str, Any]:
    """``key=value,...`` -> TrainConfig overrides, each value of its field's type."""
    from dataclasses import fields

    from recommender.train import TrainConfig

    if not text:
        return {}
    types = {f.name: type(f.default) if f.default is not None else str for f in fields(TrainConfig)}
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            raise ValueError(f"--cairn-set: {item!r} is not <setting>=<value> of a train setting")
        value = value.strip()
        out[key] = value.lower() in ("1", "true", "yes") if types[key] is bool else types[key](value)
    return out


def main(args: argparse.Namespace) -> int:
    folds = [int(x) for x in args.folds.split(",")] if args.folds else None
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())

    def save(runs: list[dict[str, Any]]) -> None:
        if args.out:
            partial = {"data": args.data, "layout": args.layout, "runs": runs, "summary": summarize(runs)}
            Path(args.out).write_text(json.dumps(partial, indent=2, default=float))

    report = benchmark(
        args.data, layout=args.layout, folds=folds, models=models, seed=args.seed, max_epochs=args.max_epochs,
        patience=args.patience, threads=args.threads, time_limit_s=args.time_limit,
        cairn_overrides=parse_settings(args.cairn_set), progress=not args.no_progress, on_result=save,
    )  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2, default=float))
    print(markdown(report))
    return 0
