"""lab.py as a notebook: cells, starter generation, .ipynb export with public tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_content.labkit.notebook import TEST_CELL_TAG, notebook_code, to_ipynb
from course_content.labkit.source import SolutionMarkerError, make_starter, parse_cells

from .conftest import LOGISTIC_LAB

SOURCE = """# %% [markdown]
# # Title
# Some *text*.

# %%
import numpy as np

# %%
def f(x):
    ### BEGIN SOLUTION
    y = x + 1
    ### END SOLUTION
    return y


class Model:
    def forward(self, x):
        if x is not None:
            ### BEGIN SOLUTION
            return x * 2
            ### END SOLUTION
"""


def test_parse_cells_kinds_lines_and_markdown_text() -> None:
    cells = parse_cells(SOURCE)
    assert [(c.kind, c.line) for c in cells] == [("markdown", 1), ("code", 5), ("code", 8)]
    assert cells[0].source == "# Title\nSome *text*."
    assert cells[1].source == "import numpy as np"


def test_starter_replaces_each_block_at_its_indentation() -> None:
    starter = make_starter(SOURCE)
    assert "y = x + 1" not in starter and "return x * 2" not in starter
    assert (
        "    ### START CODE HERE ###\n"
        '    raise NotImplementedError("Write your code here")\n'
        "    ### END CODE HERE ###\n"
        "    return y\n"
    ) in starter
    assert '            raise NotImplementedError("Write your code here")\n' in starter
    assert starter.count("### START CODE HERE ###") == 2
    compile(starter, "starter.py", "exec")


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("x = 1\n    ### END SOLUTION\n", 2, "without a matching"),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", 2, "never closed"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", 2, "cannot nest"),
    ],
)
def test_malformed_markers_name_the_line(source: str, line: int, words: str) -> None:
    with pytest.raises(SolutionMarkerError) as info:
        make_starter(source)
    assert info.value.line == line
    assert words in str(info.value)


def _run_notebook(nb: nbformat.NotebookNode, tmp_path: Path) -> subprocess.CompletedProcess:
    """Execute the notebook's code cells in order in a plain Python subprocess."""
    script = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    path = tmp_path / "notebook_as_script.py"
    path.write_text(script)
    return subprocess.run(
        [sys.executable, "-I", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )


@pytest.fixture(scope="module")
def notebooks() -> dict[str, nbformat.NotebookNode]:
    return {"solution": to_ipynb(LOGISTIC_LAB, solution=True), "starter": to_ipynb(LOGISTIC_LAB)}


def test_export_is_a_valid_notebook_with_tagged_public_test_cells(notebooks) -> None:
    for nb in notebooks.values():
        nbformat.validate(nb)
        roundtrip = nbformat.reads(nbformat.writes(nb), as_version=4)
        tagged = [c for c in roundtrip.cells if TEST_CELL_TAG in c.metadata.get("tags", [])]
        assert len(tagged) == 4  # after sigmoid, column_means, propagate, noisy_weights
        text = nbformat.writes(nb)
        assert "sigmoid on a matrix" not in text  # hidden tests never ship
        assert "course_content" not in "".join(c.source for c in tagged)
    assert "1 / (1 + np.exp(-z))" not in nbformat.writes(notebooks["starter"])


def test_public_tests_pass_on_the_solution_notebook(notebooks, tmp_path: Path) -> None:
    proc = _run_notebook(notebooks["solution"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok    sigmoid of 0 is 0.5" in proc.stdout
    assert "FAIL" not in proc.stdout


def test_public_tests_fail_on_the_starter_notebook(notebooks, tmp_path: Path) -> None:
    proc = _run_notebook(notebooks["starter"], tmp_path)
    assert proc.returncode != 0
    assert "AssertionError: 2 of 2 public test(s) failed" in proc.stderr
    assert "FAIL  sigmoid of 0 is 0.5" in proc.stdout
    assert "not implemented yet" in proc.stdout


def test_notebook_test_cell_explains_a_wrong_shape(notebooks, tmp_path: Path) -> None:
    nb = nbformat.from_dict(notebooks["solution"])
    for cell in nb.cells:
        cell.source = cell.source.replace("np.mean(X, axis=0, keepdims=True)", "np.mean(X, axis=0)")
    proc = _run_notebook(nb, tmp_path)
    assert "FAIL  column means of a 3x2 matrix" in proc.stdout
    assert "has shape (2,), expected (1, 2)" in proc.stdout


def test_notebook_code_drops_test_cells_and_grades_like_the_py(notebooks) -> None:
    code = notebook_code(notebooks["solution"])
    assert "_cairn_run" not in code
    assert "def sigmoid(z):" in code
    compile(code, "nb.py", "exec")
