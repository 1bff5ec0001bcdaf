"""In-sandbox runner for one lab submission.

This file is copied ALONE into the grading sandbox and run there as a script:

    python harness.py --code CODE.py [--drivers drivers.py] --inputs IN_DIR --out OUT_DIR

It imports only the standard library and numpy (torch only if the learner's code or the
inputs already use it), and never ``course_content``. The trusted side
(``labspec.py``, ``values.py``, ``_mistake.py``) imports it as a module too, for the value
encoding (``encode`` / ``decode``) and for running trusted code (``run_tests``).

Flow:

1. ``IN_DIR/manifest.json`` lists the tests: ``{"tests": [{"id", "call", "seed",
   "cpu_s", "wall_s"}]}``. ``IN_DIR/<id>.npz`` holds that test's keyword arguments,
   flattened (see *Encoding*).
2. The learner's code is compiled and executed as a module namespace, one ``# %%`` cell
   at a time. A ``SyntaxError`` writes ``OUT_DIR/_module.json`` with status
   ``syntax_error`` and stops: nothing is gradable. An exception in a cell is recorded
   (status ``error``, the first one) and the next cells still run, as in a notebook.
3. For EVERY test (a failure never stops the loop): a ``running`` marker is written first
   (so a crash is attributed to its test), ``np.random`` / ``random`` / torch are seeded
   with the test's seed, the driver (``drivers.py``) or notebook function is called under
   a CPU and a wall-clock timer, and the output is written to ``OUT_DIR/<id>.npz`` with
   ``OUT_DIR/<id>.json`` (status ``ok`` / ``error`` / ``not_implemented`` / ``timeout``,
   exception type and message, traceback trimmed to the learner's own frames, the
   output's structure with Python type names, wall and CPU time).

Nothing written here is trusted: the verdict is computed outside the sandbox, by loading
these files with ``allow_pickle=False`` and comparing them to the reference outputs.

Encoding
--------
A value becomes a JSON *structure* plus named numpy arrays; both go into one ``.npz``
(the structure as the 0-d unicode array ``__structure__``). Structure nodes::

    {"t": "none"} | {"t": "bool", "v": true} | {"t": "int", "v": 3}
    {"t": "float", "v": 1.5 | "nan" | "inf" | "-inf"} | {"t": "str", "v": "..."}
    {"t": "ndarray" | "npscalar" | "tensor", "k": ARRAY_KEY, "py": TYPE_NAME, ...}
    {"t": "list" | "tuple", "items": [NODE, ...]}
    {"t": "dict", "items": [[KEY, NODE], ...]}          KEY: str or int
    {"t": "unsupported", "py": "module.TypeName"}

Array keys are the value's key path (``params/W1``, ``0/1``). No pickle anywhere: object
arrays and unknown objects become ``unsupported``.
"""

from __future__ import annotations

import argparse
import ast
import bisect
import builtins
import json
import math
import os
import random
import signal
import sys
import time
import traceback
import types
from pathlib import Path
from typing import Any

import numpy as np

STRUCTURE_KEY = "__structure__"
MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_STR = 100_000
MAX_MESSAGE = 2_000
MAX_TRACEBACK = 6_000
ALLOWED_DTYPE_KINDS = "biufcUS"
LEARNER_MODULE = "cairn_notebook"


# --------------------------------------------------------------------------- encoding


class EncodeError(ValueError):
    """A value that cannot be encoded (too deep, too many nodes)."""


def _full_type_name(obj: Any) -> str:
    cls = type(obj)
    module = getattr(cls, "__module__", "") or ""
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def _torch_tensor_type() -> Any:
    torch = sys.modules.get("torch")
    return getattr(torch, "Tensor", None) if torch is not None else None


