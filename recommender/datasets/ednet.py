"""EdNet KT1 and KT4 (Choi et al., 2020; Riiid's Santa app, CC BY-NC 4.0) as interaction frames.

Column documentation: github.com/riiid/ednet, ``README.md`` ("Dataset" and "Contents").
Every layout is one CSV per learner, ``u{id}.csv``; the learner is the file's stem (``u1``).
Timestamps are Unix milliseconds, shifted by a fixed value by the publisher.

KT1 (question-solving log), one row per question given:

* ``timestamp``: when the question was given; ``solving_id``: the learning session of one
  bundle (1, 2, ...); ``question_id``: ``q{n}``; ``user_answer``: ``a``-``d``;
  ``elapsed_time``: milliseconds spent on the question (per bundle).

KT4 (the complete action log), one row per action:

* ``action_type``: ``enter`` (a bundle ``b``, explanation ``e`` or lecture ``l`` is shown),
  ``respond`` (an answer chosen for a question ``q``; a learner may respond several
  times, only the last response before ``submit`` counts), ``submit`` (the bundle's
  answers are final), ``quit`` (an explanation or lecture view ends), ``play_audio`` /
  ``pause_audio`` / ``play_video`` / ``pause_video`` (``cursor_time``: milliseconds into
  the media), ``erase_choice`` / ``undo_erase_choice`` (``user_answer``: the choice
  hidden), ``pay`` / ``refund`` (a payment item ``p``), ``enroll_coupon`` (a coupon ``c``);
* ``item_id``, ``cursor_time``, ``source`` (where in the app: ``sprint``, ``tutor``,
  ``diagnosis``, ``archive``...), ``user_answer``, ``platform`` (``mobile`` / ``web``).

Contents (``questions.csv``: ``question_id, bundle_id, explanation_id, correct_answer,
part, tags`` with tags ``;``-separated skill ids; ``lectures.csv``: ``lecture_id, part,
tags, video_length, deployed_at``, -1 where unknown) grade the answers and give concepts.

Mapping (both layouts; course ``ednet``):

* a graded response -> a ``question`` row: activity = the question's bundle (what Santa
  serves and a learner practises), question = the question id, concepts = its tags,
  answer = the learner's choice, correct = ``user_answer == correct_answer`` (NaN, and
  counted, when ``questions.csv`` lacks the question). KT1: one per row, at ``timestamp``.
  KT4: per question, the last ``respond`` before the ``submit`` of its bundle, at the
  submit's time (when the answer became final);
* KT4 ``enter`` of an explanation ``e*`` -> a ``reading`` row (activity = the explanation);
* KT4 lecture view (``enter`` of ``l*`` up to its ``quit`` or the next ``enter``) -> one
  ``video`` row at the view's last action, position = the furthest ``cursor_time`` of
  its ``play_video`` / ``pause_video`` (seconds), concepts = the lecture's tag;
* not rows, each counted in ``frame.attrs["accounting"]``: the bundle's ``enter`` and
  ``submit`` and the view's ``quit`` and media actions (part of the rows above);
  superseded responses; responses never submitted; audio play/pause (a question's or
  explanation's listening material); ``erase_choice`` / ``undo_erase_choice``;
  ``pay`` / ``refund`` / ``enroll_coupon`` (payments and coupons are not learning); any
  action the README does not name. ``attrs["accounting"]`` maps ``"row: ..."``,
  ``"in row: ..."`` and ``"dropped: ..."`` to counts that sum to the actions read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.datasets.akt import LayoutError

COURSE = "ednet"
KT1_COLUMNS = ("timestamp", "solving_id", "question_id", "user_answer", "elapsed_time")
KT4_COLUMNS = ("timestamp", "action_type", "item_id", "cursor_time", "source", "user_answer", "platform")
MAX_POSITION = 86_400.0  # the event vocabulary's bound on video seconds
_USER_FILE = re.compile(r"^u\d+\.csv$")
_PAYMENT = frozenset({"pay", "refund", "enroll_coupon"})
_AUDIO = frozenset({"play_audio", "pause_audio"})
_VIDEO = frozenset({"play_video", "pause_video"})
_ERASE = frozenset({"erase_choice", "undo_erase_choice"})


def user_files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    """The per-learner files of a folder (``u{n}.csv``, by number) or the given files."""
    if isinstance(source, str | Path) and Path(source).is_dir():
        files = [p for p in Path(source).iterdir() if _USER_FILE.match(p.name)]
        files.sort(key=lambda p: int(p.stem[1:]))
        if not files:
            raise LayoutError(f"{source}: no u<number>.csv files")
        return files
    files = [Path(source)] if isinstance(source, str | Path) else [Path(p) for p in source]
    for p in files:
        if not p.is_file():
            raise LayoutError(f"{p}: no such file")
    return files


def read_questions(path: str | Path) -> pd.DataFrame:
    """``questions.csv`` indexed by ``question_id`` (bundle_id, correct_answer, tags...)."""
    path = Path(path)
    if not path.is_file():
        raise LayoutError(f"{path}: missing; EdNet's contents (questions.csv) grade the answers")
    q = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"question_id", "bundle_id", "correct_answer", "tags"} - set(q.columns)
    if missing:
        raise LayoutError(f"{path}: missing column(s) {sorted(missing)}")
    return q.set_index("question_id")


def read_lectures(path: str | Path) -> pd.DataFrame | None:
    """``lectures.csv`` indexed by ``lecture_id``, or None when absent (tags are optional)."""
    path = Path(path)
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("lecture_id")


def _read_user(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LayoutError(f"{path}: missing column(s) {missing}; expected {', '.join(columns)}")
    try:
        frame["timestamp"] = frame["timestamp"].astype(np.int64)
    except ValueError:
        raise LayoutError(f"{path}: timestamp must be Unix milliseconds") from None
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


class _Rows:
    """Accumulates rows of one frame."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in (
            "learner", "time", "activity", "kind", "question", "concepts", "correct", "answer", "position",
        )}  # fmt: skip

    def add(self, learner, time_ms, activity, kind, *, question=None, concepts=None, correct=np.nan,
            answer=None, position=np.nan) -> None:  # fmt: skip
        for key, value in (("learner", learner), ("time", time_ms), ("activity", activity), ("kind", kind),
                           ("question", question), ("concepts", concepts), ("correct", correct),
                           ("answer", answer), ("position", position)):  # fmt: skip
            self.cols[key].append(value)

    def frame(self, course: str) -> pd.DataFrame:
        f = pd.DataFrame(self.cols)
        f["time"] = pd.to_datetime(f["time"].astype(np.int64), unit="ms", utc=True)
        f["correct"] = f["correct"].astype(float)
        f["position"] = f["position"].astype(float)
        f["order"] = f.groupby("learner", sort=False).cumcount().astype(np.int64)
        f["course"] = course
        return f


