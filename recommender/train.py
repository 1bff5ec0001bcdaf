"""Training: setup -> train (a checkpoint per epoch, resumable) -> save the artifact.

Single process on CPU or one GPU, or several processes under ``torchrun`` (any
``WORLD_SIZE > 1``): DistributedDataParallel with the gloo backend on CPU (NCCL on
GPUs), each rank taking every ``world_size``-th batch of the epoch's batch list, and
rank 0 alone writing checkpoints and the artifact. With a fixed seed, CPU runs are
deterministic, and a run resumed from its last checkpoint ends with the same weights
as an uninterrupted one (the checkpoint holds the model, the optimiser, the epoch and
the RNG state; the batch order and the learning rate are functions of seed, epoch and
step).

Where the time goes, and the defaults that follow (measured on a 1M-event simulated
cohort, 2-core CPU shared with other work; ``recommender/README.md``):

* training windows overlap by ``train_context`` (32) events, not half a window as the
  scoring windows do: each event is a target once, and 14% rather than 100% of a long
  learner's events are encoded twice;
* batches group windows of similar length under a budget of ``batch_size * max_len``
  padded events (``batching.length_batches``): no step spends its time on padding;
* no dropout on the attention weights (``model.CausalSelfAttention``): it would force
  PyTorch's unfused attention and a (B, H, T, T) random mask, 2.3x slower steps;
* one torch thread (``threads``): on a 2-core machine where anything else runs, a
  second intra-op thread makes each step several times slower, not faster;
* a linear warm-up then cosine decay of the learning rate, so the last epoch is
  usually the best one and 10 epochs suffice.

Validation and early stopping: ``valid_frac`` of the training learners (or those of
``valid_file``) are left out of training and scored after every epoch by the
evaluation's own scorer (``evaluate.validation_scores``); the epoch's history records
``valid`` (each head's loss, ``kt_auc``, ``next_hr10``, ``risk_auc``). Training stops
once ``early_stop_metric`` has not improved for ``patience`` epochs, and the best epoch's
weights (kept in memory and in the checkpoint) are the ones saved. ``PRESETS`` names
configurations (``clickstream``: the defaults; ``kt``: knowledge tracing on graded
question interactions).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.distributed as torch_dist

import recommender
from recommender import artifact
from recommender.batching import collate, length_batches, make_windows
from recommender.bench import peak_gpu_memory_mib, peak_memory_mib
from recommender.data import (
    DATABASE_IDS_HEADER,
    NONE,
    PAD,
    UNK,
    Vocabularies,
    build_sequences,
    load_events,
    read_database_ids,
    resolve_learner_file,
    split_learners,
    time_seconds,
)
from recommender.evaluate import VALIDATION_KEYS, target_counts, validation_scores
from recommender.model import LossWeights, ModelConfig, SequenceModel, compute_loss

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = "last.pt"

# Named starting points for TrainConfig (``TrainConfig.from_preset``, ``--preset``); explicit
# settings override them. The ``kt`` values come from benchmarks/kt_pykt.py (its KT-only row).
PRESETS: dict[str, dict[str, Any]] = {
    "clickstream": {},  # the defaults: the whole clickstream, all three heads
    "kt": {  # knowledge tracing on graded question interactions (e.g. an imported KT data set)
        # chosen on fold 1 of AKT's ASSIST2009 and Statics2011 folds (docs/benchmarks.md,
        # "kt_public"; validation AUC, test AUC in brackets)
        "arch": "gru",  # a GRU (DKT's recurrence) over the interactions: Statics 0.829 (0.832)
        "n_layers": 1,  # against the 2-layer Transformer's 0.816 (0.817); ASSIST2009 equal
        # (0.774 / 0.773), in a quarter of the time to its best epoch
        "lr": 1e-2,  # ~90x fewer events per interaction than a clickstream: 3e-3 under-trains
        "d_model": 64,  # Transformer 48 / 64: 0.770 / 0.772 on ASSIST2009; GRU 64 / 128 on
        "d_ff": 128,  # Statics: 0.829 / 0.826
        "question_embedding": "rasch",  # 17k ASSIST2009 problems seen ~10 times each: a vector
        # per problem overfits (0.740 with 30% of them masked to <unk>); Rasch: 0.755
        "wide_lr_mult": 1.0,  # per-problem biases at 10x the rate overfit within 2 epochs
        "dropout": 0.2,  # with the rate above: 0.761 (a 5-epoch schedule)
        "w_risk": 0.0,  # interaction logs have no real clock: no disengagement to learn
        "early_stop_metric": "kt_auc",  # keep the epoch that predicts correctness best
    },
}
EARLY_STOP_METRICS = {"loss": "min", "kt_auc": "max", "next_hr10": "max"}  # metric -> better direction
MIN_TRAIN_LEARNERS = 10  # fewer training learners left after the validation split: no validation


@dataclass
class TrainConfig:
    # data
    seed: int = 0  # seeds the split, the initialisation, the batch order and dropout
    holdout_frac: float = 0.2  # fraction of learners held out (ignored with holdout_file)
    holdout_file: str | None = None  # held-out learners, one a line: learner_key or learner_id
    valid_frac: float = 0.1  # share of the training learners validated on (ignored with valid_file)
    valid_file: str | None = None  # validation learners, one a line (e.g. a published fold's valid file)
    preset: str = "clickstream"  # the PRESETS entry these settings started from (recorded)
    horizon_days: float = 14.0  # disengagement horizon (and censoring window)
    # model
    arch: str = "transformer"  # "transformer" or "gru"
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 128
    dropout: float = 0.1
    max_len: int = 256  # events of context per window
    question_embedding: str = "full"  # "full" or "rasch" (model.ModelConfig)
    train_context: int = 32  # events a later training window repeats from the previous one
    # optimisation
    epochs: int = 10
    batch_size: int = 16  # full-length windows per step (per rank): a budget of batch_size * max_len events
    min_steps: int = 100  # ... made smaller on small data, so an epoch has about this many steps at least
    lr: float = 3e-3  # peak learning rate
    warmup: float = 0.05  # share of the steps with a linear warm-up
    min_lr: float = 0.1  # cosine decay to this fraction of lr over the remaining steps
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    wide_lr_mult: float = 10.0  # learning-rate multiplier of the wide correctness part
    unk_prob: float = 0.02  # inputs replaced by <unk> in training, so unseen items are handled
    w_next: float = 1.0  # loss weights
    w_kt: float = 1.0
    w_risk: float = 1.0
    risk_calibration_frac: float = 0.15  # learners whose risk labels are held back to fit Platt scaling
    threads: int = 1  # torch intra-op threads while training (0: leave torch's setting)
    # early stopping (needs validation learners)
    patience: int = 3  # epochs without improvement of early_stop_metric before stopping (0: never stop early)
    early_stop_metric: str = "loss"  # "loss" (next + correctness validation loss), "kt_auc", "next_hr10"

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}: choose among {', '.join(PRESETS)}")
        if self.early_stop_metric not in EARLY_STOP_METRICS:
            raise ValueError(
                f"unknown early_stop_metric {self.early_stop_metric!r}: choose among {', '.join(EARLY_STOP_METRICS)}"
            )
        if not 0.0 <= self.valid_frac < 1.0:
            raise ValueError("valid_frac must be in [0, 1)")
        if self.patience < 0:
            raise ValueError("patience must be 0 (no early stopping) or more")

    @classmethod
    def from_preset(cls, name: str = "clickstream", **overrides: Any) -> TrainConfig:
        """The defaults, then the preset's values, then ``overrides``."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}: choose among {', '.join(PRESETS)}")
        return cls(**{**PRESETS[name], **overrides, "preset": name})

    def model_config(self, vocabs: Vocabularies) -> ModelConfig:
        return ModelConfig(
            n_activities=len(vocabs.activities),
            n_verbs=len(vocabs.verbs),
            n_questions=len(vocabs.questions),
            arch=self.arch,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            d_ff=self.d_ff,
            dropout=self.dropout,
            max_len=self.max_len,
            question_embedding=self.question_embedding,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Settings that must match for a resume to continue the same run.
_RESUME_KEYS = ("seed", "holdout_frac", "holdout_file", "horizon_days", "arch", "d_model", "n_layers",
                "n_heads", "d_ff", "max_len", "train_context", "batch_size", "min_steps", "lr", "warmup", "min_lr",
                "weight_decay", "valid_frac", "valid_file", "early_stop_metric")  # fmt: skip


@dataclass
class TrainResult:
    model: SequenceModel  # the unwrapped model (on every rank)
    vocabs: Vocabularies
    history: list[dict[str, Any]]  # per epoch: mean losses, validation scores, seconds, peak memory
    out_dir: Path
    rank: int
    world_size: int
    best_epoch: int | None = None  # the epoch whose weights were kept (None: the last, no validation)
    stop_reason: str = ""


@dataclass
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    initialised_here: bool

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str | None = None) -> DistInfo:
    """Join the process group when launched by torchrun (``WORLD_SIZE > 1``): gloo on
    CPU, NCCL on CUDA. Picks CUDA when available unless ``device`` says otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local % max(torch.cuda.device_count(), 1))
        torch.cuda.set_device(dev)
    here = False
    if world > 1 and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
        here = True
    return DistInfo(rank, world, local, dev, here)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _augment_unk(batch, prob: float, gen: torch.Generator) -> None:
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


def _rank_steps(n_batches: int, world_size: int) -> int:
    return -(-n_batches // world_size)


def _rank_share(batches: list, rank: int, world_size: int) -> list:
    """This rank's batches; every rank gets as many (the first ones repeat to pad), as
    DistributedDataParallel needs."""
    if world_size == 1:
        return batches
    n = _rank_steps(len(batches), world_size) * world_size
    padded = batches + batches[: n - len(batches)]
    return padded[rank::world_size]


class _Schedule:
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


def _checkpoint_path(out_dir: Path) -> Path:
    return out_dir / CHECKPOINT_DIR / CHECKPOINT_FILE


def _save_checkpoint(out_dir: Path, state: dict[str, Any]) -> None:
    path = _checkpoint_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(out_dir: str | Path) -> dict[str, Any] | None:
    path = _checkpoint_path(Path(out_dir))
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def train(
    events: str | Path | pd.DataFrame,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    code_version: str | None = None,
    progress: bool = True,
    device: str | None = None,
    on_batch_end: Callable[[int, int], None] | None = None,
) -> TrainResult:
    """Train on ``events`` and write the model version into ``out_dir``.

    ``resume``: continue from ``out_dir/checkpoints/last.pt`` when it exists (its
    vocabularies, split and settings win; a mismatching setting is an error).
    ``on_batch_end(epoch, step)`` is called after each optimiser step (tests use it to
    simulate an interruption).
    """
    cfg = config or TrainConfig()
    out = Path(out_dir)
    dist = setup_distributed(device)
    threads = torch.get_num_threads()
    if cfg.threads > 0 and dist.device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    try:
        return _train(events, out, cfg, dist, resume, code_version, progress, on_batch_end)
    finally:
        torch.set_num_threads(threads)
        if dist.initialised_here and torch_dist.is_initialized():
            torch_dist.destroy_process_group()


def _train(events, out: Path, cfg: TrainConfig, dist: DistInfo, resume, code_version, progress, on_batch_end):
    say = _say if dist.is_main else _quiet
    ckpt = load_checkpoint(out) if resume else None
    if ckpt is not None:
        saved = TrainConfig.from_dict(ckpt["train_config"])
        diff = [k for k in _RESUME_KEYS if getattr(saved, k) != getattr(cfg, k)]
        if diff:
            raise ValueError(f"--resume with settings that differ from the checkpoint's: {diff}")
    seed_everything(cfg.seed)

    # ---- setup: data, split (held-out, validation, training learners), vocabularies, sequences
    ev = load_events(events)
    all_ids = ev["learner_id"].unique().tolist()
    if ckpt is not None:
        holdout = list(ckpt["holdout_ids"])
        valid = list(ckpt.get("valid_ids", []))
        vocabs = Vocabularies.from_dict(ckpt["vocab"])
    else:
        if cfg.holdout_file:
            holdout = resolve_learner_file(cfg.holdout_file, ev)
        else:
            _, holdout = split_learners(all_ids, cfg.holdout_frac, cfg.seed)
        valid = _validation_learners(cfg, ev, sorted(set(all_ids) - set(holdout)), say)
        vocabs = None
    hold, val = set(holdout), set(valid)
    if hold & val:
        raise ValueError(
            f"{len(hold & val)} validation learner(s) are also held out, e.g. {sorted(hold & val)[:5]}"
        )
    train_ev = ev[~ev["learner_id"].isin(hold | val)]
    if len(train_ev) == 0:
        raise ValueError("no training events left after the hold-out and validation splits")
    if vocabs is None:
        vocabs = Vocabularies.build(train_ev)
    times = time_seconds(ev["time"])
    dataset_end = float(times.max())
    seqs = build_sequences(
        train_ev,
        vocabs,
        dataset_end=dataset_end,
        horizon_days=cfg.horizon_days,
        progress=progress and dist.is_main,
    )
    valid_seqs = build_sequences(
        ev[ev["learner_id"].isin(val)], vocabs, dataset_end=dataset_end, horizon_days=cfg.horizon_days
    )
    targets = target_counts(seqs)
    if targets["correctness"] == 0:
        say("no graded question interactions (quiz.graded): the correctness head is not trained")
    stopping = _check_early_stopping(cfg, valid_seqs, say)
    wins = make_windows(seqs, cfg.max_len, min(cfg.train_context, cfg.max_len - 1))
    budget = batch_budget(cfg, sum(w.length for w in wins), dist.world_size)

    # ---- model, optimiser
    model = SequenceModel(cfg.model_config(vocabs)).to(dist.device)
    opt = make_optimizer(model, cfg)
    start_epoch, history = 0, []
    best, stop_reason = None, ""  # best: {"epoch", "value", "model"} of the best validated epoch
    aug_gen = torch.Generator().manual_seed(cfg.seed + 1)
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start_epoch = int(ckpt["epoch"]) + 1
        history = list(ckpt["history"])
        torch.set_rng_state(ckpt["rng"])
        aug_gen.set_state(ckpt["aug_rng"])
        best, stop_reason = ckpt.get("best"), ckpt.get("stop_reason", "")
    net: torch.nn.Module = model
    if dist.world_size > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[dist.device.index] if dist.device.type == "cuda" else None
        )
    risk_labels = np.concatenate([s.risk_label for s in seqs])
    risk_base = float((risk_labels == 1).sum() / max((risk_labels >= 0).sum(), 1))
    calibration = _hold_back_risk_labels(seqs, cfg.risk_calibration_frac, cfg.seed)
    risk_labels = np.concatenate([s.risk_label for s in seqs])
    n_batches = len(length_batches(wins, budget, (cfg.seed, 0)))
    steps_per_epoch = _rank_steps(n_batches, dist.world_size)
    # every prediction point weighs the same, whichever batch it is in (model.LossWeights)
    risk_per_batch = float((risk_labels >= 0).sum()) / max(n_batches, 1)
    weights = LossWeights(cfg.w_next, cfg.w_kt, cfg.w_risk, risk_per_batch)
    schedule = _Schedule(cfg, steps_per_epoch * cfg.epochs)

    # ---- train, validating after each epoch
    for epoch in range(start_epoch, cfg.epochs):
        if stop_reason:  # a resumed run that had stopped early
            break
        began = time.perf_counter()
        batches = _rank_share(length_batches(wins, budget, (cfg.seed, epoch)), dist.rank, dist.world_size)
        net.train()
        sums = {"loss": 0.0, "next": 0.0, "kt": 0.0, "risk": 0.0}
        n_steps = n_events = 0
        bar = None
        if progress and dist.is_main:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(batches), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
        for step, ws in enumerate(batches):
            schedule.apply(opt, epoch * steps_per_epoch + step)
            batch = collate(seqs, ws)
            _augment_unk(batch, cfg.unk_prob, aug_gen)
            batch = batch.to(dist.device)
            outputs = net(batch)
            loss, parts = compute_loss(outputs, batch, weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            sums["loss"] += float(loss.detach())
            for k, v in parts.items():
                sums[k] += v
            n_steps += 1
            n_events += sum(w.length for w in ws)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
            if on_batch_end is not None:
                on_batch_end(epoch, step)
        if bar is not None:
            bar.close()
        stats = torch.tensor(
            [sums[k] for k in ("loss", "next", "kt", "risk")] + [n_steps, n_events], dtype=torch.float64
        )
        if dist.world_size > 1:
            torch_dist.all_reduce(stats)
        means = {
            k: float(stats[i] / max(float(stats[4]), 1)) for i, k in enumerate(("loss", "next", "kt", "risk"))
        }
        seconds = time.perf_counter() - began
        record = {"epoch": epoch + 1, **means, "seconds": round(seconds, 3), "events": int(stats[5])}
        if valid_seqs:
            record["valid"] = _validate(model, valid_seqs, cfg, dist)
        total = time.perf_counter() - began
        record["elapsed"] = round((history[-1].get("elapsed", 0.0) if history else 0.0) + total, 3)
        record["peak_rss_mib"] = peak_memory_mib()
        history.append(record)
        improved = False
        if stopping:
            value = record["valid"][cfg.early_stop_metric]
            if _better(value, best["value"] if best else None, EARLY_STOP_METRICS[cfg.early_stop_metric]):
                best = {"epoch": epoch + 1, "value": value, "model": _copy_state(model)}
                improved = True
            elif epoch + 1 - best_epoch(best) >= cfg.patience and epoch + 1 < cfg.epochs:
                stop_reason = (f"early stop after epoch {epoch + 1}: {cfg.early_stop_metric} did not improve "
                               f"for {cfg.patience} epoch(s)")  # fmt: skip
        say(_epoch_line(record, cfg.epochs, targets, cfg.early_stop_metric if improved else None))
        if dist.is_main:
            _save_checkpoint(
                out,
                {
                    "epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "rng": torch.get_rng_state(),
                    "aug_rng": aug_gen.get_state(),
                    "history": history,
                    "train_config": asdict(cfg),
                    "vocab": vocabs.to_dict(),
                    "holdout_ids": sorted(hold),
                    "valid_ids": sorted(val),
                    "best": best,
                    "stop_reason": stop_reason,
                },
            )
        if dist.world_size > 1:
            torch_dist.barrier()
    if not stop_reason:
        stop_reason = f"completed {len(history)} epoch(s)"
    if best is not None:  # the best validated epoch's weights, not the last epoch's
        model.load_state_dict(best["model"])
    kept = best_epoch(best) or (len(history) or None)
    peak = peak_memory_mib()
    gpu = peak_gpu_memory_mib(dist.device)
    say(f"{stop_reason}; kept the weights of epoch {kept}"
        + (f" (best validation {cfg.early_stop_metric}: {best['value']:.4f})" if best else "")
        + f"; peak memory {peak:,.0f} MiB" + (f", GPU {gpu:,.0f} MiB" if gpu is not None else ""))  # fmt: skip

    # ---- calibrate the risk on the held-back labels, then save the version
    if dist.is_main:
        _calibrate_risk(model, seqs, calibration, dist.device)
        t_train = time_seconds(train_ev["time"])
        window = {
            "start": _iso(float(t_train.min())),
            "end": _iso(float(t_train.max())),
            "dataset_end": _iso(dataset_end),
            "n_events": int(len(train_ev)),
            "n_learners": int(len(seqs)),
            "n_valid_learners": int(len(valid_seqs)),
            "n_holdout_learners": int(len(hold & set(all_ids))),
        }
        training = {**asdict(cfg), "history": history, "world_size": dist.world_size, "best_epoch": kept,
                    "stop_reason": stop_reason, "targets": targets, "peak_rss_mib": peak}  # fmt: skip
        if gpu is not None:
            training["peak_gpu_mib"] = gpu
        artifact.save_artifact(
            out,
            model=model,
            vocabs=vocabs,
            training=training,
            data_window=window,
            code_version=code_version or f"recommender {recommender.__version__}",
            extras={"risk_base_rate": risk_base, "pad_id": PAD},
            holdout_ids=sorted(hold),
        )
    if dist.world_size > 1:
        torch_dist.barrier()
    return TrainResult(model.cpu(), vocabs, history, out, dist.rank, dist.world_size, kept, stop_reason)


def _say(text: str) -> None:
    print(text, flush=True)


def _quiet(text: str) -> None:
    pass


def _validation_learners(cfg: TrainConfig, ev: pd.DataFrame, train_ids: list[int], say) -> list[int]:
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


def _check_early_stopping(cfg: TrainConfig, valid_seqs: list, say) -> bool:
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


def _validate(model: SequenceModel, valid_seqs: list, cfg: TrainConfig, dist: DistInfo) -> dict[str, float]:
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


def _better(value: float | None, best: float | None, direction: str) -> bool:
    if value is None or not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if direction == "min" else value > best


def best_epoch(best: dict[str, Any] | None) -> int:
    return int(best["epoch"]) if best else 0


def _copy_state(model: SequenceModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _epoch_line(record: dict[str, Any], epochs: int, targets: dict[str, int], best_metric: str | None) -> str:
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


# ---------------------------------------------------------------------------- frozen held-out learners
HOLDOUT_RATE = 0.2  # share of new learners that join the frozen held-out set


def frozen_holdout(path: str | Path, learner_ids: Iterable[int], *, rate: float = HOLDOUT_RATE) -> list[int]:
    """The held-out learners that every model version is trained without and scored on,
    kept in ``path`` (one id a line; a ``#`` header holds the key, the rule and
    ``data.DATABASE_IDS_HEADER``, so the file is also a valid ``holdout_file`` of database
    ids) and grown by one documented rule:

    * a learner already in the file stays in it, forever (and is never trained on);
    * any other learner of ``learner_ids`` joins when a keyed hash of their id
      (BLAKE2b with the file's random key, as a number in [0, 1)) is below the rate
      recorded in the file when it was created (``rate`` then, ``HOLDOUT_RATE`` by
      default).

    Membership depends on the learner id and the key only, so a learner's side of the
    split never changes between versions, new learners are held out at a steady rate,
    and the baselines, fitted on the same training learners and scored on the same
    held-out ones, score identically on the same data. Returns the members (sorted),
    after writing the file when it grew."""
    import hashlib
    import secrets

    path = Path(path)
    key, members = None, set()
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("# key: "):
                key = line.removeprefix("# key: ").strip()
            elif line.startswith("# rate: "):
                rate = float(line.removeprefix("# rate: ").strip())
        members = set(read_database_ids(path))
        if key is None:
            raise ValueError(f"{path} has no '# key:' line: it is not a frozen held-out set")
    if not 0.0 < rate < 1.0:
        raise ValueError("the held-out rate must be in (0, 1)")
    key = key or secrets.token_hex(16)
    digest_key = bytes.fromhex(key)

    def held_out(learner: int) -> bool:
        digest = hashlib.blake2b(str(int(learner)).encode(), key=digest_key, digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < rate

    grown = members | {int(i) for i in learner_ids if held_out(i)}
    if grown != members or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            "# Frozen held-out learners (recommender.train.frozen_holdout): members stay; a new learner\n"
            "# joins when blake2b(id, key) / 2**64 < rate. Never edit by hand.\n"
            f"{DATABASE_IDS_HEADER}\n# key: {key}\n# rate: {rate}\n"
            + "".join(f"{i}\n" for i in sorted(grown))
        )
        os.replace(tmp, path)
    return sorted(grown)


def _hold_back_risk_labels(seqs: list, frac: float, seed: int) -> dict[int, np.ndarray]:
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


def _calibrate_risk(model: SequenceModel, seqs: list, held: dict[int, np.ndarray], device) -> None:
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


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
