"""pyKT's prepared knowledge-tracing folds: ``train_valid.csv``, ``test.csv`` and the
``*_sequences.csv`` files cut to a maximum length.

The layout is what pyKT (Liu et al., NeurIPS 2022; github.com/pykt-team/pykt-toolkit)
writes in ``data/<dataset>/`` with ``pykt/preprocess/split_datasets.py`` and reads with
``pykt/datasets/data_loader.py``; the columns are described in its data docs
(pykt-toolkit.readthedocs.io, "Datasets" and "Preprocess"). One CSV row per learner
(or per cut of a learner's sequence); list fields are comma-separated inside quotes:

===========  ===========================================================================
fold         0..k-1: the cross-validation fold of a ``train_valid`` learner; -1 in test
uid          the learner, as an index (``keyid2idx.json`` maps the original ids)
questions    question indices; absent (or ``NA``) for a data set without question ids
concepts     concept (skill) indices; a question with several concepts is written once
             per concept, the repeats flagged in ``is_repeat``
responses    1 correct / 0 wrong; ``-1`` pads a cut sequence to ``maxlen``
timestamps   ms since the Unix epoch of each attempt; absent or ``NA`` when unknown
usetimes     ms the attempt took; absent or ``NA`` when unknown (not kept here)
is_repeat    0 for a question's first concept, 1 for its further concepts
selectmasks  (``*_sequences.csv`` only) 1 where the entry is scored in this row, ``-1``
             for padding and, in ``test_window_sequences.csv``, for the history a
             sliding window repeats (each window after the first scores its last entry)
cidxs        (test files) a global interaction index, not kept
===========  ===========================================================================

Reading: padding (``-1``) and entries a row's ``selectmasks`` do not select are left
out, so a window repeated 200 times counts once; the concept-expanded repeats of one
question (``is_repeat`` 1) fold back into the question's row, their concepts joined
by ``;``. ``order`` counts the learner's interactions in file order. Where the folder
holds ``keyid2idx.json``, learners, questions and concepts carry their original ids.
A ``*_sequences.csv`` file holds less than its source: pyKT drops the tail of a learner
shorter than ``min_seq_len`` (3) when it cuts; read ``train_valid.csv`` / ``test.csv``
for every interaction. The ``test_question*_sequences.csv`` files (a learner's history
repeated per predicted question, first interaction never scored) cannot give the
interactions back once each; reading one is an error that says so.

The rows keep their ``fold``; ``pykt_folds`` gives pyKT's cross-validation: for fold k,
valid = the ``train_valid`` learners with fold k, train = the others, test = ``test.csv``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .akt import LayoutError

LIST_FIELDS = ("questions", "concepts", "responses", "timestamps", "is_repeat", "selectmasks")
_QUESTION_FILES = ("qidxs", "rest", "orirow")  # columns of test_question*_sequences.csv
_PAD = "-1"


def _absent(value: str | None) -> bool:
    return value is None or value.strip() in ("", "NA")


def _original(name: str) -> str:
    """pyKT writes ``_`` as ``####`` and ``,`` as ``@@@@`` in names (``replace_text``)."""
    return name.replace("####", "_").replace("@@@@", ",")


def _id_maps(folder: Path) -> dict[str, dict[str, str]]:
    """{"uid" | "questions" | "concepts": index -> original id}, empty without the file."""
    path = folder / "keyid2idx.json"
    if not path.is_file():
        return {}
    try:
        forward = json.loads(path.read_text())
    except ValueError as exc:
        raise LayoutError(f"{path}: not JSON ({exc})") from None
    return {
        key: {str(idx): _original(str(orig)) for orig, idx in forward[key].items()}
        for key in ("uid", "questions", "concepts")
        if isinstance(forward.get(key), dict)
    }


def _fold_repeats(frame: pd.DataFrame) -> pd.DataFrame:
    """A question with several concepts: its first row and the repeats after it (``is_repeat``
    1) become one interaction carrying every concept."""
    frame = frame.assign(interaction=frame.groupby("learner", sort=False)["first"].cumsum())
    concepts = (
        frame.dropna(subset=["concepts"])
        .groupby(["learner", "interaction"], sort=False)["concepts"]
        .agg(lambda s: ";".join(dict.fromkeys(s)))
    )
    firsts = frame.groupby(["learner", "interaction"], sort=False).first()
    firsts["concepts"] = concepts.reindex(firsts.index)
    return firsts.reset_index()


