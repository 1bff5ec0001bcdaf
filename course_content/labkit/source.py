"""A lab's ``lab.py`` as source: cells, solution blocks and the learner's starter.

``lab.py`` is a jupytext percent-format file and the reference solution (see
docs/content-format.md). This module:

- ``parse_cells(source)`` splits it into :class:`Cell` objects (code / markdown / raw,
  with their 1-based line numbers);
- ``solution_blocks(source)`` finds the ``### BEGIN SOLUTION`` / ``### END SOLUTION``
  blocks, raising :class:`SolutionMarkerError` (naming the line) for unbalanced or nested
  markers; ``make_starter(source)`` replaces each block with the START/END CODE HERE stub
  at the block's indentation;
- ``defined_functions(source)`` and ``driver_targets(drivers_source, driver)`` name the
  functions a lab defines and those a test driver looks up.

The ``.ipynb`` export is ``notebook.py``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
STUB_LINES = (
    "### START CODE HERE ###",
    'raise NotImplementedError("Write your code here")',
    "### END CODE HERE ###",
)
CELL_HEADER = re.compile(r"^# %%(?P<rest>.*)$")
CELL_KIND = re.compile(r"^\s*\[(?P<kind>markdown|md|raw)\]")


class SolutionMarkerError(ValueError):
    """Unbalanced or nested solution markers; ``line`` is 1-based."""

    def __init__(self, line: int, message: str, fix: str) -> None:
        super().__init__(f"line {line}: {message} (fix: {fix})")
        self.line = line
        self.message = message
        self.fix = fix


@dataclass
class Cell:
    """One notebook cell of a percent-format file."""

    kind: str  # "code" | "markdown" | "raw"
    source: str  # markdown without its "# " prefixes
    line: int  # 1-based line of the "# %%" header (1 for text before the first header)
    header: str = ""  # the rest of the header line (title, tags)
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SolutionBlock:
    begin: int  # 1-based line of "### BEGIN SOLUTION"
    end: int  # 1-based line of "### END SOLUTION"
    indent: str


# --------------------------------------------------------------------------- cells


def _uncomment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return line[1:] if line.startswith("#") else line


def parse_cells(source: str) -> list[Cell]:
    """Split percent-format ``source`` into cells (leading/trailing blank lines trimmed)."""
    cells: list[Cell] = []
    kind, header, start, body = "code", "", 1, []

    def flush() -> None:
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        if not body and start == 1 and not cells and not header:
            return  # nothing before the first header
        text = "\n".join(_uncomment(b) if kind == "markdown" else b for b in body)
        cells.append(Cell(kind=kind, source=text, line=start, header=header.strip()))

    for lineno, line in enumerate(source.splitlines(), start=1):
        match = CELL_HEADER.match(line)
        if match:
            flush()
            rest = match.group("rest")
            kind_match = CELL_KIND.match(rest)
            kind = "code"
            if kind_match:
                kind = "raw" if kind_match.group("kind") == "raw" else "markdown"
                rest = rest[kind_match.end() :]
            header, start, body = rest, lineno, []
        else:
            body.append(line)
    flush()
    return cells


def defined_functions(source: str) -> dict[str, int]:
    """Top-level functions and classes of ``source`` (``if``/``try`` blocks included) -> line.

    Classes count: a test or a known mistake may name a class (an ``nn.Module``) as its call.
    """
    tree = ast.parse(source)
    names: dict[str, int] = {}

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.setdefault(node.name, node.lineno)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    return names


# --------------------------------------------------------------------------- starter


def solution_blocks(source: str) -> list[SolutionBlock]:
    """The solution blocks of ``source``; raises :class:`SolutionMarkerError` if malformed."""
    blocks: list[SolutionBlock] = []
    open_line: int | None = None
    indent = ""
    for lineno, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_MARKER):
            if open_line is not None:
                raise SolutionMarkerError(
                    lineno,
                    f"'{BEGIN_MARKER}' inside the block opened at line {open_line}",
                    f"close that block with '{END_MARKER}' first; blocks cannot nest",
                )
            open_line, indent = lineno, line[: len(line) - len(line.lstrip())]
        elif stripped.startswith(END_MARKER):
            if open_line is None:
                raise SolutionMarkerError(
                    lineno,
                    f"'{END_MARKER}' without a matching '{BEGIN_MARKER}'",
                    f"add '{BEGIN_MARKER}' above it or remove it",
                )
            blocks.append(SolutionBlock(open_line, lineno, indent))
            open_line = None
    if open_line is not None:
        raise SolutionMarkerError(
            open_line, f"'{BEGIN_MARKER}' is never closed", f"add '{END_MARKER}' at the end of the solution"
        )
    return blocks


def make_starter(source: str) -> str:
    """The learner's starter: every solution block replaced by the START/END CODE HERE stub."""
    blocks = solution_blocks(source)
    lines = source.splitlines()
    out: list[str] = []
    pos = 0  # 0-based index of the next line to copy
    for block in blocks:
        out.extend(lines[pos : block.begin - 1])
        out.extend(block.indent + stub for stub in STUB_LINES)
        pos = block.end
    out.extend(lines[pos:])
    return "\n".join(out) + ("\n" if source.endswith("\n") or not source else "")


def driver_targets(drivers_source: str, driver: str) -> set[str]:
    """Names a driver looks up in the notebook namespace (``ns["name"]`` / ``ns.get``)."""
    tree = ast.parse(drivers_source)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == driver:
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Subscript)
                    and isinstance(sub.slice, ast.Constant)
                    and isinstance(sub.slice.value, str)
                ):
                    names.add(sub.slice.value)
                if (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == "get"
                    and sub.args
                    and isinstance(sub.args[0], ast.Constant)
                ):
                    names.add(str(sub.args[0].value))
    return names
