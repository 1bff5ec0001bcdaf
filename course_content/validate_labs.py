"""Static checks of a lab folder, part of ``validate`` (docs/content-format.md): lab.py
parses, solution markers balanced and present, every ``Test.call`` defined in lab.py or
drivers.py, every ``Mistake.call`` defined in lab.py, unique names, a public and a hidden
test, ``expected`` only on public tests. ``tests.py`` (trusted) is imported; no lab code
runs (running the labs is ``course_content.labkit.check``).
"""

from __future__ import annotations

import ast
import traceback
from pathlib import Path
from typing import Any

from .catalog import Lab
from .schema import ErrorList, did_you_mean


def _syntax_check(path: Path, errors: ErrorList) -> str | None:
    try:
        source = path.read_text(encoding="utf-8")
        ast.parse(source, filename=str(path))
        return source
    except SyntaxError as exc:
        errors.add(path, exc.lineno or 1, f"syntax error: {exc.msg}", "fix the Python syntax")
    except (OSError, UnicodeDecodeError) as exc:
        errors.add(path, 1, f"cannot read the file: {exc}")
    return None


def _call_lines(tests_source: str, name: str) -> list[int]:
    """Lines of the ``name(...)`` calls in ``tests.py``, in source order: the line of the
    call's name argument (first positional or ``name=``) when there is one."""
    tree = ast.parse(tests_source)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if fname == name:
                label = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "name"), node)
                )
                lines.append((node.lineno, node.col_offset, label.lineno))
    return [line for _, _, line in sorted(lines)]


