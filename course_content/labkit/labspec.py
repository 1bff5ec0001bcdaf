"""A lab as the grader sees it, and its tests' inputs.

:func:`load_lab` imports the lab's ``tests.py`` (trusted) and reads ``lab.py`` (the
reference), ``drivers.py`` and the lab's ``cpu_seconds`` from its ``course.yaml``.
:func:`write_inputs` builds every test's keyword arguments (a dict, or
``inputs(np.random.default_rng(seed))``; hidden tests draw their seed from the
submission's ``seed``) and writes ``manifest.json`` + one ``.npz`` per test.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import Mistake, Test
from . import harness as hz

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CPU_SECONDS = 20.0


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


def import_tests(path: Path) -> Any:
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
    module = import_tests(lab_dir / "tests.py")
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
        if has_unsupported(structure):
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


def has_unsupported(structure: dict) -> bool:
    if structure.get("t") == "unsupported":
        return True
    items = structure.get("items") or []
    return any(has_unsupported(n[1] if isinstance(n, list) else n) for n in items)
