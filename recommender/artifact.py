"""A model version as a directory, and the :class:`Recommender` that serves it.

Layout (``FORMAT_VERSION`` 1)::

    DIR/
      model.pt              the state_dict (torch.save; loaded with weights_only=True)
      config.json           format_version, model hyper-parameters, vocabularies,
                            training settings, data window, metrics (or null),
                            code_version, created, weights {file, sha256, bytes}, extras
      holdout_learners.txt  optional: the held-out learner ids (one per line), so that
                            ``evaluate`` scores the learners training never saw
      checkpoints/          optional: training's resumable per-epoch checkpoint (not
                            part of the version; ``load`` ignores it)

:func:`load_artifact` refuses with :class:`ArtifactError` a missing file, unreadable
JSON, a weights file whose sha256 differs from the recorded one (corrupt or truncated),
one torch cannot load, an unknown format version and a config inconsistent with the
weights or vocabularies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from recommender.data import NONE, UNK, LearnerSequence, Vocabularies, answer_counts, encode_history
from recommender.disengagement import elapsed_bucket, risk_features
from recommender.model import ModelConfig, SequenceModel, special_activity_mask
from recommender.splits import write_learner_ids

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.pt"
CONFIG_FILE = "config.json"
HOLDOUT_FILE = "holdout_learners.txt"


class ArtifactError(Exception):
    """A model directory that cannot be used; the message says why."""


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_artifact(
    path: str | Path,
    *,
    model: SequenceModel,
    vocabs: Vocabularies,
    training: dict[str, Any],
    data_window: dict[str, Any],
    code_version: str,
    metrics: dict[str, Any] | None = None,
    extras: dict[str, Any] | None = None,
    holdout_ids: Iterable[int] | None = None,
) -> Path:
    """Write a model version into ``path`` (created if needed); config.json is written
    last, so a directory without it is an interrupted save."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, buf)
    weights = buf.getvalue()
    _atomic_write(path / WEIGHTS_FILE, weights)
    if holdout_ids is not None:
        write_learner_ids(path / HOLDOUT_FILE, holdout_ids)
    config = {
        "format_version": FORMAT_VERSION,
        "model": model.cfg.to_dict(),
        "vocab": vocabs.to_dict(),
        "training": training,
        "data_window": data_window,
        "metrics": metrics,
        "code_version": code_version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "weights": {
            "file": WEIGHTS_FILE,
            "sha256": hashlib.sha256(weights).hexdigest(),
            "bytes": len(weights),
        },
        "extras": extras or {},
        "holdout_file": HOLDOUT_FILE if holdout_ids is not None else None,
    }
    _atomic_write(path / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True).encode())
    return path


def read_config(path: str | Path) -> dict[str, Any]:
    """The validated config.json of a model directory (weights not checked)."""
    path = Path(path)
    if not path.is_dir():
        raise ArtifactError(f"{path}: no such model directory")
    cfg_path = path / CONFIG_FILE
    if not cfg_path.is_file():
        raise ArtifactError(f"{path}: missing {CONFIG_FILE} (not a model directory, or an interrupted save)")
    try:
        config = json.loads(cfg_path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{cfg_path}: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise ArtifactError(f"{cfg_path}: expected a JSON object")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{cfg_path}: format version {version!r}, this code reads version {FORMAT_VERSION}; "
            "retrain the model or use the code version that wrote it"
        )
    for key in ("model", "vocab", "weights"):
        if not isinstance(config.get(key), dict):
            raise ArtifactError(f"{cfg_path}: missing or invalid {key!r}")
    return config


def set_metrics(path: str | Path, metrics: dict[str, Any]) -> None:
    """Record evaluation metrics in a model directory's config.json."""
    path = Path(path)
    config = read_config(path)
    config["metrics"] = metrics
    _atomic_write(path / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True).encode())


@dataclass
class LoadedArtifact:
    model: SequenceModel
    vocabs: Vocabularies
    config: dict[str, Any]
    path: Path

    def holdout_ids(self) -> list[int] | None:
        from recommender.splits import read_database_ids

        name = self.config.get("holdout_file")
        if not name or not (self.path / name).is_file():
            return None
        return read_database_ids(self.path / name)


