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
- labs (static, plus importing the trusted ``tests.py``; ``validate_labs``): lab.py
  parses, solution markers balanced and present, every ``Test.call`` defined in lab.py or
  drivers.py, every ``Mistake.call`` defined in lab.py, unique names, a public and a
  hidden test, ``expected`` only on public tests.

:func:`validate` returns the errors only; :func:`load_catalog` returns the catalog and
raises ``ContentInvalid`` on any error. Running the labs (reference passes, starter
fails) is ``python -m course_content check`` / ``course_content.labkit.check``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .catalog import Activity, Concept, Course, CourseCatalog
from .loader import CONTENT_ROOT, build_catalog
from .schema import ContentError, ContentInvalid, ErrorList, did_you_mean
from .validate_labs import check_lab_static

MIN_TRANSCRIPT_WORDS = 100


# --------------------------------------------------------------------------- concepts


def check_known_concepts(
    ids: list[str],
    known: set[str],
    subject: str,
    file: Path,
    line: int,
    errors: ErrorList,
    fix: str = "declare it in concepts.yaml",
) -> None:
    """An error for each id in ``ids`` that is no known concept (``subject`` says who names it)."""
    for cid in ids:
        if cid not in known:
            errors.add(file, line, f"{subject} unknown concept '{cid}'", did_you_mean(cid, known) or fix)


def check_concepts(catalog: CourseCatalog, all_concepts: list[Concept], errors: ErrorList) -> None:
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
        check_known_concepts(c.requires, known, f"concept '{c.id}' requires", c.file, c.line, errors)
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


def check_unique_ids(catalog: CourseCatalog, errors: ErrorList) -> None:
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


def check_activity(catalog: CourseCatalog, course: Course, act: Activity, errors: ErrorList) -> None:
    known = set(catalog.concepts)
    check_known_concepts(
        act.concepts,
        known,
        f"activity '{act.id}' names",
        act.file,
        act.line,
        errors,
        "declare it in concepts.yaml or the course's 'concepts:'",
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
            check_known_concepts(q.concepts, known, f"question '{q.id}' names", q.file, q.line, errors)
    elif act.kind == "lab" and act.lab is not None:
        check_lab_static(act.lab, errors)


def check_media(catalog: CourseCatalog, act: Activity, errors: ErrorList) -> None:
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


def check_orphans(course: Course, errors: ErrorList) -> None:
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


# --------------------------------------------------------------------------- entry points


def validate_catalog(root: str | Path = CONTENT_ROOT) -> tuple[CourseCatalog, list[ContentError]]:
    """Build the catalog and check everything; returns ``(catalog, errors)``."""
    root = Path(root)
    catalog, shape_errors = build_catalog(root)
    errors = ErrorList(shape_errors)
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


def load_catalog(root: str | Path = CONTENT_ROOT, *, strict: bool = True) -> CourseCatalog:
    """Load the catalog; with ``strict`` (default), raise :class:`ContentInvalid` unless
    :func:`validate` finds no error (without, only the shape errors of the build)."""
    if strict:
        catalog, errors = validate_catalog(root)
        if errors:
            raise ContentInvalid(errors)
        return catalog
    return build_catalog(root)[0]
