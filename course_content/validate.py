"""Validate the whole catalog (docs/content-format.md); every error names file, line and fix.

:func:`validate_catalog` builds the catalog with ``course_content.loader`` (which reports
shape errors: missing keys, wrong types, unknown keys with a did-you-mean) and adds the
cross-file checks, collecting every error rather than stopping at the first:

- concepts: ids unique across concepts.yaml and the courses, ``requires`` known, the
  prerequisite graph acyclic (the cycle is named);
- ids: course slugs, week ids and activity ids unique across the catalog;
- activities: concepts known; videos have a >= 100-word transcript (interviews a
  synopsis), a media file under course_content/ or an https URL when one is named (none:
  the video is generated from the transcript); readings a body;
  quiz questions' concepts known; no orphan transcript or quiz files;
- labs (static, plus importing the trusted ``tests.py``): lab.py parses, solution markers
  balanced and present, every ``Test.call`` defined in lab.py or drivers.py, every
  ``Mistake.call`` defined in lab.py, unique names, a public and a hidden test,
  ``expected`` only on public tests.

:func:`validate` returns the errors only. Running the labs (reference passes, starter
fails) is ``python -m course_content check`` / ``course_content.labkit.check``.
"""

from __future__ import annotations

import ast
import sys
import traceback
from pathlib import Path
from typing import Any

from .loader import (
    CONTENT_ROOT,
    Activity,
    Catalog,
    Concept,
    ContentError,
    Course,
    Lab,
    build_catalog,
    did_you_mean,
)

MIN_TRANSCRIPT_WORDS = 100


class _Errors(list):
    def add(self, file: Path, line: int, message: str, fix: str = "") -> None:
        self.append(ContentError(Path(file), line, message, fix))


# --------------------------------------------------------------------------- concepts


def check_concepts(catalog: Catalog, all_concepts: list[Concept], errors: _Errors) -> None:
    seen: dict[str, Concept] = {}
    for c in all_concepts:
        if c.id in seen:
            first = seen[c.id]
            errors.add(
                c.file,
                c.line,
                f"concept '{c.id}' is declared twice (also at {first.file.name}:{first.line})",
                "concept ids are global: reuse the existing one or rename this one",
            )
        else:
            seen[c.id] = c
    known = set(seen)
    for c in all_concepts:
        for req in c.requires:
            if req not in known:
                errors.add(
                    c.file,
                    c.line,
                    f"concept '{c.id}' requires unknown concept '{req}'",
                    did_you_mean(req, known) or "declare it in concepts.yaml",
                )
    for cycle in find_cycles({c.id: [r for r in c.requires if r in known] for c in seen.values()}):
        first = seen[cycle[0]]
        errors.add(
            first.file,
            first.line,
            "prerequisite cycle: " + " -> ".join(cycle + [cycle[0]]),
            "remove one of these 'requires' edges",
        )


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by a depth-first search, once (rotated to its min id)."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    stack: list[str] = []
    cycles: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str) -> None:
        color[node] = grey
        stack.append(node)
        for nxt in graph.get(node, []):
            if color.get(nxt) == grey:
                cycle = stack[stack.index(nxt) :]
                k = cycle.index(min(cycle))
                rotated = cycle[k:] + cycle[:k]
                cycles.setdefault(tuple(rotated), rotated)
            elif color.get(nxt) == white:
                visit(nxt)
        stack.pop()
        color[node] = black

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if color[node] == white:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return list(cycles.values())


# --------------------------------------------------------------------------- ids


def check_unique_ids(catalog: Catalog, errors: _Errors) -> None:
    for what, items in (
        ("course slug", [(c.slug, c.file, c.line) for c in catalog.courses]),
        ("week id", [(w.id, w.file, w.line) for c in catalog.courses for w in c.weeks]),
        ("activity id", [(a.id, a.file, a.line) for a in catalog.activities()]),
    ):
        seen: dict[str, tuple[Path, int]] = {}
        for ident, file, line in items:
            if not ident:
                continue
            if ident in seen:
                f0, l0 = seen[ident]
                errors.add(
                    file,
                    line,
                    f"{what} '{ident}' is already used at {f0.parent.name}/{f0.name}:{l0}",
                    "ids are unique across the whole catalog: pick another id",
                )
            else:
                seen[ident] = (file, line)


# --------------------------------------------------------------------------- activities