def read_pykt(path: str | Path, *, course: str | None = None) -> pd.DataFrame:
    """One pyKT file as an interaction frame (``recommender.datasets.COLUMNS``) plus
    its ``fold`` column; the course defaults to the folder's name (pyKT's data set)."""
    path = Path(path)
    maps = _id_maps(path.parent)
    umap, qmap, cmap = (maps.get(k, {}) for k in ("uid", "questions", "concepts"))
    parts: dict[str, list] = {
        k: [] for k in ("learner", "fold", "question", "concepts", "correct", "time", "first")
    }
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = {"uid", "responses"} - set(header)
        if missing:
            raise LayoutError(f"{path}:1: no {', '.join(sorted(missing))} column: not a pyKT file")
        if set(_QUESTION_FILES) & set(header):
            raise LayoutError(
                f"{path}: a pyKT question-level file repeats each learner's history per question "
                "and never scores the first interaction; read test.csv instead"
            )
        if "concepts" not in header and "questions" not in header:
            raise LayoutError(f"{path}:1: neither a questions nor a concepts column")
        for line, row in enumerate(reader, start=2):
            where = f"{path}:{line}"
            if None in row or any(row[k] is None for k in header):
                raise LayoutError(f"{where}: not as many fields as the header")
            fields = {k: row[k].split(",") for k in LIST_FIELDS if k in row and not _absent(row[k])}
            n = len(fields["responses"]) if "responses" in fields else 0
            if any(len(v) != n for v in fields.values()):
                lengths = ", ".join(f"{k} {len(v)}" for k, v in fields.items())
                raise LayoutError(f"{where}: the lists have different lengths ({lengths})")
            if "selectmasks" in fields:
                keep = [j for j, m in enumerate(fields["selectmasks"]) if m.strip() == "1"]
            else:
                keep = [j for j, r in enumerate(fields.get("responses", [])) if r.strip() != _PAD]
            responses = [fields["responses"][j].strip() for j in keep]
            if any(r not in ("0", "1") for r in responses):
                bad = next(r for r in responses if r not in ("0", "1"))
                raise LayoutError(f"{where}: a scored response is {bad[:10]!r}, not 0 or 1")
            uid = row["uid"].strip()
            if not uid:
                raise LayoutError(f"{where}: no uid")
            try:
                fold = int(row["fold"]) if "fold" in row and row["fold"].strip() else -1
            except ValueError:
                raise LayoutError(f"{where}: fold {row['fold'][:10]!r} is not a number") from None
            pick = {k: [v[j].strip() for j in keep] for k, v in fields.items()}
            none = [None] * len(keep)
            parts["learner"] += [umap.get(uid, uid)] * len(keep)
            parts["fold"] += [fold] * len(keep)
            parts["question"] += [qmap.get(q, q) for q in pick["questions"]] if "questions" in pick else none
            parts["concepts"] += [cmap.get(c, c) for c in pick["concepts"]] if "concepts" in pick else none
            parts["correct"] += [float(r) for r in responses]
            parts["time"] += pick.get("timestamps", none)
            parts["first"] += (
                [r != "1" for r in pick["is_repeat"]] if "is_repeat" in pick else [True] * len(keep)
            )
    frame = pd.DataFrame(parts)
    try:
        millis = pd.to_numeric(frame["time"], errors="raise")
    except (ValueError, TypeError):
        raise LayoutError(f"{path}: timestamps must be milliseconds since the Unix epoch") from None
    frame["time"] = pd.to_datetime(millis, unit="ms", utc=True).astype("datetime64[ns, UTC]")
    if not frame["first"].all():
        frame = _fold_repeats(frame)
    frame["order"] = frame.groupby("learner", sort=False).cumcount().astype(np.int64)
    # The unit practised: the (first) concept, as AKT's folds name it; the question without one.
    first_concept = frame["concepts"].str.split(";").str[0]
    frame["activity"] = first_concept.where(frame["concepts"].notna(), frame["question"])
    frame["course"] = course or path.parent.name
    frame["kind"] = "question"
    columns = ["learner", "order", "time", "course", "activity", "kind", "question", "concepts", "correct"]
    return frame[columns + ["fold"]]


@dataclass(frozen=True)
class PyktFold:
    """Fold k of pyKT's cross-validation: train on ``train``, pick on ``valid``,
    report on ``test`` (the same test learners for every k)."""

    k: int
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame


def pykt_folds(folder: str | Path, *, sequences: bool = False, course: str | None = None) -> list[PyktFold]:
    """pyKT's folds of a data folder: from ``train_valid.csv`` and ``test.csv`` (every
    interaction), or with ``sequences`` from ``train_valid_sequences.csv`` and
    ``test_sequences.csv`` (the cut sequences pyKT trains on)."""
    folder = Path(folder)
    suffix = "_sequences" if sequences else ""
    names = (f"train_valid{suffix}.csv", "test_sequences.csv" if sequences else "test.csv")
    for name in names:
        if not (folder / name).is_file():
            raise LayoutError(f"{folder}: no {name} (pyKT writes it with split_datasets.py)")
    train_valid = read_pykt(folder / names[0], course=course)
    test = read_pykt(folder / names[1], course=course)
    shared = set(train_valid["learner"]) & set(test["learner"])
    if shared:
        raise LayoutError(f"{folder}: {len(shared)} learner(s) in both {names[0]} and {names[1]}")
    ks = sorted(k for k in train_valid["fold"].unique() if k >= 0)
    if len(ks) < 2:
        raise LayoutError(f"{folder}/{names[0]}: {len(ks)} fold(s); cross-validation needs 2 or more")
    return [
        PyktFold(
            int(k),
            train=train_valid[train_valid["fold"] != k].reset_index(drop=True),
            valid=train_valid[train_valid["fold"] == k].reset_index(drop=True),
            test=test,
        )
        for k in ks
    ]
