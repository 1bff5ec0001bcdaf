"""The in-sandbox harness: standalone, no pickle, every test run, nothing trusted."""

from __future__ import annotations

import ast
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course_content.labkit import harness as hz

HARNESS = Path(hz.__file__)


def test_harness_imports_only_stdlib_and_numpy() -> None:
    tree = ast.parse(HARNESS.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert "course_content" not in imported
    assert imported - set(sys.stdlib_module_names) <= {"numpy", "torch"}


def test_encode_decode_roundtrip_nested_values(tmp_path: Path) -> None:
    value = {
        "W": np.arange(6.0).reshape(2, 3),
        "pair": (1, 2.5),
        "xs": [np.float32(1.5), "a", None],
        "flag": True,
        "nan": math.nan,
        "s": np.array(3.0),
        7: [[np.int64(4)]],
    }
    hz.save_npz(tmp_path / "v.npz", value)
    structure, arrays = hz.load_npz(tmp_path / "v.npz")
    out = hz.decode(structure, arrays)
    assert np.array_equal(out["W"], value["W"]) and out["pair"] == (1, 2.5)
    assert out["xs"][1:] == ["a", None] and out["xs"][0].dtype == np.float32
    assert math.isnan(out["nan"]) and out["flag"] is True and out[7][0][0] == 4
    as_inputs = hz.decode(structure, arrays, as_inputs=True)
    assert as_inputs["pair"] == [1, 2.5]  # tuples arrive as lists
    assert as_inputs["s"] == 3.0 and isinstance(as_inputs["s"], float)  # 0-d arrays as scalars
    assert structure["items"][1][1]["items"][0]["t"] == "int"


def test_unknown_objects_and_object_arrays_are_unsupported_never_pickled() -> None:
    class Thing:
        pass

    structure, arrays = hz.encode([Thing(), np.array([{}, 1], dtype=object), {(1, 2): 3}])
    kinds = [n["t"] for n in structure["items"]]
    assert kinds == ["unsupported", "unsupported", "unsupported"]
    assert "Thing" in structure["items"][0]["py"] and not arrays


def test_load_npz_refuses_pickled_members(tmp_path: Path) -> None:
    np.savez(
        tmp_path / "evil.npz",
        __structure__=np.array('{"t": "ndarray", "k": "x"}'),
        x=np.array([object()], dtype=object),
    )
    with pytest.raises(ValueError):
        structure, arrays = hz.load_npz(tmp_path / "evil.npz")


def _run_standalone(
    tmp_path: Path, code: str, tests: list[dict], inputs: dict[str, dict], drivers: str | None = None
) -> Path:
    """Copy harness.py ALONE into a folder and run it there with ``python -I``."""
    box = tmp_path / "box"
    (box / "in").mkdir(parents=True)
    shutil.copy(HARNESS, box / "harness.py")
    (box / "code.py").write_text(code)
    (box / "in" / "manifest.json").write_text(json.dumps({"tests": tests}))
    for tid, kwargs in inputs.items():
        hz.save_npz(box / "in" / f"{tid}.npz", kwargs)
    argv = [
        sys.executable,
        "-I",
        str(box / "harness.py"),
        "--code",
        str(box / "code.py"),
        "--inputs",
        str(box / "in"),
        "--out",
        str(box / "out"),
    ]
    if drivers is not None:
        (box / "drivers.py").write_text(drivers)
        argv += ["--drivers", str(box / "drivers.py")]
    subprocess.run(argv, cwd=box, timeout=60, check=True, capture_output=True)
    return box / "out"


def _result(out: Path, tid: str) -> dict:
    return json.loads((out / f"{tid}.json").read_text())


def test_standalone_run_every_test_with_statuses(tmp_path: Path) -> None:
    code = (
        "import numpy as np\n"
        "def double(x):\n    return 2 * x\n"
        "def todo(x):\n    raise NotImplementedError('Write your code here')\n"
        "def boom(x):\n    return helper(x)\n"
        "def helper(x):\n    return 1 / 0\n"
        "def noisy(x):\n    return np.random.rand(2)\n"
        "def weird(x):\n    return object()\n"
    )
    tests = [
        {"id": f"t{i}", "call": c, "seed": 3}
        for i, c in enumerate(["double", "todo", "boom", "noisy", "weird", "absent", "step"])
    ]
    inputs = {t["id"]: {"x": np.array([1.0, 2.0])} for t in tests}
    drivers = "def step(ns, x):\n    return ns['double'](x) + 1\n"
    out = _run_standalone(tmp_path, code, tests, inputs, drivers)
    statuses = {t["id"]: _result(out, t["id"])["status"] for t in tests}
    assert statuses == {
        "t0": "ok",
        "t1": "not_implemented",
        "t2": "error",
        "t3": "ok",
        "t4": "ok",
        "t5": "missing",
        "t6": "ok",
    }
    boom = _result(out, "t2")
    assert boom["exc_type"] == "ZeroDivisionError"
    assert boom["traceback"].count('File "notebook.py"') == 2 and "harness" not in boom["traceback"]
    structure, arrays = hz.load_npz(out / "t3.npz")
    np.random.seed(3)
    assert np.array_equal(arrays[structure["k"]], np.random.rand(2))  # seeded per test
    assert _result(out, "t4")["output"]["t"] == "unsupported"
    structure, arrays = hz.load_npz(out / "t6.npz")
    assert np.array_equal(hz.decode(structure, arrays), [3.0, 5.0])
    assert json.loads((out / "_done.json").read_text())["status"] == "done"


def test_standalone_syntax_error_is_reported_not_raised(tmp_path: Path) -> None:
    out = _run_standalone(tmp_path, "def f(:\n    pass\n", [{"id": "t0", "call": "f"}], {"t0": {}})
    module = json.loads((out / "_module.json").read_text())
    assert module["status"] == "syntax_error" and module["line"] == 1
    assert not (out / "t0.json").exists()


def test_standalone_sys_exit_in_a_test_does_not_stop_the_others(tmp_path: Path) -> None:
    code = "import sys\ndef quit_(x):\n    print('SCORE 100')\n    sys.exit(0)\ndef ok(x):\n    return x\n"
    tests = [{"id": "t0", "call": "quit_"}, {"id": "t1", "call": "ok"}]
    out = _run_standalone(tmp_path, code, tests, {"t0": {"x": 1}, "t1": {"x": 1}})
    assert _result(out, "t0")["exc_type"] == "SystemExit"
    assert _result(out, "t1")["status"] == "ok"
