"""A learner's uploaded ``.ipynb`` back into the lab source the editor, Run and Submit use.

``to_ipynb`` (course_content/labkit/notebook.py) exports a lab as a notebook: one cell per
percent-format cell of the starter, plus generated public-test cells (tagged
``cairn-public-tests``) after the cells they test. :func:`from_ipynb` inverts it against
the lab's own starter: the test cells are dropped, and when the notebook still has the
lab's cells (same kinds, same order) each learner cell replaces the body of its starter
cell, so headers and blank lines come back as the page's editor shows them and an
untouched download comes back exactly as the starter. A notebook whose cells were
added, removed or re-typed is still accepted, written out cell by cell.

:func:`notebook_upload_code` checks an upload (size, JSON, notebook, which lab, blanks)
and raises :class:`NotebookRefused` with a message the learner can act on.

(``from_ipynb`` uses only ``labkit.notebook``; it could move there beside ``to_ipynb``.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_content.labkit.notebook import TEST_CELL_TAG
from course_content.labkit.source import CELL_HEADER, CELL_KIND, STUB_LINES, make_starter, parse_cells

from .services import MAX_CODE_BYTES

MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
START_MARKER, END_MARKER = STUB_LINES[0], STUB_LINES[-1]
_BLANK_PAIRS = ((START_MARKER, END_MARKER), ("### BEGIN SOLUTION", "### END SOLUTION"))
_FRESH = "download this lab's notebook again from the lab page and copy your code into it"


class NotebookRefused(ValueError):
    """An upload that cannot become this lab's code (the message says why and what to do)."""


@dataclass
class _Chunk:
    """The lines of one percent-format cell, split so its body can be swapped."""

    header: str | None  # the "# %%" line; None for the text before the first header
    kind: str = "code"
    lead: list[str] = field(default_factory=list)  # blank lines after the header
    body: list[str] = field(default_factory=list)
    trail: list[str] = field(default_factory=list)  # blank lines before the next header

    def lines(self, body: list[str] | None = None) -> list[str]:
        head = [] if self.header is None else [self.header]
        return head + self.lead + (self.body if body is None else body) + self.trail


def _chunks(source: str) -> list[_Chunk]:
    """``source`` cut at its "# %%" headers, like ``parse_cells`` (which trims the blanks)."""
    chunks = [_Chunk(header=None)]
    for line in source.splitlines():
        match = CELL_HEADER.match(line)
        if match:
            kind_match = CELL_KIND.match(match.group("rest"))
            kind = "code"
            if kind_match:
                kind = "raw" if kind_match.group("kind") == "raw" else "markdown"
            chunks.append(_Chunk(header=line, kind=kind))
        else:
            chunks[-1].body.append(line)
    for chunk in chunks:
        while chunk.body and not chunk.body[0].strip():
            chunk.lead.append(chunk.body.pop(0))
        while chunk.body and not chunk.body[-1].strip():
            chunk.trail.insert(0, chunk.body.pop())
    return chunks


def _trimmed(text: str) -> list[str]:
    """A cell's lines without leading/trailing blank lines (as ``parse_cells`` keeps them)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _cell_source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source or "")


def _is_test_cell(cell: Any) -> bool:
    """A public-test cell that ``to_ipynb`` generated (by tag, or by its unmistakable code
    when a tool dropped the tags)."""
    tags = (cell.get("metadata") or {}).get("tags") or []
    if TEST_CELL_TAG in tags:
        return True
    source = _cell_source(cell)
    return source.startswith("# Public tests for ") and "_cairn_run([" in source


def _commented(lines: list[str]) -> list[str]:
    return [("# " + line).rstrip() for line in lines]


def learner_cells(notebook: Any) -> list[tuple[str, str]]:
    """The notebook's own cells as ``(kind, source)``, generated test cells dropped."""
    cells = []
    for cell in notebook.get("cells") or []:
        kind = cell.get("cell_type")
        if kind in ("code", "markdown", "raw") and not _is_test_cell(cell):
            cells.append((kind, _cell_source(cell)))
    return cells


def cells_match(cells: list[tuple[str, str]], starter: str) -> bool:
    """Whether ``cells`` have the starter's cell kinds, in order (the lab's structure)."""
    return [kind for kind, _ in cells] == [cell.kind for cell in parse_cells(starter)]


def from_ipynb(notebook: Any, lab_dir: str | Path) -> str:
    """The lab source (percent format, as the editor shows it) of a notebook of this lab.

    ``to_ipynb(lab_dir, solution=False)`` comes back as exactly
    ``make_starter(lab.py)``; ``solution=True`` as exactly ``lab.py``.
    """
    starter = make_starter((Path(lab_dir) / "lab.py").read_text(encoding="utf-8"))
    return _from_cells(learner_cells(notebook), starter)


