"""What every reader makes: ``Parsed`` records (a canonical raw event plus the *external
keys* of its learner, course and activity) and the ``ImportReport`` that counts what was
read, stored, skipped and refused; and the small helpers readers share (``number``,
``open_binary``, ``BytesRead``).
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from lms.tracking.validation import PERSONAL_KEYS

MAX_PROBLEMS = 20  # bad lines / invalid events kept (with their line numbers) in the report
MAX_SKIP_KINDS = 100  # distinct "skipped (...)" reasons kept; the rest are lumped together

# Never copied from a source into a payload: who did it, and where from.
STRIP_KEYS = PERSONAL_KEYS


def number(value: Any) -> float | int | None:
    """A JSON number, or a numeric string (edX logs speeds as "1.50"), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if parsed == parsed else None  # NaN is no number
    return None


def open_binary(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """(the decompressed stream, the raw file: its ``tell()`` is the progress in bytes)."""
    raw = open(path, "rb")  # closed by the caller
    head = raw.read(2)
    raw.seek(0)
    if head == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), 1 << 20), raw
    return io.BufferedReader(raw, 1 << 20), raw


class BytesRead:
    """Reports to ``progress`` the bytes read from a raw file (its ``tell()``, see
    ``open_binary``) since the last call; does nothing without ``progress``. Readers call
    it every few thousand lines and once at the end of the file."""

    __slots__ = ("last", "progress", "raw")

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None) -> None:
        self.raw, self.progress, self.last = raw, progress, 0

    def __call__(self) -> None:
        if self.progress is not None:
            position = self.raw.tell()
            self.progress(position - self.last)
            self.last = position


@dataclass(slots=True)
class Parsed:
    """One source record mapped to a canonical event, its actors still as external keys."""

    learner: str  # username (found, or created as an external record)
    event: dict[str, Any]  # canonical raw event: id, time, verb, session, payload
    where: str  # "path:line" for reports
    course: str | None = None  # external course key (edX course_id, xAPI parent IRI, ...)
    activity: str | None = None  # external activity key within the course
    kind: str | None = None  # the activity's kind, if it has to be created
    title: str | None = None  # the activity's title, if it has to be created
    pseudonym: str | None = None  # a Cairn learner pseudonym (our own exports read back)


@dataclass
class ImportReport:
    format: str
    files: int = 0
    lines: int = 0  # lines (edX, JSON lines), statements (xAPI arrays) or rows (tables) read
    events: int = 0  # mapped to a canonical event
    stored: int = 0
    duplicates: int = 0
    invalid: int = 0  # mapped, but refused by validation
    bad: int = 0  # unreadable lines
    skipped: Counter = field(default_factory=Counter)
    bad_kinds: Counter = field(default_factory=Counter)  # bad lines by reason, where the reader names it
    learners_created: int = 0
    courses_created: int = 0
    activities_created: int = 0
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS, "where: why"

    def bad_line(self, where: str, reason: str, kind: str | None = None) -> None:
        """A line that could not be read; ``kind`` (a reason without the line's own
        values) is counted in the summary's "bad lines by reason"."""
        self.bad += 1
        self.problem(where, reason)
        if kind is not None:
            if kind not in self.bad_kinds and len(self.bad_kinds) >= MAX_SKIP_KINDS:
                kind = "other reasons"
            self.bad_kinds[kind] += 1

    def problem(self, where: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {reason}")

    def skip(self, reason: str, n: int = 1) -> None:
        if reason not in self.skipped and len(self.skipped) >= MAX_SKIP_KINDS:
            reason = "other reasons"
        self.skipped[reason] += n

    def merge(self, other: ImportReport) -> None:
        """Add the counts of a part of the import (a worker's block)."""
        for name in (
            "lines", "events", "stored", "duplicates", "invalid", "bad",
            "learners_created", "courses_created", "activities_created",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.skipped.items():
            self.skip(reason, n)
        self.bad_kinds.update(other.bad_kinds)
        self.problems.extend(other.problems[: MAX_PROBLEMS - len(self.problems)])

    @property
    def rejected(self) -> int:
        """Lines refused: unreadable, or mapped but invalid (skipped lines are not)."""
        return self.bad + self.invalid

    def failure(self) -> str | None:
        """Why this import failed, or None: more than half of the lines read were
        rejected, or nothing was stored and nothing was there already. Skipped lines
        (event types with no canonical event, erased learners) are no rejection."""
        if self.rejected * 2 > self.lines:
            return f"{self.rejected} of {self.lines} lines read were rejected (bad or invalid)"
        if self.stored == 0 and self.duplicates == 0:
            if self.lines == 0:
                return "nothing to import: the files hold no lines"
            skipped = sum(self.skipped.values())
            return f"nothing stored: {self.rejected} rejected, {skipped} skipped of {self.lines} lines read"
        return None

    def summary(self) -> list[str]:
        lines = [
            f"{self.format} import: {self.files} file(s), {self.lines} lines read, "
            f"{self.events} events mapped",
            f"  events stored:       {self.stored}",
            f"  duplicates:          {self.duplicates}",
            f"  invalid events:      {self.invalid}",
            f"  bad lines:           {self.bad}",
        ]
        lines += [f"    {n:>10}  {reason}" for reason, n in self.bad_kinds.most_common()]
        lines += [f"  skipped:             {sum(self.skipped.values())}"]
        lines += [f"    {n:>10}  {reason}" for reason, n in self.skipped.most_common()]
        lines += [
            f"  learners created:    {self.learners_created}",
            f"  courses created:     {self.courses_created}",
            f"  activities created:  {self.activities_created}",
        ]
        if self.problems:
            more = self.bad + self.invalid - len(self.problems)
            lines.append("  problems" + (f" (first {len(self.problems)}):" if more > 0 else ":"))
            lines += [f"    {p}" for p in self.problems]
        return lines
