"""Running code on a lab's tests in the sandbox and reading the outputs back.

:func:`execute` runs the harness on some code (the learner's notebook, or the reference
through :func:`reference_outputs`, cached per process) via ``sandbox.runner.run_harness``,
the single place that starts the sandbox. When the process dies mid-run (CPU limit,
segfault, ``os._exit``), the test it was running is marked crashed and the remaining tests
run again in a fresh process. The outputs are read back by :func:`read_outputs`: a
separate, memory- and time-limited process (``readback.py``) validates them within a
per-run budget of items, bytes and arrays, and the worker loads only its small, checked
copies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import readback
from .labspec import LabSpec, test_id, write_inputs
from .messages import MAX_TEXT, MAX_TRACEBACK
from .sandbox.process import Limits, ProcessRun, sandbox_env, wait_or_kill
from .sandbox.runner import run_harness
from .values import Val, to_val

IMPORT_SLACK_S = 5.0  # process CPU on top of the lab's budget: interpreter, numpy, torch
VALID_STATUSES = {"ok", "error", "not_implemented", "timeout", "missing"}
EARLY_EXIT = "the process ended before the test finished (os._exit() or a crash?)"


@dataclass
class TestRun:
    """One test as run in the sandbox (status from the harness, or crash from outside)."""

    id: str
    status: str  # ok error not_implemented timeout missing crashed not_run
    exc_type: str = ""
    message: str = ""
    traceback: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    output: Val | None = None
    structure: dict = field(default_factory=dict)

    def python_value(self) -> Any:
        return self.output.to_python() if self.output is not None else None


@dataclass
class Execution:
    """All tests of one run of some code."""

    module_status: dict
    runs: dict[str, TestRun]
    inputs: dict[str, dict[str, Any]]
    wall_s: float
    processes: list[ProcessRun]

    @property
    def syntax_error(self) -> dict | None:
        return self.module_status if self.module_status.get("status") == "syntax_error" else None


def _str(data: dict, key: str, limit: int = 4000) -> str:
    value = data.get(key)
    return value[:limit] if isinstance(value, str) else ""


def _num(data: dict, key: str) -> float:
    value = data.get(key)
    try:
        number = float(value) if isinstance(value, (int, float)) else 0.0
    except OverflowError:
        return 0.0
    return number if np.isfinite(number) else 0.0


READBACK_FILE = Path(readback.__file__).resolve()
READBACK_MEMORY = 1 << 30  # RLIMIT_AS of the reader: python -S plus a bounded JSON parse
READBACK_CPU_S = 20
READBACK_WALL_S = 40.0


def read_outputs(
    out_dir: Path, tids: list[str], budget: readback.Budget, *, trusted: bool = False
) -> tuple[dict | None, dict[str, TestRun]]:
    """``(module status, {test id: run})`` of one sandbox run, read back by ``readback.py``
    in its own limited process; a test the harness never reached has no entry. The
    outputs of trusted code (the reference solution, the registered mistakes) are read
    by the same code in this process: no learner code wrote them.

    ``budget`` is what this grading may still read (items, bytes, arrays, characters); it
    is charged with what the reader kept, or emptied when the reader itself was stopped.
    The worker then loads only the reader's validated records and arrays.
    """
    dest = Path(tempfile.mkdtemp(prefix="cairn-readback-"))
    try:
        if trusted:
            readback.read_all(
                out_dir, tids, dest, readback.Budget(*(getattr(budget, c) for c in readback.Budget.CAPS))
            )
            return _load_records(dest, tids, budget, "")
        argv = [
            sys.executable, "-I", "-S", "-B", str(READBACK_FILE),
            "--out", str(out_dir), "--dest", str(dest), "--tests", ",".join(tids),
            "--memory", str(READBACK_MEMORY), "--cpu", str(READBACK_CPU_S),
        ]  # fmt: skip
        for cap, value in budget.as_dict().items():
            argv += [f"--{cap}", str(value)]
        death = ""
        proc = subprocess.Popen(
            argv, cwd=dest, env=sandbox_env(dest), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if wait_or_kill(proc, READBACK_WALL_S, proc.kill):
            death = "it ran past the wall-clock time limit"
        elif proc.returncode != 0:
            death = ProcessRun(proc.returncode, 0.0, "").death or ""
        return _load_records(dest, tids, budget, death)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def _load_records(
    dest: Path, tids: list[str], budget: readback.Budget, death: str
) -> tuple[dict | None, dict[str, TestRun]]:
    """The reader's records and arrays in ``dest`` as runs; ``budget`` charged."""
    module, records, used = _read_records(dest / readback.RECORDS)
    for cap in readback.Budget.CAPS:
        spent = used.get(cap) if used is not None else None
        left = getattr(budget, cap) - spent if type(spent) is int and spent >= 0 else 0
        setattr(budget, cap, max(0, left))
    runs: dict[str, TestRun] = {}
    arrays_path = dest / readback.ARRAYS
    bound = readback.MAX_BYTES + 4096 * readback.MAX_MEMBERS  # data + the reader's npy headers
    usable = arrays_path.is_file() and arrays_path.stat().st_size <= bound
    arrays = open(arrays_path, "rb") if usable else None  # noqa: SIM115
    try:
        for tid in tids:
            record = records.get(tid)
            if record is not None:
                runs[tid] = _run_from_record(tid, record, arrays)
            elif used is None:
                runs[tid] = TestRun(
                    tid,
                    "error",
                    "OutputError",
                    "your output could not be read back within the grader's limits "
                    f"({READBACK_MEMORY >> 20} MiB of memory, {READBACK_CPU_S} s of CPU): "
                    f"{death or 'the reader stopped'}",
                )
    finally:
        if arrays is not None:
            arrays.close()
    return module, runs