def encode(value: Any) -> tuple[dict, dict[str, np.ndarray]]:
    """Flatten ``value`` into ``(structure, arrays)``; never pickles, never raises on odd types."""
    arrays: dict[str, np.ndarray] = {}
    counter = [0]
    tensor_type = _torch_tensor_type()

    def key_for(path: list[str]) -> str:
        base = "/".join(p.replace("/", "_") for p in path) or "value"
        key, n = base, 1
        while key in arrays or key == STRUCTURE_KEY:
            n += 1
            key = f"{base}~{n}"
        return key

    def array_node(kind: str, arr: np.ndarray, path: list[str], py: str, **extra: Any) -> dict:
        if arr.dtype.kind not in ALLOWED_DTYPE_KINDS or arr.dtype.fields is not None:
            return {"t": "unsupported", "py": f"{py}[dtype={arr.dtype}]"}
        key = key_for(path)
        arrays[key] = arr
        return {"t": kind, "k": key, "py": py, "dtype": str(arr.dtype), "shape": list(arr.shape), **extra}

    def walk(obj: Any, path: list[str], depth: int) -> dict:
        counter[0] += 1
        if counter[0] > MAX_NODES:
            raise EncodeError(f"value has more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise EncodeError(f"value is nested more than {MAX_DEPTH} levels deep")
        if obj is None:
            return {"t": "none"}
        cls = type(obj)
        if cls is bool:
            return {"t": "bool", "v": obj}
        if cls is int:
            return {"t": "int", "v": obj}
        if cls is float:
            if math.isfinite(obj):
                return {"t": "float", "v": obj}
            return {"t": "float", "v": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if cls is str:
            if len(obj) > MAX_STR:
                return {"t": "unsupported", "py": "str(too long)"}
            return {"t": "str", "v": obj}
        if cls is np.ndarray:
            return array_node("ndarray", obj, path, "ndarray")
        if isinstance(obj, np.generic):
            return array_node("npscalar", np.asarray(obj), path, cls.__name__)
        if tensor_type is not None and isinstance(obj, tensor_type):
            try:
                arr = obj.detach().cpu().resolve_conj().resolve_neg().numpy()
            except Exception:  # noqa: BLE001 - sparse, meta, quantized ... tensors
                return {"t": "unsupported", "py": f"Tensor[{getattr(obj, 'layout', '?')}]"}
            return array_node(
                "tensor",
                arr,
                path,
                "Tensor",
                torch_dtype=str(obj.dtype),
                requires_grad=bool(obj.requires_grad),
            )
        if cls in (list, tuple):
            return {
                "t": cls.__name__,
                "items": [walk(item, path + [str(i)], depth + 1) for i, item in enumerate(obj)],
            }
        if cls is dict:
            items = []
            for k, v in obj.items():
                if type(k) not in (str, int):
                    return {"t": "unsupported", "py": f"dict with {_full_type_name(k)} keys"}
                items.append([k, walk(v, path + [str(k)], depth + 1)])
            return {"t": "dict", "items": items}
        return {"t": "unsupported", "py": _full_type_name(obj)}

    structure = walk(value, [], 0)
    return structure, arrays


def save_npz(path: Path, value: Any) -> dict:
    """Encode ``value`` into ``path`` (uncompressed .npz); returns the structure."""
    structure, arrays = encode(value)
    payload = dict(arrays)
    payload[STRUCTURE_KEY] = np.array(json.dumps(structure))
    with open(path, "wb") as fh:
        np.savez(fh, **payload)
    return structure


def load_npz(path: Path, max_bytes: int = 1 << 30) -> tuple[dict, dict[str, np.ndarray]]:
    """Load ``(structure, arrays)`` written by :func:`save_npz`; never unpickles.

    ``max_bytes`` bounds the declared uncompressed size of the members (zip bombs).
    """
    import zipfile

    with zipfile.ZipFile(path) as zf:
        total = sum(info.file_size for info in zf.infolist())
    if total > max_bytes:
        raise ValueError(f"{path.name}: {total} bytes uncompressed exceeds {max_bytes}")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    raw = arrays.pop(STRUCTURE_KEY, None)
    if raw is None or raw.dtype.kind != "U" or raw.ndim != 0:
        raise ValueError(f"{path.name}: missing or malformed {STRUCTURE_KEY}")
    return json.loads(str(raw)), arrays


_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def decode(structure: dict, arrays: dict[str, np.ndarray], *, as_inputs: bool = False) -> Any:
    """Rebuild a Python value from :func:`encode`'s output.

    With ``as_inputs`` (keyword arguments for a call), follow docs/content-format.md: a 0-d
    array arrives as a Python scalar and tuples arrive as lists; tensors become torch
    tensors when torch is importable. Otherwise arrays stay numpy arrays.
    """

    def walk(node: dict) -> Any:
        t = node.get("t")
        if t == "none":
            return None
        if t in ("bool", "int", "str"):
            return node["v"]
        if t == "float":
            v = node["v"]
            return _FLOAT_WORDS[v] if isinstance(v, str) else float(v)
        if t in ("ndarray", "npscalar", "tensor"):
            arr = arrays[node["k"]]
            if as_inputs and arr.ndim == 0:
                return arr.item()
            if as_inputs and t == "tensor":
                try:
                    import torch
                except ImportError:
                    return arr
                return torch.from_numpy(np.array(arr))
            return arr
        if t == "list" or (t == "tuple" and as_inputs):
            return [walk(n) for n in node["items"]]
        if t == "tuple":
            return tuple(walk(n) for n in node["items"])
        if t == "dict":
            return {k: walk(n) for k, n in node["items"]}
        raise ValueError(f"cannot decode node of type {t!r}")

    return walk(structure)


# --------------------------------------------------------------------------- running


class TestTimeout(BaseException):
    """Raised inside the learner's code when a test runs past its CPU or wall budget."""


def _on_timer(signum: int, frame: Any) -> None:
    kind = "CPU" if signum == getattr(signal, "SIGPROF", None) else "wall-clock"
    raise TestTimeout(f"{kind} time limit exceeded")


def _arm_timers(cpu_s: float | None, wall_s: float | None) -> None:
    if cpu_s and hasattr(signal, "ITIMER_PROF"):
        signal.signal(signal.SIGPROF, _on_timer)
        signal.setitimer(signal.ITIMER_PROF, cpu_s)
    if wall_s and hasattr(signal, "ITIMER_REAL"):
        signal.signal(signal.SIGALRM, _on_timer)
        signal.setitimer(signal.ITIMER_REAL, wall_s)


def _disarm_timers() -> None:
    for name in ("ITIMER_PROF", "ITIMER_REAL"):
        if hasattr(signal, name):
            signal.setitimer(getattr(signal, name), 0)


def seed_everything(seed: int) -> None:
    """Seed ``random``, ``np.random`` and (if already imported) torch."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)


def trimmed_traceback(exc: BaseException, code_file: str, display_name: str) -> str:
    """The traceback restricted to frames of ``code_file``, shown as ``display_name``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == code_file]
    lines = []
    for f in frames:
        lines.append(f'  File "{display_name}", line {f.lineno}, in {f.name}\n')
        if f.line:
            lines.append(f"    {f.line.strip()}\n")
    text = "".join(lines)
    if len(text) > MAX_TRACEBACK:
        text = "  ...\n" + text[-MAX_TRACEBACK:]
    return text


def _message(exc: BaseException) -> str:
    try:
        msg = str(exc)
    except Exception:  # noqa: BLE001 - a learner's exception with a broken __str__
        msg = "<unprintable message>"
    return msg if len(msg) <= MAX_MESSAGE else msg[:MAX_MESSAGE] + " ..."


def _failure(status: str, exc: BaseException, **fields: Any) -> dict:
    """A failed status: ``exc``'s type name and message, then ``fields`` (which may override them)."""
    return {"status": status, "exc_type": type(exc).__name__, "message": _message(exc), **fields}


def _missing(what: str) -> dict:
    """The status of a test whose function (or a name its driver uses) the notebook lacks."""
    return {"status": "missing", "exc_type": "NameError", "message": f"your notebook does not define {what}"}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, allow_nan=False, default=str))
    os.replace(tmp, path)


