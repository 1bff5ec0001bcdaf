"""One sandboxed process: its :class:`Limits`, rlimits, environment, spawn and wait.

:func:`spawn` is the one place a grading process starts: rlimits (or the caller's
``preexec_fn``), a new session, no stdin, a wall-clock timer, capped output, and its whole
process group killed at the end. Both runners (``runner.SubprocessRunner`` and
``bubblewrap.BubblewrapRunner``) and the trusted helpers (``execution.read_outputs``,
``mistakes.mistake_outputs``) go through it or :func:`wait_or_kill`.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Limits:
    """Resource limits of one harness process."""

    cpu_s: float  # RLIMIT_CPU (whole process)
    wall_s: float
    memory_bytes: int = 4 << 30  # RLIMIT_AS
    file_bytes: int = 256 << 20  # RLIMIT_FSIZE
    extra_procs: int = 64  # RLIMIT_NPROC = this uid's current processes + extra_procs
    output_bytes: int = 64 << 10  # stdout+stderr kept
    flood_bytes: int = 16 << 20  # stdout+stderr beyond this kills the process


@dataclass
class ProcessRun:
    """What happened to one sandbox process."""

    returncode: int | None
    wall_s: float
    output: str  # stdout+stderr, capped
    timed_out: bool = False
    flooded: bool = False

    @property
    def death(self) -> str | None:
        """Why the process ended abnormally, in words; None for a clean exit."""
        if self.timed_out:
            return "it ran past the wall-clock time limit"
        if self.flooded:
            return "it printed too much output"
        rc = self.returncode
        if rc is None or rc == 0:
            return None
        if rc < 0:
            sig = -rc
            names = {
                signal.SIGXCPU: "it ran out of CPU time",
                signal.SIGKILL: "it was killed (CPU or memory limit)",
                signal.SIGSEGV: "it crashed (segmentation fault)",
                signal.SIGXFSZ: "it wrote too much data",
                signal.SIGABRT: "it aborted",
            }
            return names.get(sig, f"it was killed by signal {signal.Signals(sig).name}")
        return f"the process exited with status {rc}"


def processes_of(uid: int) -> int:
    """How many processes ``uid`` runs now (entries of ``/proc`` it owns)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def _own_process_count() -> int:
    try:
        return processes_of(os.getuid())
    except OSError:
        return 256


def set_rlimits(limits: Limits) -> None:
    """Set the CPU, address-space, file-size and core rlimits of ``limits`` on this process
    (called in a ``preexec_fn``). ``RLIMIT_NPROC`` is set apart, after any change of user."""
    cpu = max(1, int(limits.cpu_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _rlimit_setter(limits: Limits, nproc: int) -> Callable[[], None]:
    def apply() -> None:
        set_rlimits(limits)
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return apply


def sandbox_env(home: Path) -> dict[str, str]:
    """The whole environment of a sandboxed process: nothing inherited."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONHASHSEED": "0",
    }


def spawn(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    limits: Limits,
    *,
    preexec_fn: Callable[[], None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> ProcessRun:
    """Run ``argv`` with rlimits (or ``preexec_fn``), a wall timer and capped output;
    kill its process group."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=pass_fds,
        preexec_fn=preexec_fn or _rlimit_setter(limits, _own_process_count() + limits.extra_procs),
    )
    kept = bytearray()
    total = [0]
    flooded = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(65536):
            total[0] += len(chunk)
            if len(kept) < limits.output_bytes:
                kept.extend(chunk[: limits.output_bytes - len(kept)])
            if total[0] > limits.flood_bytes:
                flooded.set()
                _kill_group(proc)
                break

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    timed_out = wait_or_kill(proc, limits.wall_s, lambda: _kill_group(proc))
    _kill_group(proc)  # leftovers: children that outlived the harness
    reader.join(timeout=5)
    if proc.stdout:
        proc.stdout.close()
    text = kept.decode("utf-8", errors="replace")
    if total[0] > len(kept):
        text += f"\n... [{total[0] - len(kept)} more bytes of output cut]"
    return ProcessRun(
        returncode=proc.returncode,
        wall_s=time.perf_counter() - start,
        output=text,
        timed_out=timed_out,
        flooded=flooded.is_set(),
    )


def wait_or_kill(proc: subprocess.Popen, timeout_s: float, kill: Callable[[], None]) -> bool:
    """Wait for ``proc``, calling ``kill`` if it outlives ``timeout_s``; whether it did.

    ``Popen.wait(timeout=...)`` polls with sleeps of up to 50 ms, which a grading pays on
    every process it starts; a blocking wait with a timer returns when the process ends."""
    fired = threading.Event()

    def on_timeout() -> None:
        fired.set()
        kill()

    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    timer.start()
    try:
        proc.wait()
    finally:
        timer.cancel()
    return fired.is_set()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
