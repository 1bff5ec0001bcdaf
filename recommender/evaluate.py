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

Which tasks are scored (``metrics``: ``next``, ``correctness``, ``risk``) defaults to
those the model was trained for (the heads that had targets in its training data, as the
artifact records); a requested task without a single target among the held-out learners
is an error (:class:`NothingToScore`), never a table of ``n/a``. Training scores its
validation learners with the same scorer and collector (:func:`validation_scores`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

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
from recommender.data import NONE, LearnerSequence, build_sequences
from recommender.event_frame import load_events, time_seconds
from recommender.metrics import (
    correctness_metrics,
    disengagement_metrics,
    ranking_metrics,
    reliability,
    target_ranks,
)
from recommender.model import SequenceModel
from recommender.resources import peak_memory_mib
from recommender.scoring import ModelScorer, Scorer
from recommender.splits import resolve_learner_file

TASKS = ("next_activity", "correctness", "disengagement")
METRICS = {"next": "next_activity", "correctness": "correctness", "risk": "disengagement"}  # name -> task
_NO_TARGETS = {
    "next": (
        "no next-activity target (a later event on another activity)",
        "do their events name an activity? see docs/events.md",
    ),
    "correctness": (
        "no graded question interactions",
        "is the correctness in quiz.answered events? see docs/events.md",
    ),
    "risk": (
        "no disengagement prediction point whose horizon ends within the data",
        "does the data run past the horizon after their events? see recommender/README.md",
    ),
}


class NothingToScore(ValueError):
    """A requested metric has no target among the learners scored."""


def target_counts(seqs: Sequence[LearnerSequence]) -> dict[str, int]:
    """Targets per metric: next-activity targets, graded question interactions
    (``quiz.graded``), uncensored disengagement prediction points."""
    return {
        "next": int(sum(int((s.next_activity > 0).sum()) for s in seqs)),
        "correctness": int(sum(len(s.kt_correct) for s in seqs)),
        "risk": int(sum(int((s.risk_label >= 0).sum()) for s in seqs)),
    }


def default_metrics(training: dict[str, Any]) -> list[str] | None:
    """The metrics of the heads a model was trained for (``training["targets"]``, the
    target counts of its training data); None for a model that does not record them."""
    targets = training.get("targets")
    if not isinstance(targets, dict):
        return None
    return [m for m in METRICS if targets.get(m, 0) > 0]


def parse_metrics(value: str | Sequence[str] | None) -> list[str] | None:
    """``"next,correctness"`` (or a list) -> the metric names, checked; None stays None."""
    if value is None:
        return None
    names = [m.strip() for m in (value.split(",") if isinstance(value, str) else value) if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise ValueError(f"unknown metric(s) {unknown or names}: choose among {', '.join(METRICS)}")
    return [m for m in METRICS if m in names]


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
        self.risk_elapsed: list[np.ndarray] = []  # elapsed-time buckets (disengagement.elapsed_bucket)

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


VALIDATION_KEYS = ("loss", "next", "kt", "risk", "kt_auc", "next_hr10", "risk_auc")


def validation_scores(
    model: SequenceModel,
    seqs: Sequence[LearnerSequence],
    *,
    weights: tuple[float, float] = (1.0, 1.0),
    device: str | torch.device = "cpu",
    batch_size: int = 32,
    chunk_learners: int = 256,
) -> dict[str, float]:
    """The model on validation learners, scored as :func:`evaluate` scores it
    (``ModelScorer`` and the same collector): each head's mean loss (``next``
    cross-entropy over the activity vocabulary, ``kt`` and ``risk`` binary
    cross-entropy, NaN for a head without targets), ``loss`` = ``w_next * next + w_kt *
    kt`` (``weights``: next, kt), and ``kt_auc``, ``next_hr10``, ``risk_auc``.

    ``loss`` leaves the risk head's cross-entropy out: training refits that head's
    calibration afterwards (Platt scaling), so its raw cross-entropy rises as its scores
    spread even while its ranking (``risk_auc``) improves; on 300 synthetic learners it
    stopped training at epoch 4 with epoch 1's weights (HR@10 0.977 instead of 0.992)."""
    scorer = ModelScorer(model, batch_size=batch_size, device=device)
    col = _Collector()
    candidates = np.ones(model.cfg.n_activities, bool)
    candidates[: NONE + 1] = False
    sums = {"next": [0.0, 0], "kt": [0.0, 0], "risk": [0.0, 0]}
    for i in range(0, len(seqs), chunk_learners):
        chunk = seqs[i : i + chunk_learners]
        scores = scorer.score(chunk)
        col.add(chunk, scores, candidates)
        for s, sc in zip(chunk, scores, strict=True):
            pos = np.flatnonzero(s.next_activity > 0)
            if len(pos):
                logits = sc.next[pos].astype(np.float64)  # (n, V)
                top = logits.max(axis=1)
                lse = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
                sums["next"][0] += float((lse - logits[np.arange(len(pos)), s.next_activity[pos]]).sum())
                sums["next"][1] += len(pos)
            _add_bce(sums["kt"], s.kt_correct, sc.kt)
            keep = s.risk_label >= 0
            _add_bce(sums["risk"], s.risk_label[keep], sc.risk[keep])
    parts = {k: (total / n if n else float("nan")) for k, (total, n) in sums.items()}
    res = col.results()
    out = {
        "loss": float(sum(w * parts[k] for w, k in zip(weights, ("next", "kt"), strict=True)
                          if not math.isnan(parts[k]))),
        **parts,
        "kt_auc": res.get("correctness", {}).get("auc", float("nan")),
        "next_hr10": res.get("next_activity", {}).get("hr@10", float("nan")),
        "risk_auc": res.get("disengagement", {}).get("roc_auc", float("nan")),
    }  # fmt: skip
    return {k: float(out[k]) for k in VALIDATION_KEYS}


def _add_bce(acc: list, y: np.ndarray, p: np.ndarray) -> None:
    if len(y):
        p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
        acc[0] += float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum())
        acc[1] += len(y)


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
    metrics: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    """Score the model in ``model_dir`` and the baselines; write the report into
    ``out_dir`` (``report.json``, ``report.md``, ``reliability.png``, ``metrics.png``)
    when given, and return the report as a dict.

    ``holdout_file``: learner ids one a line, the data set's own (``learner_key``) or
    database ids (``splits.resolve_learner_file``). ``metrics``: which of ``next``,
    ``correctness``, ``risk`` to score (default: those the model was trained for, or for
    a model that does not record them, those with targets); :class:`NothingToScore`
    when one of them has no target among the held-out learners.

    ``per_learner``: the returned report also has ``"per_learner"``, per scorer the gate
    metrics in a form the paired bootstrap can resample by learner
    (``{scorer: {"hr@10": RatioMetric, "auc": AucMetric}}``; never written to JSON)."""
    art = artifact.load_artifact(model_dir)
    vocabs = art.vocabs
    horizon = float(art.config.get("training", {}).get("horizon_days", 14.0))
    ev = load_events(events)
    dataset_end = float(time_seconds(ev["time"]).max())
    holdout = resolve_learner_file(holdout_file, ev) if holdout_file else art.holdout_ids()
    if holdout is None:
        raise ValueError(f"{model_dir} records no held-out learners: pass a holdout file")
    hold = set(holdout)
    is_test = ev["learner_id"].isin(hold)
    if not is_test.any():
        raise ValueError("none of the held-out learners has events in this file")
    train_seqs = build_sequences(ev[~is_test], vocabs, dataset_end=dataset_end, horizon_days=horizon)
    test_seqs = build_sequences(ev[is_test], vocabs, dataset_end=dataset_end, horizon_days=horizon)
    counts = target_counts(test_seqs)
    wanted = parse_metrics(metrics) or default_metrics(art.config.get("training", {}))
    if wanted is None:  # a model that does not record its heads: whatever has targets
        wanted = [m for m, n in counts.items() if n > 0]
    for m in wanted:
        if counts[m] == 0:
            what, hint = _NO_TARGETS[m]
            raise NothingToScore(
                f"{m}: {what} among the {len(test_seqs)} held-out learners; nothing to score ({hint})"
            )
    if not wanted:
        raise NothingToScore(
            f"nothing to score: no metric has targets among the {len(test_seqs)} held-out learners"
        )

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

    tasks = [METRICS[m] for m in wanted]
    results = {task: {} for task in tasks}
    for name, col in collectors.items():
        for task, values in col.results().items():
            if task in results:
                results[task][name] = values
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
            "metrics": wanted,
            "peak_rss_mib": peak_memory_mib(),
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
    if e.get("peak_rss_mib") is not None:
        lines += [
            "",
            f"Peak memory of the evaluation (resident, whole process): {e['peak_rss_mib']:,.0f} MiB.",
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
