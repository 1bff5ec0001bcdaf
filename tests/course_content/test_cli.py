"""Command lines: labkit check / grade / export / starter, course_content check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

from .conftest import CATALOG, TINY_LAB

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_check_passes_on_a_sound_lab() -> None:
    proc = run("course_content.labkit", "check", str(TINY_LAB))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok ") and "checked in" in proc.stdout
    assert "1/1 lab(s) ok" in proc.stdout


def test_check_reports_every_problem_of_a_broken_lab(tiny_lab: Path) -> None:
    tests = tiny_lab / "tests.py"
    text = tests.read_text().replace("np.array([2.0, 4.0, 6.0])", "np.array([2.0, 4.0, 7.0])")
    tests.write_text(text)
    proc = run("course_content.labkit", "check", str(tiny_lab))
    assert proc.returncode == 1
    out = proc.stdout
    assert out.startswith("FAILED")
    assert "the reference output differs from `expected`" in out and "7." in out
    assert "0/1 lab(s) ok" in out


def test_check_catches_a_starter_that_passes_and_a_useless_mistake(tiny_lab: Path) -> None:
    lab = tiny_lab / "lab.py"
    lab.write_text(
        lab.read_text()
        .replace("    ### BEGIN SOLUTION\n    return np.sum", "    return np.sum")
        .replace("keepdims=True)\n    ### END SOLUTION\n", "keepdims=True)\n")
    )
    tests = tiny_lab / "tests.py"
    tests.write_text(
        tests.read_text().replace("np.sum(X, axis=0, keepdims=True).T", "np.sum(X, axis=1, keepdims=True)")
    )
    proc = run("course_content.labkit", "check", str(tiny_lab))
    assert proc.returncode == 1
    assert "the unchanged starter passes test 'row sums of a 2x3 matrix'" in proc.stdout
    assert "mistake 'summed the columns' passes every test" in proc.stdout


def test_grade_json_and_starter_and_export(tmp_path: Path) -> None:
    starter = run("course_content.labkit", "starter", str(TINY_LAB))
    assert starter.returncode == 0 and 'raise NotImplementedError("Write your code here")' in starter.stdout
    code = tmp_path / "submission.py"
    code.write_text(
        starter.stdout.replace(
            '    ### START CODE HERE ###\n    raise NotImplementedError("Write your code here")\n    ### END CODE HERE ###\n    return y',
            "    y = x * factor\n    return y",
            1,
        )
    )
    graded = run("course_content.labkit", "grade", str(TINY_LAB), "--code", str(code), "--json")
    result = json.loads(graded.stdout)
    assert result["gradable"] and result["points"] == 2 and result["max_points"] == 4
    kinds = sorted(t["kind"] for t in result["tests"])
    assert kinds == ["not_implemented", "not_implemented", "passed", "passed"]
    out = tmp_path / "tiny.ipynb"
    exported = run("course_content.labkit", "export", str(TINY_LAB), "--out", str(out))
    assert exported.returncode == 0
    nb = nbformat.read(out, as_version=4)
    nb_graded = run("course_content.labkit", "grade", str(TINY_LAB), "--code", str(out), "--public-only")
    assert "not gradable" in nb_graded.stdout.lower() or "0/2" in nb_graded.stdout
    assert any("_cairn_run" in c.source for c in nb.cells)


def test_course_content_check_validates_and_checks_every_lab() -> None:
    proc = run("course_content", "check", str(CATALOG))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "labs: 1/1 ok" in proc.stdout
    assert "1 course(s), 1 week(s), 2 video(s) (1 interview(s))" in proc.stdout
