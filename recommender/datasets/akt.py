"""AKT / DKVMN fold files: one learner sequence per 3 or 4 lines, comma-separated.

The layout of the folds published with DKVMN (Zhang et al., 2017) and AKT (Ghosh et al.,
2020; github.com/arghosh/AKT, ``data/``), also used by SAKT and later work:

* 3 lines (``statics``, ``assist2015``): the length; question ids; responses (1/0);
* 4 lines (``*_pid``): a header; problem ids; skill ids; responses. AKT's ASSIST2009
  header is ``<user index>,<user id>``, not the length (count the ids instead).

Ids are indices. Where the folder has AKT's maps (``problems.json``: problem id ->
index, ``skill.json``: skill name -> index), rows carry the original problem ids and the
skill names. A 4-line record's activity is its skill (the problem set a learner
practises, as in ASSISTments' skill builders) and its question the problem; a 3-line
record's activity and question are both the question id. A record with a user id in its
header belongs to that learner; otherwise the learner is ``seq-`` and a digest of the
record, so that the same sequence read from two files (AKT's ``test1`` is ``valid5``)
is the same learner (a record repeated within one file gets ``-2``, ``-3``...).

AKT's 4-line ASSIST2009 repeats a problem tagged with several skills once per skill, on
consecutive lines with the same response (15% of the lines of ``test1``). That is one
answer, not several: the reader merges such a run back into one row whose concepts are
all its skills; its activity is that combination of skills (sorted, ``;``-joined), as
pyKT's encoders treat it, which measured better than the first skill alone (test AUC
0.778 against 0.772 on fold 1). Kept apart, the later copies would show a
model the answer it is asked to predict (pyKT's paper makes the same point about
concept-expanded data). ``expand=True`` keeps the published lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

_FOLD = re.compile(r"^(?P<name>.+)_(?P<part>train|valid|test)(?P<k>\d+)\.(csv|txt)$")


class LayoutError(ValueError):
    """A file that is not in the layout it was read as (the message says where)."""


def _fields(line: str) -> list[str]:
    return [f.strip() for f in line.strip().rstrip(",").split(",")] if line.strip() else []


def _ints(values: list[str], where: str) -> list[int]:
    try:
        return [int(float(v)) for v in values]
    except ValueError:
        raise LayoutError(f"{where}: expected comma-separated numbers") from None


def _maps(folder: Path) -> tuple[dict[int, str], dict[int, str]]:
    """index -> original problem id, index -> skill name (empty when the files are absent)."""
    out = []
    for name in ("problems.json", "skill.json"):
        path = folder / name
        if not path.is_file():
            out.append({})
            continue
        try:
            forward = json.loads(path.read_text())
        except ValueError as exc:
            raise LayoutError(f"{path}: not JSON ({exc})") from None
        out.append({int(v): str(k) for k, v in forward.items()})
    return out[0], out[1]


def lines_per_record(lines: list[str], where: str) -> int:
    """3 or 4, from the first record: in the 4-line layout its 2nd, 3rd and 4th lines
    have as many ids; in the 3-line layout the 4th line is the next record's header."""
    if len(lines) < 3:
        raise LayoutError(f"{where}: {len(lines)} line(s); a record has 3 or 4")
    n = len(_fields(lines[1]))
    if len(lines) >= 4 and len(_fields(lines[2])) == n and len(_fields(lines[3])) == n and n > 2:
        return 4
    if len(_fields(lines[2])) == n:
        return 3
    raise LayoutError(f"{where}: lines 2 and 3 have different numbers of ids")


