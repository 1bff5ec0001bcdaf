"""Trusted side of lab grading: inputs, sandbox runs, reference outputs, verdict, feedback.

Flow of :func:`grade` (docs/content-format.md, /work/shared/reference/grading.md):

1. :func:`load_lab` imports the lab's ``tests.py`` (trusted) and reads ``lab.py`` (the
   reference), ``drivers.py`` and the lab's ``cpu_seconds`` from its ``course.yaml``.
2. :func:`write_inputs` builds every test's keyword arguments (a dict, or
   ``inputs(np.random.default_rng(seed))``; hidden tests draw their seed from the
   submission's ``seed``) and writes ``manifest.json`` + one ``.npz`` per test.
3. :func:`reference_outputs` runs the harness on the reference solution (cached per
   process) and :func:`execute` runs it on the learner's code. Both go through
   :func:`run_harness`, the single place that starts the sandbox (today: a plain
   subprocess with rlimits; a bubblewrap runner can replace :class:`SubprocessRunner`).
   When the process dies mid-run (CPU limit, segfault, ``os._exit``), the test it was
   running is marked crashed and the remaining tests run again in a fresh process.
   The outputs are read back by :func:`read_outputs`: a separate, memory- and
   time-limited process (``readback.py``) validates them within a per-run budget of
   items, bytes and arrays, and the worker loads only its small, checked copies.
4. :func:`compare` decides each test outside the sandbox, stopping at the first failing
   check: type, shape (named patterns), dtype, NaN/Inf, values, then the author's
   ``check``. For failing tests, the known mistakes run (trusted subprocess,
   ``python -m course_content.labkit._mistake``) and a matching output attaches the hint.
5. The result is a :class:`GradeResult` (per-test outcome, points, feedback, timings,
   score, ``gradable``), JSON-serializable with :meth:`GradeResult.to_dict`.

Feedback for hidden tests never contains expected values (nor the learner's values).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import Mistake, Test, readback
from . import harness as hz
from .messages import MAX_HINT, MAX_NAME, MAX_TEXT, MAX_TRACEBACK, clean_text
from .notebook import make_starter

HARNESS_FILE = Path(hz.__file__).resolve()
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CPU_SECONDS = 20.0
IMPORT_SLACK_S = 5.0  # process CPU on top of the lab's budget: interpreter, numpy, torch
VALID_STATUSES = {"ok", "error", "not_implemented", "timeout", "missing"}
EARLY_EXIT = "the process ended before the test finished (os._exit() or a crash?)"


class LabError(Exception):
    """The lab itself is broken (author error), not the learner's code."""


# --------------------------------------------------------------------------- the lab


@dataclass
class LabSpec:
    """A loaded lab: sources, tests and known mistakes."""

    dir: Path
    source: str  # lab.py: the reference solution
    drivers_source: str | None
    tests: list[Test]
    mistakes: list[Mistake]
    cpu_seconds: float
    driver_names: frozenset[str] = frozenset()

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.source.encode())
        h.update((self.drivers_source or "").encode())
        h.update((self.dir / "tests.py").read_bytes())
        return h.hexdigest()[:16]

    def drivers_defines(self, name: str) -> bool:
        return name in self.driver_names


def test_id(index: int) -> str:
    return f"t{index:03d}"


def _import_tests(path: Path) -> Any:
    name = "cairn_lab_tests_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LabError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise LabError(f"{path}: importing it failed: {type(exc).__name__}: {exc}") from exc
    return module


def lab_cpu_seconds(lab_dir: Path) -> float | None:
    """``cpu_seconds`` of the course.yaml activity whose ``lab:`` is ``lab_dir``."""
    import yaml

    course_dir = lab_dir.resolve().parent.parent
    course_yaml = course_dir / "course.yaml"
    if not course_yaml.is_file():
        return None
    try:
        data = yaml.safe_load(course_yaml.read_text()) or {}
        for week in data.get("weeks") or []:
            for act in (week or {}).get("activities") or []:
                if (
                    isinstance(act, dict)
                    and act.get("kind") == "lab"
                    and act.get("lab")
                    and (course_dir / str(act["lab"])).resolve() == lab_dir.resolve()
                ):
                    value = act.get("cpu_seconds")
                    return float(value) if isinstance(value, (int, float)) else None
    except (yaml.YAMLError, AttributeError, TypeError):
        return None
    return None