def load_artifact(path: str | Path, *, device: str | torch.device = "cpu") -> LoadedArtifact:
    """Load and verify a model directory (see the module docstring for what is refused)."""
    path = Path(path)
    config = read_config(path)
    try:
        mcfg = ModelConfig(**config["model"])
        vocabs = Vocabularies.from_dict(config["vocab"])
    except (TypeError, KeyError, ValueError) as e:
        raise ArtifactError(f"{path}: incompatible config ({e})") from None
    sizes = (len(vocabs.activities), len(vocabs.verbs), len(vocabs.questions))
    if sizes != (mcfg.n_activities, mcfg.n_verbs, mcfg.n_questions):
        raise ArtifactError(f"{path}: vocabulary sizes {sizes} do not match the model config")
    wfile = path / str(config["weights"].get("file", WEIGHTS_FILE))
    if not wfile.is_file():
        raise ArtifactError(f"{path}: missing weights file {wfile.name}")
    expected = config["weights"].get("sha256")
    actual = sha256_file(wfile)
    if actual != expected:
        raise ArtifactError(
            f"{wfile}: checksum mismatch (sha256 {actual[:12]}..., recorded {str(expected)[:12]}...): "
            "the file is corrupt or truncated"
        )
    try:
        state = torch.load(wfile, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to unpickle means an unusable file
        raise ArtifactError(f"{wfile}: cannot be loaded by torch ({type(e).__name__}: {e})") from None
    try:
        model = SequenceModel(mcfg)
        model.load_state_dict(state)
    except (RuntimeError, ValueError, TypeError, AttributeError) as e:
        raise ArtifactError(f"{path}: weights do not fit the config ({e})") from None
    model.to(device).eval()
    return LoadedArtifact(model=model, vocabs=vocabs, config=config, path=path)


# ---------------------------------------------------------------------------- serving
@dataclass
class Prediction:
    """What the model says about one learner after their history."""

    next_activities: list[tuple[str, float]]  # (slug, probability), most likely first
    risk: float  # p(no event in the ``horizon_days`` after ``now``: see Recommender.predict)
    _recommender: Recommender | None = field(default=None, repr=False, compare=False)
    _prefix: torch.Tensor | None = field(default=None, repr=False, compare=False)  # (1, T+1, D)
    _counts: tuple | None = field(default=None, repr=False, compare=False)  # data.answer_counts

    def correctness(self, question_key: str) -> float:
        """p(correct) if asked ``question_key`` ("activity/question") next; a question or
        quiz unseen at training time gets the model's estimate for an unknown one."""
        return self.correctness_many([question_key])[question_key]

    def correctness_many(self, question_keys: list[str]) -> dict[str, float]:
        if self._recommender is None or self._prefix is None:
            raise RuntimeError("this Prediction was not made by a Recommender")
        probs = self._recommender._correctness(self._prefix, self._counts, question_keys)
        return dict(zip(question_keys, probs, strict=True))


class Recommender:
    """Inference over a saved model version: ``Recommender.load(dir).predict(history)``."""

    def __init__(self, model: SequenceModel, vocabs: Vocabularies, config: dict[str, Any]) -> None:
        self.model = model.eval()
        self.vocabs = vocabs
        self.config = config
        self.device = next(model.parameters()).device
        self._blocked = special_activity_mask(model.cfg.n_activities, self.device)
        self._base_risk = float(config.get("extras", {}).get("risk_base_rate", 0.0))

    @classmethod
    def load(
        cls, path: str | Path, *, device: str | torch.device = "cpu", threads: int | None = None
    ) -> Recommender:
        """Load and verify a model directory (``ArtifactError`` when unusable).

        ``threads``: when given, ``torch.set_num_threads(threads)`` (process-wide). One
        learner's prediction is a few small matrix products: one intra-op thread is the
        fastest and the steadiest choice for a serving process, as extra threads only
        contend with the other workers on the machine.
        """
        if threads is not None:
            torch.set_num_threads(threads)
        art = load_artifact(path, device=device)
        return cls(art.model, art.vocabs, art.config)

    @property
    def horizon_days(self) -> float:
        return float(self.config.get("training", {}).get("horizon_days", 14.0))

    def predict(self, history: pd.DataFrame, *, top_k: int = 10, now: Any = None) -> Prediction:
        """Predict from one learner's events (canonical columns ``time, verb, activity,
        payload``; any order). An empty history gives the model's "first step" output
        and the training base rate as risk.

        ``now`` (a datetime, pandas Timestamp or epoch seconds; default: the time of the
        last event) is the moment the disengagement risk is for: the time elapsed since
        the last event is one of its inputs, so a learner away for a month is scored as
        such, not as if they had just left."""
        if "learner_id" in history.columns and len(history):
            ids = history["learner_id"].to_numpy()  # not nunique(): a tenth of the cost
            if (ids != ids[0]).any():
                raise ValueError("predict() takes one learner's events; got several learner ids")
        return self.predict_sequence(encode_history(history, self.vocabs), top_k=top_k, now=now)

    @torch.inference_mode()
    def predict_sequence(self, seq: LearnerSequence, *, top_k: int = 10, now: Any = None) -> Prediction:
        """Predict from an encoded sequence (its last ``max_len`` events are the context);
        ``now`` as in :meth:`predict`."""
        model = self.model
        n = len(seq)
        if n == 0:
            prefix = model.ln_f(model.bos).view(1, 1, -1)  # (1, 1, D)
            risk = self._base_risk
        else:
            lo = max(0, n - model.cfg.max_len)
            x = [
                torch.from_numpy(a[lo:]).to(self.device)[None]
                for a in (seq.activity, seq.verb, seq.outcome, seq.gap, seq.answers)
            ]
            prefix = model.encode(*x)  # (1, T+1, D)
            elapsed = 0.0 if now is None else max(_seconds(now) - float(seq.times[-1]), 0.0)
            state = torch.full((1, 1), prefix.size(1) - 1, device=self.device)
            at = np.array([float(seq.times[-1]) + elapsed])
            bucket = torch.from_numpy(elapsed_bucket(np.array([elapsed]))).to(self.device)[None]  # (1, 1)
            feats = torch.from_numpy(risk_features(seq.times, at)).to(self.device)[None]  # (1, 1, F)
            risk = float(torch.sigmoid(model.risk_logits(prefix, state, bucket, feats))[0, 0])
        logits = model.next_logits(prefix[0, -1]).masked_fill(self._blocked, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        k = min(top_k, int((~self._blocked).sum()))
        top = torch.topk(probs, k)
        itos = self.vocabs.activities.itos
        ranked = [(itos[i], float(v)) for v, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)]
        return Prediction(
            next_activities=ranked, risk=risk, _recommender=self, _prefix=prefix, _counts=answer_counts(seq)
        )

    @torch.inference_mode()
    def _correctness(self, prefix: torch.Tensor, counts: tuple, keys: list[str]) -> list[float]:
        if not keys:
            return []
        succ, fail, per_q, per_a = counts
        q_ids, a_ids, feats = [], [], []
        for key in keys:
            activity, _, _question = key.partition("/")
            q = self.vocabs.questions.stoi.get(key, UNK)
            a = self.vocabs.activities.stoi.get(activity, UNK)
            q_ids.append(q)
            a_ids.append(a)
            feats.append((succ, fail, *(per_q.get(q, (0, 0)) if q != UNK else (0, 0)),
                          *(per_a.get(a, (0, 0)) if a > NONE else (0, 0))))  # fmt: skip
        q = torch.tensor([q_ids], device=self.device)
        a = torch.tensor([a_ids], device=self.device)
        c = torch.log1p(torch.tensor([feats], dtype=torch.float32, device=self.device))  # (1, K, N_KT_COUNTS)
        state = torch.full((1, len(keys)), prefix.size(1) - 1, device=self.device)
        return torch.sigmoid(self.model.kt_logits(prefix, state, q, a, c))[0].tolist()

    def activity_probabilities(self, history: pd.DataFrame) -> np.ndarray:
        """The full next-activity distribution (aligned with ``vocabs.activities.itos``)."""
        pred = self.predict(history, top_k=len(self.vocabs.activities))
        out = np.zeros(len(self.vocabs.activities))
        for slug, p in pred.next_activities:
            out[self.vocabs.activities.stoi[slug]] = p
        return out


def _seconds(when: Any) -> float:
    """A moment (datetime, pandas Timestamp, epoch seconds) as epoch seconds."""
    if isinstance(when, int | float | np.integer | np.floating):
        return float(when)
    stamp = pd.Timestamp(when)
    if stamp.tzinfo is None:
        raise ValueError("now must be timezone-aware (or epoch seconds)")
    return stamp.timestamp()
