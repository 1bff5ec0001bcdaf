"""Grading a submission: verdicts and feedback per grading.md, and attacks with no effect."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from course_content.labkit import grade as g
from course_content.labkit.execution import reference_outputs
from course_content.labkit.labspec import LabSpec, build_inputs, load_lab
from course_content.labkit.source import make_starter

from .conftest import LOGISTIC_LAB, TINY_LAB


@pytest.fixture(scope="module")
def lab() -> LabSpec:
    return load_lab(LOGISTIC_LAB)


@pytest.fixture(scope="module")
def tiny() -> LabSpec:
    return load_lab(TINY_LAB, cpu_seconds=2)


def variant(lab: LabSpec, old: str, new: str) -> str:
    assert old in lab.source, old
    return lab.source.replace(old, new)


def by_name(result: g.GradeResult) -> dict[str, g.TestResult]:
    return {t.name: t for t in result.tests}


SIGMOID = "    s = 1 / (1 + np.exp(-z))"


def test_reference_scores_full_marks_and_result_is_json(lab) -> None:
    result = g.grade(lab, lab.source)
    assert result.gradable and result.passed_all
    assert result.score == 1.0 and result.points == result.max_points == 10
    data = json.loads(result.to_json())
    assert data["tests"][0]["kind"] == "passed"
    assert lab.cpu_seconds == 20  # read from the course.yaml activity


def test_unchanged_starter_is_not_gradable(lab) -> None:
    result = g.grade(lab, make_starter(lab.source))
    assert not result.gradable and result.score == 0
    assert "unchanged starter" in result.reason
    assert all(t.kind == "not_implemented" for t in result.tests)


def test_syntax_error_is_not_gradable_and_names_the_line(lab) -> None:
    code = variant(lab, SIGMOID, "    s = 1 / (1 + np.exp(-z)")
    result = g.grade(lab, code)
    assert not result.gradable
    line = lab.source.splitlines().index(SIGMOID) + 1
    assert re.search(rf"SyntaxError at line {line}: '\(' was never closed", result.reason)


def test_not_implemented_function_other_tests_still_graded(lab) -> None:
    code = variant(
        lab, "    return np.mean(X, axis=0, keepdims=True)\n", '    raise NotImplementedError("later")\n'
    )
    result = by_name(g.grade(lab, code))
    assert result["column means of a 3x2 matrix"].kind == "not_implemented"
    assert "not implemented yet" in result["column means of a 3x2 matrix"].message
    assert result["sigmoid of a vector"].passed
    assert result["propagate on a small problem"].passed


def test_none_return_asks_about_return(lab) -> None:
    code = variant(lab, "    return s\n", "    pass\n")
    test = by_name(g.grade(lab, code))["sigmoid of a vector"]
    assert test.kind == "type"
    assert "did you forget `return`?" in test.message


def test_transposed_output_is_named(lab) -> None:
    code = variant(lab, "    db = np.sum(A - Y) / m\n", "    db = np.sum(A - Y) / m\n    dw = dw.T\n")
    test = by_name(g.grade(lab, code))["propagate on a small problem"]
    assert test.kind == "shape"
    assert "element [0]['dw']" in test.message and "transposed" in test.message


def test_missing_size_one_axis_suggests_keepdims(lab) -> None:
    code = variant(lab, "np.mean(X, axis=0, keepdims=True)", "np.mean(X, axis=0)")
    test = by_name(g.grade(lab, code))["column means of a 3x2 matrix"]
    assert test.kind == "shape" and "keepdims=True" in test.message


def test_wrong_reduction_axis_is_named(lab) -> None:
    code = variant(lab, "np.mean(X, axis=0, keepdims=True)", "np.mean(X, axis=1, keepdims=True)")
    test = by_name(g.grade(lab, code))["column means of a random matrix"]
    assert test.kind == "shape" and "wrong axis" in test.message


def test_integer_dtype_is_called_truncation(lab) -> None:
    code = variant(lab, "np.mean(X, axis=0, keepdims=True)", "np.mean(X, axis=0, keepdims=True).astype(int)")
    test = by_name(g.grade(lab, code))["column means of a 3x2 matrix"]
    assert test.kind == "dtype" and "integer" in test.message and "truncat" in test.message


def test_list_instead_of_array_says_how_to_convert(lab) -> None:
    code = variant(lab, "np.mean(X, axis=0, keepdims=True)", "np.mean(X, axis=0, keepdims=True).tolist()")
    test = by_name(g.grade(lab, code))["column means of a 3x2 matrix"]
    assert test.kind == "type" and "np.array(...)" in test.message


def test_nan_output_is_counted_with_a_hint(lab) -> None:
    code = variant(lab, SIGMOID, "    s = np.log(-np.abs(z) - 1) + 1 / (1 + np.exp(-z))")
    test = by_name(g.grade(lab, code))["sigmoid of a vector"]
    assert test.kind == "nan"
    assert "3 NaN value(s)" in test.message and "first at index (0,)" in test.message
    assert "clip" in test.message.lower()


def test_known_mistake_attaches_its_hint(lab) -> None:
    code = variant(lab, SIGMOID, "    s = 1 / (1 + np.exp(z))")
    result = by_name(g.grade(lab, code))
    hint = "The sigmoid is 1 / (1 + exp(-z)): check the sign inside exp."
    assert result["sigmoid of a vector"].hint == hint
    assert result["sigmoid on a matrix"].hint == hint
    assert result["sigmoid of 0 is 0.5"].passed  # sigmoid(0) is right even with the wrong sign


def test_public_feedback_shows_values_hidden_feedback_never_does(lab) -> None:
    code = variant(lab, SIGMOID, "    s = 1 / (1 + np.exp(-z)) + 0.125")
    result = g.grade(lab, code)
    reference = reference_outputs(lab, None)
    public = by_name(result)["sigmoid of a vector"]
    assert "expected" in public.message and "0.880797" in public.message
    for test in result.tests:
        if test.public or test.passed:
            continue
        assert "got" not in test.message and "expected " not in test.message
        ref = reference.runs[test.id].python_value()
        values = ref if isinstance(ref, np.ndarray) else np.asarray(ref[1] if isinstance(ref, tuple) else ref)
        for value in np.ravel(values)[:20]:
            assert f"{float(value):.6g}" not in test.message
            assert f"{float(value):.3g}" not in test.message.split("error")[0]


def test_hidden_inputs_change_with_the_submission_seed(lab) -> None:
    hidden = next(i for i, t in enumerate(lab.tests) if not t.public and callable(t.inputs))
    public = next(i for i, t in enumerate(lab.tests) if t.public and callable(t.inputs))
    a = build_inputs(lab.tests[hidden], hidden, 1)["z"]
    b = build_inputs(lab.tests[hidden], hidden, 2)["z"]
    assert not np.allclose(a, b)
    assert np.array_equal(
        build_inputs(lab.tests[hidden], hidden, None)["z"],
        build_inputs(lab.tests[hidden], hidden, None)["z"],
    )
    p1 = build_inputs(lab.tests[public], public, 1)["X"]
    assert np.array_equal(p1, build_inputs(lab.tests[public], public, 2)["X"])
    assert g.grade(lab, lab.source, seed=12345).passed_all


def test_sys_exit_and_fake_score_have_no_effect(lab) -> None:
    code = "print('SCORE: 100%')\n" + variant(
        lab,
        "    return np.random.randn(n, 1) * 0.01\n",
        '    print(\'{"score": 1.0, "passed": true}\')\n    import sys\n    sys.exit(0)\n',
    )
    result = g.grade(lab, code)
    tests = by_name(result)
    assert not tests["random weights are seeded"].passed
    assert "sys.exit" in tests["random weights are seeded"].message
    assert tests["sigmoid of a vector"].passed  # the other tests still ran
    assert result.score == pytest.approx(9 / 10)


def test_top_level_sys_exit_is_reported_and_later_cells_still_run(lab) -> None:
    code = "import sys\nsys.exit(0)\n" + lab.source
    result = g.grade(lab, code)
    assert "SystemExit" in result.notebook_error
    assert result.gradable and result.score == 1.0  # cells run on, as in a notebook


def test_missing_function_is_named_even_through_a_driver(lab) -> None:
    result = by_name(g.grade(lab, variant(lab, "def propagate(", "def propagate_v2(")))
    assert result["propagate on a small problem"].kind == "missing"
    assert "does not define a function `propagate`" in result["propagate on a small problem"].message
    step = result["one gradient step"]  # a driver: names the function it needed
    assert step.kind == "missing" and "does not define `propagate`" in step.message
    assert result["sigmoid of a vector"].passed


def test_os_exit_marks_the_test_crashed_and_continues(tiny) -> None:
    code = tiny.source.replace("    y = x * factor\n", "    import os\n    os._exit(0)\n")
    result = by_name(g.grade(tiny, code))
    assert result["scale a vector by 2"].kind == "crashed"
    assert result["scale a random matrix"].kind == "crashed"
    assert result["row sums of a 2x3 matrix"].passed


def test_infinite_loop_times_out_and_other_tests_are_reported(tiny) -> None:
    code = tiny.source.replace("    y = x * factor\n", "    while True:\n        pass\n")
    result = by_name(g.grade(tiny, code))
    assert result["scale a vector by 2"].kind == "timeout"
    assert "ran too long" in result["scale a vector by 2"].message
    assert result["row sums of a random matrix"].passed


def test_memory_bomb_is_a_memory_error(tiny) -> None:
    code = tiny.source.replace("    y = x * factor\n", "    y = np.ones((100000, 100000))\n")
    test = by_name(g.grade(tiny, code))["scale a vector by 2"]
    assert test.kind == "error" and "MemoryError" in test.message


def test_object_with_always_true_eq_is_rejected(tiny) -> None:
    code = tiny.source.replace(
        "    y = x * factor\n",
        "    class Liar:\n        def __eq__(self, other):\n            return True\n    y = Liar()\n",
    )
    test = by_name(g.grade(tiny, code))["scale a vector by 2"]
    assert test.kind == "type" and "cannot be graded" in test.message


def test_traceback_shows_only_learner_lines(tiny) -> None:
    code = tiny.source.replace("    y = x * factor\n", "    y = x * undefined_name\n")
    test = by_name(g.grade(tiny, code))["scale a vector by 2"]
    assert test.kind == "error" and "NameError" in test.message
    assert 'File "notebook.py", line' in test.traceback
    assert "harness" not in test.traceback and "tests.py" not in test.traceback


def test_public_only_runs_only_public_tests(tiny) -> None:
    result = g.grade(tiny, tiny.source, public_only=True)
    assert [t.public for t in result.tests] == [True, True]


def test_tensor_instead_of_array_says_how_to_convert(tiny) -> None:
    pytest.importorskip("torch")
    code = "import torch\n" + tiny.source.replace(
        "    y = x * factor\n", "    y = torch.tensor(x) * factor\n"
    )
    test = by_name(g.grade(tiny, code, public_only=True))["scale a vector by 2"]
    assert test.kind == "type" and ".detach().numpy()" in test.message


def test_a_failing_demo_cell_does_not_hide_later_functions(tiny) -> None:
    code = tiny.source.replace("    y = x * factor\n", "    raise NotImplementedError\n").replace(
        "# %%\ndef row_sums", "# %%\nprint(scale(1, 2))\n\n\n# %%\ndef row_sums"
    )
    result = g.grade(tiny, code)
    assert "NotImplementedError" in result.notebook_error
    tests = by_name(result)
    assert tests["row sums of a 2x3 matrix"].passed and tests["scale a vector by 2"].kind == "not_implemented"