def cell_codes(source: str, code_file: str) -> list[Any]:
    """Compile ``source`` into one code object per ``# %%`` cell (line numbers kept).

    Raises ``SyntaxError`` for the whole file, as ``compile`` would.
    """
    tree = compile(source, code_file, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    starts = [i for i, line in enumerate(source.splitlines(), start=1) if line.startswith("# %%")]
    groups: dict[int, list[ast.stmt]] = {}
    for stmt in tree.body:
        groups.setdefault(bisect.bisect_right(starts, stmt.lineno), []).append(stmt)
    return [
        compile(ast.Module(body=stmts, type_ignores=[]), code_file, "exec", dont_inherit=True)
        for _, stmts in sorted(groups.items())
    ]


def load_module(
    source: str, code_file: str, display_name: str, name: str = LEARNER_MODULE
) -> tuple[dict | None, dict]:
    """Execute ``source`` as module ``name``, cell by cell like a notebook's "Run all" that
    goes on after an error: a failing demo cell does not hide the functions defined after it.

    Returns ``(namespace or None on a syntax error, status dict)``; the status reports the
    first failing cell and how many failed.
    """
    try:
        codes = cell_codes(source, code_file)
    except SyntaxError as exc:  # includes IndentationError / TabError
        return None, _failure(
            "syntax_error",
            exc,
            message=_message(exc.msg if exc.msg else exc),
            line=exc.lineno,
            offset=exc.offset,
            text=(exc.text or "").rstrip()[:300],
        )
    except (ValueError, MemoryError, RecursionError) as exc:  # null bytes, absurd nesting
        return None, _failure("syntax_error", exc, line=None)
    module = types.ModuleType(name)
    module.__file__ = code_file
    module.__dict__["__builtins__"] = builtins
    sys.modules[name] = module
    status: dict[str, Any] = {"status": "ok", "failed_cells": 0}
    start = time.perf_counter()
    for code in codes:
        try:
            exec(code, module.__dict__)  # noqa: S102 - this is the point of the harness
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            if status["status"] == "ok":
                status |= _failure("error", exc, traceback=trimmed_traceback(exc, code_file, display_name))
            status["failed_cells"] += 1
    status["wall_s"] = time.perf_counter() - start
    return module.__dict__, status


def resolve_call(call: str, ns: dict, drivers: dict | None) -> tuple[Any, bool]:
    """``(function, is_driver)``: a driver in ``drivers.py`` wins over the notebook."""
    if drivers is not None and callable(drivers.get(call)) and not call.startswith("_"):
        return drivers[call], True
    return ns.get(call), False


def run_one(
    test: dict, ns: dict, drivers: dict | None, in_dir: Path, out_dir: Path, code_file: str, display_name: str
) -> dict:
    """Run one test and write its ``.npz`` output and ``.json`` result."""
    tid = test["id"]
    result_path = out_dir / f"{tid}.json"
    _write_json(result_path, {"id": tid, "status": "running"})
    result: dict[str, Any] = {"id": tid, "call": test["call"]}
    func, is_driver = resolve_call(test["call"], ns, drivers)
    if not callable(func):
        result |= _missing(f"a function `{test['call']}`")
        _write_json(result_path, result)
        return result
    structure, arrays = load_npz(in_dir / f"{tid}.npz")
    kwargs = decode(structure, arrays, as_inputs=True)
    seed_everything(int(test.get("seed", 0)))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    output: Any = None

    def raised(status: str, exc: BaseException, **fields: Any) -> dict:
        return _failure(status, exc, traceback=trimmed_traceback(exc, code_file, display_name), **fields)

    try:
        _arm_timers(test.get("cpu_s"), test.get("wall_s"))
        try:
            output = func(ns, **kwargs) if is_driver else func(**kwargs)
        finally:
            _disarm_timers()
        result["status"] = "ok"
    except TestTimeout as exc:
        result |= raised("timeout", exc, exc_type="TimeoutError")
    except NotImplementedError as exc:
        result |= raised("not_implemented", exc, exc_type="NotImplementedError")
    except KeyError as exc:
        missing = exc.args[0] if exc.args else None
        if is_driver and isinstance(missing, str) and missing not in ns:
            result |= _missing(f"`{missing}` (used by `{test['call']}`)")
        else:
            result |= raised("error", exc, exc_type="KeyError")
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt, anything
        result |= raised("error", exc)
    result["wall_s"] = time.perf_counter() - wall0
    result["cpu_s"] = time.process_time() - cpu0
    if result["status"] == "ok":
        try:
            result["output"] = save_npz(out_dir / f"{tid}.npz", output)
        except BaseException as exc:  # noqa: BLE001 - encoding a hostile object
            cause = f"the returned value cannot be graded: {_message(exc)}"
            result |= _failure("error", exc, exc_type="OutputError", message=cause)
    _write_json(result_path, result)
    return result


def run_tests(
    ns: dict,
    drivers: dict | None,
    manifest: dict,
    in_dir: Path,
    out_dir: Path,
    code_file: str,
    display_name: str,
) -> list[dict]:
    """Run every test of ``manifest`` (or only ``manifest['only']`` ids), never stopping early."""
    only = set(manifest.get("only") or [])
    results = []
    for test in manifest["tests"]:
        if only and test["id"] not in only:
            continue
        try:
            results.append(run_one(test, ns, drivers, in_dir, out_dir, code_file, display_name))
        except BaseException as exc:  # noqa: BLE001 - e.g. a learner thread's signal
            failure = {"id": test["id"], "call": test["call"], **_failure("error", exc)}
            try:
                _write_json(out_dir / f"{test['id']}.json", failure)
            except BaseException:  # noqa: BLE001
                pass
            results.append(failure)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a lab submission's tests (in a sandbox).")
    parser.add_argument("--code", required=True, help="the learner's notebook as a .py file")
    parser.add_argument("--drivers", help="the lab's drivers.py, if any")
    parser.add_argument("--inputs", required=True, help="folder with manifest.json and <id>.npz")
    parser.add_argument("--out", required=True, help="folder receiving <id>.npz and <id>.json")
    parser.add_argument("--display-name", default="notebook.py", help="file name shown in tracebacks")
    args = parser.parse_args(argv)

    in_dir, out_dir = Path(args.inputs), Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((in_dir / "manifest.json").read_text())
    code_file = str(Path(args.code).resolve())
    source = Path(code_file).read_text(encoding="utf-8", errors="replace")

    drivers_ns = None
    if args.drivers:
        drivers_file = str(Path(args.drivers).resolve())
        drivers_src = Path(drivers_file).read_text(encoding="utf-8")
        drivers_ns, drivers_status = load_module(
            drivers_src, drivers_file, "drivers.py", name="cairn_drivers"
        )
        if drivers_ns is None or drivers_status["status"] != "ok":
            _write_json(out_dir / "_drivers.json", drivers_status)
            return 3

    ns, module_status = load_module(source, code_file, args.display_name)
    _write_json(out_dir / "_module.json", module_status)
    if ns is None:
        return 0
    run_tests(ns, drivers_ns, manifest, in_dir, out_dir, code_file, args.display_name)
    _write_json(out_dir / "_done.json", {"status": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
