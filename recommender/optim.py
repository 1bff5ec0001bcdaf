"""The optimisation step's settings: AdamW with faster "wide" parameters, the padded
events per step (``batch_budget``), the learning-rate schedule (linear warm-up, cosine
decay) and the ``<unk>`` input augmentation (``recommender.train`` runs the loop)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

from recommender.data import NONE, UNK

if TYPE_CHECKING:
    from recommender.model import SequenceModel
    from recommender.train import TrainConfig


def augment_unk(batch, prob: float, gen: torch.Generator) -> None:
    """Replace a fraction of real input activities / questions by <unk> (in place)."""
    if prob <= 0:
        return
    a = batch.activity
    hit = (torch.rand(a.shape, generator=gen) < prob) & (a > NONE)
    batch.activity = torch.where(hit, torch.full_like(a, UNK), a)
    q = batch.kt_question
    hit = (torch.rand(q.shape, generator=gen) < prob) & (q > UNK)
    batch.kt_question = torch.where(hit, torch.full_like(q, UNK), q)


def make_optimizer(model: SequenceModel, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW; the few "wide" parameters (correctness: per-question bias, prior-count
    weights; disengagement: the weights of recent activity, time away and tenure) learn
    ``wide_lr_mult`` times faster and without weight decay, as a
    logistic regression would: otherwise a few hundred steps cannot move a question's
    difficulty far enough."""
    wide = [model.q_bias.weight, *model.kt_wide.parameters(), *model.risk_wide.parameters(),
            model.risk_elapsed.weight]  # fmt: skip
    ids = {id(p) for p in wide}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return torch.optim.AdamW(
        [
            {"params": rest, "peak_lr": cfg.lr},
            {"params": wide, "lr": cfg.lr * cfg.wide_lr_mult, "peak_lr": cfg.lr * cfg.wide_lr_mult,
             "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
    )  # fmt: skip


def batch_budget(cfg: TrainConfig, n_events: int, world_size: int = 1) -> int:
    """Padded events per step and rank: ``batch_size * max_len``, less on small data so
    that an epoch has about ``min_steps`` steps (never below ``max_len``). A few hundred
    learners would otherwise get a handful of steps per epoch, too few for the wide
    correctness part to learn each question's difficulty."""
    full = cfg.batch_size * cfg.max_len
    if cfg.min_steps <= 0:
        return full
    return max(min(full, n_events // (cfg.min_steps * world_size)), cfg.max_len)


class Schedule:
    """Linear warm-up over ``warmup`` of the steps, then cosine decay to ``min_lr`` of
    each group's peak rate; a function of the global step only (so a resumed run
    follows the same schedule)."""

    def __init__(self, cfg: TrainConfig, total_steps: int) -> None:
        self.total = max(total_steps, 1)
        self.warm = max(int(round(cfg.warmup * self.total)), 0)
        self.floor = cfg.min_lr

    def factor(self, step: int) -> float:
        if step < self.warm:
            return (step + 1) / self.warm
        span = max(self.total - self.warm, 1)
        progress = min(max(step - self.warm, 0) / span, 1.0)
        return self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * progress))

    def apply(self, opt: torch.optim.Optimizer, step: int) -> None:
        f = self.factor(step)
        for group in opt.param_groups:
            group["lr"] = group["peak_lr"] * f
