"""Known mistakes: which of a lab's registered mistakes a failing test could reproduce
(:func:`call_graph`, :func:`reachable`), and their outputs (:func:`mistake_outputs`, one
trusted subprocess: ``python -m course_content.labkit._mistake``)."""

from __future__ import annotations

import ast
import json
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from . import readback
from .execution import IMPORT_SLACK_S, TestRun, read_outputs
from .labspec import REPO_ROOT, LabSpec, test_id, write_inputs
from .sandbox.process import Limits, sandbox_env, spawn
from .source import driver_targets


def call_graph(lab: LabSpec) -> dict[str, set[str]]:
    """Function or class -> the notebook functions and classes it uses (names in lab.py,
    ``ns["..."]`` in drivers)."""
    tree = ast.parse(lab.source)
    functions = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    graph = {
        name: {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and sub.id in functions} - {name}
        for name, node in functions.items()
    }
    for driver in lab.driver_names:
        graph[driver] = driver_targets(lab.drivers_source or "", driver) & set(functions)
    return graph


def reachable(graph: Mapping[str, set[str]], call: str) -> set[str]:
    """``call`` and every function it uses, directly or not."""
    seen, todo = {call}, [call]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def mistake_outputs(
    lab: LabSpec,
    plan: Mapping[int, list[int]],
    submission_seed: int | None,
    cpu_caps: Mapping[str, float] | None = None,
) -> dict[int, dict[str, TestRun]]:
    """Outputs of the reference with ``ns[call]`` replaced by a mistake's ``impl``.

    ``plan`` maps a MISTAKES index to the test indices to run with it. One trusted
    subprocess (``python -m course_content.labkit._mistake``) runs the whole plan; the
    result maps mistake index -> test id -> run.
    """
    plan = {m: sorted(set(ix)) for m, ix in plan.items() if ix}
    if not plan:
        return {}
    indices = sorted({i for ix in plan.values() for i in ix})
    job = Path(tempfile.mkdtemp(prefix="cairn-mistake-"))
    try:
        prepared = write_inputs(lab, indices, submission_seed, job / "in", cpu_caps)
        plan_ids = {str(m): [test_id(i) for i in ix] for m, ix in plan.items()}
        (job / "plan.json").write_text(json.dumps(plan_ids))
        out_dir = job / "out"
        out_dir.mkdir()
        argv = [
            sys.executable, "-B", "-m", "course_content.labkit._mistake",
            "--lab", str(lab.dir), "--plan", str(job / "plan.json"),
            "--inputs", str(prepared.dir), "--out", str(out_dir),
        ]  # fmt: skip
        env = sandbox_env(job)
        env["PYTHONPATH"] = str(REPO_ROOT)
        cpu = {t["id"]: t["cpu_s"] for t in prepared.manifest["tests"]}
        budget = IMPORT_SLACK_S + sum(cpu[tid] for ids in plan_ids.values() for tid in ids)
        spawn(argv, cwd=REPO_ROOT, env=env, limits=Limits(cpu_s=budget, wall_s=2 * budget + 10))
        return {
            int(m): read_outputs(out_dir / f"m{m}", ids, readback.Budget(), trusted=True)[1]
            for m, ids in plan_ids.items()
        }
    finally:
        shutil.rmtree(job, ignore_errors=True)