def read_akt(
    path: str | Path, *, course: str | None = None, lines: int | None = None, expand: bool = False
) -> pd.DataFrame:
    """One fold file as an interaction frame (``recommender.datasets.COLUMNS``);
    ``expand``: keep a multi-skill problem's repeated lines (see the module docstring)."""
    path = Path(path)
    text = [ln for ln in path.read_text().splitlines() if ln.strip()]
    step = lines or lines_per_record(text, str(path))
    if len(text) % step:
        raise LayoutError(f"{path}: {len(text)} lines is not a whole number of {step}-line records")
    problems, skills = _maps(path.parent) if step == 4 else ({}, {})
    course = course or _FOLD.sub(r"\g<name>", path.name) if _FOLD.match(path.name) else course or path.stem
    parts: dict[str, list] = {
        k: [] for k in ("learner", "order", "activity", "question", "concepts", "correct")
    }
    seen: dict[str, int] = {}
    for r in range(0, len(text), step):
        where = f"{path}:{r + 1}"
        header = _fields(text[r])
        rows = [_fields(text[r + i]) for i in range(1, step)]
        if len({len(x) for x in rows}) != 1:
            raise LayoutError(f"{where}: the record's lines have different numbers of ids")
        responses = _ints(rows[-1], where)
        if any(y not in (0, 1) for y in responses):
            raise LayoutError(f"{where}: responses must be 0 or 1")
        questions = [problems.get(q, str(q)) for q in _ints(rows[0], where)]
        if step == 4:
            concepts = [skills.get(s, str(s)) for s in _ints(rows[1], where)]
        else:
            concepts = [None] * len(questions)
        if len(header) >= 2:
            learner = header[1]
        else:
            learner = "seq-" + hashlib.sha1("\n".join(text[r + 1 : r + step]).encode()).hexdigest()[:12]
        seen[learner] = seen.get(learner, 0) + 1
        if seen[learner] > 1:  # the same record twice in one file (statics' train1): another sequence
            learner = f"{learner}-{seen[learner]}"
        if step == 4 and not expand:
            questions, concepts, responses = _merge_repeats(questions, concepts, responses)
        n = len(questions)
        parts["learner"] += [learner] * n
        parts["order"] += range(n)
        parts["question"] += questions
        parts["concepts"] += concepts
        parts["activity"] += [
            ";".join(sorted(c.split(";"))) if c is not None else q
            for c, q in zip(concepts, questions, strict=True)
        ]
        parts["correct"] += [float(y) for y in responses]
    frame = pd.DataFrame(parts)
    frame["order"] = frame["order"].astype(np.int64)
    frame["time"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    frame["course"] = course
    frame["kind"] = "question"
    return frame


def _merge_repeats(questions: list[str], concepts: list, responses: list[int]) -> tuple[list, list, list]:
    """Consecutive lines of one problem, one response and different skills -> one line,
    skills joined by ``;``."""
    q_out, c_out, r_out = [], [], []
    for q, c, r in zip(questions, concepts, responses, strict=True):
        if q_out and q_out[-1] == q and r_out[-1] == r and c not in c_out[-1].split(";"):
            c_out[-1] += ";" + c  # the same answer under another skill
            continue
        q_out.append(q)
        c_out.append(c)
        r_out.append(r)
    return q_out, c_out, r_out


@dataclass(frozen=True)
class FoldFiles:
    k: int
    train: Path
    valid: Path | None
    test: Path


def akt_folds(folder: str | Path) -> list[FoldFiles]:
    """The folds of a folder of ``<name>_{train,valid,test}<k>.csv`` files, by k."""
    found: dict[int, dict[str, Path]] = {}
    for path in sorted(Path(folder).iterdir()):
        m = _FOLD.match(path.name)
        if m:
            found.setdefault(int(m["k"]), {})[m["part"]] = path
    folds = []
    for k, parts in sorted(found.items()):
        if "train" not in parts or "test" not in parts:
            raise LayoutError(f"{folder}: fold {k} lacks its train or test file")
        folds.append(FoldFiles(k, parts["train"], parts.get("valid"), parts["test"]))
    if not folds:
        raise LayoutError(f"{folder}: no <name>_train<k>.csv / _test<k>.csv files")
    return folds