def _read_records(path: Path) -> tuple[dict | None, dict[str, dict], dict | None]:
    """``(module status, {test id: record}, used budget or None if the reader stopped)``."""
    module, records, used = None, {}, None
    limit = 6 * readback.MAX_CHARS + (4 << 20)
    try:
        if path.stat().st_size > limit:
            return None, {}, None
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None, {}, None
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            break  # the last line of a reader that was stopped mid-write
        if not isinstance(entry, dict):
            break
        if isinstance(entry.get("module"), dict):
            module = entry["module"]
        elif isinstance(entry.get("test"), dict) and isinstance(entry["test"].get("id"), str):
            records[entry["test"]["id"]] = entry["test"]
        elif isinstance(entry.get("done"), dict):
            used = entry["done"]
    return module, records, used


def _run_from_record(tid: str, record: dict, arrays: Any) -> TestRun:
    status = record.get("status")
    if status == "running":
        return TestRun(tid, "crashed")
    if status not in VALID_STATUSES:
        return TestRun(tid, "error", "HarnessError", "the test produced no readable result")
    run = TestRun(
        tid,
        status,
        _str(record, "exc_type", 100),
        _str(record, "message", MAX_TEXT),
        _str(record, "traceback", MAX_TRACEBACK),
        _num(record, "wall_s"),
        _num(record, "cpu_s"),
    )
    if status != "ok":
        return run
    offsets, structure = record.get("arrays"), record.get("structure")
    unreadable = TestRun(tid, "error", "OutputError", "the output could not be read back")
    if not isinstance(offsets, list) or not isinstance(structure, dict):
        return unreadable
    loaded: dict[str, np.ndarray] = {}
    for offset in offsets:
        if type(offset) is not int or offset < 0 or arrays is None:
            return unreadable
        arrays.seek(offset)
        try:
            loaded[f"@{offset}"] = np.lib.format.read_array(arrays, allow_pickle=False)
        except (ValueError, OSError, EOFError):
            return unreadable
    run.output, run.structure = to_val(structure, loaded), structure
    return run


