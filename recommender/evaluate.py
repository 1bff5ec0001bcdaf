"""Evaluation: the model and every baseline, scored by the same code on the held-out
learners, written as JSON, a Markdown table and two PNG figures.

Protocol: learners are split as at training time (the model directory's
``holdout_learners.txt``, or ``holdout_file``); baselines are fitted on the other
learners with the model's vocabularies; every prediction at position t uses events
``0..t`` only. Next activity is ranked over the full activity vocabulary (specials
excluded; a target unseen at training time is a miss); correctness is scored on every
question interaction; disengagement on every uncensored prediction point (a daily
check-in: see ``recommender.data``), and on those of learners active in the last 7 days
alone (``roc_auc_recent``: who, among those still around, is about to leave).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recommender import artifact
from recommender.baselines import (
    ActivityLogRegBaseline,
    IRTBaseline,
    MarkovBaseline,
    PopularityBaseline,
    SyllabusBaseline,
    read_syllabus,
)
from recommender.compare import AucMetric, RatioMetric
from recommender.data import (
    NONE,
    LearnerSequence,
    build_sequences,
    load_events,
    read_learner_ids,
    time_seconds,
)
from recommender.metrics import (
    correctness_metrics,
    disengagement_metrics,
    ranking_metrics,
    reliability,
    target_ranks,
)
from recommender.scoring import ModelScorer, Scorer

TASKS = ("next_activity", "correctness", "disengagement")


class _Collector:
    """Accumulates one scorer's targets and scores across chunks of learners."""

    def __init__(self) -> None:
        self.ranks: list[np.ndarray] = []
        self.rank_learner: list[int] = []  # the learner of each entry of ``ranks``
        self.kt_learner: list[np.ndarray] = []
        self.kt_y: list[np.ndarray] = []
        self.kt_p: list[np.ndarray] = []
        self.risk_y: list[np.ndarray] = []
        self.risk_p: list[np.ndarray] = []
        self.risk_elapsed: list[np.ndarray] = []  # elapsed-time buckets (data.elapsed_bucket)

    def add(self, seqs: Sequence[LearnerSequence], scores, candidates: np.ndarray) -> None:
        for s, sc in zip(seqs, scores, strict=True):
            if sc.next is not None:
                pos = np.flatnonzero(s.next_activity > 0)
                self.ranks.append(target_ranks(sc.next[pos], s.next_activity[pos], candidates))
                self.rank_learner.append(s.learner_id)
            if sc.kt is not None:
                self.kt_learner.append(np.full(len(s.kt_correct), s.learner_id, np.int64))
                self.kt_y.append(s.kt_correct)
                self.kt_p.append(sc.kt)
            if sc.risk is not None:
                keep = s.risk_label >= 0
                self.risk_y.append(s.risk_label[keep])
                self.risk_p.append(sc.risk[keep])
                self.risk_elapsed.append(s.risk_elapsed[keep])

    def results(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        if self.ranks:
            out["next_activity"] = ranking_metrics(np.concatenate(self.ranks))
        if self.kt_y:
            out["correctness"] = correctness_metrics(np.concatenate(self.kt_y), np.concatenate(self.kt_p))
        if self.risk_y:
            out["disengagement"] = disengagement_metrics(
                np.concatenate(self.risk_y), np.concatenate(self.risk_p), np.concatenate(self.risk_elapsed)
            )
        return out

    def per_learner(self) -> dict[str, Any]:
        """The gate metrics as functions of per-learner resampling weights
        (``recommender.compare``): HR@10 as hits and targets per learner, AUC over every
        question interaction tagged with its learner."""
        out: dict[str, Any] = {}
        if self.ranks:
            out["hr@10"] = RatioMetric(
                np.array(self.rank_learner, np.int64),
                np.array([float((r <= 10).sum()) for r in self.ranks]),
                np.array([float(len(r)) for r in self.ranks]),
            )
        if self.kt_y:
            out["auc"] = AucMetric(
                np.concatenate(self.kt_learner), np.concatenate(self.kt_y), np.concatenate(self.kt_p)
            )
        return out


def evaluate(
    events: str | Path | pd.DataFrame,
    model_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    syllabus: str | Path | Sequence[str] | None = None,
    holdout_file: str | Path | None = None,
    batch_size: int = 32,
    chunk_learners: int = 256,
    progress: bool = True,
    record_metrics: bool = False,
    per_learner: bool = False,
) -> dict[str, Any]:
    """Score the model in ``model_dir`` and the baselines; write the report into
    ``out_dir`` (``report.json``, ``report.md``, ``reliability.png``, ``metrics.png``)
    when given, and return the report as a dict.

    ``per_learner``: the returned report also has ``"per_learner"``, per scorer the gate
    metrics in a form the paired bootstrap can resample by learner
    (``{scorer: {"hr@10": RatioMetric, "auc": AucMetric}}``; never written to JSON)."""
    art = artifact.load_artifact(model_dir)
    vocabs = art.vocabs
    horizon = float(art.config.get("training", {}).get("horizon_days", 14.0))
    ev = load_events(events)
    dataset_end = float(time_seconds(ev["time"]).max())
    holdout = read_learner_ids(holdout_file) if holdout_file else art.holdout_ids()
    if holdout is None:
        raise ValueError(f"{model_dir} records no held-out learners: pass a holdout file")
    hold = set(holdout)
    is_test = ev["learner_id"].isin(hold)
    if not is_test.any():
        raise ValueError("none of the held-out learners has events in this file")
    train_seqs = build_sequences(ev[~is_test], vocabs, dataset_end=dataset_end, horizon_days=horizon)
    test_seqs = build_sequences(ev[is_test], vocabs, dataset_end=dataset_end, horizon_days=horizon)

    if isinstance(syllabus, str | Path):
        order = read_syllabus(syllabus)
    else:
        order = list(syllabus) if syllabus is not None else None
    n_act = len(vocabs.activities)
    baselines = [
        SyllabusBaseline(vocabs, order).fit(train_seqs),
        MarkovBaseline(n_act).fit(train_seqs),
        PopularityBaseline(n_act).fit(train_seqs),
        IRTBaseline(len(vocabs.questions)).fit(train_seqs),
        ActivityLogRegBaseline().fit(train_seqs),
    ]
    scorers: list[Scorer] = [
        ModelScorer(art.model, name=f"model ({art.model.cfg.arch})", batch_size=batch_size)
    ]
    scorers += baselines
    collectors = {s.name: _Collector() for s in scorers}
    candidates = np.ones(n_act, bool)
    candidates[: NONE + 1] = False  # <pad>, <unk>, <none> are never candidates

    chunks = range(0, len(test_seqs), chunk_learners)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="evaluate", unit="chunk", leave=False)
    for i in chunks:
        chunk = test_seqs[i : i + chunk_learners]
        for scorer in scorers:
            collectors[scorer.name].add(chunk, scorer.score(chunk), candidates)

    results = {task: {} for task in TASKS}
    for name, col in collectors.items():
        for task, metrics in col.results().items():
            results[task][name] = metrics
    report = {
        "model_dir": str(model_dir),
        "code_version": art.config.get("code_version"),
        "model": art.model.cfg.to_dict(),
        "data_window": art.config.get("data_window"),
        "evaluation": {
            "n_test_learners": len(test_seqs),
            "n_train_learners": len(train_seqs),
            "n_test_events": int(sum(len(s) for s in test_seqs)),
            "horizon_days": horizon,
            "syllabus": "file" if order is not None else "derived from training data",
            "unseen_targets": int(sum(int((s.next_activity == 1).sum()) for s in test_seqs)),
        },
        "results": results,
        "syllabus_order": baselines[0].order,
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(_jsonable(report), indent=2))
        (out / "report.md").write_text(markdown_report(report))
        reliability_plot(collectors, out / "reliability.png")
        metrics_plot(results, out / "metrics.png")
    if record_metrics:
        artifact.set_metrics(model_dir, _jsonable(results))
    if per_learner:
        report["per_learner"] = {name: col.per_learner() for name, col in collectors.items()}
    return report


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float | np.floating):
        return None if not math.isfinite(float(x)) else round(float(x), 6)
    if isinstance(x, np.integer):
        return int(x)
    return x