def _from_cells(cells: list[tuple[str, str]], starter: str) -> str:
    if not cells_match(cells, starter):
        return _written_out(cells)
    chunks = _chunks(starter)
    if not chunks[0].body:  # parse_cells keeps no cell for blank text before the first header
        kept = chunks[1:]
        out = chunks[0].lines()
    else:
        kept, out = chunks, []
    for chunk, cell, (kind, source) in zip(kept, parse_cells(starter), cells, strict=True):
        lines = _trimmed(source)
        if lines == _trimmed(cell.source):
            out.extend(chunk.lines())  # unchanged: the starter's own lines
        else:
            out.extend(chunk.lines(_commented(lines) if kind == "markdown" else lines))
    return "\n".join(out) + ("\n" if starter.endswith("\n") else "")


def _written_out(cells: list[tuple[str, str]]) -> str:
    """Cells in percent format when they no longer line up with the lab's."""
    parts = []
    for kind, source in cells:
        lines = _trimmed(source)
        if kind == "markdown":
            parts.append("\n".join(["# %% [markdown]", *_commented(lines)]))
        else:
            parts.append("\n".join(["# %%" if kind == "code" else "# %% [raw]", *lines]))
    return "\n\n".join(parts) + "\n"


def blank_count(code: str) -> int:
    """How many filled-in blanks ``code`` has: START/END CODE HERE pairs (or the
    BEGIN/END SOLUTION pairs of a solution notebook)."""
    count = 0
    for start, end in _BLANK_PAIRS:
        open_ = False
        for line in code.splitlines():
            stripped = line.strip()
            if stripped.startswith(start):
                open_ = True
            elif stripped.startswith(end) and open_:
                count, open_ = count + 1, False
    return count


def _read_upload(upload: Any) -> Any:
    """The uploaded file as an nbformat v4 notebook, or a clear refusal."""
    import nbformat

    if upload is None:
        raise NotebookRefused("choose a .ipynb file to upload")
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_NOTEBOOK_BYTES:
        raise NotebookRefused(f"the file is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MiB")
    data = upload.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookRefused(f"the file is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MiB")
    if not data.strip():
        raise NotebookRefused("the file is empty")
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise NotebookRefused(
            f"this file is not a Jupyter notebook: it is not JSON{where}; upload the .ipynb file itself"
        ) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise NotebookRefused("this JSON file is not a Jupyter notebook (it has no 'nbformat' version)")
    try:  # any format version, converted to 4; schema nits are logged by nbformat, not fatal
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types on malformed input
        message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise NotebookRefused(f"this file is not a valid Jupyter notebook: {message}") from exc
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("cell_type"), str)
        and (
            isinstance(c.get("source"), str)
            or (isinstance(c.get("source"), list) and all(isinstance(x, str) for x in c["source"]))
        )
        for c in cells
    ):
        raise NotebookRefused("this file is not a valid Jupyter notebook: its cells are malformed")
    return notebook


def notebook_upload_wait(request) -> int | None:
    """Count one notebook upload of this learner and address against the same limits as
    the notebook API (``lab-notebook-user``, ``lab-notebook-ip``): reading a 2 MiB notebook
    costs seconds of web CPU. The seconds to wait when over, else None."""
    from lms.core.ratelimit import by_ip, by_user, rate_hit

    waits = [rate_hit(scope, key) for scope, key in (("lab-notebook-user", by_user(request)),
                                                     ("lab-notebook-ip", by_ip(request))) if key]  # fmt: skip
    return max((w for w in waits if w is not None), default=None)


def notebook_upload_code(*, upload: Any, lab_dir: str | Path) -> str:
    """The code of an uploaded notebook (a Django ``UploadedFile``) for the lab in ``lab_dir``.

    Raises :class:`NotebookRefused` for: no file, over 2 MiB, not JSON, not a notebook,
    another lab's notebook, missing blanks, code over the submission limit.
    """
    lab_dir = Path(lab_dir)
    notebook = _read_upload(upload)
    starter = make_starter((lab_dir / "lab.py").read_text(encoding="utf-8"))
    cells = learner_cells(notebook)
    metadata = notebook.get("metadata") or {}
    cairn = metadata.get("cairn") if isinstance(metadata.get("cairn"), dict) else {}
    lab_name = cairn.get("lab")
    if isinstance(lab_name, str) and lab_name != lab_dir.name:
        raise NotebookRefused(f"this notebook belongs to another lab ({lab_name!r}), not this one: {_FRESH}")
    if not isinstance(lab_name, str) and not cells_match(cells, starter):
        raise NotebookRefused(
            f"this notebook was not downloaded from this lab (its cells do not match): {_FRESH}"
        )
    code = _from_cells(cells, starter)
    expected, found = blank_count(starter), blank_count(code)
    if found < expected:
        raise NotebookRefused(
            f"the notebook is missing {expected - found} of this lab's {expected} code blanks: keep each "
            f"'{START_MARKER}' ... '{END_MARKER}' pair around your code, or {_FRESH}"
        )
    if len(code.encode("utf-8", errors="replace")) > MAX_CODE_BYTES:
        raise NotebookRefused(f"the notebook's code is larger than {MAX_CODE_BYTES // 1024} KiB")
    return code
