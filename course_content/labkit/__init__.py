"""What lab authors import in a lab's ``tests.py``.

See docs/content-format.md. This module is imported by trusted code (the validator,
``check_content``, the grader) and never inside the sandbox: hidden tests, expected
values and known mistakes stay outside.

The kit's modules, each one concern (imports run one way, down this list; a test in
tests/course_content/test_imports.py keeps the graph acyclic):

- ``grade``: the grading orchestration (``grade``, ``GradeResult``); ``check``: the
  author's ``check`` command;
- ``notebook``: the ``.ipynb`` export; ``mistakes``: known mistakes and their outputs;
- ``compare``: output comparison, shape-aware feedback and verdicts;
- ``execution``: running code on the tests and reading outputs back (``readback``);
- ``values``: outputs as compared values;
- ``labspec``: loading a lab and writing its tests' inputs; ``source``: a lab's source
  (cells, solution blocks, the starter);
- ``sandbox``: everything that starts, limits and isolates a process (see its package);
- ``harness``: what runs inside the sandbox; ``messages``: the one text cleaner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Inputs = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]


@dataclass(frozen=True)
class Test:
    """One graded check: call ``call`` with ``inputs`` and compare to the reference."""

    name: str
    call: str  # function defined by the learner's notebook, or a key of DRIVERS
    inputs: Inputs  # dict of keyword arguments, or rng -> dict (numpy Generator)
    public: bool = False  # public tests run on "Run" and ship in the .ipynb
    expected: Any = None  # optional literal values the reference must reproduce
    rtol: float = 1e-5
    atol: float = 1e-7
    points: float = 1.0
    seed: int = 0  # np.random / torch seed set before the call
    check: Callable[[Any, Mapping[str, Any]], str | None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Mistake:
    """A known wrong implementation of ``call``; a matching output gets ``hint``."""

    call: str
    name: str
    impl: Callable[..., Any] = field(compare=False)
    hint: str = ""
