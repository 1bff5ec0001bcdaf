"""pyKT's own models (DKT, DKT+, AKT, simpleKT), trained and scored by pyKT's protocol.

So that ``python -m recommender benchmark`` can put published knowledge-tracing models next to
Cairn's on the same folds, in the same run, with the same predicted interactions.

Where the models come from
    DKT, DKT+ and AKT are pykt-toolkit's own classes (``PYKT_VERSION``, from PyPI), installed
    once with ``pip install --no-deps --target var/bench/pykt`` (the package's ``__init__``
    imports wandb, so the model files are loaded by path: ``load_pykt_models``). simpleKT is not
    in any pykt-toolkit release on PyPI; ``recommender.benchmark.simplekt`` is pyKT's network
    written anew (it loads pyKT's state dicts and gives the same outputs).

The protocol (pyKT's ``preprocess/split_datasets.py``, ``datasets/data_loader.py``,
``models/train_model.py``, ``models/evaluate_model.py``, ``examples/wandb_*_train.py``)
    * Ids are mapped over the whole data set (here: the union of the fold's train, valid and
      test frames), 0-based. A data set without distinct question ids (3-line AKT layouts such
      as statics: ``concepts`` empty) is concept-only: the item is the concept, ``num_q = 0``.
      One concept per interaction (several: their combination; see ``encode_fold``).
    * Sequences shorter than ``MIN_LEN`` (3) are left out, in every part (counted in
      ``KTFold.dropped``). Training and validation sequences are cut into chunks of
      ``MAXLEN`` (200); a last chunk shorter than ``MIN_LEN`` is left out too (counted).
    * Each model at its defaults (``DEFAULTS``): Adam, the learning rate and batch size of
      pyKT's example scripts, training batches shuffled; the loss of pyKT's ``cal_loss`` (BCE on
      the next response; DKT+ adds ``lambda_r`` x the BCE on the current response and
      ``lambda_w1`` / ``lambda_w2`` x the L1 / squared-L2 change of the prediction vector,
      each over ``num_c``; AKT adds its Rasch ``l2`` term).
    * After each epoch, AUC on the validation chunks; an epoch is the new best when its AUC beats
      the best by more than 1e-3; training stops after ``patience`` epochs without one (pyKT:
      10, over at most 200 epochs) or ``max_epochs``; the best epoch's weights are scored.
    * Test = pyKT's window evaluation (``window_plan``): every interaction of every test
      sequence except its first is predicted; position p < MAXLEN from positions 0..p-1,
      position p >= MAXLEN from the MAXLEN - 1 interactions before it (p-199..p-1).

The folds' encoding, chunks and evaluation windows are in ``recommender.benchmark.pykt_data``;
this module installs and loads the models, trains and scores them.
"""

from __future__ import annotations

import copy
import importlib.util
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.nn.functional import binary_cross_entropy

from recommender.benchmark.pykt_data import MAXLEN, Batchable, KTFold, chunk_drops, chunks, windows
from recommender.metrics import correctness_metrics, roc_auc

ROOT = Path(__file__).resolve().parents[2]
PYKT_VERSION = "0.0.38"
PYKT_TARGET = ROOT / "var" / "bench" / "pykt"
MIN_DELTA = 1e-3  # a validation AUC must beat the best by more than this to count as better
MODELS = ("dkt", "dkt+", "akt", "simplekt")
LABELS = {"dkt": "DKT", "dkt+": "DKT+", "akt": "AKT", "simplekt": "simpleKT"}

# Each model's defaults: pyKT's examples/wandb_<model>_train.py (their argparse defaults are the
# model config) and the batch size wandb_train.py gives it (256, or 64 for AKT and simpleKT).
DEFAULTS: dict[str, dict] = {
    "dkt": {"emb_size": 200, "dropout": 0.2, "lr": 1e-3, "batch_size": 256},
    "dkt+": {
        "emb_size": 200,
        "dropout": 0.2,
        "lambda_r": 0.01,
        "lambda_w1": 0.003,
        "lambda_w2": 3.0,
        "lr": 1e-3,
        "batch_size": 256,
    },  # fmt: skip
    "akt": {
        "d_model": 256,
        "d_ff": 512,
        "num_attn_heads": 8,
        "n_blocks": 4,
        "dropout": 0.2,
        "l2": 1e-5,
        "lr": 1e-4,
        "batch_size": 64,
    },  # fmt: skip
    "simplekt": {
        "d_model": 256,
        "d_ff": 256,
        "num_attn_heads": 4,
        "n_blocks": 2,
        "dropout": 0.1,
        "final_fc_dim": 256,
        "final_fc_dim2": 256,
        "lr": 1e-4,
        "batch_size": 64,
    },  # fmt: skip
}


class PyktUnavailable(RuntimeError):
    """pykt-toolkit could not be installed (the message says why)."""


