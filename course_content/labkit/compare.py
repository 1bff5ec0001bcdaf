"""Comparison and verdict helpers: is a test's output right, and if not, why in words.

:func:`compare` decides one output outside the sandbox, stopping at the first failing
check: type, shape (named patterns: transposed, a size-1 axis, a reduction over the wrong
axis, a different layout), dtype, NaN/Inf, values. :func:`compare_safely` turns data that
defeats a comparison into a failed test; :func:`run_failure` words a test whose code did
not return; :func:`check_failure` runs the author's ``check``.

Feedback for hidden tests never contains expected values (nor the learner's values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import Test
from .execution import TestRun
from .values import Val


@dataclass
class Failure:
    kind: str  # type shape dtype nan value check
    message: str


def _describe(v: Val) -> str:
    if v.t in ("ndarray", "tensor"):
        return f"{'a numpy array' if v.t == 'ndarray' else 'a torch Tensor'} of shape {tuple(v.value.shape)}"
    if v.t in ("int", "float", "bool", "npscalar"):
        return "a number"
    if v.t in ("list", "tuple"):
        return f"a {v.t} of {len(v.items or [])} items"
    return {"none": "None", "str": "a string", "dict": "a dict"}.get(v.t, f"a {v.py}")


FMT_STR = 60  # characters of each string shown in a message


def _fmt(x: Any) -> str:
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "US" and x.dtype.itemsize > FMT_STR * 4:
            x = x.astype(f"{x.dtype.kind}{FMT_STR}")  # cuts every element (shown values only)
        return np.array2string(x, precision=6, threshold=20, edgeitems=3)
    if isinstance(x, str) and len(x) > FMT_STR:
        return repr(x[:FMT_STR]) + f"… ({len(x) - FMT_STR:,} more characters)"
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return repr(x.item() if isinstance(x, np.generic) else x)


def _type_failure(got: Val, exp: Val, where: str, top: bool) -> Failure | None:
    if exp.t == "none":
        return None if got.t == "none" else Failure("type", f"{where} should be None, got {_describe(got)}")
    if got.t == "none":
        msg = (
            f"{where} is None: did you forget `return`?"
            if top
            else f"{where} is None, expected {_describe(exp)}"
        )
        return Failure("type", msg)
    if got.t == "unsupported":
        return Failure("type", f"{where} is a {got.py}, which cannot be graded: expected {_describe(exp)}")
    if exp.t == "str":
        return None if got.t == "str" else Failure("type", f"{where} is {_describe(got)}, expected a string")
    if exp.t in ("list", "tuple"):
        if got.t in ("list", "tuple"):
            return None
        hint = " (use .tolist() or list(...))" if got.t in ("ndarray", "tensor") else ""
        return Failure("type", f"{where} is {_describe(got)}, expected {_describe(exp)}{hint}")
    if exp.t == "dict":
        return None if got.t == "dict" else Failure("type", f"{where} is {_describe(got)}, expected a dict")
    # exp numeric
    if got.t in ("list", "tuple") and exp.t in ("ndarray", "tensor", "npscalar"):
        how = "np.array(...)" if exp.t != "tensor" else "torch.tensor(...)"
        return Failure(
            "type", f"{where} is a Python {got.t}, expected {_describe(exp)}: convert it with {how}"
        )
    if not got.is_numeric:
        return Failure("type", f"{where} is {_describe(got)}, expected {_describe(exp)}")
    if got.t == "tensor" and exp.t != "tensor":
        return Failure(
            "type",
            f"{where} is a torch Tensor, expected a numpy array or number: "
            "convert it with t.detach().numpy() (or t.item() for one number)",
        )
    if exp.t == "tensor" and got.t != "tensor":
        return Failure(
            "type",
            f"{where} is {_describe(got)}, expected a torch Tensor: compute it "
            "with torch operations (or convert with torch.from_numpy(a))",
        )
    return None


def _reductions(shape: tuple[int, ...], inputs: Mapping[str, Any]) -> dict[tuple, str]:
    """Shapes obtained by reducing one axis of an input array -> description."""
    found: dict[tuple, str] = {}

    def visit(x: Any) -> None:
        if isinstance(x, np.ndarray) and x.ndim >= 2:
            for ax in range(x.ndim):
                kept = x.shape[:ax] + (1,) + x.shape[ax + 1 :]
                dropped = x.shape[:ax] + x.shape[ax + 1 :]
                found.setdefault(kept, f"axis={ax}, keepdims=True")
                found.setdefault(dropped, f"axis={ax}")
        elif isinstance(x, (list, tuple)):
            for item in x:
                visit(item)
        elif isinstance(x, dict):
            for item in x.values():
                visit(item)

    for value in inputs.values():
        visit(value)
    return found


def _shape_failure(
    g: np.ndarray, e: np.ndarray, where: str, exp_is_scalar: bool, inputs: Mapping[str, Any]
) -> Failure | None:
    gs, es = tuple(g.shape), tuple(e.shape)
    if gs == es:
        return None
    if exp_is_scalar and g.size == 1:
        return Failure(
            "shape", f"{where} has shape {gs}, expected a single number: use .item() or np.squeeze(...)"
        )
    head = f"{where} has shape {gs}, expected {es}"
    if len(gs) >= 2 and gs == es[::-1]:
        return Failure(
            "shape",
            f"{head}: it looks transposed; check the order of the "
            "operands of a matrix product, the shape given to reshape, or a missing .T",
        )
    if g.size == e.size and [d for d in gs if d != 1] == [d for d in es if d != 1]:
        if len(gs) > len(es):
            return Failure(
                "shape",
                f"{head}: it has an extra axis of size 1; drop keepdims=True or use np.squeeze / reshape",
            )
        if len(gs) < len(es):
            return Failure(
                "shape",
                f"{head}: it is missing an axis of size 1; use keepdims=True "
                f"in the reduction or .reshape{es}",
            )
        return Failure(
            "shape",
            f"{head}: the size-1 axis is in the wrong place; check which axis you reduce over or reshape",
        )
    reductions = _reductions(es, inputs)
    if es in reductions and gs in reductions and reductions[es] != reductions[gs]:
        return Failure(
            "shape",
            f"{head}: looks like a reduction over the wrong axis "
            f"(you used {reductions[gs]}; the expected result uses "
            f"{reductions[es]})",
        )
    if g.size == e.size:
        return Failure(
            "shape",
            f"{head}: same number of elements, different layout; check "
            "your reshape (target shape, order, where the -1 goes)",
        )
    return Failure("shape", head)


def _numeric_failure(
    got: Val,
    exp: Val,
    where: str,
    rtol: float,
    atol: float,
    public: bool,
    inputs: Mapping[str, Any],
    check_dtype: bool = True,
) -> Failure | None:
    g, e = np.asarray(got.value), np.asarray(exp.value)
    exp_is_scalar = exp.t in ("int", "float", "bool", "npscalar") or e.ndim == 0
    if (failure := _shape_failure(g, e, where, exp_is_scalar, inputs)) is not None:
        return failure
    g = g.reshape(e.shape)
    if check_dtype and e.dtype.kind in "fc" and g.dtype.kind in "iub":
        return Failure(
            "dtype",
            f"{where} holds integers (dtype {g.dtype}) where floats are "
            "expected: integer division (//), int() or an integer-typed "
            "array (np.zeros(..., dtype=int)) truncates the values",
        )
    if e.dtype.kind in "US" or g.dtype.kind in "US":
        same = e.dtype.kind == g.dtype.kind and np.array_equal(g, e)
        return (
            None
            if same
            else Failure(
                "value",
                f"{where} has different strings" + (f": got {_fmt(g)}, expected {_fmt(e)}" if public else ""),
            )
        )
    if g.dtype.kind == "c" and e.dtype.kind != "c":
        return Failure("dtype", f"{where} holds complex numbers (dtype {g.dtype}), expected real numbers")
    g64 = g.astype(np.complex128 if e.dtype.kind == "c" else np.float64)
    e64 = e.astype(g64.dtype)
    bad = ~np.isfinite(g64) & np.isfinite(e64)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        n_nan = int(np.isnan(g64[bad]).sum())
        kinds = "NaN" if n_nan == bad.sum() else ("Inf" if n_nan == 0 else "NaN/Inf")
        return Failure(
            "nan",
            f"{where} has {int(bad.sum())} {kinds} value(s)"
            f"{f' (first at index {first})' if first else ''} where the expected values are "
            "finite: log(0), 0/0 or "
            "exp overflow? Clip before log (np.clip(a, eps, 1 - eps)), avoid "
            "dividing by zero, subtract the max before exp (stable softmax)",
        )
    close = np.isclose(g64, e64, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return None
    with np.errstate(all="ignore"):
        abs_err = np.where(close, 0.0, np.nan_to_num(np.abs(g64 - e64), nan=np.inf))
        rel_err = abs_err / np.maximum(np.abs(e64), np.finfo(float).tiny)
    worst = np.unravel_index(int(np.argmax(abs_err)), e.shape) if e.ndim else ()
    worst = tuple(int(i) for i in worst)
    n_bad = int((~close).sum())
    msg = (
        f"{where}: {n_bad} of {close.size} value(s) differ beyond the tolerance "
        f"(rtol={rtol:g}, atol={atol:g}); largest absolute error {float(abs_err.max()):.3g}, "
        f"largest relative error {float(rel_err.max()):.3g}, at index {worst}"
    )
    if public:
        msg += f"; there you returned {_fmt(g[worst])}, expected {_fmt(e[worst])}"
        if e.ndim and e.size <= 20:
            msg += f"\n  got:      {_fmt(g)}\n  expected: {_fmt(e)}"
    return Failure("value", msg)


def compare(
    got: Val,
    exp: Val,
    *,
    rtol: float,
    atol: float,
    public: bool,
    inputs: Mapping[str, Any] | None = None,
    where: str = "the returned value",
    path: str = "",
    lenient: bool = False,
) -> Failure | None:
    """First failing check of ``got`` against ``exp``; None if they match.

    ``where`` names the value in messages; ``path`` is the subscript of the part being
    compared inside it (``[0]['dw']``). ``lenient`` (for an author's ``expected``
    literal) compares numbers by value only: lists, arrays and tensors alike, any dtype.
    """
    inputs = inputs or {}
    label = f"element {path} of {where}" if path else where
    if lenient:
        got, exp = _as_array_if_numeric(got, exp), _as_array_if_numeric(exp, got)
        if got.is_numeric and exp.is_numeric:
            return _numeric_failure(got, exp, label, rtol, atol, public, inputs, check_dtype=False)
    if (failure := _type_failure(got, exp, label, not path)) is not None:
        return failure
    if exp.t == "none":
        return None
    if exp.t == "str":
        if got.value == exp.value:
            return None
        shown = f": got {_fmt(got.value)}, expected {_fmt(exp.value)}" if public else ""
        return Failure("value", f"{label} is a different string{shown}")
    if exp.t in ("list", "tuple", "dict"):
        if exp.t == "dict":
            gd, ed = dict(got.items or []), dict(exp.items or [])
            missing = [k for k in ed if k not in gd]
            extra = [k for k in gd if k not in ed]
            if missing:
                return Failure("type", f"{label} is missing the key(s) {_keys(missing)}")
            if extra:
                return Failure("type", f"{label} has unexpected key(s) {_keys(extra)}")
            pairs = [(f"[{k!r}]", gd[k], e) for k, e in ed.items()]
        else:
            gi, ei = got.items or [], exp.items or []
            if len(gi) != len(ei):
                return Failure("type", f"{label} has {len(gi)} item(s), expected {len(ei)}")
            pairs = [(f"[{i}]", g, e) for (i, g), (_, e) in zip(gi, ei, strict=True)]
        for sub_path, g, e in pairs:
            sub = compare(
                g,
                e,
                rtol=rtol,
                atol=atol,
                public=public,
                inputs=inputs,
                where=where,
                path=path + sub_path,
                lenient=lenient,
            )
            if sub:
                return sub
        return None
    return _numeric_failure(got, exp, label, rtol, atol, public, inputs)


def _keys(keys: list) -> str:
    shown = ", ".join(_fmt(k) for k in keys[:10])
    return shown + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")


def _as_array_if_numeric(v: Val, other: Val) -> Val:
    """``v`` as an ndarray when it is a list/tuple of numbers and ``other`` is numeric."""
    if v.t not in ("list", "tuple") or not other.is_numeric:
        return v
    try:
        arr = np.asarray(v.to_python())
    except (ValueError, TypeError):
        return v
    return Val("ndarray", "ndarray", arr) if arr.dtype.kind in "biuf" else v


# --------------------------------------------------------------------------- verdicts


def run_failure(run: TestRun, test: Test) -> tuple[str, str]:
    """(kind, message) for a test whose code did not return normally."""
    if run.status == "not_implemented":
        return "not_implemented", f"`{test.call}` is not implemented yet (it raises NotImplementedError)"
    if run.status == "missing":
        return "missing", run.message or f"your notebook does not define `{test.call}`"
    if run.status == "timeout":
        return (
            "timeout",
            f"`{test.call}` ran too long ({run.message}): an infinite loop, or a "
            "loop where a vectorized numpy operation would do?",
        )
    if run.status == "crashed":
        return "crashed", run.message or "the test crashed"
    if run.status == "not_run":
        return "not_run", run.message
    if run.exc_type == "SystemExit":
        return "error", "your code called sys.exit() / exit(): remove it (the grader keeps running)"
    return "error", f"{run.exc_type}: {run.message}" if run.message else run.exc_type


def compare_safely(
    got: Val, exp: Val, test: Test, inputs: Mapping[str, Any] | None, public: bool | None = None
) -> Failure | None:
    """:func:`compare`, where data that defeats a comparison fails the test instead of
    the grading (an exception here would leave the submission without a grade)."""
    try:
        return compare(
            got,
            exp,
            rtol=test.rtol,
            atol=test.atol,
            public=test.public if public is None else public,
            inputs=inputs,
        )
    except (ArithmeticError, ValueError, TypeError, MemoryError, RecursionError) as exc:
        return Failure(
            "value",
            f"the returned value could not be compared with the expected one ({type(exc).__name__}): "
            "return numbers, numpy arrays, lists or dicts of them",
        )


def check_failure(test: Test, output: Any, inputs: Mapping[str, Any]) -> str | None:
    if test.check is None:
        return None
    try:
        result = test.check(output, inputs)
    except Exception:  # noqa: BLE001 - the author's check choking on odd learner output
        return "the returned value does not have the expected properties"
    return str(result) if result else None
