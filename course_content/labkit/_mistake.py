"""Trusted subprocess: run the reference solution with known mistakes swapped in.

    python -m course_content.labkit._mistake --lab LAB_DIR --plan PLAN.json --inputs IN --out OUT

PLAN.json maps a MISTAKES index to the test ids to run with it. For each mistake ``m``: execute ``lab.py`` afresh as a module, replace
``ns[mistake.call]`` with ``mistake.impl`` (so drivers and notebook functions calling it
pick it up), and run its tests (inputs in ``IN``) with the harness's own loop,
writing ``OUT/m<m>/<id>.json`` and ``.npz``. Started by ``mistakes.mistake_outputs``; never
given learner code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import harness as hz
from .labspec import load_lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", required=True)
    parser.add_argument("--plan", required=True, help="JSON file: mistake index -> test ids")
    parser.add_argument("--inputs", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    lab = load_lab(args.lab)
    in_dir, out_root = Path(args.inputs), Path(args.out)
    manifest = json.loads((in_dir / "manifest.json").read_text())
    lab_file = str(lab.dir / "lab.py")
    plan = json.loads(Path(args.plan).read_text())
    for key, test_ids in plan.items():
        m = int(key)
        mistake = lab.mistakes[m]
        out_dir = out_root / f"m{m}"
        out_dir.mkdir(parents=True, exist_ok=True)
        ns, status = hz.load_module(lab.source, lab_file, "lab.py", name=f"cairn_mistake_{m}")
        if ns is None or status["status"] != "ok":
            print(f"reference failed to load: {status}", file=sys.stderr)
            return 2
        ns[mistake.call] = mistake.impl
        drivers = None
        if lab.drivers_source is not None:
            drivers, _ = hz.load_module(
                lab.drivers_source,
                str(lab.dir / "drivers.py"),
                "drivers.py",
                name=f"cairn_mistake_drivers_{m}",
            )
        hz.run_tests(ns, drivers, {**manifest, "only": test_ids}, in_dir, out_dir, lab_file, "lab.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
