"""The default runner: ``harness.py`` in a plain subprocess with rlimits, and
:func:`run_harness`, the one entry point every grading run goes through (a
``bubblewrap.BubblewrapRunner`` replaces the default through ``runner=``)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from course_content.labkit import harness as hz

from .process import Limits, ProcessRun, sandbox_env, spawn

HARNESS_FILE = Path(hz.__file__).resolve()


class SubprocessRunner:
    """Runs ``harness.py`` in a fresh subprocess with rlimits (no filesystem isolation yet).

    Swap in another object with the same ``run_harness`` method (e.g. a bubblewrap
    runner) through ``grade(..., runner=...)`` or :data:`DEFAULT_RUNNER`.
    """

    python: str = sys.executable

    def run_harness(
        self, code_path: Path, drivers_path: Path | None, inputs_dir: Path, out_dir: Path, limits: Limits
    ) -> ProcessRun:
        work = Path(tempfile.mkdtemp(prefix="cairn-sandbox-"))
        try:
            shutil.copy(HARNESS_FILE, work / "harness.py")
            shutil.copy(code_path, work / "notebook.py")
            argv = [
                self.python,
                "-I",
                "-B",
                str(work / "harness.py"),
                "--code",
                str(work / "notebook.py"),
                "--inputs",
                str(inputs_dir),
                "--out",
                str(out_dir),
            ]
            if drivers_path is not None:
                shutil.copy(drivers_path, work / "drivers.py")
                argv += ["--drivers", str(work / "drivers.py")]
            (work / "home").mkdir()
            return spawn(argv, cwd=work / "home", env=sandbox_env(work / "home"), limits=limits)
        finally:
            shutil.rmtree(work, ignore_errors=True)


DEFAULT_RUNNER = SubprocessRunner()


def run_harness(
    code_path: Path,
    drivers_path: Path | None,
    inputs_dir: Path,
    out_dir: Path,
    limits: Limits,
    runner: Any = None,
) -> ProcessRun:
    """Run the harness on ``code_path`` in the sandbox; the one entry point to swap."""
    return (runner or DEFAULT_RUNNER).run_harness(code_path, drivers_path, inputs_dir, out_dir, limits)