def _top_level_functions(source: str) -> frozenset[str]:
    import ast

    return frozenset(n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))


def load_lab(lab_dir: str | Path, *, cpu_seconds: float | None = None) -> LabSpec:
    """Load ``lab.py``, ``tests.py`` (imported: trusted) and ``drivers.py`` of a lab folder."""
    lab_dir = Path(lab_dir).resolve()
    for required in ("lab.py", "tests.py"):
        if not (lab_dir / required).is_file():
            raise LabError(f"{lab_dir}: missing {required}")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    module = _import_tests(lab_dir / "tests.py")
    tests = list(getattr(module, "TESTS", []))
    mistakes = list(getattr(module, "MISTAKES", []))
    if not tests:
        raise LabError(f"{lab_dir / 'tests.py'}: TESTS is empty or missing")
    for obj in tests:
        if not isinstance(obj, Test):
            raise LabError(f"{lab_dir / 'tests.py'}: TESTS holds {type(obj).__name__}, not Test")
    for obj in mistakes:
        if not isinstance(obj, Mistake):
            raise LabError(f"{lab_dir / 'tests.py'}: MISTAKES holds {type(obj).__name__}, not Mistake")
    drivers_path = lab_dir / "drivers.py"
    drivers_source = drivers_path.read_text() if drivers_path.is_file() else None
    try:
        driver_names = _top_level_functions(drivers_source) if drivers_source else frozenset()
    except SyntaxError as exc:
        raise LabError(f"{drivers_path}:{exc.lineno}: syntax error: {exc.msg}") from exc
    budget = cpu_seconds or lab_cpu_seconds(lab_dir) or DEFAULT_CPU_SECONDS
    return LabSpec(
        dir=lab_dir,
        source=(lab_dir / "lab.py").read_text(),
        drivers_source=drivers_source,
        tests=tests,
        mistakes=mistakes,
        cpu_seconds=float(budget),
        driver_names=frozenset(n for n in driver_names if not n.startswith("_")),
    )


# --------------------------------------------------------------------------- inputs


def input_seed(test: Test, index: int, submission_seed: int | None) -> int:
    """Seed of the ``rng`` given to ``test.inputs``: fixed for public tests, per submission
    for hidden ones (``submission_seed=None`` means the fixed default)."""
    if test.public or submission_seed is None:
        return test.seed
    return int(np.random.SeedSequence([submission_seed, index, test.seed]).generate_state(1)[0])


def build_inputs(test: Test, index: int, submission_seed: int | None) -> dict[str, Any]:
    """The keyword arguments of one test (a copy, never the author's dict itself)."""
    if callable(test.inputs):
        value = test.inputs(np.random.default_rng(input_seed(test, index, submission_seed)))
    else:
        value = test.inputs
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise LabError(f"test {test.name!r}: inputs must be a dict of keyword arguments")
    return dict(value)


@dataclass
class PreparedInputs:
    dir: Path
    manifest: dict
    inputs: dict[str, dict[str, Any]]  # test id -> kwargs as the learner's function sees them


