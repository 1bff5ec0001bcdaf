"""The dropout benchmark: does Cairn's disengagement head rank the enrollments that drop
out of a public MOOC data set, against a logistic regression on activity counts?

``python -m recommender benchmark --task dropout --data DIR --layout kddcup2015|oulad``

The unit is an *enrollment* (a learner in a course), labelled 1 when it drops out, and
observed up to its ``cutoff``:

* KDD Cup 2015 (``datasets.kddcup2015``): the course's logging window ends at the cutoff;
  the label is the competition's (no record in the next 10 days), which is exactly what
  the disengagement head predicts with a 10-day horizon, so the model trains with
  ``horizon_days`` 10;
* OULAD (``datasets.oulad``): the cutoff is ``window_days`` (60) days into the
  presentation, the label is a final result of Withdrawn (the head's 14-day risk is the
  proxy); enrollments that had already unregistered by the cutoff are left out (nothing
  left to predict), and counted.

How (``run_dropout``): rows after an enrollment's cutoff are dropped; every enrollment's
timeline is shifted so that its cutoff falls on one common instant ``T`` (the latest
cutoff), so that training's censoring (``recommender.disengagement.disengagement_labels``: no
label whose horizon runs past the end of the data) is right for every course at once;
each enrollment becomes one learner of the canonical events (``datasets.events``). A
seeded ``holdout_frac`` of the enrollments (or the given ``holdout``) is held out.
Cairn's model is trained on the others' events (``recommender.train.train``; it never
sees the dropout labels) and scores each held-out enrollment with
``Recommender.predict(history, now=T).risk``. The baseline, a logistic regression on
log-counts of each event kind, active days, and days since the first and the last
event at ``T``, is fitted on the training enrollments' labels. Both are scored by
ROC-AUC and PR-AUC (``recommender.metrics``) on the held-out enrollments.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.datasets.events import to_events
from recommender.disengagement import DAY
from recommender.event_frame import time_seconds
from recommender.metrics import average_precision, roc_auc
from recommender.splits import split_learners

LAYOUTS = ("kddcup2015", "oulad")
OULAD_WINDOW_DAYS = 60
_VERBS = ("video.completed", "quiz.answered", "quiz.graded", "navigation.page_viewed", "lab.graded")
MODEL = "cairn (disengagement head)"
BASELINE = "activity counts (log-reg)"


@dataclass
class DropoutData:
    """An interaction frame and its labels: ``learner``, ``course``, ``label``, ``cutoff``."""

    frame: pd.DataFrame
    labels: pd.DataFrame
    horizon_days: float
    layout: str
    excluded: dict[str, int] = field(default_factory=dict)


def load_dropout_data(
    layout: str, folder: str | Path, *, window_days: int = OULAD_WINDOW_DAYS
) -> DropoutData:
    """Read a KDD Cup 2015 or OULAD folder with its dropout labels and cutoffs."""
    if layout == "kddcup2015":
        from recommender.datasets.kddcup2015 import HORIZON_DAYS, kddcup2015_dropouts, read_kddcup2015

        return DropoutData(read_kddcup2015(folder), kddcup2015_dropouts(folder), HORIZON_DAYS, layout)
    if layout == "oulad":
        from recommender.datasets.oulad import oulad_withdrawals, presentation_start, read_oulad

        labels = oulad_withdrawals(folder)
        gone = labels["unregistered_day"] <= window_days
        labels = labels[~gone].reset_index(drop=True)
        starts = labels["course"].str.rsplit("-", n=1).str[1].map(presentation_start)
        labels["cutoff"] = starts + pd.Timedelta(days=window_days)
        excluded = {"unregistered by the cutoff": int(gone.sum())}
        return DropoutData(read_oulad(folder, until_day=window_days), labels, 14.0, layout, excluded)
    raise ValueError(f"unknown dropout layout {layout!r}; layouts: {', '.join(LAYOUTS)}")


@dataclass
class DropoutReport:
    layout: str
    horizon_days: float
    n_train: int  # enrollments
    n_test: int
    test_positives: int
    base_rate: float  # share of held-out enrollments that drop out (PR-AUC of a random ranking)
    rows_used: int
    rows_after_cutoff: int
    rows_unlabelled: int  # rows of enrollments without a label
    excluded: dict[str, int]
    results: dict[str, dict[str, float]]  # model -> {"roc_auc", "pr_auc"}

    def as_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        lines = [
            f"dropout ({self.layout}): {self.n_train:,} training and {self.n_test:,} held-out enrollments, "
            f"{self.test_positives:,} held-out dropouts (base rate {self.base_rate:.3f})",
            "",
            f"| {'model':<28} | ROC-AUC | PR-AUC |",
            f"|{'-' * 30}|---------|--------|",
        ]
        for name, m in self.results.items():
            lines.append(f"| {name:<28} | {m['roc_auc']:7.4f} | {m['pr_auc']:6.4f} |")
        lines.append("")
        lines.append(
            f"rows: {self.rows_used:,} used, {self.rows_after_cutoff:,} after a cutoff, "
            f"{self.rows_unlabelled:,} of unlabelled enrollments (not used)"
            + "".join(f"; enrollments left out, {k}: {v:,}" for k, v in self.excluded.items())
        )
        return "\n".join(lines)


def _enrollment_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["learner"].astype(str) + "@" + frame["course"].astype(str)


def activity_features(events: pd.DataFrame, keys: list[str], now: float) -> np.ndarray:
    """(N, 9) per enrollment of ``keys``: log1p of its events of each verb of ``_VERBS``, of
    all its events and of its active days, then log1p days since its first and its last
    event at ``now`` (seconds), and a flag for an enrollment without events."""
    out = np.zeros((len(keys), len(_VERBS) + 4 + 1), np.float64)
    if len(events):
        t = time_seconds(events["time"])
        ev = pd.DataFrame(
            {"key": events["learner_key"].to_numpy(), "verb": events["verb"].to_numpy(), "t": t}
        )
        counts = ev.pivot_table(index="key", columns="verb", values="t", aggfunc="size", fill_value=0)
        counts = counts.reindex(index=keys, columns=list(_VERBS), fill_value=0).to_numpy(np.float64)
        g = ev.groupby("key")["t"]
        first, last = g.min().reindex(keys), g.max().reindex(keys)
        days = ev.assign(d=np.floor(ev["t"] / DAY)).groupby("key")["d"].nunique().reindex(keys).fillna(0)
        n = counts.sum(1)
        out[:, : len(_VERBS)] = np.log1p(counts)
        out[:, len(_VERBS)] = np.log1p(n)
        out[:, len(_VERBS) + 1] = np.log1p(days.to_numpy())
        out[:, len(_VERBS) + 2] = np.log1p(np.maximum(now - first.fillna(now).to_numpy(), 0) / DAY)
        out[:, len(_VERBS) + 3] = np.log1p(np.maximum(now - last.fillna(now).to_numpy(), 0) / DAY)
        out[:, -1] = (n == 0).astype(np.float64)
    else:
        out[:, -1] = 1.0
    return out


def _fit_predict_logreg(x_train, y_train, x_test) -> np.ndarray:
    from recommender.baselines import _LogReg

    mean, std = x_train.mean(0), x_train.std(0) + 1e-9
    model = _LogReg(x_train.shape[1]).fit((x_train - mean) / std, y_train.astype(np.float64), l2=1e-3)
    return model.predict((x_test - mean) / std).astype(np.float64)


def run_dropout(
    frame: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    horizon_days: float = 14.0,
    holdout: list[str] | None = None,
    holdout_frac: float = 0.2,
    seed: int = 0,
    config=None,
    work_dir: str | Path | None = None,
    layout: str = "dataset",
    excluded: dict[str, int] | None = None,
    progress: bool = False,
) -> DropoutReport:
    """Train Cairn's model and the activity baseline, score the held-out enrollments
    (module docstring). ``frame``: an interaction frame (``learner``, ``course``,
    ``time``...); ``labels``: ``learner``, ``course``, ``label`` (1 = dropout), ``cutoff``
    (UTC); ``holdout``: enrollment keys ``"<learner>@<course>"`` to hold out instead of a
    seeded ``holdout_frac``; ``config``: a ``TrainConfig`` (its ``horizon_days``,
    ``seed`` and hold-out are set here); ``work_dir``: where the model is written (a
    temporary folder by default)."""
    from recommender.artifact import Recommender
    from recommender.train import TrainConfig, train

    labels = labels.assign(key=_enrollment_keys(labels)).drop_duplicates("key")
    if not labels["label"].isin([0, 1]).all() or labels["cutoff"].isna().any():
        raise ValueError("labels need a 0/1 label and a cutoff for every enrollment")
    cutoffs = pd.to_datetime(labels.set_index("key")["cutoff"], utc=True)
    end = cutoffs.max()
    rows = frame.assign(key=_enrollment_keys(frame))
    labelled = rows["key"].isin(cutoffs.index)
    rows_unlabelled = int((~labelled).sum())
    rows = rows[labelled]
    cut = rows["key"].map(cutoffs)
    late = rows["time"] >= cut
    rows = rows[~late].copy()
    rows["time"] = rows["time"] + (end - rows["key"].map(cutoffs))  # every cutoff at `end`
    rows["learner"] = rows["key"]
    rows = rows.sort_values(["learner", "time", "order"], kind="stable")
    keys = sorted(cutoffs.index)
    ids = {k: i for i, k in enumerate(keys, 1)}
    events = to_events(rows.drop(columns=["key"]), learner_ids=ids) if len(rows) else None
    if events is None:
        raise ValueError("no events before the cutoffs")

    if holdout is not None:
        unknown = sorted(set(holdout) - set(ids))
        if unknown:
            raise ValueError(f"held-out enrollment(s) without a label: {unknown[:3]}")
        test_ids = sorted(ids[k] for k in holdout)
    else:
        _, test_ids = split_learners(ids.values(), holdout_frac, seed)
    test_set = set(test_ids)
    train_keys = [k for k in keys if ids[k] not in test_set]
    test_keys = [k for k in keys if ids[k] in test_set]
    y = labels.set_index("key")["label"].astype(np.int64)
    y_train, y_test = y.reindex(train_keys).to_numpy(), y.reindex(test_keys).to_numpy()
    if not train_keys or not test_keys:
        raise ValueError("the split leaves no training or no held-out enrollment")

    now = float(end.timestamp())
    x = activity_features(events, keys, now)
    row_of = {k: i for i, k in enumerate(keys)}
    base_p = _fit_predict_logreg(
        x[[row_of[k] for k in train_keys]], y_train, x[[row_of[k] for k in test_keys]]
    )

    with tempfile.TemporaryDirectory(prefix="cairn-dropout-") as tmp:
        out = Path(work_dir) if work_dir else Path(tmp) / "model"
        out.mkdir(parents=True, exist_ok=True)
        hold_file = out.parent / f"{out.name}-holdout.txt"
        hold_file.write_text("".join(f"{i}\n" for i in test_ids))
        cfg = replace(
            config or TrainConfig(), horizon_days=horizon_days, seed=seed, holdout_file=str(hold_file)
        )
        train(events, out, cfg, progress=progress)
        rec = Recommender.load(out)
        by_learner = dict(tuple(events.groupby("learner_key", sort=False)))
        empty = events.iloc[:0]
        model_p = np.array([rec.predict(by_learner.get(k, empty), now=end).risk for k in test_keys])

    results = {}
    for name, p in ((MODEL, model_p), (BASELINE, base_p)):
        results[name] = {"roc_auc": roc_auc(y_test, p), "pr_auc": average_precision(y_test, p)}
    return DropoutReport(
        layout=layout, horizon_days=horizon_days, n_train=len(train_keys), n_test=len(test_keys),
        test_positives=int(y_test.sum()), base_rate=float(y_test.mean()), rows_used=int(len(events)),
        rows_after_cutoff=int(late.sum()), rows_unlabelled=rows_unlabelled, excluded=dict(excluded or {}),
        results=results,
    )  # fmt: skip


# ---------------------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser, *, common: bool = True) -> None:
    """The dropout benchmark's options; ``common=False`` leaves out ``--data``,
    ``--layout``, ``--seed`` and ``--epochs`` for a parser that already has them."""
    if common:
        parser.add_argument("--data", required=True, help="the data set's folder")
        parser.add_argument("--layout", required=True, choices=LAYOUTS)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--epochs", type=int, default=10)
    hold = parser.add_mutually_exclusive_group()
    hold.add_argument("--holdout-frac", type=float, default=0.2, help="share of enrollments held out")
    hold.add_argument("--holdout-file", help="held-out enrollments, '<learner>@<course>' one per line")
    parser.add_argument("--window-days", type=int, default=OULAD_WINDOW_DAYS,
                        help="OULAD: days of the presentation observed before predicting")  # fmt: skip
    parser.add_argument("--model-dir", help="keep the trained model here (default: a temporary folder)")
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument("--no-progress", action="store_true")


def main(args: argparse.Namespace) -> int:
    """Run the benchmark from parsed arguments and print its table; 0 on success."""
    from recommender.train import TrainConfig

    data = load_dropout_data(args.layout, args.data, window_days=args.window_days)
    holdout = None
    if args.holdout_file:
        holdout = [ln.strip() for ln in Path(args.holdout_file).read_text().splitlines() if ln.strip()]
    report = run_dropout(
        data.frame, data.labels, horizon_days=data.horizon_days, holdout=holdout,
        holdout_frac=args.holdout_frac, seed=args.seed, config=TrainConfig(epochs=args.epochs),
        work_dir=args.model_dir, layout=data.layout, excluded=data.excluded, progress=not args.no_progress,
    )  # fmt: skip
    print(report.table())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2))
    return 0
