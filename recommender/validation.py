"""What training measures on learners it does not train on: the validation learners,
scored after every epoch (``evaluate.validation_scores``) for early stopping and the
epoch's summary line, and the held-back disengagement labels the risk head is
calibrated on (Platt scaling) once training ends (``recommender.train`` runs the loop)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
import torch.distributed as torch_dist

from recommender.distributed import DistInfo
from recommender.evaluate import VALIDATION_KEYS, target_counts, validation_scores
from recommender.model import SequenceModel
from recommender.splits import resolve_learner_file, split_learners

if TYPE_CHECKING:
    from recommender.train import TrainConfig

MIN_TRAIN_LEARNERS = 10  # fewer training learners left after the validation split: no validation


def validation_learners(cfg: TrainConfig, ev: pd.DataFrame, train_ids: list[int], say) -> list[int]:
    """The learners of ``valid_file``, or a seeded ``valid_frac`` of ``train_ids``; none
    (with a note) when fewer than ``MIN_TRAIN_LEARNERS`` would be left to train on."""
    if cfg.valid_file:
        return resolve_learner_file(cfg.valid_file, ev)
    if cfg.valid_frac <= 0:
        return []
    rest, valid = split_learners(train_ids, cfg.valid_frac, cfg.seed + 1)
    if not valid or len(rest) < MIN_TRAIN_LEARNERS:
        say(f"validation skipped: {len(train_ids)} training learners are too few to leave {cfg.valid_frac:.0%} "
            f"out (at least {MIN_TRAIN_LEARNERS} must remain); no early stopping")  # fmt: skip
        return []
    return valid


def check_early_stopping(cfg: TrainConfig, valid_seqs: list, say) -> bool:
    """Whether training stops early: validation learners and ``patience > 0``; a metric
    the validation learners cannot measure is an error, not a silent fallback."""
    if not valid_seqs or cfg.patience <= 0:
        return False
    counts = target_counts(valid_seqs)
    need = {"kt_auc": ("correctness", "graded question interactions (quiz.graded)"),
            "next_hr10": ("next", "next-activity targets")}.get(cfg.early_stop_metric)  # fmt: skip
    if need and counts[need[0]] == 0:
        raise ValueError(
            f"early_stop_metric {cfg.early_stop_metric}: the {len(valid_seqs)} validation learners have no "
            f"{need[1]}; choose another metric (loss) or more validation learners (valid_frac, valid_file)"
        )
    return True


def validate(model: SequenceModel, valid_seqs: list, cfg: TrainConfig, dist: DistInfo) -> dict[str, float]:
    """Score the validation learners on rank 0 (``evaluate.validation_scores``) and share
    the scores with every rank, so that all take the same early-stopping decision."""
    values = torch.full((len(VALIDATION_KEYS),), float("nan"), dtype=torch.float64)
    if dist.is_main:
        scores = validation_scores(model, valid_seqs, weights=(cfg.w_next, cfg.w_kt), device=dist.device)
        values = torch.tensor([scores[k] for k in VALIDATION_KEYS], dtype=torch.float64)
    if dist.world_size > 1:
        values = values.to(dist.device)
        torch_dist.broadcast(values, src=0)
    # None where a head has no targets: the history goes into JSON, which has no NaN
    return {
        k: round(v, 6) if math.isfinite(v) else None
        for k, v in zip(VALIDATION_KEYS, values.cpu().tolist(), strict=True)
    }


def better(value: float | None, best: float | None, direction: str) -> bool:
    if value is None or not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if direction == "min" else value > best


def best_epoch(best: dict[str, Any] | None) -> int:
    return int(best["epoch"]) if best else 0


def copy_state(model: SequenceModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def epoch_line(record: dict[str, Any], epochs: int, targets: dict[str, int], best_metric: str | None) -> str:
    """One summary line per epoch (always printed; ``n/a`` for a head without targets)."""

    def parts(r: dict[str, Any]) -> str:
        shown = []
        for key, name in (("next", "next"), ("kt", "correctness"), ("risk", "risk")):  # loss part, target
            v = r.get(key)
            ok = targets[name] > 0 and v is not None and math.isfinite(v)
            shown.append(f"{name} {v:.3f}" if ok else f"{name} n/a")
        return ", ".join(shown)

    s = record["seconds"]
    line = (f"epoch {record['epoch']}/{epochs}: loss {record['loss']:.4f} ({parts(record)}) "
            f"{s:.1f} s, {record['events'] / max(s, 1e-9):,.0f} events/s")  # fmt: skip
    v = record.get("valid")
    if v:
        extra = [f"{k} {v[k]:.4f}" for k in ("kt_auc", "next_hr10") if v[k] is not None]
        line += f"; valid loss {v['loss']:.4f} ({parts(v)}" + (", " + ", ".join(extra) if extra else "") + ")"
        if best_metric:
            line += f" best {best_metric}"
    return line + f"; {record['elapsed']:.1f} s in all, peak memory {record['peak_rss_mib']:,.0f} MiB"


def hold_back_risk_labels(seqs: list, frac: float, seed: int) -> dict[int, np.ndarray]:
    """Mask the disengagement labels of a seeded ``frac`` of the training learners (they
    still train the other heads): ``{sequence index: labels}`` for Platt scaling, fitted
    on predictions the risk head was not trained on."""
    if frac <= 0 or len(seqs) < 10:
        return {}
    rng = np.random.default_rng([seed, 7])
    picked = rng.permutation(len(seqs))[: max(int(round(frac * len(seqs))), 1)]
    held = {}
    for i in sorted(picked.tolist()):
        held[i] = seqs[i].risk_label
        seqs[i].risk_label = np.full_like(held[i], -1.0)
    return held


def calibrate_risk(model: SequenceModel, seqs: list, held: dict[int, np.ndarray], device) -> None:
    """Fit ``model.risk_scale`` / ``risk_shift`` (Platt) on the held-back learners."""
    from recommender.metrics import platt_fit
    from recommender.scoring import ModelScorer

    if not held:
        return
    for i, labels in held.items():
        seqs[i].risk_label = labels
    chosen = [seqs[i] for i in held]
    scores = ModelScorer(model, device=device).score(chosen)
    p = np.concatenate([sc.risk for sc in scores]).astype(np.float64)
    y = np.concatenate([s.risk_label for s in chosen])
    keep = y >= 0
    p = np.clip(p[keep], 1e-6, 1 - 1e-6)
    a, b = platt_fit(np.log(p / (1 - p)), y[keep])
    with torch.no_grad():
        model.risk_scale.fill_(a)
        model.risk_shift.fill_(b)
