"""An uploaded .ipynb back into lab source: ``from_ipynb`` inverts ``to_ipynb`` on real
labs of the catalog, and a notebook filled in Jupyter grades like the lab page's code."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_content.labkit.grade import grade
from course_content.labkit.notebook import TEST_CELL_TAG, to_ipynb
from course_content.labkit.source import make_starter, parse_cells, solution_blocks
from lms.labs.notebooks import blank_count, from_ipynb

CONTENT = Path(__file__).resolve().parents[4] / "course_content"
FIXTURES = Path(__file__).parent / "fixtures"
LABS = [  # one per course
    "neural-networks-deep-learning/labs/numpy-basics",
    "improving-deep-networks/labs/initialization",
    "structuring-ml-projects/labs/evaluation-metrics",
    "convolutional-networks/labs/convolution",
    "sequence-models/labs/rnn-step-by-step",
]


def saved(notebook) -> nbformat.NotebookNode:
    """The notebook as a learner's Jupyter would read it back from disk."""
    return nbformat.reads(nbformat.writes(notebook), as_version=4)


@pytest.mark.parametrize("lab", LABS)
def test_the_downloaded_notebook_comes_back_as_exactly_the_starter(lab):
    source = (CONTENT / lab / "lab.py").read_text()
    notebook = saved(to_ipynb(CONTENT / lab, solution=False))
    assert any(TEST_CELL_TAG in c.metadata.get("tags", []) for c in notebook.cells)
    code = from_ipynb(notebook, CONTENT / lab)
    assert code == make_starter(source)
    assert "_cairn_run" not in code and blank_count(code) == len(solution_blocks(source)) > 0


@pytest.mark.parametrize("lab", LABS)
def test_a_notebook_with_the_solution_filled_in_grades_like_the_solution(lab):
    source = (CONTENT / lab / "lab.py").read_text()
    starter = saved(to_ipynb(CONTENT / lab, solution=False))
    solution_cells = iter(c.source for c in parse_cells(source))
    for cell in starter.cells:  # the learner fills every cell in Jupyter; test cells stay
        if TEST_CELL_TAG not in cell.metadata.get("tags", []):
            cell.source = next(solution_cells)
    code = from_ipynb(saved(starter), CONTENT / lab)
    assert code == source  # every cell of lab.py comes back, headers and blank lines included
    result = grade(CONTENT / lab, code)
    assert result.gradable and result.score == grade(CONTENT / lab, source).score == 1.0


def _filled_matrix_lab(nb: nbformat.NotebookNode, answer: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        cell.source = cell.source.replace('raise NotImplementedError("Write your code here")', answer)
    return nb


def test_code_typed_between_the_markers_replaces_only_that_cell():
    lab = FIXTURES / "matrix-lab"
    nb = _filled_matrix_lab(saved(to_ipynb(lab)), "Z = np.dot(W, A) + b")
    code = from_ipynb(nb, lab)
    expected = make_starter((lab / "lab.py").read_text()).replace(
        'raise NotImplementedError("Write your code here")', "Z = np.dot(W, A) + b"
    )
    assert code == expected
    assert grade(lab, code).score == 1.0


def test_added_cells_and_lost_tags_still_give_gradable_code():
    lab = FIXTURES / "matrix-lab"
    nb = _filled_matrix_lab(saved(to_ipynb(lab)), "Z = np.dot(W, A) + b")
    for cell in nb.cells:
        cell.metadata.pop("tags", None)  # a tool that drops cell metadata
    nb.cells.append(nbformat.v4.new_code_cell("print(linear_forward(np.eye(2), np.ones((2, 1)), 0))"))
    nb.cells.append(nbformat.v4.new_markdown_cell("My notes\n\nsecond paragraph"))
    code = from_ipynb(saved(nb), lab)
    assert "_cairn_run" not in code and "Public tests" not in code
    assert "print(linear_forward(" in code and "# My notes\n#\n# second paragraph" in code
    assert code.count("# %%") == len(nb.cells) - 1  # the one test cell dropped
    assert blank_count(code) == 1
    assert grade(lab, code).score == 1.0


def test_blank_count_needs_each_start_closed_by_an_end():
    assert blank_count("### START CODE HERE ###\nx = 1\n### END CODE HERE ###\n") == 1
    assert blank_count("    ### START CODE HERE ###\n    pass\n") == 0
    assert blank_count("### END CODE HERE ###\n### START CODE HERE ###\n") == 0
    assert blank_count("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n") == 1
