"""What lab authors import in a lab's ``tests.py``.

See docs/content-format.md. This module is imported by trusted code (the validator,
``check_content``, the grader) and never inside the sandbox: hidden tests, expected
values and known mistakes stay outside.
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