def ensure_pykt(target: Path = PYKT_TARGET) -> Path:
    """Install pykt-toolkit ``PYKT_VERSION`` into ``target`` once (without its dependencies:
    the model files need torch and numpy only); return the folder of its model files."""
    models = Path(target) / "pykt" / "models"
    if not (models / "akt.py").is_file():
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
               f"pykt-toolkit=={PYKT_VERSION}"]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not (models / "akt.py").is_file():
            raise PyktUnavailable(
                f"could not install pykt-toolkit=={PYKT_VERSION} into {target} "
                f"(`{' '.join(cmd)}` exited {done.returncode}): {done.stderr.strip()[-600:]}"
            )
    return models


def load_pykt_models(target: Path = PYKT_TARGET) -> dict[str, type[torch.nn.Module]]:
    """The four model classes by name (``MODELS``): pykt-toolkit's DKT, DKTPlus and AKT, loaded
    from their files, and the simpleKT of ``recommender.benchmark.simplekt``."""
    from recommender.benchmark.simplekt import SimpleKT

    folder = ensure_pykt(target)
    classes: dict[str, type[torch.nn.Module]] = {}
    for name, module_name, cls in (
        ("dkt", "dkt", "DKT"),
        ("dkt+", "dkt_plus", "DKTPlus"),
        ("akt", "akt", "AKT"),
    ):
        spec = importlib.util.spec_from_file_location(f"pykt_{module_name}", folder / f"{module_name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        classes[name] = getattr(module, cls)
    classes["simplekt"] = SimpleKT
    return classes


# ---------------------------------------------------------------------------------------------
# Models, forward passes and losses as in pyKT's train_model / evaluate_model


def build_model(name: str, fold: KTFold, config: dict, classes: dict[str, type]) -> torch.nn.Module:
    """A model of ``MODELS`` sized for ``fold`` (pyKT's ``init_model``: DKT and DKT+ on concepts;
    AKT and simpleKT on concepts plus questions, ``num_q = 0`` turning the question term off)."""
    cfg = {k: v for k, v in config.items() if k not in ("lr", "batch_size")}
    if name in ("dkt", "dkt+"):
        return classes[name](fold.num_c, **cfg)
    if name == "akt":
        return classes[name](fold.num_c, fold.num_q, **cfg)
    if name == "simplekt":
        return classes[name](fold.num_c, fold.num_q, **cfg, seq_len=MAXLEN)
    raise ValueError(f"unknown model {name!r}; one of {MODELS}")


def _forward(name: str, model: torch.nn.Module, q, c, r, real) -> tuple[torch.Tensor, dict]:
    """p(correct) at positions 1..L-1 (B, L-1), each from the past only, and what the loss needs.

    The inputs are built as pyKT's data loader builds them: the shifted pairs keep a position
    where both it and the next are real, zeros elsewhere."""
    m = (real[:, :-1] & real[:, 1:]).long()  # (B, L-1)
    q0, c0, r0 = q[:, :-1] * m, c[:, :-1] * m, r[:, :-1] * m
    qs, cs, rs = q[:, 1:] * m, c[:, 1:] * m, r[:, 1:] * m
    if name in ("dkt", "dkt+"):
        y = model(c0, r0)  # (B, L-1, num_c): after step t, p(correct) of every concept
        p = torch.gather(y, 2, cs.unsqueeze(-1)).squeeze(-1)
        extra = {"y": y, "p_curr": torch.gather(y, 2, c0.unsqueeze(-1)).squeeze(-1), "r_curr": r0}
        return p, extra
    cq, cc, cr = (torch.cat([a[:, :1], b], dim=1) for a, b in ((q0, qs), (c0, cs), (r0, rs)))  # (B, L)
    if name == "akt":
        y, reg = model(cc, cr, cq)
        return y[:, 1:], {"reg": reg}
    return model(cc, cr, cq)[:, 1:], {}


def _loss(name: str, model, p, extra: dict, r, sm) -> torch.Tensor:
    """pyKT's ``cal_loss`` for the four models (in float64, as pyKT computes it)."""
    y, t = p[sm].double(), r[:, 1:][sm].double()
    loss = binary_cross_entropy(y, t)
    if name == "dkt+":
        loss_r = binary_cross_entropy(extra["p_curr"][sm].double(), extra["r_curr"][sm].double())
        diff = extra["y"][:, 1:] - extra["y"][:, :-1]  # (B, L-2, num_c)
        w1 = torch.norm(diff, p=1, dim=-1)[sm[:, 1:]].mean() / model.num_c
        w2 = (torch.norm(diff, p=2, dim=-1) ** 2)[sm[:, 1:]].mean() / model.num_c
        loss = loss + model.lambda_r * loss_r + model.lambda_w1 * w1 + model.lambda_w2 * w2
    elif name == "akt":
        loss = loss + extra["reg"]
    return loss


@torch.no_grad()
def predict(
    name: str, model: torch.nn.Module, data: Batchable, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Truths and p(correct) at the selected positions, in row then position order."""
    model.eval()
    ys, ps = [], []
    for i in range(0, len(data), batch_size):
        q, c, r, real, select = data.batch(np.arange(i, min(i + batch_size, len(data))))
        p, _ = _forward(name, model, q, c, r, real)
        sm = select[:, 1:]
        ys.append(r[:, 1:][sm].numpy())
        ps.append(p[sm].double().numpy())
    return np.concatenate(ys), np.concatenate(ps)


def train_epoch(name: str, model, opt, data: Batchable, batch_size: int, generator: torch.Generator,
                max_batches: int | None = None) -> float:  # fmt: skip
    """One epoch over shuffled batches; the mean loss (``max_batches`` stops early, for timing)."""
    model.train()
    losses = []
    order = torch.randperm(len(data), generator=generator).numpy()
    for b, i in enumerate(range(0, len(data), batch_size)):
        if max_batches is not None and b >= max_batches:
            break
        q, c, r, real, select = data.batch(order[i : i + batch_size])
        p, extra = _forward(name, model, q, c, r, real)
        loss = _loss(name, model, p, extra, r, select[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses))


def run_pykt(name: str, fold: KTFold, *, seed: int, max_epochs: int, patience: int, threads: int,
             time_limit_s: float | None = None, progress: bool | Callable[[str], None] = False,
             overrides: dict | None = None, return_predictions: bool = False) -> dict:  # fmt: skip
    """Train ``name`` on ``fold`` by pyKT's protocol; score its best epoch on the test windows.

    ``max_epochs`` / ``patience``: pyKT uses 200 / 10. ``time_limit_s``: no new epoch starts
    once training and validation have taken that long. ``overrides``: changes to ``DEFAULTS``.
    ``progress``: True prints a line per epoch to stderr; a callable receives it instead.

    Returns ``model``, ``label``, ``config``, ``seed``, ``threads``, ``n_params``, ``epochs`` (per
    epoch: ``epoch``, ``train_loss``, ``valid_auc``, ``seconds`` = cumulative training +
    validation wall seconds), ``best_epoch``, ``best_valid_auc``, ``seconds_to_best``,
    ``stopped`` (``patience``, ``max_epochs`` or ``time_limit``), ``test`` (``auc``,
    ``accuracy``, ``log_loss``, ``ece``, ``n``, ``seconds``) on ``window_plan``'s positions,
    ``n_train_interactions`` (scored per epoch), ``dropped`` and ``peak_rss_mb`` (the process's
    peak resident memory so far: an upper bound for this model). With ``return_predictions``,
    ``predictions``: {``y``, ``p``} arrays in ``predicted_rows`` order (not JSON).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; one of {MODELS}")
    if max_epochs < 1 or patience < 1:
        raise ValueError("max_epochs and patience must be at least 1")
    config = {**DEFAULTS[name], **(overrides or {})}
    say = progress if callable(progress) else (lambda s: print(s, file=sys.stderr, flush=True))
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        classes = load_pykt_models()
        torch.manual_seed(seed)
        np.random.seed(seed)
        model = build_model(name, fold, config, classes)
        opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
        train, valid = chunks(fold.train), chunks(fold.valid)
        generator = torch.Generator().manual_seed(seed)
        batch = config["batch_size"]
        history, best, best_state, stopped = [], None, None, "max_epochs"
        elapsed = 0.0
        for epoch in range(1, max_epochs + 1):
            began = time.perf_counter()
            loss = train_epoch(name, model, opt, train, batch, generator)
            y, p = predict(name, model, valid, batch)
            auc = roc_auc(y, p)
            elapsed += time.perf_counter() - began
            history.append({"epoch": epoch, "train_loss": loss, "valid_auc": auc, "seconds": elapsed})
            if best is None or auc > best["valid_auc"] + MIN_DELTA:
                best, best_state = history[-1], copy.deepcopy(model.state_dict())
            if progress:
                say(f"{LABELS[name]} epoch {epoch}: loss {loss:.4f}, valid AUC {auc:.4f} "
                    f"(best {best['valid_auc']:.4f} at {best['epoch']}), {elapsed:.0f} s")  # fmt: skip
            if epoch - best["epoch"] >= patience:
                stopped = "patience"
                break
            if time_limit_s is not None and elapsed >= time_limit_s and epoch < max_epochs:
                stopped = "time_limit"
                break
        model.load_state_dict(best_state)
        began = time.perf_counter()
        y, p = predict(name, model, windows(fold.test), batch)
        test = {**correctness_metrics(y, p), "seconds": time.perf_counter() - began}
    finally:
        torch.set_num_threads(previous_threads)
    out = {
        "model": name, "label": f"{LABELS[name]} (pyKT)", "config": config, "seed": seed, "threads": threads,
        "n_params": sum(x.numel() for x in model.parameters() if x.requires_grad),
        "epochs": history, "best_epoch": best["epoch"], "best_valid_auc": best["valid_auc"],
        "seconds_to_best": best["seconds"], "stopped": stopped, "test": test,
        "n_train_interactions": int(train.select[:, 1:].sum()),
        "dropped": {**fold.dropped, "train_chunks": {"interactions": chunk_drops(fold.train)}},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }  # fmt: skip
    if return_predictions:
        out["predictions"] = {"y": y, "p": p}
    return out