def check_activity(catalog: Catalog, course: Course, act: Activity, errors: _Errors) -> None:
    known = set(catalog.concepts)
    for cid in act.concepts:
        if cid not in known:
            errors.add(
                act.file,
                act.line,
                f"activity '{act.id}' names unknown concept '{cid}'",
                did_you_mean(cid, known) or "declare it in concepts.yaml or the course's 'concepts:'",
            )
    rel = f"transcripts/{act.id}.md"
    if act.kind == "video":
        if act.interview:
            if not act.synopsis:
                errors.add(
                    act.file,
                    act.line,
                    f"interview '{act.id}' has no synopsis",
                    "add 'synopsis: ...' (a few sentences)",
                )
        elif act.transcript is None:
            errors.add(
                act.file,
                act.line,
                f"video '{act.id}' has no transcript {rel}",
                f"write the lecture as prose in {rel} (at least {MIN_TRANSCRIPT_WORDS} words)",
            )
        if act.transcript is not None and not act.interview:
            words = len(act.transcript_text.split())
            if words < MIN_TRANSCRIPT_WORDS:
                errors.add(
                    act.transcript,
                    1,
                    f"transcript of '{act.id}' has {words} words, fewer than {MIN_TRANSCRIPT_WORDS}",
                    "write the lecture's content as prose",
                )
        check_media(catalog, act, errors)
    elif act.kind == "reading":
        if act.transcript is None:
            errors.add(
                act.file, act.line, f"reading '{act.id}' has no body {rel}", f"write the reading in {rel}"
            )
        elif not act.transcript_text.strip():
            errors.add(act.transcript, 1, f"reading '{act.id}' is empty", "write its body")
    elif act.kind == "quiz" and act.quiz is not None:
        for q in act.quiz.questions:
            for cid in q.concepts:
                if cid not in known:
                    errors.add(
                        q.file,
                        q.line,
                        f"question '{q.id}' names unknown concept '{cid}'",
                        did_you_mean(cid, known) or "declare it in concepts.yaml",
                    )
    elif act.kind == "lab" and act.lab is not None:
        check_lab_static(act.lab, errors)


def check_media(catalog: Catalog, act: Activity, errors: _Errors) -> None:
    media = act.media
    if not media:
        return
    if media.startswith("https://"):
        return
    if "://" in media:
        errors.add(
            act.file,
            act.line,
            f"video '{act.id}': media URL {media!r} is not https",
            "use an https:// URL or a file under course_content/media/",
        )
        return
    path = (catalog.root / media).resolve()
    if not path.is_relative_to(catalog.root.resolve()):
        errors.add(
            act.file,
            act.line,
            f"video '{act.id}': media path {media!r} leaves course_content/",
            "use a path like media/clip.mp4",
        )
    elif not path.is_file():
        errors.add(
            act.file,
            act.line,
            f"video '{act.id}': media file {media!r} does not exist",
            "add the file under course_content/ or fix the path",
        )


def check_orphans(course: Course, errors: _Errors) -> None:
    acts = {a.id: a for a in course.activities()}
    for folder, suffix, kinds in (
        ("transcripts", ".md", ("video", "reading")),
        ("quizzes", ".yaml", ("quiz",)),
    ):
        directory = course.dir / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix != suffix or path.name.startswith("."):
                continue
            act = acts.get(path.stem)
            if act is None or act.kind not in kinds:
                errors.add(
                    path,
                    1,
                    f"{folder}/{path.name} belongs to no {'/'.join(kinds)} activity of {course.slug}",
                    did_you_mean(path.stem, set(acts)) or "rename it to an activity id or delete it",
                )


# --------------------------------------------------------------------------- labs


def _syntax_check(path: Path, errors: _Errors) -> str | None:
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


def check_lab_static(lab: Lab, errors: _Errors) -> None:
    """Everything about a lab that needs no run of its code (tests.py is imported)."""
    from .labkit import Mistake, Test
    from .labkit.grade import _import_tests
    from .labkit.notebook import SolutionMarkerError, defined_functions, solution_blocks

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
        module = _import_tests(lab.tests_file)
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
    errors: _Errors,
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
    errors: _Errors,
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


# --------------------------------------------------------------------------- entry points


def validate_catalog(root: str | Path = CONTENT_ROOT) -> tuple[Catalog, list[ContentError]]:
    """Build the catalog and check everything; returns ``(catalog, errors)``."""
    root = Path(root)
    catalog, shape_errors = build_catalog(root)
    errors = _Errors(shape_errors)
    check_concepts(catalog, catalog.declared_concepts, errors)
    check_unique_ids(catalog, errors)
    for course in catalog.courses:
        for act in course.activities():
            check_activity(catalog, course, act, errors)
        check_orphans(course, errors)
    unique = list(dict.fromkeys(errors))
    unique.sort(key=lambda e: (str(e.file), e.line))
    return catalog, unique


def validate(root: str | Path = CONTENT_ROOT) -> list[ContentError]:
    """Every error of the catalog under ``root`` (empty list: the catalog is valid)."""
    return validate_catalog(root)[1]


def errors_under(errors: list[ContentError], paths: list[Path]) -> list[ContentError]:
    """The errors whose file lies under one of ``paths``."""
    resolved = [p.resolve() for p in paths]
    return [e for e in errors if any(Path(e.file).resolve().is_relative_to(p) for p in resolved)]