# ---------------------------------------------------------------------------- reports
_COLUMNS = {
    "next_activity": ["hr@1", "hr@5", "hr@10", "ndcg@10", "mrr", "n"],
    "correctness": ["auc", "accuracy", "log_loss", "ece", "n"],
    "disengagement": ["roc_auc", "pr_auc", "ece", "positive_rate", "roc_auc_recent", "n"],
}
_LOWER_IS_BETTER = {"log_loss", "ece"}


def markdown_report(report: dict[str, Any]) -> str:
    e = report["evaluation"]
    lines = [
        "# Recommender evaluation",
        "",
        f"Model: `{report['model_dir']}` ({report['code_version']}); "
        f"{e['n_test_learners']} held-out learners ({e['n_test_events']} events), "
        f"baselines fitted on {e['n_train_learners']} training learners; "
        f"syllabus {e['syllabus']}; disengagement horizon {e['horizon_days']:g} days.",
        "",
        "Every prediction at position t uses events up to t only. Best value per column in bold.",
    ]
    titles = {
        "next_activity": "Next activity (rank among all activities)",
        "correctness": "Question correctness",
        "disengagement": "Disengagement",
    }
    for task in TASKS:
        rows = report["results"].get(task) or {}
        if not rows:
            continue
        cols = _COLUMNS[task]
        best = {}
        for c in cols:
            if c in ("n", "positive_rate", "roc_auc_recent"):
                continue
            vals = [r[c] for r in rows.values() if r.get(c) is not None and math.isfinite(r[c])]
            if vals:
                best[c] = min(vals) if c in _LOWER_IS_BETTER else max(vals)
        lines += ["", f"## {titles[task]}", "", "| scorer | " + " | ".join(cols) + " |"]
        lines.append("|---|" + "---:|" * len(cols))
        for name, r in rows.items():
            cells = []
            for c in cols:
                v = r.get(c)
                if c == "n":
                    cells.append(str(v))
                elif v is None or not math.isfinite(v):
                    cells.append("n/a")
                else:
                    s = f"{v:.4f}"
                    cells.append(f"**{s}**" if best.get(c) == v else s)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure(width: float, height: float, ncols: int):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def reliability_plot(collectors: dict[str, _Collector], path: Path) -> None:
    """Reliability diagrams: question correctness and disengagement, model vs baselines."""
    fig, axes = _figure(10, 4.5, 2)
    for ax, (kind, title) in zip(
        axes, (("kt", "Question correctness"), ("risk", "Disengagement")), strict=True
    ):
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
        for name, col in collectors.items():
            ys, ps = getattr(col, f"{kind}_y"), getattr(col, f"{kind}_p")
            if not ys:
                continue
            r = reliability(np.concatenate(ys), np.concatenate(ps))
            nz = r["count"] > 0
            ax.plot(r["mean_p"][nz], r["mean_y"][nz], marker="o", label=f"{name}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("predicted probability (10 bins)")
        ax.set_ylabel("observed frequency")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def metrics_plot(results: dict[str, dict[str, dict[str, float]]], path: Path) -> None:
    """Grouped bars of the main metrics per task, one bar per scorer."""
    panels = {
        "next_activity": ["hr@1", "hr@5", "hr@10", "ndcg@10", "mrr"],
        "correctness": ["auc", "accuracy", "ece"],
        "disengagement": ["roc_auc", "pr_auc"],
    }
    fig, axes = _figure(15, 4.5, 3)
    for ax, (task, metrics) in zip(axes, panels.items(), strict=True):
        rows = results.get(task) or {}
        names = list(rows)
        width = 0.8 / max(len(names), 1)
        x = np.arange(len(metrics))
        for j, name in enumerate(names):
            vals = [rows[name].get(m) for m in metrics]
            vals = [v if v is not None and math.isfinite(v) else 0.0 for v in vals]
            ax.bar(x + (j - (len(names) - 1) / 2) * width, vals, width, label=name)
        ax.set_xticks(x, metrics)
        ax.set_ylim(0, 1.3)  # room for the legend above the bars
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_title(task.replace("_", " "))
        if names:
            ax.legend(fontsize=8, loc="upper center", ncols=2)
    fig.savefig(path, dpi=110)