def execute(
    lab: LabSpec,
    code: str,
    indices: list[int],
    submission_seed: int | None,
    *,
    cpu_caps: Mapping[str, float] | None = None,
    runner: Any = None,
    budget_s: float | None = None,
    trusted: bool = False,
) -> Execution:
    """Run ``code`` (a whole notebook .py) on the tests at ``indices`` in the sandbox;
    ``trusted`` for the reference solution (its outputs are read in this process).

    A process that dies marks its current test ``crashed``; the tests not yet run go to a
    fresh process, until every test has a result or ``budget_s`` of wall time is spent.
    """
    start = time.perf_counter()
    budget_s = budget_s or 3 * (lab.cpu_seconds + IMPORT_SLACK_S) + 10
    job = Path(tempfile.mkdtemp(prefix="cairn-grade-"))
    try:
        code_path = job / "notebook.py"
        code_path.write_text(code)
        drivers_path = None
        if lab.drivers_source is not None:
            drivers_path = job / "drivers.py"
            drivers_path.write_text(lab.drivers_source)
        prepared = write_inputs(lab, indices, submission_seed, job / "in", cpu_caps)
        pending = [test_id(i) for i in indices]
        runs: dict[str, TestRun] = {}
        module_status: dict = {}
        processes: list[ProcessRun] = []
        budget = readback.Budget()  # what all the runs' outputs together may hold
        attempt = 0
        while pending:
            left = budget_s - (time.perf_counter() - start)
            if left < 1:
                break
            prepared.manifest["only"] = pending
            (prepared.dir / "manifest.json").write_text(json.dumps(prepared.manifest))
            out_dir = job / f"out{attempt}"
            out_dir.mkdir()
            limits = Limits(
                cpu_s=lab.cpu_seconds + IMPORT_SLACK_S,
                wall_s=min(
                    left,
                    2 * IMPORT_SLACK_S
                    + sum(t["wall_s"] for t in prepared.manifest["tests"] if t["id"] in pending),
                ),
            )
            proc = run_harness(code_path, drivers_path, prepared.dir, out_dir, limits, runner)
            processes.append(proc)
            attempt += 1
            status, results = read_outputs(out_dir, pending, budget, trusted=trusted)
            if attempt == 1:
                module_status = _clean_module_status(status, proc)
            if status and status.get("status") == "syntax_error":
                break
            progressed = False
            still: list[str] = []
            for tid in pending:
                run = results.get(tid)
                if run is None:
                    still.append(tid)
                    continue
                progressed = True
                if run.status == "crashed":
                    run.exc_type = "Crash"
                    run.message = f"the test did not finish: {proc.death or EARLY_EXIT}"
                runs[tid] = run
            if not progressed:  # died before any test: top-level code, or harness broken
                reason = proc.death or EARLY_EXIT
                if status is None:
                    reason = f"your notebook's top-level code did not finish: {reason}"
                for tid in still:
                    runs[tid] = TestRun(tid, "crashed", "Crash", reason)
                still = []
            pending = still
        for tid in pending:
            runs[tid] = TestRun(
                tid, "not_run", "TimeLimit", "not run: the time budget of this grading run was used up"
            )
        return Execution(
            module_status=module_status,
            runs=runs,
            inputs=prepared.inputs,
            wall_s=time.perf_counter() - start,
            processes=processes,
        )
    finally:
        shutil.rmtree(job, ignore_errors=True)


def _clean_module_status(status: dict | None, proc: ProcessRun) -> dict:
    if status is None:
        return {"status": "crashed", "message": proc.death or "no result"}
    clean: dict[str, Any] = {
        "status": status.get("status") if status.get("status") in ("ok", "error", "syntax_error") else "error"
    }
    for key in ("exc_type", "message", "traceback", "text"):
        clean[key] = _str(status, key)
    for key in ("line", "offset", "failed_cells"):
        clean[key] = status.get(key) if type(status.get(key)) is int else None
    clean["wall_s"] = _num(status, "wall_s")
    return clean


# --------------------------------------------------------------------------- reference


_REFERENCE_CACHE: dict[tuple, Execution] = {}


def reference_outputs(
    lab: LabSpec, submission_seed: int | None = None, *, public_only: bool = False, runner: Any = None
) -> Execution:
    """The reference solution's outputs (trusted code, same harness); cached per process."""
    indices = [i for i, t in enumerate(lab.tests) if t.public or not public_only]
    key = (str(lab.dir), lab.digest, submission_seed, tuple(indices))
    if key not in _REFERENCE_CACHE:
        if len(_REFERENCE_CACHE) > 64:
            _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = execute(
            lab, lab.source, indices, submission_seed, runner=runner, trusted=True
        )
    return _REFERENCE_CACHE[key]


def reference_caps(lab: LabSpec, reference: Execution) -> dict[str, float]:
    """Per-test CPU caps for code other than the reference: 10x the reference + 2 s, at least
    3 s (a loaded machine, a lazy ``import torch``), at most the lab's budget."""
    return {tid: min(lab.cpu_seconds, max(3.0, 10 * run.cpu_s + 2)) for tid, run in reference.runs.items()}
