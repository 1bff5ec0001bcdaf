"""``check`` for lab authors: prove a lab's tests are sound before learners see it.

:func:`check_lab` (run in a fresh process per lab by ``python -m course_content.labkit
check``) verifies, collecting every problem instead of stopping at the first:

1. ``lab.py`` has balanced solution markers and ``tests.py`` imports;
2. the reference solution runs every test without error, for the default hidden-test
   seed and for another seed, within the lab's ``cpu_seconds``;
3. ``expected`` literals match the reference output; ``check`` callables accept it;
4. the reference, graded as a submission, passes every test (catches unseeded randomness);
5. the unchanged starter fails every test and is not gradable;
6. every known mistake fails at least one test (else the tests cannot tell it apart).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .compare import compare
from .execution import Execution, TestRun, reference_caps, reference_outputs
from .grade import grade
from .labspec import LabError, LabSpec, has_unsupported, load_lab, test_id
from .mistakes import call_graph, mistake_outputs, reachable
from .source import SolutionMarkerError, make_starter
from .values import value_to_val

OTHER_SEED = 20240611


@dataclass
class CheckReport:
    lab: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tests: int = 0
    reference_cpu_s: float = 0.0
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "lab": self.lab,
            "ok": self.ok,
            "problems": self.problems,
            "warnings": self.warnings,
            "tests": self.tests,
            "reference_cpu_s": self.reference_cpu_s,
            "wall_s": self.wall_s,
        }


def _check_reference(lab: LabSpec, report: CheckReport, seed: int | None) -> Execution | None:
    ref = reference_outputs(lab, seed)
    label = "" if seed is None else f" (hidden-test seed {seed})"
    if ref.syntax_error:
        report.problems.append(
            f"lab.py does not compile: {ref.syntax_error.get('message')} "
            f"(line {ref.syntax_error.get('line')})"
        )
        return None
    if ref.module_status.get("status") != "ok":
        ms = ref.module_status
        report.problems.append(
            f"lab.py fails at top level{label}: {ms.get('exc_type')}: "
            f"{ms.get('message')}\n{ms.get('traceback', '')}".rstrip()
        )
    for i, test in enumerate(lab.tests):
        run = ref.runs[test_id(i)]
        if run.status != "ok":
            report.problems.append(
                f"the reference fails test {test.name!r}{label}: {run.exc_type}: {run.message}"
                + (f"\n{run.traceback.rstrip()}" if run.traceback else "")
            )
            continue
        if has_unsupported(run.structure):
            report.problems.append(
                f"test {test.name!r}: the reference returns a value that "
                "cannot be compared (use arrays, numbers, strings, lists, "
                "tuples, dicts)"
            )
        if test.check is not None:
            try:
                message = test.check(run.python_value(), ref.inputs[test_id(i)])
            except Exception as exc:  # noqa: BLE001
                message = f"the check raised {type(exc).__name__}: {exc}"
            if message:
                report.problems.append(
                    f"test {test.name!r}{label}: `check` rejects the reference output: {message}"
                )
        if seed is None and test.expected is not None and run.output is not None:
            failure = compare(
                run.output,
                value_to_val(test.expected),
                rtol=test.rtol,
                atol=test.atol,
                public=True,
                where="the reference output",
                lenient=True,
            )
            if failure:
                report.problems.append(
                    f"test {test.name!r}: the reference output differs from `expected`: {failure.message}"
                )
    return ref


def _check_learner_runs(lab: LabSpec, report: CheckReport, starter: str) -> None:
    as_learner = grade(lab, lab.source, with_mistakes=False)
    for t in as_learner.tests:
        if not t.passed:
            report.problems.append(
                f"the reference fails its own test {t.name!r} when run "
                f"again (unseeded randomness?): {t.message}"
            )
    starter_grade = grade(lab, starter, with_mistakes=False, starter_shortcut=False)
    for t in starter_grade.tests:
        if t.passed:
            report.problems.append(
                f"the unchanged starter passes test {t.name!r}: the tested "
                f"code of `{t.call}` needs a solution block"
            )
    if grade(lab, starter, with_mistakes=False).gradable:
        report.problems.append("the unchanged starter is gradable")  # cannot happen


def _mistake_caught(lab: LabSpec, ref: Execution, runs: dict[str, TestRun]) -> tuple[bool, int]:
    """(some test tells the mistake apart from the reference, how many runs raised)."""
    caught, raised = False, 0
    for tid, run in runs.items():
        test = lab.tests[int(tid[1:])]
        ref_out = ref.runs[tid].output
        if run.status != "ok" or run.output is None or ref_out is None:
            caught, raised = True, raised + 1
        elif compare(run.output, ref_out, rtol=test.rtol, atol=test.atol, public=False) is not None:
            caught = True
    return caught, raised


def _check_mistakes(lab: LabSpec, report: CheckReport, ref: Execution) -> None:
    """Each mistake must fail a test: first its function's own tests, then the tests of
    the functions (and drivers) that use it."""
    if not lab.mistakes:
        return
    graph = call_graph(lab)
    caps = reference_caps(lab, ref)
    direct = {
        m: [i for i, t in enumerate(lab.tests) if t.call == mk.call] for m, mk in enumerate(lab.mistakes)
    }
    indirect = {
        m: [i for i, t in enumerate(lab.tests) if t.call != mk.call and mk.call in reachable(graph, t.call)]
        for m, mk in enumerate(lab.mistakes)
    }
    first = mistake_outputs(lab, direct, None, caps)
    pending: dict[int, list[int]] = {}
    for m, mistake in enumerate(lab.mistakes):
        caught, raised = _mistake_caught(lab, ref, first.get(m, {}))
        if direct[m] and raised == len(direct[m]):
            report.warnings.append(
                f"mistake {mistake.name!r} raises on every test of `{mistake.call}`: check that "
                "`impl` has the same signature"
            )
        if not caught:
            pending[m] = indirect[m]
    second = mistake_outputs(lab, pending, None, caps)
    for m in pending:
        if not direct[m] and not indirect[m]:
            report.problems.append(
                f"mistake {lab.mistakes[m].name!r}: no test uses `{lab.mistakes[m].call}`, even "
                "through the functions or drivers it calls, so the mistake can never be recognized"
            )
        elif not _mistake_caught(lab, ref, second.get(m, {}))[0]:
            report.problems.append(
                f"mistake {lab.mistakes[m].name!r} passes every test: add a test that tells it "
                "apart from the reference"
            )


def check_lab(lab_dir: str | Path) -> CheckReport:
    """Every problem of one lab (empty ``problems`` means it is sound)."""
    start = time.perf_counter()
    report = CheckReport(lab=str(lab_dir))
    try:
        lab = load_lab(lab_dir)
        report.tests = len(lab.tests)
        try:
            starter = make_starter(lab.source)
        except SolutionMarkerError as exc:
            report.problems.append(f"lab.py:{exc.line}: {exc.message} (fix: {exc.fix})")
            return report
        names = [t.name for t in lab.tests]
        for name in {n for n in names if names.count(n) > 1}:
            report.problems.append(f"two tests are named {name!r}: names must be unique")
        ref = _check_reference(lab, report, None)
        if ref is None:
            return report
        report.reference_cpu_s = sum(r.cpu_s for r in ref.runs.values())
        top_level_s = ref.module_status.get("wall_s") or 0.0
        if top_level_s > 2:
            report.warnings.append(
                f"lab.py's top-level code takes {top_level_s:.1f} s; every grading "
                "run pays it: move expensive work into functions the tests call"
            )
        if report.reference_cpu_s > lab.cpu_seconds:
            report.problems.append(
                f"the reference needs {report.reference_cpu_s:.1f} s of CPU "
                f"for all tests; cpu_seconds is {lab.cpu_seconds:g}"
            )
        elif report.reference_cpu_s > lab.cpu_seconds / 2:
            report.warnings.append(
                f"the reference needs {report.reference_cpu_s:.1f} s of CPU, "
                f"more than half of cpu_seconds ({lab.cpu_seconds:g})"
            )
        if any(not t.public and callable(t.inputs) for t in lab.tests):
            _check_reference(lab, report, OTHER_SEED)
        if report.problems:
            return report
        _check_learner_runs(lab, report, starter)
        _check_mistakes(lab, report, ref)
    except LabError as exc:
        report.problems.append(str(exc))
    finally:
        report.wall_s = time.perf_counter() - start
    return report