def write_inputs(
    lab: LabSpec,
    indices: list[int],
    submission_seed: int | None,
    dir: Path,
    cpu_caps: Mapping[str, float] | None = None,
) -> PreparedInputs:
    """Write ``manifest.json`` and ``<id>.npz`` for the tests at ``indices``."""
    dir.mkdir(parents=True, exist_ok=True)
    tests, inputs = [], {}
    for index in indices:
        test, tid = lab.tests[index], test_id(index)
        kwargs = build_inputs(test, index, submission_seed)
        structure = hz.save_npz(dir / f"{tid}.npz", kwargs)
        if _has_unsupported(structure):
            raise LabError(
                f"test {test.name!r}: inputs hold a value that cannot be encoded "
                "(use numpy arrays, numbers, strings, lists, tuples, dicts)"
            )
        _, arrays = hz.load_npz(dir / f"{tid}.npz")
        inputs[tid] = hz.decode(structure, arrays, as_inputs=True)
        cpu = float((cpu_caps or {}).get(tid, lab.cpu_seconds))
        tests.append(
            {"id": tid, "call": test.call, "seed": int(test.seed), "cpu_s": cpu, "wall_s": 2 * cpu + 1}
        )
    manifest = {"version": 1, "tests": tests}
    (dir / "manifest.json").write_text(json.dumps(manifest))
    return PreparedInputs(dir=dir, manifest=manifest, inputs=inputs)


def _has_unsupported(structure: dict) -> bool:
    if structure.get("t") == "unsupported":
        return True
    items = structure.get("items") or []
    return any(_has_unsupported(n[1] if isinstance(n, list) else n) for n in items)


# --------------------------------------------------------------------------- the sandbox


@dataclass
class Limits:
    """Resource limits of one harness process."""

    cpu_s: float  # RLIMIT_CPU (whole process)
    wall_s: float
    memory_bytes: int = 4 << 30  # RLIMIT_AS
    file_bytes: int = 256 << 20  # RLIMIT_FSIZE
    extra_procs: int = 64  # RLIMIT_NPROC = this uid's current processes + extra_procs
    output_bytes: int = 64 << 10  # stdout+stderr kept
    flood_bytes: int = 16 << 20  # stdout+stderr beyond this kills the process


@dataclass
class ProcessRun:
    """What happened to one sandbox process."""

    returncode: int | None
    wall_s: float
    output: str  # stdout+stderr, capped
    timed_out: bool = False
    flooded: bool = False

    @property
    def death(self) -> str | None:
        """Why the process ended abnormally, in words; None for a clean exit."""
        if self.timed_out:
            return "it ran past the wall-clock time limit"
        if self.flooded:
            return "it printed too much output"
        rc = self.returncode
        if rc is None or rc == 0:
            return None
        if rc < 0:
            sig = -rc
            names = {
                signal.SIGXCPU: "it ran out of CPU time",
                signal.SIGKILL: "it was killed (CPU or memory limit)",
                signal.SIGSEGV: "it crashed (segmentation fault)",
                signal.SIGXFSZ: "it wrote too much data",
                signal.SIGABRT: "it aborted",
            }
            return names.get(sig, f"it was killed by signal {signal.Signals(sig).name}")
        return f"the process exited with status {rc}"


def _user_process_count() -> int:
    uid, count = os.getuid(), 0
    try:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += 1
                except OSError:
                    pass
    except OSError:
        return 256
    return count


