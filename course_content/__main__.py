"""Command line of the catalog tools.

    python -m course_content validate [PATHS...]   errors as file:line: message (fix: ...), or counts
    python -m course_content check [PATHS...]      validate, then labkit check of every lab
                                                   (each in a fresh process), then the counts

PATHS are the catalog root (default: this package's folder) or course folders under it;
with course folders, the whole catalog is read (ids are global) and only errors in those
folders are printed. Exit status 1 when there is any error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .catalog import CourseCatalog
from .loader import CONTENT_ROOT
from .schema import ContentError
from .validate import errors_under, validate_catalog


def _root_and_scope(paths: list[str]) -> tuple[Path, list[Path] | None]:
    if not paths:
        return CONTENT_ROOT, None
    resolved = [Path(p).resolve() for p in paths]
    roots = set()
    scoped = False
    for p in resolved:
        if (p / "concepts.yaml").is_file():
            roots.add(p)
        else:
            roots.add(p.parent if (p / "course.yaml").is_file() or p.is_dir() else p)
            scoped = True
    if len(roots) != 1:
        raise SystemExit("error: give course folders of one catalog, or its root")
    return roots.pop(), (resolved if scoped else None)


def summary(catalog: CourseCatalog, scope: list[Path] | None) -> str:
    if scope:
        catalog = CourseCatalog(
            catalog.root, catalog.concepts, [c for c in catalog.courses if c.dir.resolve() in scope]
        )
    n = catalog.counts()
    return (
        f"{n['courses']} course(s), {n['weeks']} week(s), {n['videos']} video(s) "
        f"({n['interviews']} interview(s)), {n['readings']} reading(s), {n['quizzes']} "
        f"quiz(zes) with {n['questions']} question(s), {n['labs']} lab(s), "
        f"{n['concepts']} concept(s)"
    )


def run_validate(paths: list[str]) -> tuple[int, CourseCatalog, list[Path] | None]:
    root, scope = _root_and_scope(paths)
    catalog, errors = validate_catalog(root)
    if scope:
        errors = errors_under(errors, scope)
    _print_errors(errors)
    return (1 if errors else 0), catalog, scope


def _print_errors(errors: list[ContentError]) -> None:
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} error(s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_content")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("validate", "check every course file"),
        ("check", "validate, then run every lab's checks"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("paths", nargs="*", help="catalog root or course folders")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    status, catalog, scope = run_validate(args.paths)
    if args.command == "check":
        from .labkit.__main__ import check_labs

        labs = [
            a.lab
            for c in catalog.courses
            for a in c.activities()
            if a.lab is not None
            and (scope is None or c.dir.resolve() in scope)
            and (a.lab.dir / "lab.py").is_file()
        ]
        reports = check_labs([str(lab.dir) for lab in labs])
        bad = [r for r in reports if not r["ok"]]
        print(f"labs: {len(reports) - len(bad)}/{len(reports)} ok")
        status = status or (1 if bad else 0)
    print(summary(catalog, scope))
    print(f"{'OK' if status == 0 else 'FAILED'} in {time.perf_counter() - start:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
