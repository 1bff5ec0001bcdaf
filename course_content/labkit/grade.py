"""Trusted side of lab grading: the verdict and feedback of one submission.

Flow of :func:`grade` (docs/content-format.md, /work/shared/reference/grading.md):

1. ``labspec.load_lab`` imports the lab's ``tests.py`` (trusted) and reads ``lab.py`` (the
   reference), ``drivers.py`` and the lab's ``cpu_seconds``; ``labspec.write_inputs``
   writes every test's inputs.
2. ``execution.reference_outputs`` runs the harness on the reference solution (cached per
   process) and ``execution.execute`` runs it on the learner's code, both through
   ``sandbox.runner.run_harness`` (a plain subprocess with rlimits by default; the
   grading worker passes a ``sandbox.bubblewrap.BubblewrapRunner``). Outputs are read
   back by a separate, limited process (``readback.py``).
3. ``compare.compare`` decides each test outside the sandbox, stopping at the first
   failing check: type, shape (named patterns), dtype, NaN/Inf, values, then the author's
   ``check``. For failing tests, the known mistakes run (``mistakes.mistake_outputs``, a
   trusted subprocess) and a matching output attaches the hint.
4. The result is a :class:`GradeResult` (per-test outcome, points, feedback, timings,
   score, ``gradable``), JSON-serializable with :meth:`GradeResult.to_dict`.

Feedback for hidden tests never contains expected values (nor the learner's values).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .compare import Failure, check_failure, compare_safely, run_failure
from .execution import Execution, execute, reference_caps, reference_outputs
from .labspec import LabError, LabSpec, load_lab, test_id
from .messages import MAX_HINT, MAX_NAME, MAX_TEXT, MAX_TRACEBACK, clean_text
from .mistakes import call_graph, mistake_outputs, reachable
from .source import make_starter


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
            result.kind, result.message = run_failure(run, test)
            if result.kind == "missing" and notebook_error:
                result.message += " (your notebook raised an error while loading; see above)"
            continue
        failure = compare_safely(run.output, ref.output, test, learner.inputs[tid])  # type: ignore[arg-type]
        if failure is None:
            message = check_failure(test, run.python_value(), learner.inputs[tid])
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
            if compare_safely(got, run.output, test, None, public=False) is None:
                by_index[index].hint = mistake.hint
                break
