"""The grading sandbox: bubblewrap around ``harness.py``, as a non-root user.

``BubblewrapRunner`` has the same ``run_harness`` method as ``runner.SubprocessRunner``
and adds the isolation the grader needs for hostile code (see
shared/reference/grading.md for the facts this rests on):

- bwrap with every namespace unshared (no network but an empty loopback, own PID tree),
  ``--cap-drop ALL``, a new session, dies with its parent, uid 65534 inside;
- started as an unprivileged host user (``nobody`` unless ``CAIRN_SANDBOX_USER``), so
  ``RLIMIT_NPROC`` applies (the kernel exempts root from it) and the host's files are
  checked against that user's permissions;
- an EMPTY environment for bwrap itself (``--clearenv`` does not clean bwrap's own helper
  process, whose ``/proc/1/environ`` the sandbox can read);
- a read-only view of ``/usr``, the sandbox Python (``CAIRN_SANDBOX_PYTHON``, outside
  ``/root``) and the run's own folder (harness, learner code, inputs); a size-limited
  tmpfs ``/tmp`` and a 16 MiB ``/dev/shm`` are the only writable places (the root and
  ``/dev`` are remounted read-only), so nothing can fill the host's disk;
- its own cgroup (``cgroup.py``): real memory capped at ``memory_bytes`` (1 GiB unless
  ``CAIRN_SANDBOX_MEMORY_MB``), counting what rlimits miss (tmpfs, memfd and SysV shared
  memory pages), and ``pids.max``; everything left is killed and the cgroup removed after
  the run. No cgroup, no run (``SandboxUnavailable``), unless ``CAIRN_SANDBOX_CGROUP=off``
  says to run on rlimits alone (then memory outside them is bounded by the host only);
- rlimits (CPU, address space, file size, processes), a wall-clock timer and an output
  cap, from ``process.Limits``.

The harness writes its outputs to ``/tmp/out`` inside; ``sandbox_entry.py`` runs it in a
child process that does not hold the result pipe, and its parent streams the outputs back
over the pipe, framed as ``<name>\\t<size>\\n<bytes>`` records, which the host reads with a
size and a record cap and writes to ``out_dir`` under the names the run's tests produce.
The verdict is still computed outside from those files.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pwd
import re
import resource
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .cgroup import CgroupUnavailable, RunCgroup
from .process import Limits, ProcessRun, processes_of, set_rlimits, spawn
from .runner import HARNESS_FILE

ENTRY_FILE = Path(__file__).with_name("entry.py")  # copied into the run as sandbox_entry.py
DEFAULT_PYTHON = os.environ.get("CAIRN_SANDBOX_PYTHON", "/opt/cairn-sandbox/bin/python")
DEFAULT_USER = os.environ.get("CAIRN_SANDBOX_USER", "nobody")
DEFAULT_MEMORY_BYTES = int(os.environ.get("CAIRN_SANDBOX_MEMORY_MB", "1024")) << 20
DEFAULT_CGROUP = os.environ.get("CAIRN_SANDBOX_CGROUP", "required") != "off"
TMPFS_BYTES = 64 << 20
SHM_BYTES = 16 << 20
PIDS_SLACK = 8  # bwrap, its init and sandbox_entry's parent, on top of Limits.extra_procs
RESULT_BYTES = 64 << 20
RESULT_RECORDS = 1024
# The only names the harness writes (harness.py): <test id>.json/.npz, _module/_drivers/_done.json.
RESULT_NAME = re.compile(r"^(t\d{3,6}\.(json|npz)|_(module|drivers|done)\.json)$")
HARNESS_NAMES = frozenset({"_module.json", "_drivers.json", "_done.json"})


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here (bwrap, the sandbox Python or a cgroup is missing)."""


@dataclass
class SandboxRun(ProcessRun):
    """A :class:`ProcessRun` with what the run's cgroup and result channel saw."""

    memory_limit_bytes: int | None = None  # read back from the cgroup; None: no cgroup
    pids_limit: int | None = None
    oom_killed: bool = False
    peak_memory_bytes: int | None = None
    peak_pids: int | None = None
    results_cut: str | None = None  # why the host stopped reading the results, if it did

    @property
    def death(self) -> str | None:
        if self.oom_killed and not (self.timed_out or self.flooded):
            return f"it ran out of memory (a run may use {(self.memory_limit_bytes or 0) >> 20} MiB)"
        rc = self.returncode
        if rc is not None and 128 < rc < 128 + signal.NSIG:  # bwrap reports a signal as 128+N
            return ProcessRun.death.fget(dataclasses.replace(self, returncode=128 - rc))
        return ProcessRun.death.fget(self) or self.results_cut