def _grade(questions: pd.DataFrame, q: str, answer: str) -> tuple[str, str | None, float]:
    """(bundle, tags, correct) of an answer; the question itself, None and NaN if unknown."""
    if q not in questions.index:
        return q, None, np.nan
    row = questions.loc[q]
    return row["bundle_id"], row["tags"] or None, float(answer == row["correct_answer"])


def read_ednet_kt1(
    source: str | Path | Iterable[str | Path], *, questions: str | Path | None = None, course: str = COURSE
) -> pd.DataFrame:
    """KT1 files (a folder of ``u*.csv`` or a list of files) as an interaction frame;
    ``questions`` defaults to ``questions.csv`` beside the first file."""
    files = user_files(source)
    qs = read_questions(questions or files[0].parent / "questions.csv")
    rows, accounting = _Rows(), Counter()
    for path in files:
        log = _read_user(path, KT1_COLUMNS)
        for ts, q, answer in zip(log["timestamp"], log["question_id"], log["user_answer"], strict=True):
            bundle, tags, correct = _grade(qs, q, answer)
            accounting[
                "row: graded response" if correct == correct else "row: response to an unknown question"
            ] += 1
            rows.add(path.stem, ts, bundle, "question", question=q, concepts=tags, correct=correct,
                     answer=answer or None)  # fmt: skip
    frame = rows.frame(course)
    frame.attrs["accounting"] = dict(accounting)
    return frame


