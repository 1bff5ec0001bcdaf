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
import os
import time
from collections.abc import Callable
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
from recommender.data import PAD, Vocabularies, build_sequences
from recommender.distributed import DistInfo, rank_share, rank_steps, seed_everything, setup_distributed
from recommender.evaluate import target_counts
from recommender.event_frame import load_events, time_seconds
from recommender.model import LossWeights, ModelConfig, SequenceModel, compute_loss
from recommender.optim import Schedule, augment_unk, batch_budget, make_optimizer
from recommender.resources import peak_gpu_memory_mib, peak_memory_mib
from recommender.splits import resolve_learner_file, split_learners
from recommender.validation import (
    best_epoch,
    better,
    calibrate_risk,
    check_early_stopping,
    copy_state,
    epoch_line,
    hold_back_risk_labels,
    validate,
    validation_learners,
)

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
# The settings passed on to the model's ModelConfig as they are (the vocabulary sizes come from the data).
_MODEL_KEYS = ("arch", "d_model", "n_layers", "n_heads", "d_ff", "dropout", "max_len", "question_embedding")


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
            **{name: getattr(self, name) for name in _MODEL_KEYS},
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
        valid = validation_learners(cfg, ev, sorted(set(all_ids) - set(holdout)), say)
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
    stopping = check_early_stopping(cfg, valid_seqs, say)
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
    calibration = hold_back_risk_labels(seqs, cfg.risk_calibration_frac, cfg.seed)
    risk_labels = np.concatenate([s.risk_label for s in seqs])
    n_batches = len(length_batches(wins, budget, (cfg.seed, 0)))
    steps_per_epoch = rank_steps(n_batches, dist.world_size)
    # every prediction point weighs the same, whichever batch it is in (model.LossWeights)
    risk_per_batch = float((risk_labels >= 0).sum()) / max(n_batches, 1)
    weights = LossWeights(cfg.w_next, cfg.w_kt, cfg.w_risk, risk_per_batch)
    schedule = Schedule(cfg, steps_per_epoch * cfg.epochs)

    # ---- train, validating after each epoch
    for epoch in range(start_epoch, cfg.epochs):
        if stop_reason:  # a resumed run that had stopped early
            break
        began = time.perf_counter()
        batches = rank_share(length_batches(wins, budget, (cfg.seed, epoch)), dist.rank, dist.world_size)
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
            augment_unk(batch, cfg.unk_prob, aug_gen)
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
            record["valid"] = validate(model, valid_seqs, cfg, dist)
        total = time.perf_counter() - began
        record["elapsed"] = round((history[-1].get("elapsed", 0.0) if history else 0.0) + total, 3)
        record["peak_rss_mib"] = peak_memory_mib()
        history.append(record)
        improved = False
        if stopping:
            value = record["valid"][cfg.early_stop_metric]
            if better(value, best["value"] if best else None, EARLY_STOP_METRICS[cfg.early_stop_metric]):
                best = {"epoch": epoch + 1, "value": value, "model": copy_state(model)}
                improved = True
            elif epoch + 1 - best_epoch(best) >= cfg.patience and epoch + 1 < cfg.epochs:
                stop_reason = (f"early stop after epoch {epoch + 1}: {cfg.early_stop_metric} did not improve "
                               f"for {cfg.patience} epoch(s)")  # fmt: skip
        say(epoch_line(record, cfg.epochs, targets, cfg.early_stop_metric if improved else None))
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
        calibrate_risk(model, seqs, calibration, dist.device)
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


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