def _assign_line(tests_source: str, name: str) -> int:
    for node in ast.parse(tests_source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return node.lineno
    return 1


def _import_error_line(exc: BaseException, path: Path) -> int:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    return frames[-1].lineno or 1 if frames else 1


def check_lab_static(lab: Lab, errors: ErrorList) -> None:
    """Everything about a lab that needs no run of its code (tests.py is imported)."""
    from .labkit import Mistake, Test
    from .labkit.labspec import import_tests
    from .labkit.source import SolutionMarkerError, defined_functions, solution_blocks

    if not lab.dir.is_dir():
        errors.add(
            lab.file,
            lab.line,
            f"lab folder {lab.dir.name!r} does not exist",
            "create it with lab.py and tests.py, or fix 'lab:'",
        )
        return
    missing = [name for name in ("lab.py", "tests.py") if not (lab.dir / name).is_file()]
    for name in missing:
        errors.add(lab.file, lab.line, f"lab '{lab.activity_id}' has no {name}", f"add {lab.dir.name}/{name}")
    if missing:
        return
    source = _syntax_check(lab.lab_file, errors)
    functions: dict[str, int] = {}
    if source is not None:
        functions = defined_functions(source)
        try:
            if not solution_blocks(source):
                errors.add(
                    lab.lab_file,
                    1,
                    "lab.py has no solution block",
                    "wrap the code learners write in ### BEGIN SOLUTION / ### END SOLUTION",
                )
        except SolutionMarkerError as exc:
            errors.add(lab.lab_file, exc.line, exc.message, exc.fix)
    drivers: dict[str, int] = {}
    drivers_file = lab.dir / "drivers.py"
    if drivers_file.is_file():
        drivers_source = _syntax_check(drivers_file, errors)
        if drivers_source is not None:
            drivers = {n: ln for n, ln in defined_functions(drivers_source).items() if not n.startswith("_")}
    tests_source = _syntax_check(lab.tests_file, errors)
    if tests_source is None:
        return
    try:
        module = import_tests(lab.tests_file)
    except Exception as exc:  # noqa: BLE001 - LabError wrapping the author's exception
        cause = exc.__cause__ or exc
        errors.add(
            lab.tests_file,
            _import_error_line(cause, lab.tests_file.resolve()),
            f"importing tests.py failed: {type(cause).__name__}: {cause}",
            "make tests.py importable (python -c 'import ...')",
        )
        return
    tests = getattr(module, "TESTS", None)
    mistakes = getattr(module, "MISTAKES", [])
    tests_line = _assign_line(tests_source, "TESTS")
    if not isinstance(tests, (list, tuple)) or not tests:
        errors.add(
            lab.tests_file, tests_line, "tests.py defines no TESTS list", "add TESTS = [Test(...), ...]"
        )
        return
    test_lines = _call_lines(tests_source, "Test")
    if len(test_lines) != len(tests):
        test_lines = [tests_line] * len(tests)
    names: dict[str, int] = {}
    for test, line in zip(tests, test_lines, strict=True):
        if not isinstance(test, Test):
            errors.add(
                lab.tests_file,
                line,
                f"TESTS holds a {type(test).__name__}",
                "build every test with Test(...)",
            )
            continue
        check_test(test, line, lab, functions if source is not None else None, drivers, names, errors)
    if isinstance(tests, (list, tuple)):
        real = [t for t in tests if isinstance(t, Test)]
        if real and not any(t.public for t in real):
            errors.add(
                lab.tests_file,
                tests_line,
                "the lab has no public test",
                "mark at least one test public=True (it ships in the notebook)",
            )
        if real and all(t.public for t in real):
            errors.add(
                lab.tests_file,
                tests_line,
                "the lab has no hidden test",
                "leave at least one test public=False",
            )
    check_mistakes(mistakes, tests_source, lab, functions if source is not None else None, errors, Mistake)


def check_test(
    test: Any,
    line: int,
    lab: Lab,
    functions: dict[str, int] | None,
    drivers: dict[str, int],
    names: dict[str, int],
    errors: ErrorList,
) -> None:
    file = lab.tests_file
    if test.name in names:
        errors.add(
            file,
            line,
            f"test name {test.name!r} is already used at line {names[test.name]}",
            "give every test its own name",
        )
    names.setdefault(test.name, line)
    if functions is not None and test.call not in functions and test.call not in drivers:
        errors.add(
            file,
            line,
            f"test {test.name!r} calls '{test.call}', which neither lab.py nor drivers.py defines",
            did_you_mean(test.call, set(functions) | set(drivers))
            or "define the function at the top level of lab.py or drivers.py",
        )
    if not (callable(test.inputs) or isinstance(test.inputs, dict)):
        errors.add(
            file,
            line,
            f"test {test.name!r}: inputs must be a dict or a function rng -> dict",
            "write inputs={'x': ...} or inputs=make_inputs",
        )
    if test.expected is not None and not test.public:
        errors.add(
            file,
            line,
            f"hidden test {test.name!r} has `expected`",
            "pin literal values on public tests only (hidden expected values never ship)",
        )
    if test.rtol < 0 or test.atol < 0:
        errors.add(file, line, f"test {test.name!r} has a negative tolerance", "use rtol/atol >= 0")
    if not test.points > 0:
        errors.add(file, line, f"test {test.name!r} has points={test.points}", "use points > 0")
    if test.check is not None and not callable(test.check):
        errors.add(
            file,
            line,
            f"test {test.name!r}: check is not a function",
            "pass a function (output, inputs) -> str | None",
        )


def check_mistakes(
    mistakes: Any,
    tests_source: str,
    lab: Lab,
    functions: dict[str, int] | None,
    errors: ErrorList,
    mistake_type: type,
) -> None:
    file = lab.tests_file
    if not isinstance(mistakes, (list, tuple)):
        errors.add(
            file,
            _assign_line(tests_source, "MISTAKES"),
            "MISTAKES must be a list",
            "write MISTAKES = [Mistake(...), ...]",
        )
        return
    lines = _call_lines(tests_source, "Mistake")
    if len(lines) != len(mistakes):
        lines = [_assign_line(tests_source, "MISTAKES")] * len(mistakes)
    seen: dict[str, int] = {}
    for m, line in zip(mistakes, lines, strict=True):
        if not isinstance(m, mistake_type):
            errors.add(file, line, f"MISTAKES holds a {type(m).__name__}", "use Mistake(...)")
            continue
        if functions is not None and m.call not in functions:
            errors.add(
                file,
                line,
                f"mistake {m.name!r} replaces '{m.call}', which lab.py does not define",
                did_you_mean(m.call, set(functions)) or "name a function defined in lab.py",
            )
        if not callable(m.impl):
            errors.add(
                file,
                line,
                f"mistake {m.name!r}: impl is not a function",
                "pass the wrong implementation as impl=",
            )
        if not m.hint.strip():
            errors.add(file, line, f"mistake {m.name!r} has no hint", "write the hint learners see")
        key = f"{m.call}/{m.name}"
        if key in seen:
            errors.add(
                file,
                line,
                f"mistake {m.name!r} of '{m.call}' is already registered at line {seen[key]}",
                "give each mistake its own name",
            )
        seen.setdefault(key, line)