def read_ednet_kt4(
    source: str | Path | Iterable[str | Path],
    *,
    contents: str | Path | None = None,
    course: str = COURSE,
) -> pd.DataFrame:
    """KT4 files (a folder of ``u*.csv`` or a list of files) as an interaction frame (see
    the module docstring); ``contents`` is the folder of ``questions.csv`` (required) and
    ``lectures.csv`` (optional), by default the first file's folder."""
    files = user_files(source)
    folder = Path(contents) if contents else files[0].parent
    qs = read_questions(folder / "questions.csv")
    lectures = read_lectures(folder / "lectures.csv")
    rows, acc = _Rows(), Counter()
    for path in files:
        _kt4_user(path, _read_user(path, KT4_COLUMNS), qs, lectures, rows, acc)
    frame = rows.frame(course)
    frame.attrs["accounting"] = {k: v for k, v in acc.items() if v}
    return frame


def _lecture_tag(lectures: pd.DataFrame | None, lecture: str) -> str | None:
    if lectures is None or lecture not in lectures.index:
        return None
    tag = str(lectures.loc[lecture, "tags"])
    return None if tag in ("", "-1") else tag


def _kt4_user(path: Path, log: pd.DataFrame, qs: pd.DataFrame, lectures, rows: _Rows, acc: Counter) -> None:
    learner = path.stem
    pending: dict[str, tuple[str, int]] = {}  # question -> (answer, time) since the last submit
    view: dict | None = None  # the open lecture view

    def close_view() -> None:
        nonlocal view
        if view is not None:
            position = min(view["position"], MAX_POSITION)
            rows.add(learner, view["last"], view["id"], "video", concepts=_lecture_tag(lectures, view["id"]),
                     position=position)  # fmt: skip
            view = None

    def abandon_responses() -> None:
        acc["dropped: response never submitted"] += len(pending)
        pending.clear()

    cols = (log["timestamp"], log["action_type"], log["item_id"], log["cursor_time"], log["user_answer"])
    for ts, action, item, cursor, answer in zip(*cols, strict=True):
        prefix = item[:1]
        if action == "enter":
            close_view()
            if prefix == "b":
                abandon_responses()
                acc["in row: enter of a bundle (its questions are the rows)"] += 1
            elif prefix == "e":
                rows.add(learner, ts, item, "reading")
                acc["row: explanation read"] += 1
            elif prefix == "l":
                view = {"id": item, "last": ts, "position": 0.0}
                acc["row: lecture view (its enter)"] += 1
            else:
                acc[f"dropped: enter of an item of unknown type ({prefix!r})"] += 1
        elif action == "respond":
            if item in pending:
                acc["dropped: superseded response"] += 1
            pending[item] = (answer, ts)
        elif action == "submit":
            for q, (choice, _t) in pending.items():
                bundle, tags, correct = _grade(qs, q, choice)
                rows.add(learner, ts, bundle, "question", question=q, concepts=tags, correct=correct,
                         answer=choice or None)  # fmt: skip
                acc[
                    "row: graded response" if correct == correct else "row: response to an unknown question"
                ] += 1
            pending.clear()
            acc["in row: submit of a bundle"] += 1
        elif action in _VIDEO and view is not None and item == view["id"]:
            if cursor not in ("", None):
                view["position"] = max(view["position"], float(cursor) / 1000.0)
            view["last"] = ts
            acc["in row: lecture play/pause"] += 1
        elif action == "quit" and view is not None and item == view["id"]:
            view["last"] = ts
            close_view()
            acc["in row: quit of a lecture"] += 1
        elif action == "quit":
            acc["dropped: quit of an explanation (end of the view)"] += 1
        elif action in _VIDEO:
            acc["dropped: video play/pause outside a lecture view"] += 1
        elif action in _AUDIO:
            acc["dropped: audio play/pause (listening material)"] += 1
        elif action in _ERASE:
            acc["dropped: erase_choice / undo_erase_choice"] += 1
        elif action in _PAYMENT:
            acc["dropped: payment or coupon (pay, refund, enroll_coupon)"] += 1
        else:
            acc[f"dropped: action not in the README ({action[:30]!r})"] += 1
    close_view()
    abandon_responses()
