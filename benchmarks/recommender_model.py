"""The recommender model's own speed (never run by the tests): serving latency and
training throughput, with no platform around it.

    from benchmarks.recommender_model import bench_inference, bench_training
    bench_inference("var/models/m1", events)   # {"median_ms": ..., "p99_ms": ..., ...}
    bench_training(events)                     # {"tokens_per_s": ..., ...}

or, on a trained model and an events file, from the repository root (no database needed):

    python -m benchmarks.recommender_model --model DIR --events X.parquet [--threads 1]

``recommender_serving`` times the same inference behind the platform.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recommender.artifact import Recommender
from recommender.batching import collate, length_batches, make_windows
from recommender.data import Vocabularies, build_sequences
from recommender.event_frame import load_events
from recommender.model import LossWeights, SequenceModel, compute_loss


def learner_history(events: pd.DataFrame, n_events: int = 200) -> pd.DataFrame:
    """The first ``n_events`` events of the learner with the most events."""
    counts = events["learner_id"].value_counts()
    learner = int(counts.index[0])
    hist = events[events["learner_id"] == learner].sort_values("time", kind="stable")
    return hist.head(n_events).reset_index(drop=True)


def bench_inference(
    model: str | Path | Recommender,
    events: pd.DataFrame | str | Path,
    *,
    n_events: int = 200,
    calls: int = 200,
    warmup: int = 20,
    questions: int = 5,
) -> dict[str, Any]:
    """Latency of ``Recommender.predict`` on one learner's history of ``n_events``
    events (DataFrame in, ranked activities and risk out: encoding included), over
    ``calls`` calls; and of ``correctness_many`` for ``questions`` question keys."""
    rec = model if isinstance(model, Recommender) else Recommender.load(model)
    ev = load_events(events) if not isinstance(events, pd.DataFrame) else events
    hist = learner_history(ev, n_events)
    keys = rec.vocabs.questions.itos[2 : 2 + questions]
    for _ in range(warmup):
        rec.predict(hist).correctness_many(keys)
    predict_ms, kt_ms = [], []
    for _ in range(calls):
        t0 = time.perf_counter()
        pred = rec.predict(hist)
        t1 = time.perf_counter()
        pred.correctness_many(keys)
        t2 = time.perf_counter()
        predict_ms.append((t1 - t0) * 1e3)
        kt_ms.append((t2 - t1) * 1e3)
    p, k = np.array(predict_ms), np.array(kt_ms)
    return {
        "n_events": len(hist),
        "calls": calls,
        "median_ms": float(np.median(p)),
        "p99_ms": float(np.percentile(p, 99)),
        "mean_ms": float(p.mean()),
        "correctness_median_ms": float(np.median(k)),
        "correctness_questions": len(keys),
        "torch_threads": torch.get_num_threads(),
        "device": str(rec.device),
    }


def bench_training(
    events: pd.DataFrame | str | Path,
    *,
    config: Any | None = None,
    steps: int = 20,
    warmup: int = 2,
    device: str | None = None,
) -> dict[str, Any]:
    """Training throughput (forward + backward + AdamW step) over ``steps`` batches built
    as training builds them (training windows, length-bucketed batches, ``config.threads``
    threads): events (tokens) and question interactions processed per second. Setup
    (loading, encoding) is not timed."""
    from recommender.distributed import seed_everything
    from recommender.optim import batch_budget, make_optimizer
    from recommender.train import TrainConfig

    cfg = config or TrainConfig()
    seed_everything(cfg.seed)
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    threads = torch.get_num_threads()
    if cfg.threads > 0 and dev.type == "cpu":
        torch.set_num_threads(cfg.threads)
    ev = load_events(events)
    vocabs = Vocabularies.build(ev)
    seqs = build_sequences(ev, vocabs, horizon_days=cfg.horizon_days)
    wins = make_windows(seqs, cfg.max_len, min(cfg.train_context, cfg.max_len - 1))
    batches = length_batches(wins, batch_budget(cfg, sum(w.length for w in wins)), (cfg.seed, 0))
    model = SequenceModel(cfg.model_config(vocabs)).to(dev).train()
    opt = make_optimizer(model, cfg)
    weights = LossWeights(cfg.w_next, cfg.w_kt, cfg.w_risk)
    tokens = interactions = 0
    elapsed = 0.0
    try:
        for i, ws in enumerate(itertools.islice(itertools.cycle(batches), warmup + steps)):
            batch = collate(seqs, ws).to(dev)
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            loss, _ = compute_loss(model(batch), batch, weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            if i >= warmup:
                elapsed += time.perf_counter() - t0
                tokens += sum(w.length for w in ws)
                interactions += int(batch.kt_mask.sum())
        used = torch.get_num_threads()
    finally:
        torch.set_num_threads(threads)
    return {
        "steps": steps,
        "batch_size": cfg.batch_size,
        "seconds": elapsed,
        "tokens_per_s": tokens / elapsed,
        "question_interactions_per_s": interactions / elapsed,
        "torch_threads": used,
        "device": str(dev),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.recommender_model", description=__doc__.split("\n")[0]
    )
    p.add_argument("--model", required=True, help="a trained model folder")
    p.add_argument("--events", required=True, help="an events file (Parquet or CSV, as exported)")
    p.add_argument("--n-events", type=int, default=200, help="history length for the latency benchmark")
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--steps", type=int, default=20, help="training steps timed")
    p.add_argument("--inference-only", action="store_true")
    p.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ev = load_events(args.events)
    out = {"inference": bench_inference(args.model, ev, n_events=args.n_events, calls=args.calls)}
    if not args.inference_only:
        out["training"] = bench_training(ev, steps=args.steps)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
