"""Command line of the lab kit.

    python -m course_content.labkit check LAB_DIR [LAB_DIR ...]     reference passes, starter fails
    python -m course_content.labkit grade LAB_DIR --code FILE [--public-only] [--seed N] [--json]
    python -m course_content.labkit export LAB_DIR --out F.ipynb [--solution]
    python -m course_content.labkit starter LAB_DIR                 print the learner's starter

``check`` runs each lab in a fresh process (``_check-one``) and exits 1 with a readable
report when any lab has a problem. ``grade`` accepts a ``.py`` or an ``.ipynb``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _check_one(lab_dir: str, json_out: bool) -> int:
    from .check import check_lab

    report = check_lab(lab_dir)
    if json_out:
        print(json.dumps(report.to_dict()))
    else:
        _print_report(report.to_dict())
    return 0 if report.ok else 1


def _print_report(report: dict) -> None:
    status = "ok" if report["ok"] else "FAILED"
    print(
        f"{status:6} {report['lab']}  ({report['tests']} tests, reference CPU "
        f"{report['reference_cpu_s']:.2f} s, checked in {report['wall_s']:.1f} s)"
    )
    for problem in report["problems"]:
        lines = problem.splitlines() or [""]
        print(f"   - {lines[0]}")
        for line in lines[1:]:
            print(f"     {line}")
    for warning in report["warnings"]:
        print(f"   ~ warning: {warning}")


def _check_in_fresh_process(lab_dir: str) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "course_content.labkit", "_check-one", lab_dir, "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return {
            "lab": lab_dir,
            "ok": False,
            "tests": 0,
            "reference_cpu_s": 0.0,
            "wall_s": time.perf_counter() - start,
            "warnings": [],
            "problems": [
                f"the check process failed (exit {proc.returncode}):\n" + (proc.stderr or proc.stdout)[-3000:]
            ],
        }


def check_labs(lab_dirs: list[str], jobs: int | None = None) -> list[dict]:
    """Check each lab in a fresh Python process, ``jobs`` at a time (default: one per
    CPU); reports are printed as they finish and returned in the order given."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    reports: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = {pool.submit(_check_in_fresh_process, lab_dir): lab_dir for lab_dir in lab_dirs}
        for future in as_completed(futures):
            report = future.result()
            _print_report(report)
            reports[futures[future]] = report
    return [reports[lab_dir] for lab_dir in lab_dirs]


def _read_code(path: Path) -> str:
    if path.suffix == ".ipynb":
        import nbformat

        from .notebook import notebook_code

        return notebook_code(nbformat.read(path, as_version=4))
    return path.read_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_content.labkit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="prove the reference passes and the starter fails")
    p.add_argument("labs", nargs="+")
    p = sub.add_parser("_check-one")
    p.add_argument("lab")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("grade", help="grade a submission (.py or .ipynb)")
    p.add_argument("lab")
    p.add_argument("--code", required=True)
    p.add_argument("--public-only", action="store_true")
    p.add_argument("--seed", type=int, default=None, help="hidden-test seed of this submission")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("export", help="write the lab as a notebook")
    p.add_argument("lab")
    p.add_argument("--out", required=True)
    p.add_argument("--solution", action="store_true")
    p = sub.add_parser("starter", help="print the learner's starter lab.py")
    p.add_argument("lab")
    args = parser.parse_args(argv)

    if args.command == "check":
        start = time.perf_counter()
        reports = check_labs(args.labs)
        failed = [r for r in reports if not r["ok"]]
        print(f"{len(reports) - len(failed)}/{len(reports)} lab(s) ok in {time.perf_counter() - start:.1f} s")
        return 1 if failed else 0
    if args.command == "_check-one":
        return _check_one(args.lab, args.json)
    if args.command == "grade":
        from .grade import grade

        result = grade(args.lab, _read_code(Path(args.code)), seed=args.seed, public_only=args.public_only)
        print(result.to_json(indent=2) if args.json else result.summary())
        return 0
    if args.command == "export":
        import nbformat

        from .notebook import to_ipynb

        nb = to_ipynb(args.lab, solution=args.solution)
        nbformat.write(nb, args.out)
        print(f"wrote {args.out}")
        return 0
    if args.command == "starter":
        from .source import make_starter

        sys.stdout.write(make_starter((Path(args.lab) / "lab.py").read_text()))
        return 0
    return 2


def run(argv: list[str] | None = None) -> int:
    """``main`` with author errors (broken lab, bad markers) printed instead of raised."""
    from .labspec import LabError
    from .source import SolutionMarkerError

    try:
        return main(argv)
    except (LabError, SolutionMarkerError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