@dataclass
class BubblewrapRunner:
    python: str = DEFAULT_PYTHON
    user: str = DEFAULT_USER
    bwrap: str = "/usr/bin/bwrap"
    memory_bytes: int = DEFAULT_MEMORY_BYTES  # the run's cgroup: real memory, tmpfs and shm pages
    pids_max: int | None = None  # the run's cgroup; None: Limits.extra_procs + PIDS_SLACK
    cgroup: bool = DEFAULT_CGROUP  # False only by an explicit CAIRN_SANDBOX_CGROUP=off

    def __post_init__(self) -> None:
        if not Path(self.bwrap).is_file():
            raise SandboxUnavailable(f"{self.bwrap} not found: install Debian's bubblewrap")
        if not Path(self.python).is_file():
            raise SandboxUnavailable(f"sandbox Python {self.python} not found: run `make sandbox`")
        self.prefix = str(Path(self.python).parent.parent)  # the sandbox venv
        account = pwd.getpwnam(self.user)
        self.uid, self.gid = account.pw_uid, account.pw_gid

    # ------------------------------------------------------------------ the command line

    def _argv(self, work: Path, inner: list[str]) -> list[str]:
        argv = [
            self.bwrap,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--cap-drop", "ALL",
            "--uid", "65534",
            "--gid", "65534",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib",
            "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin",
            "--ro-bind", self.prefix, self.prefix,
            "--ro-bind", str(work), "/sandbox",
            "--proc", "/proc",
            "--dev", "/dev",
            # bwrap's /dev is an unsized tmpfs the sandbox user owns: freeze it, and give
            # /dev/shm a small tmpfs of its own (its pages count in the run's cgroup too).
            "--remount-ro", "/dev",
            "--size", str(SHM_BYTES), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--size", str(TMPFS_BYTES), "--perms", "1777", "--tmpfs", "/tmp",
            "--chdir", "/tmp",
        ]  # fmt: skip
        for path in ("/etc/alternatives", "/etc/ld.so.cache"):
            if os.path.exists(path):
                argv += ["--ro-bind", path, path]
        # bwrap's root is a tmpfs the sandbox user could otherwise fill: freeze it.
        argv += ["--remount-ro", "/"]
        for key, value in self.env().items():
            argv += ["--setenv", key, value]
        return argv + inner

    @staticmethod
    def env() -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONHASHSEED": "0",
        }

    def _preexec(self, limits: Limits, cgroup: RunCgroup | None):
        nproc = processes_of(self.uid) + limits.extra_procs

        def apply() -> None:
            if cgroup is not None:
                cgroup.join()  # as root, before the privileges go
            set_rlimits(limits)
            if os.getuid() == 0:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

        return apply

    # ------------------------------------------------------------------ running

    def _prepare(self, files: dict[str, Path], inputs_dir: Path | None) -> Path:
        work = Path(tempfile.mkdtemp(prefix="cairn-bwrap-"))
        for name, source in files.items():
            shutil.copy(source, work / name)
        if inputs_dir is not None:
            shutil.copytree(inputs_dir, work / "inputs")
        # Readable by the sandbox user's group only (root:nogroup, 0750 / 0640).
        for path in [work, *work.rglob("*")]:
            if os.getuid() == 0:
                os.chown(path, 0, self.gid)
            path.chmod(0o750 if path.is_dir() else 0o640)
        return work

    def _cgroup(self, limits: Limits) -> RunCgroup | None:
        if not self.cgroup:
            return None
        try:
            return RunCgroup.create(
                memory_bytes=self.memory_bytes, pids_max=self.pids_max or limits.extra_procs + PIDS_SLACK
            )
        except CgroupUnavailable as exc:
            raise SandboxUnavailable(
                f"{exc}. Grading needs root or a delegated cgroup; CAIRN_SANDBOX_CGROUP=off runs on "
                "rlimits alone (memory in tmpfs and shared memory is then bounded by the host only)"
            ) from exc

    def run(
        self,
        work: Path,
        inner: list[str],
        limits: Limits,
        out_dir: Path | None,
        names: frozenset[str] | None = None,
    ) -> SandboxRun:
        """Run ``inner`` in the sandbox; with ``out_dir``, unpack the streamed results there
        (only ``names``, when given)."""
        cgroup = self._cgroup(limits)
        read_fd, write_fd = os.pipe()
        results = bytearray()
        overflow = threading.Event()

        def drain_results() -> None:
            with os.fdopen(read_fd, "rb") as pipe:
                while chunk := pipe.read(65536):
                    if len(results) + len(chunk) > RESULT_BYTES:
                        overflow.set()  # keep draining so the writer never blocks; drop the rest
                        continue
                    results.extend(chunk)

        reader = threading.Thread(target=drain_results, daemon=True)
        reader.start()
        seen: dict = {}
        try:
            run = spawn(
                self._argv(work, [*inner, "--result-fd", str(write_fd)]),
                cwd=work,
                env={},  # bwrap's own helper process must hold no secrets either
                limits=limits,
                preexec_fn=self._preexec(limits, cgroup),
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
            if cgroup is not None:
                try:
                    cgroup.kill_all()  # whatever outlived bwrap; then the reader sees the end
                    seen = {
                        "memory_limit_bytes": cgroup.memory_limit(),
                        "pids_limit": cgroup.pids_limit(),
                        "oom_killed": cgroup.oom_kills() > 0,
                        "peak_memory_bytes": cgroup.peak_memory(),
                        "peak_pids": cgroup.peak_pids(),
                    }
                finally:
                    cgroup.remove()
            reader.join(timeout=10)
        if overflow.is_set():
            seen["results_cut"] = f"its results were larger than {RESULT_BYTES >> 20} MiB"
        elif out_dir is not None:
            seen["results_cut"] = _unpack(bytes(results), out_dir, names)
        return SandboxRun(**{f.name: getattr(run, f.name) for f in dataclasses.fields(run)}, **seen)

    def run_harness(
        self, code_path: Path, drivers_path: Path | None, inputs_dir: Path, out_dir: Path, limits: Limits
    ) -> SandboxRun:
        files = {"harness.py": HARNESS_FILE, "sandbox_entry.py": ENTRY_FILE, "notebook.py": code_path}
        if drivers_path is not None:
            files["drivers.py"] = drivers_path
        work = self._prepare(files, inputs_dir)
        try:
            inner = [self.python, "-I", "-B", "/sandbox/sandbox_entry.py",
                     "--code", "/sandbox/notebook.py", "--inputs", "/sandbox/inputs", "--out", "/tmp/out"]  # fmt: skip
            if drivers_path is not None:
                inner += ["--drivers", "/sandbox/drivers.py"]
            return self.run(work, inner, limits, out_dir, _result_names(inputs_dir))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def run_script(self, script: Path, limits: Limits) -> SandboxRun:
        """Run one Python file in the sandbox (used by the isolation self-test)."""
        work = self._prepare({"script.py": script}, None)
        try:
            return self.run(work, [self.python, "-I", "-B", "/sandbox/script.py"], limits, None)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _result_names(inputs_dir: Path) -> frozenset[str]:
    """The files the harness can write for this run's tests (the manifest is ours)."""
    manifest = json.loads((inputs_dir / "manifest.json").read_text())
    ids = manifest.get("only") or [test["id"] for test in manifest["tests"]]
    return HARNESS_NAMES | {f"{tid}.{ext}" for tid in ids for ext in ("json", "npz")}


def _unpack(data: bytes, out_dir: Path, names: frozenset[str] | None = None) -> str | None:
    """Write the framed records to ``out_dir``. Stop at the first malformed, unexpected or
    repeated record, or after ``RESULT_RECORDS``, and say why (None: all were fine)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    position, written = 0, set()
    while position < len(data):
        if len(written) >= RESULT_RECORDS:
            return f"it sent back more than {RESULT_RECORDS} result files"
        end = data.find(b"\n", position, position + 200)
        try:
            name, size = data[position:end].decode("ascii").split("\t") if end >= 0 else ("", "")
            size = int(size)
        except (UnicodeDecodeError, ValueError):
            return "its results were malformed"
        body = data[end + 1 : end + 1 + size]
        if size < 0 or len(body) != size:
            return "its results were malformed"
        if not RESULT_NAME.match(name) or (names is not None and name not in names) or name in written:
            return "it sent back result files that its tests do not write"
        (out_dir / name).write_bytes(body)
        written.add(name)
        position = end + 1 + size
    return None
