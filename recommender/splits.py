"""Which learners a model trains on, is validated on and is scored on: seeded splits by
learner, learner files as analysts write them (a data set's own ids or database ids),
the files the library writes (database ids under ``DATABASE_IDS_HEADER``), and the
frozen held-out set every model version is scored on (:func:`frozen_holdout`)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def split_learners(learner_ids: Iterable[int], holdout_frac: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded split by learner: ``(train_ids, holdout_ids)``, both sorted."""
    if not 0.0 <= holdout_frac < 1.0:
        raise ValueError("holdout_frac must be in [0, 1)")
    ids = np.array(sorted({int(i) for i in learner_ids}), dtype=np.int64)
    rng = np.random.default_rng(seed)
    n_hold = int(round(len(ids) * holdout_frac))
    hold = set(rng.permutation(ids)[:n_hold].tolist())
    return [int(i) for i in ids if i not in hold], sorted(hold)


def read_learner_ids(path: str | Path) -> list[str]:
    """The learner ids of a file, one a line, as written (blank lines and ``#`` comments
    skipped; repeats dropped, file order kept). They may be the data set's own ids
    (``learner_key``) or database ids (``learner_id``): :func:`resolve_learner_ids` maps
    them to ``learner_id`` against the events."""
    ids: dict[str, None] = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids[line] = None
    return list(ids)


def read_database_ids(path: str | Path) -> list[int]:
    """``learner_id`` integers (sorted, unique) from a file the library writes
    (``holdout_learners.txt``, a frozen held-out set): every line must be an integer."""
    ids = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            try:
                ids.append(int(line))
            except ValueError:
                raise ValueError(f"{path}:{n}: not a learner id: {line!r}") from None
    return sorted(set(ids))


DATABASE_IDS_HEADER = "# ids: learner_id"  # a file whose lines are database ids, taken as they are
MAX_UNKNOWN_SHARE = 0.1  # unmatched lines of a learner file up to this share warn; more is an error


def learner_keys(events: pd.DataFrame) -> dict[str, int]:
    """``learner_key -> learner_id`` of the events that carry a key (imported data
    sets; empty when the column is absent). A key naming two learners is an error."""
    if "learner_key" not in events.columns:
        return {}
    pairs = events.loc[events["learner_key"].notna(), ["learner_key", "learner_id"]].drop_duplicates()
    clash = pairs[pairs["learner_key"].duplicated(keep=False)]
    if len(clash):
        key = clash["learner_key"].iloc[0]
        raise ValueError(
            f"learner_key {key!r} names several learners: {sorted(clash['learner_id'].tolist())[:5]}"
        )
    return dict(
        zip(pairs["learner_key"].astype(str), pairs["learner_id"].astype("int64").tolist(), strict=True)
    )


def resolve_learner_ids(
    lines: Sequence[str], events: pd.DataFrame, *, source: str = "learner ids"
) -> list[int]:
    """Map learner ids as an analyst writes them to ``learner_id`` (sorted, unique).

    Each line is, in this order:

    * ``key:X``: the learner whose ``learner_key`` is X; ``id:N``: learner_id N;
    * a ``learner_key`` of the events (the id in the imported data set, e.g. ``u6256``);
    * an integer that is a ``learner_id`` of the events.

    A plain line that is the key of one learner and the database id of another is read as
    the key (the ids of an imported data set are what an analyst has at hand: AKT's
    ASSIST2009 user "14" beside learner_id 14), with a warning naming the ``id:N`` form.
    Lines that match no learner
    are an error when they are more than ``MAX_UNKNOWN_SHARE`` of the lines (or all of
    them), naming the first few; fewer are a warning (a published split may name
    learners a sliced import left out) and are dropped."""
    keys = learner_keys(events)
    ids = set(events["learner_id"].unique().tolist())
    found: set[int] = set()
    unknown: list[str] = []
    ambiguous: list[str] = []
    for raw in lines:
        line = raw.strip()
        kind, _, value = line.partition(":")
        if kind in ("key", "id") and value:
            if kind == "key":
                learner = keys.get(value.strip())
            else:
                learner = _int_or_none(value)
                learner = learner if learner in ids else None
        else:
            by_key, by_id = keys.get(line), _int_or_none(line)
            by_id = by_id if by_id in ids else None
            if by_key is not None and by_id is not None and by_key != by_id:
                ambiguous.append(line)
            learner = by_key if by_key is not None else by_id
        if learner is None:
            unknown.append(line)
        else:
            found.add(int(learner))
    if ambiguous:
        warnings.warn(
            f"{source}: {len(ambiguous)} line(s) are the learner_key of one learner and the learner_id of "
            f"another: {', '.join(map(repr, ambiguous[:5]))}; read as learner_key (write id:N for a "
            "database id)",
            stacklevel=2,
        )
    if unknown:
        example = f" (e.g. learner_key {next(iter(keys))!r})" if keys else " (the events have no learner_key)"
        what = (
            f"{source}: {len(unknown)} of {len(lines)} learner ids match no learner of the events, neither a "
            f"learner_key nor a learner_id{example}: {', '.join(map(repr, unknown[:5]))}"
            + (" ..." if len(unknown) > 5 else "")
        )
        if not found or len(unknown) > MAX_UNKNOWN_SHARE * len(lines):
            raise ValueError(what)
        warnings.warn(what + "; they are left out", stacklevel=2)
    return sorted(found)


def resolve_learner_file(path: str | Path, events: pd.DataFrame) -> list[int]:
    """The ``learner_id`` of each learner a file names (:func:`resolve_learner_ids`).
    A file with the :data:`DATABASE_IDS_HEADER` line (written by
    :func:`write_learner_ids`) holds database ids, taken as they are, with or without
    events (a frozen held-out set keeps learners who have since left the data)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no learner ids file at {path}")
    if DATABASE_IDS_HEADER in (line.strip() for line in path.read_text().splitlines()):
        return read_database_ids(path)
    return resolve_learner_ids(read_learner_ids(path), events, source=str(path))


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def write_learner_ids(path: str | Path, ids: Iterable[int]) -> None:
    """Database ids, one a line, under the :data:`DATABASE_IDS_HEADER` line."""
    Path(path).write_text(DATABASE_IDS_HEADER + "\n" + "".join(f"{i}\n" for i in sorted(ids)))


# ---------------------------------------------------------------------------- the frozen held-out set
HOLDOUT_RATE = 0.2  # share of new learners that join the frozen held-out set


def frozen_holdout(path: str | Path, learner_ids: Iterable[int], *, rate: float = HOLDOUT_RATE) -> list[int]:
    """The held-out learners that every model version is trained without and scored on,
    kept in ``path`` (one id a line; a ``#`` header holds the key, the rule and
    ``DATABASE_IDS_HEADER``, so the file is also a valid ``holdout_file`` of database
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
            "# Frozen held-out learners (recommender.splits.frozen_holdout): members stay; a new learner\n"
            "# joins when blake2b(id, key) / 2**64 < rate. Never edit by hand.\n"
            f"{DATABASE_IDS_HEADER}\n# key: {key}\n# rate: {rate}\n"
            + "".join(f"{i}\n" for i in sorted(grown))
        )
        os.replace(tmp, path)
    return sorted(grown)