def _rlimit_setter(limits: Limits, nproc: int) -> Callable[[], None]:
    def apply() -> None:
        cpu = max(1, int(limits.cpu_s + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def sandbox_env(home: Path) -> dict[str, str]:
    """The whole environment of a sandboxed process: nothing inherited."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONHASHSEED": "0",
    }


def spawn(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    limits: Limits,
    *,
    preexec_fn: Callable[[], None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> ProcessRun:
    """Run ``argv`` with rlimits (or ``preexec_fn``), a wall timer and capped output;
    kill its process group."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=pass_fds,
        preexec_fn=preexec_fn or _rlimit_setter(limits, _user_process_count() + limits.extra_procs),
    )
    kept = bytearray()
    total = [0]
    flooded = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(65536):
            total[0] += len(chunk)
            if len(kept) < limits.output_bytes:
                kept.extend(chunk[: limits.output_bytes - len(kept)])
            if total[0] > limits.flood_bytes:
                flooded.set()
                _kill_group(proc)
                break

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    timed_out = wait_or_kill(proc, limits.wall_s, lambda: _kill_group(proc))
    _kill_group(proc)  # leftovers: children that outlived the harness
    reader.join(timeout=5)
    if proc.stdout:
        proc.stdout.close()
    text = kept.decode("utf-8", errors="replace")
    if total[0] > len(kept):
        text += f"\n... [{total[0] - len(kept)} more bytes of output cut]"
    return ProcessRun(
        returncode=proc.returncode,
        wall_s=time.perf_counter() - start,
        output=text,
        timed_out=timed_out,
        flooded=flooded.is_set(),
    )


def wait_or_kill(proc: subprocess.Popen, timeout_s: float, kill: Callable[[], None]) -> bool:
    """Wait for ``proc``, calling ``kill`` if it outlives ``timeout_s``; whether it did.

    ``Popen.wait(timeout=...)`` polls with sleeps of up to 50 ms, which a grading pays on
    every process it starts; a blocking wait with a timer returns when the process ends."""
    fired = threading.Event()

    def on_timeout() -> None:
        fired.set()
        kill()

    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()
    return fired.is_set()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class SubprocessRunner:
    """Runs ``harness.py`` in a fresh subprocess with rlimits (no filesystem isolation yet).

    Swap in another object with the same ``run_harness`` method (e.g. a bubblewrap
    runner) through ``grade(..., runner=...)`` or :data:`DEFAULT_RUNNER`.
    """

    python: str = sys.executable

    def run_harness(
        self, code_path: Path, drivers_path: Path | None, inputs_dir: Path, out_dir: Path, limits: Limits
    ) -> ProcessRun:
        work = Path(tempfile.mkdtemp(prefix="cairn-sandbox-"))
        try:
            shutil.copy(HARNESS_FILE, work / "harness.py")
            shutil.copy(code_path, work / "notebook.py")
            argv = [
                self.python,
                "-I",
                "-B",
                str(work / "harness.py"),
                "--code",
                str(work / "notebook.py"),
                "--inputs",
                str(inputs_dir),
                "--out",
                str(out_dir),
            ]
            if drivers_path is not None:
                shutil.copy(drivers_path, work / "drivers.py")
                argv += ["--drivers", str(work / "drivers.py")]
            (work / "home").mkdir()
            return spawn(argv, cwd=work / "home", env=sandbox_env(work / "home"), limits=limits)
        finally:
            shutil.rmtree(work, ignore_errors=True)


DEFAULT_RUNNER = SubprocessRunner()


def run_harness(
    code_path: Path,
    drivers_path: Path | None,
    inputs_dir: Path,
    out_dir: Path,
    limits: Limits,
    runner: Any = None,
) -> ProcessRun:
    """Run the harness on ``code_path`` in the sandbox; the one entry point to swap."""
    return (runner or DEFAULT_RUNNER).run_harness(code_path, drivers_path, inputs_dir, out_dir, limits)


# --------------------------------------------------------------------------- reading results


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


def _read_json(path: Path, limit: int = 1 << 20) -> dict | None:
    try:
        if path.stat().st_size > limit:
            return None
        data = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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


# --------------------------------------------------------------------------- comparison


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


def value_to_val(value: Any) -> Val:
    """A trusted Python value (e.g. ``Test.expected``) as a :class:`Val`."""
    structure, arrays = hz.encode(value)
    return to_val(structure, arrays)


# --------------------------------------------------------------------------- known mistakes


def call_graph(lab: LabSpec) -> dict[str, set[str]]:
    """Function or class -> the notebook functions and classes it uses (names in lab.py,
    ``ns["..."]`` in drivers)."""
    import ast

    from .notebook import _driver_targets

    tree = ast.parse(lab.source)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    graph = {
        name: {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and sub.id in functions} - {name}
        for name, node in functions.items()
    }
    for driver in lab.driver_names:
        graph[driver] = _driver_targets(lab.drivers_source or "", driver) & set(functions)
    return graph


def reachable(graph: Mapping[str, set[str]], call: str) -> set[str]:
    """``call`` and every function it uses, directly or not."""
    seen, todo = {call}, [call]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def reference_caps(lab: LabSpec, reference: Execution) -> dict[str, float]:
    """Per-test CPU caps for code other than the reference: 10x the reference + 2 s, at least
    3 s (a loaded machine, a lazy ``import torch``), at most the lab's budget."""
    return {tid: min(lab.cpu_seconds, max(3.0, 10 * run.cpu_s + 2)) for tid, run in reference.runs.items()}


def mistake_outputs(
    lab: LabSpec,
    plan: Mapping[int, list[int]],
    submission_seed: int | None,
    cpu_caps: Mapping[str, float] | None = None,
) -> dict[int, dict[str, TestRun]]:
    """Outputs of the reference with ``ns[call]`` replaced by a mistake's ``impl``.

    ``plan`` maps a MISTAKES index to the test indices to run with it. One trusted
    subprocess (``python -m course_content.labkit._mistake``) runs the whole plan; the
    result maps mistake index -> test id -> run.
    """
    plan = {m: sorted(set(ix)) for m, ix in plan.items() if ix}
    if not plan:
        return {}
    indices = sorted({i for ix in plan.values() for i in ix})
    job = Path(tempfile.mkdtemp(prefix="cairn-mistake-"))
    try:
        prepared = write_inputs(lab, indices, submission_seed, job / "in", cpu_caps)
        plan_ids = {str(m): [test_id(i) for i in ix] for m, ix in plan.items()}
        (job / "plan.json").write_text(json.dumps(plan_ids))
        out_dir = job / "out"
        out_dir.mkdir()
        argv = [
            sys.executable, "-B", "-m", "course_content.labkit._mistake",
            "--lab", str(lab.dir), "--plan", str(job / "plan.json"),
            "--inputs", str(prepared.dir), "--out", str(out_dir),
        ]  # fmt: skip
        env = sandbox_env(job)
        env["PYTHONPATH"] = str(REPO_ROOT)
        cpu = {t["id"]: t["cpu_s"] for t in prepared.manifest["tests"]}
        budget = IMPORT_SLACK_S + sum(cpu[tid] for ids in plan_ids.values() for tid in ids)
        spawn(argv, cwd=REPO_ROOT, env=env, limits=Limits(cpu_s=budget, wall_s=2 * budget + 10))
        return {
            int(m): read_outputs(out_dir / f"m{m}", ids, readback.Budget(), trusted=True)[1]
            for m, ids in plan_ids.items()
        }
    finally:
        shutil.rmtree(job, ignore_errors=True)


# --------------------------------------------------------------------------- grading


@dataclass
class TestResult:
    """The verdict and feedback for one test."""

    name: str
    id: str
    call: str
    public: bool
    passed: bool
    points: float
    max_points: float
    kind: str  # passed type shape dtype nan value check not_implemented error timeout crashed missing not_run
    message: str = ""
    hint: str = ""  # from a matching known mistake
    traceback: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def clean(self) -> None:
        """Every text bounded and storable (``messages.clean_text``)."""
        self.name = clean_text(self.name, MAX_NAME)
        self.message = clean_text(self.message, MAX_TEXT)
        self.hint = clean_text(self.hint, MAX_HINT)
        self.traceback = clean_text(self.traceback, MAX_TRACEBACK)


@dataclass
class GradeResult:
    """The grade of one submission for one lab."""

    lab: str
    gradable: bool
    reason: str  # why not gradable, or ""
    score: float  # fraction of points earned
    points: float
    max_points: float
    tests: list[TestResult]
    seed: int | None
    public_only: bool
    wall_s: float
    notebook_error: str = ""  # top-level exception of the notebook, if any

    def __post_init__(self) -> None:
        # Built once every test is decided: the one place the learner's texts are bounded.
        self.reason = clean_text(self.reason, MAX_TEXT)
        self.notebook_error = clean_text(self.notebook_error, MAX_TRACEBACK)
        for test in self.tests:
            test.clean()

    @property
    def passed_all(self) -> bool:
        return all(t.passed for t in self.tests)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def summary(self) -> str:
        """Readable feedback, one block per test."""
        lines = [f"{self.lab}: {self.points:g}/{self.max_points:g} points ({self.score:.0%})"]
        if not self.gradable:
            lines.append(f"Not gradable: {self.reason}")
        if self.notebook_error:
            lines.append(f"Your notebook raised an error while loading:\n{self.notebook_error}")
        for t in self.tests:
            mark = "PASS" if t.passed else "FAIL"
            lines.append(f"[{mark}] {t.name}{'' if t.public else ' (hidden)'}")
            if t.message:
                lines.extend("       " + ln for ln in t.message.splitlines())
            if t.hint:
                lines.append(f"       Hint: {t.hint}")
            if t.traceback:
                lines.extend("       " + ln for ln in t.traceback.rstrip().splitlines())
        return "\n".join(lines)


def _normalize(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _run_failure(run: TestRun, test: Test) -> tuple[str, str]:
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


def _compare_safely(
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


def _check_failure(test: Test, output: Any, inputs: Mapping[str, Any]) -> str | None:
    if test.check is None:
        return None
    try:
        result = test.check(output, inputs)
    except Exception:  # noqa: BLE001 - the author's check choking on odd learner output
        return "the returned value does not have the expected properties"
    return str(result) if result else None


def _not_gradable(
    lab: LabSpec,
    tests: list[TestResult],
    reason: str,
    seed: int | None,
    public_only: bool,
    start: float,
    notebook_error: str = "",
) -> GradeResult:
    for t in tests:
        t.passed, t.points = False, 0.0
    max_points = sum(t.max_points for t in tests)
    return GradeResult(
        lab.dir.name,
        False,
        reason,
        0.0,
        0.0,
        max_points,
        tests,
        seed,
        public_only,
        time.perf_counter() - start,
        notebook_error,
    )


def grade(
    lab_dir: str | Path | LabSpec,
    code: str,
    *,
    seed: int | None = None,
    public_only: bool = False,
    runner: Any = None,
    with_mistakes: bool = True,
    starter_shortcut: bool = True,
) -> GradeResult:
    """Grade ``code`` (the learner's notebook as .py source) against a lab.

    ``seed`` picks the hidden tests' inputs (one per submission; None: the fixed default).
    The unchanged starter is "not gradable" without running it, unless
    ``starter_shortcut`` is False (``check`` runs it to prove every test fails).
    """
    start = time.perf_counter()
    lab = lab_dir if isinstance(lab_dir, LabSpec) else load_lab(lab_dir)
    indices = [i for i, t in enumerate(lab.tests) if t.public or not public_only]
    reference = reference_outputs(lab, seed, public_only=public_only, runner=runner)
    for i in indices:
        ref = reference.runs[test_id(i)]
        if ref.status != "ok":
            raise LabError(
                f"{lab.dir}: the reference solution fails test {lab.tests[i].name!r}: "
                f"{ref.exc_type}: {ref.message}\n{ref.traceback}"
            )
    results = [
        TestResult(t.name, test_id(i), t.call, t.public, False, 0.0, float(t.points), "not_run")
        for i, t in ((i, lab.tests[i]) for i in indices)
    ]

    if starter_shortcut and _normalize(code) == _normalize(make_starter(lab.source)):
        for r in results:
            r.kind, r.message = "not_implemented", f"`{r.call}` is not implemented yet"
        return _not_gradable(lab, results, "the notebook is the unchanged starter", seed, public_only, start)

    caps = reference_caps(lab, reference)
    learner = execute(lab, code, indices, seed, cpu_caps=caps, runner=runner)
    if (syntax := learner.syntax_error) is not None:
        where = f" at line {syntax['line']}" if syntax.get("line") else ""
        text = f"\n    {syntax['text']}" if syntax.get("text") else ""
        reason = f"{syntax.get('exc_type') or 'SyntaxError'}{where}: {syntax.get('message')}{text}"
        for r in results:
            r.kind, r.message = "error", reason
        return _not_gradable(lab, results, reason, seed, public_only, start)
    notebook_error = ""
    if learner.module_status.get("status") in ("error", "crashed"):
        ms = learner.module_status
        cells = ms.get("failed_cells") or 0
        more = f" ({cells} cells failed; the first error:)" if cells > 1 else ""
        notebook_error = (
            f"{more.strip()}\n{ms.get('exc_type') or 'Error'}: {ms.get('message')}\n{ms.get('traceback') or ''}"
        ).strip()

    mismatched: list[int] = []
    for index, result in zip(indices, results, strict=True):
        test, tid = lab.tests[index], test_id(index)
        run, ref = learner.runs[tid], reference.runs[tid]
        result.wall_s, result.cpu_s, result.traceback = run.wall_s, run.cpu_s, run.traceback
        if run.status != "ok" or run.output is None:
            result.kind, result.message = _run_failure(run, test)
            if result.kind == "missing" and notebook_error:
                result.message += " (your notebook raised an error while loading; see above)"
            continue
        failure = _compare_safely(run.output, ref.output, test, learner.inputs[tid])  # type: ignore[arg-type]
        if failure is None:
            message = _check_failure(test, run.python_value(), learner.inputs[tid])
            failure = Failure("check", message) if message else None
        if failure is None:
            result.passed, result.points, result.kind = True, float(test.points), "passed"
        else:
            result.kind, result.message = failure.kind, failure.message
            mismatched.append(index)

    if with_mistakes and mismatched and lab.mistakes:
        _attach_hints(lab, mismatched, learner, results, indices, seed, caps)

    if all(r.kind == "not_implemented" for r in results):
        return _not_gradable(
            lab, results, "nothing is implemented yet", seed, public_only, start, notebook_error
        )
    points = sum(r.points for r in results)
    max_points = sum(r.max_points for r in results)
    return GradeResult(
        lab.dir.name,
        True,
        "",
        points / max_points if max_points else 0.0,
        points,
        max_points,
        results,
        seed,
        public_only,
        time.perf_counter() - start,
        notebook_error,
    )


def _attach_hints(
    lab: LabSpec,
    mismatched: list[int],
    learner: Execution,
    results: list[TestResult],
    indices: list[int],
    seed: int | None,
    caps: Mapping[str, float],
) -> None:
    """Give each mismatched test the hint of the first known mistake it reproduces.

    A mistake is tried on a test when its function is the test's call or is used by it
    (through drivers too), unless the learner's version of that function passes all of
    its own tests in this run.
    """
    by_index = dict(zip(indices, results, strict=True))
    graph = call_graph(lab)
    own_tests: dict[str, list[TestResult]] = {}
    for r in results:
        own_tests.setdefault(r.call, []).append(r)
    plan: dict[int, list[int]] = {}
    for index in mismatched:
        call = lab.tests[index].call
        used = reachable(graph, call)
        for m, mistake in enumerate(lab.mistakes):
            mine = own_tests.get(mistake.call, [])
            if mistake.call not in used:
                continue
            if mistake.call != call and mine and all(r.passed for r in mine):
                continue
            plan.setdefault(m, []).append(index)
    outputs = mistake_outputs(lab, plan, seed, caps)
    for index in mismatched:
        test, tid = lab.tests[index], test_id(index)
        got = learner.runs[tid].output
        for m, mistake in enumerate(lab.mistakes):
            run = outputs.get(m, {}).get(tid)
            if run is None or run.status != "ok" or run.output is None or got is None:
                continue
            if _compare_safely(got, run.output, test, None, public=False) is None:
                by_index[index].hint = mistake.hint
                break
