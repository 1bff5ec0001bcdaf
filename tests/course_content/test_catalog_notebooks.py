"""Real labs of the catalog, downloaded as .ipynb: the file opens with nbformat, and
with the reference solution filled in its public tests pass in a plain Python process
(no Cairn code); the starter's fail."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_content.labkit.notebook import to_ipynb

from .test_notebook import _run_notebook

CONTENT = Path(__file__).resolve().parents[2] / "course_content"
LABS = [
    "neural-networks-deep-learning/labs/numpy-basics",
    "improving-deep-networks/labs/optimization",
    "convolutional-networks/labs/convolution",
    "sequence-models/labs/word-vectors",
]


@pytest.mark.parametrize("lab", LABS)
def test_downloaded_notebook_runs_its_public_tests(lab: str, tmp_path: Path) -> None:
    solution = nbformat.reads(nbformat.writes(to_ipynb(CONTENT / lab, solution=True)), as_version=4)
    nbformat.validate(solution)
    assert "course_content" not in nbformat.writes(solution)
    passed = _run_notebook(solution, tmp_path)
    assert passed.returncode == 0, passed.stdout[-2000:] + passed.stderr[-2000:]
    assert "ok " in passed.stdout and "FAIL" not in passed.stdout

    failed = _run_notebook(to_ipynb(CONTENT / lab), tmp_path)
    assert failed.returncode != 0 and "FAIL" in failed.stdout
