"""A lab as a notebook: the ``.ipynb`` export and the code a learner's notebook submits.

- ``to_ipynb(lab_dir, solution=False)`` exports the starter (or the solution) as a
  notebook (cells from ``source.parse_cells``, starter from ``source.make_starter``).
  After the cell defining each tested function it inserts a self-contained public-test
  cell: plain numpy code holding the public tests' inputs and the reference outputs as
  literals (computed at export time by running the reference through the grading
  harness), which prints a pass/fail line per test and raises ``AssertionError`` if any
  fails;
- ``notebook_code(nb)`` turns a (learner's) notebook back into the ``.py`` the grader
  runs, dropping the generated test cells.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

from .execution import reference_outputs
from .labspec import LabError, load_lab, test_id
from .source import Cell, defined_functions, driver_targets, make_starter, parse_cells, solution_blocks

TEST_CELL_TAG = "cairn-public-tests"
LITERAL_MAX_SIZE = 60  # arrays up to this many elements are written as readable literals

# --------------------------------------------------------------------------- export


def _literal(value: Any, arrays_b64: bool = False) -> str:
    """Python source for a decoded value (numpy arrays as np.array literals or base64 .npy)."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if np.isfinite(value) else f'float("{value}")'
    if isinstance(value, np.ndarray):
        finite = value.dtype.kind not in "fc" or bool(np.all(np.isfinite(value)))
        if value.size <= LITERAL_MAX_SIZE and finite and value.dtype.kind in "biuf" and not arrays_b64:
            return f"np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return f"_cairn_array({base64.b64encode(buf.getvalue()).decode()!r})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_literal(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write a {type(value).__name__} into a notebook")


# The helpers each public-test cell carries: plain numpy, no course_content import.
_CHECKER = '''
import base64, io, random, traceback
import numpy as np

def _cairn_array(b64):
    return np.load(io.BytesIO(base64.b64decode(b64)), allow_pickle=False)

def _cairn_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    import sys
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)

def _cairn_compare(got, exp, rtol, atol, where="output"):
    """None if got matches exp, else a message."""
    if exp is None:
        return None if got is None else f"{where} should be None, got {type(got).__name__}"
    if got is None:
        return f"{where} is None: did you forget `return`?"
    if isinstance(exp, str):
        return None if got == exp else f"{where} is {got!r}, expected {exp!r}"
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            return f"{where} should be a dict, got {type(got).__name__}"
        missing, extra = set(exp) - set(got), set(got) - set(exp)
        if missing or extra:
            return f"{where}: missing keys {sorted(map(str, missing))}, unexpected keys {sorted(map(str, extra))}"
        for k in exp:
            msg = _cairn_compare(got[k], exp[k], rtol, atol, f"{where}[{k!r}]")
            if msg:
                return msg
        return None
    if isinstance(exp, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{where} should be a {type(exp).__name__} of {len(exp)} items, got {type(got).__name__}"
        if len(got) != len(exp):
            return f"{where} has {len(got)} items, expected {len(exp)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            msg = _cairn_compare(g, e, rtol, atol, f"{where}[{i}]")
            if msg:
                return msg
        return None
    if type(got).__name__ == "Tensor":
        if not _CAIRN_TENSORS.get(where, False):
            return f"{where} is a torch Tensor, expected a numpy array: use t.detach().numpy()"
        got = got.detach().cpu().numpy()
    elif _CAIRN_TENSORS.get(where, False):
        return f"{where} should be a torch Tensor, got {type(got).__name__}"
    if isinstance(got, (list, tuple)) and isinstance(exp, np.ndarray) and exp.ndim > 0:
        return f"{where} is a Python {type(got).__name__}, expected a numpy array: use np.array(...)"
    if not isinstance(got, (np.ndarray, np.generic, int, float, bool)):
        return f"{where} is a {type(got).__name__}, expected a number or array"
    g, e = np.asarray(got), np.asarray(exp)
    if g.shape != e.shape:
        hint = ""
        if g.ndim >= 2 and g.shape == e.shape[::-1]:
            hint = " (looks transposed)"
        elif g.size == e.size and [d for d in g.shape if d != 1] == [d for d in e.shape if d != 1]:
            hint = " (an extra or missing size-1 axis: keepdims=True / np.squeeze / reshape)"
        return f"{where} has shape {g.shape}, expected {e.shape}{hint}"
    if e.dtype.kind in "fc" and g.dtype.kind in "iub":
        return f"{where} has integer dtype {g.dtype}, expected floats: integer arithmetic truncates"
    if g.dtype.kind not in "biufc":
        return f"{where} has dtype {g.dtype}, expected numbers"
    bad = ~np.isfinite(g) & np.isfinite(e)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"{where} has {int(bad.sum())} NaN/Inf value(s), first at index {first}: "
                "clip before log, avoid 0/0, subtract the max before exp")
    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        err = np.where(close, 0, np.abs(g.astype(complex) - e))
        worst = np.unravel_index(int(np.argmax(err)), g.shape) if g.ndim else ()
        idx = tuple(int(i) for i in worst)
        return (f"{where}: {int((~close).sum())} of {close.size} values differ; at index {idx} "
                f"got {g[idx]!r}, expected {e[idx]!r} (max abs error {float(err.max()):.3g})")
    return None

def _cairn_run(tests, ns):
    failed = 0
    for name, call, seed, driver, inputs, expected, rtol, atol in tests:
        _cairn_seed(seed)
        try:
            out = driver(ns, **inputs) if driver else ns[call](**inputs)
            msg = _cairn_compare(out, expected, rtol, atol)
        except NotImplementedError:
            msg = f"`{call}` is not implemented yet"
        except Exception as exc:
            tb = traceback.format_exc(limit=-3)
            msg = f"{type(exc).__name__}: {exc}\\n{tb}"
        if msg:
            failed += 1
            print(f"FAIL  {name}\\n      {msg}")
        else:
            print(f"ok    {name}")
    if failed:
        raise AssertionError(f"{failed} of {len(tests)} public test(s) failed")
    print(f"All {len(tests)} public test(s) passed.")
'''


def _tensor_paths(structure: dict, where: str = "output") -> dict[str, bool]:
    """Which output paths the reference returns as torch tensors (for the checker)."""
    paths: dict[str, bool] = {}
    t = structure.get("t")
    if t == "tensor":
        paths[where] = True
    elif t in ("list", "tuple"):
        for i, item in enumerate(structure["items"]):
            paths.update(_tensor_paths(item, f"{where}[{i}]"))
    elif t == "dict":
        for k, item in structure["items"]:
            paths.update(_tensor_paths(item, f"{where}[{k!r}]"))
    return paths


def _test_cell_source(entries: list[dict], drivers_source: str | None) -> str:
    """Source of one self-contained public-test cell."""
    tensor_paths: dict[str, bool] = {}
    rows = []
    uses_driver = False
    for e in entries:
        tensor_paths.update(_tensor_paths(e["structure"]))
        uses_driver |= e["driver"]
        rows.append(
            f"    ({e['name']!r}, {e['call']!r}, {e['seed']!r}, "
            f"{'_cairn_driver_' + e['call'] if e['driver'] else 'None'},\n"
            f"     {_literal(e['inputs'])},\n"
            f"     {_literal(e['expected'])},\n"
            f"     {e['rtol']!r}, {e['atol']!r}),"
        )
    names = ", ".join(sorted({f"`{e['call']}`" for e in entries}))
    parts = [
        f"# Public tests for {names}: run this cell to check your work (do not edit).\n"
        "# The graded tests also include hidden ones.",
        _CHECKER.strip(),
        f"_CAIRN_TENSORS = {tensor_paths!r}",
    ]
    if uses_driver and drivers_source:
        parts.append("# Test drivers (the lab's drivers.py)")
        parts.append(drivers_source.strip())
        for call in sorted({e["call"] for e in entries if e["driver"]}):
            parts.append(f"_cairn_driver_{call} = {call}")
    parts.append("_cairn_run([\n" + "\n".join(rows) + "\n], globals())")
    return "\n\n".join(parts) + "\n"


def _placement(cells: list[Cell], source: str, call: str, is_driver: bool, drivers_source: str | None) -> int:
    """Index of the cell after which the tests of ``call`` go."""

    def cell_of(lineno: int) -> int:
        idx = 0
        for i, cell in enumerate(cells):
            if cell.line <= lineno:
                idx = i
        return idx

    funcs = defined_functions(source)
    if not is_driver and call in funcs:
        return cell_of(funcs[call])
    targets = driver_targets(drivers_source or "", call) & set(funcs)
    if targets:
        return max(cell_of(funcs[name]) for name in targets)
    blocks = solution_blocks(source)
    return cell_of(blocks[-1].begin) if blocks else len(cells) - 1


def to_ipynb(lab_dir: str | Path, *, solution: bool = False) -> Any:
    """Export a lab as an ``nbformat`` v4 notebook (starter by default).

    Reference outputs for the public tests are computed now, by running the reference
    solution through the grading harness (a subprocess).
    """
    import nbformat

    lab = load_lab(lab_dir)
    source = lab.source if solution else make_starter(lab.source)
    ref_cells = parse_cells(lab.source)
    cells = parse_cells(source)
    if len(cells) != len(ref_cells):  # cannot happen: stubs never add "# %%" lines
        raise RuntimeError("starter and solution have different cell counts")

    public = [(i, t) for i, t in enumerate(lab.tests) if t.public]
    reference = reference_outputs(lab, public_only=True)
    by_cell: dict[int, list[dict]] = {}
    for index, test in public:
        tid = test_id(index)
        ref = reference.runs[tid]
        if ref.status != "ok":
            raise LabError(
                f"{lab.dir}: the reference fails public test {test.name!r}: {ref.exc_type}: {ref.message}"
            )
        is_driver = lab.drivers_defines(test.call)
        entry = {
            "name": test.name,
            "call": test.call,
            "seed": test.seed,
            "driver": is_driver,
            "inputs": reference.inputs[tid],
            "expected": ref.python_value(),
            "structure": ref.structure,
            "rtol": test.rtol,
            "atol": test.atol,
        }
        where = _placement(ref_cells, lab.source, test.call, is_driver, lab.drivers_source)
        by_cell.setdefault(where, []).append(entry)

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["cairn"] = {"lab": lab.dir.name, "solution": solution}
    for i, cell in enumerate(cells):
        if cell.kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell.source))
        elif cell.kind == "raw":
            nb.cells.append(nbformat.v4.new_raw_cell(cell.source))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell.source))
        if i in by_cell:
            test_cell = nbformat.v4.new_code_cell(_test_cell_source(by_cell[i], lab.drivers_source))
            test_cell.metadata["tags"] = [TEST_CELL_TAG]
            test_cell.metadata["editable"] = False
            test_cell.metadata["deletable"] = False
            nb.cells.append(test_cell)
    nbformat.validate(nb)
    return nb


def notebook_code(nb: Any) -> str:
    """The code a learner's notebook submits: its code cells, minus generated test cells.

    Cells keep percent-format headers so line numbers in feedback point at cells.
    """
    parts = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if TEST_CELL_TAG in tags:
            continue
        if cell.cell_type == "code":
            parts.append("# %%\n" + cell.source.rstrip() + "\n")
        elif cell.cell_type == "markdown":
            lines = cell.source.splitlines() or [""]
            parts.append("# %% [markdown]\n" + "\n".join(("# " + ln).rstrip() for ln in lines) + "\n")
    return "\n".join(parts)
