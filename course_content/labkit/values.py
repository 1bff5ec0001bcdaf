"""Output values as the grader compares them: :class:`Val`, built from an untrusted
harness structure by :func:`to_val` (validated on the way) or from a trusted Python value
by :func:`value_to_val`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import harness as hz


@dataclass
class Val:
    """A decoded (untrusted) output value, with its Python type name."""

    t: str  # none bool int float str ndarray npscalar tensor list tuple dict unsupported
    py: str
    value: Any = None  # Python scalar / str / np.ndarray
    items: list[tuple[Any, Val]] | None = None

    @property
    def is_numeric(self) -> bool:
        return self.t in ("bool", "int", "float", "ndarray", "npscalar", "tensor")

    def to_python(self) -> Any:
        """Plain value: arrays stay numpy arrays (tensors too), tuples stay tuples."""
        if self.t in ("list", "tuple"):
            seq = [v.to_python() for _, v in self.items or []]
            return seq if self.t == "list" else tuple(seq)
        if self.t == "dict":
            return {k: v.to_python() for k, v in self.items or []}
        return self.value


def to_val(structure: Any, arrays: Mapping[str, np.ndarray], depth: int = 0) -> Val:
    """Validate an untrusted structure while turning it into a :class:`Val`."""
    bad = Val("unsupported", "malformed output")
    if not isinstance(structure, dict) or depth > hz.MAX_DEPTH:
        return bad
    t = structure.get("t")
    py = structure.get("py") if isinstance(structure.get("py"), str) else None
    if t == "none":
        return Val("none", "NoneType")
    if t == "bool" and isinstance(structure.get("v"), bool):
        return Val("bool", "bool", structure["v"])
    if t == "int" and type(structure.get("v")) is int:
        return _int_val(structure["v"])
    if t == "float":
        v = structure.get("v")
        if isinstance(v, str) and v in hz._FLOAT_WORDS:
            return Val("float", "float", hz._FLOAT_WORDS[v])
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            try:
                return Val("float", "float", float(v))
            except OverflowError:
                return _too_large(v)
        return bad
    if t == "str" and isinstance(structure.get("v"), str):
        return Val("str", "str", structure["v"])
    if t in ("ndarray", "npscalar", "tensor"):
        arr = arrays.get(structure.get("k")) if isinstance(structure.get("k"), str) else None
        if not isinstance(arr, np.ndarray) or arr.dtype.kind not in hz.ALLOWED_DTYPE_KINDS:
            return bad
        name = {"ndarray": "ndarray", "tensor": "Tensor"}.get(t, py or "numpy scalar")
        return Val(t, name, arr)
    if t in ("list", "tuple") and isinstance(structure.get("items"), list):
        return Val(t, t, items=[(i, to_val(n, arrays, depth + 1)) for i, n in enumerate(structure["items"])])
    if t == "dict" and isinstance(structure.get("items"), list):
        items = []
        for pair in structure["items"]:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) in (str, int)):
                return bad
            items.append((pair[0], to_val(pair[1], arrays, depth + 1)))
        return Val("dict", "dict", items=items)
    if t == "unsupported":
        return Val("unsupported", (py or "object")[:100])
    return bad


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _int_val(v: int) -> Val:
    """A Python int as compared: itself within int64, a float beyond (numpy would make an
    object array of it), "too large" where no float holds it (10**400)."""
    if INT64_MIN <= v <= INT64_MAX:
        return Val("int", "int", v)
    try:
        return Val("int", "int", float(v))
    except OverflowError:
        return _too_large(v)


def _too_large(v: int) -> Val:
    digits = int(v.bit_length() * 0.30103) + 1
    return Val(
        "unsupported",
        f"number too large to compare (an integer of about {digits} digits; the grader compares "
        "numbers as 64-bit floats, which stop near 1.8e308)",
    )


def value_to_val(value: Any) -> Val:
    """A trusted Python value (e.g. ``Test.expected``) as a :class:`Val`."""
    structure, arrays = hz.encode(value)
    return to_val(structure, arrays)
