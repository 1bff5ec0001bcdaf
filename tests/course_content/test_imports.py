"""The import graph of ``course_content`` (the lab kit included) has no cycle.

Every ``import`` counts, those inside functions too (a local import is how a loop used to
hide: ``grade`` <-> ``notebook``, ``loader`` <-> ``validate``). The labs' own folders are
left out: they are self-contained content, not part of the package's code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import course_content

ROOT = Path(course_content.__file__).resolve().parent
PACKAGE = "course_content"


def _modules() -> dict[str, Path]:
    """Module name -> file, for the package's code (labkit included, labs excluded)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if not (len(parts) == 1 or parts[0] == "labkit"):
            continue  # a course folder: its labs import the kit, the kit never imports them
        name = ".".join((PACKAGE, *parts))
        found[name.removesuffix(".__init__")] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports (``from pkg import module`` included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_graph_sees_the_kit_and_its_imports():
    graph = import_graph()
    assert "course_content.labkit.grade" in graph
    assert "course_content.labkit.sandbox.bubblewrap" in graph
    assert "course_content.labkit.execution" in graph["course_content.labkit.grade"]
    # ``from . import harness as hz`` and a function-level import both count
    assert "course_content.labkit.harness" in graph["course_content.labkit.labspec"]
    assert "course_content.labkit.labspec" in graph["course_content.validate_labs"]


def test_find_cycle_reports_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_course_content_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_former_loops_stay_one_way():
    graph = import_graph()
    grade, notebook = "course_content.labkit.grade", "course_content.labkit.notebook"
    assert notebook not in graph[grade] and grade not in graph[notebook]
    assert "course_content.validate" not in graph["course_content.loader"]
    sandbox = [name for name in graph if name.startswith("course_content.labkit.sandbox.")]
    below = {*sandbox, "course_content.labkit", "course_content.labkit.harness"}
    for name in sandbox:  # the sandbox depends on nothing of the grading above it
        assert graph[name] <= below, name
