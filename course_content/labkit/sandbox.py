"""The grading sandbox: bubblewrap around ``harness.py``, as a non-root user.

``BubblewrapRunner`` has the same ``run_harness`` method as ``grade.SubprocessRunner``
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
  tmpfs ``/tmp`` is the only writable place (the root is remounted read-only), so
  nothing can fill the host's disk or memory;
- rlimits (CPU, address space, file size, processes), a wall-clock timer and an output
  cap, from ``grade.Limits``.

The harness writes its outputs to ``/tmp/out`` inside; ``sandbox_entry.py`` streams them
back over an inherited pipe, framed as ``<name>\\t<size>\\n<bytes>`` records, which the host
reads with a size cap and writes to ``out_dir`` under validated names. The verdict is
still computed outside from those files.
"""

from __future__ import annotations

import os
import pwd
import re
import resource
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .grade import HARNESS_FILE, Limits, ProcessRun, spawn

ENTRY_FILE = Path(__file__).with_name("sandbox_entry.py")
DEFAULT_PYTHON = os.environ.get("CAIRN_SANDBOX_PYTHON", "/opt/cairn-sandbox/bin/python")
DEFAULT_USER = os.environ.get("CAIRN_SANDBOX_USER", "nobody")
TMPFS_BYTES = 64 << 20
RESULT_BYTES = 64 << 20
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here (bwrap or the sandbox Python is missing)."""


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


@dataclass
class BubblewrapRunner:
    python: str = DEFAULT_PYTHON
    user: str = DEFAULT_USER
    bwrap: str = "/usr/bin/bwrap"

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

    def _preexec(self, limits: Limits):
        nproc = _processes_of(self.uid) + limits.extra_procs

        def apply() -> None:
            cpu = max(1, int(limits.cpu_s + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
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

    def run(self, work: Path, inner: list[str], limits: Limits, out_dir: Path | None) -> ProcessRun:
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
        try:
            run = spawn(
                self._argv(work, [*inner, "--result-fd", str(write_fd)]),
                cwd=work,
                env={},  # bwrap's own helper process must hold no secrets either
                limits=limits,
                preexec_fn=self._preexec(limits),
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)  # the sandbox is gone: the reader now sees the end
            reader.join(timeout=10)
        if out_dir is not None and not overflow.is_set():
            _unpack(bytes(results), out_dir)
        return run

    def run_harness(
        self, code_path: Path, drivers_path: Path | None, inputs_dir: Path, out_dir: Path, limits: Limits
    ) -> ProcessRun:
        files = {"harness.py": HARNESS_FILE, "sandbox_entry.py": ENTRY_FILE, "notebook.py": code_path}
        if drivers_path is not None:
            files["drivers.py"] = drivers_path
        work = self._prepare(files, inputs_dir)
        try:
            inner = [self.python, "-I", "-B", "/sandbox/sandbox_entry.py",
                     "--code", "/sandbox/notebook.py", "--inputs", "/sandbox/inputs", "--out", "/tmp/out"]  # fmt: skip
            if drivers_path is not None:
                inner += ["--drivers", "/sandbox/drivers.py"]
            return self.run(work, inner, limits, out_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def run_script(self, script: Path, limits: Limits) -> ProcessRun:
        """Run one Python file in the sandbox (used by the isolation self-test)."""
        work = self._prepare({"script.py": script}, None)
        try:
            return self.run(work, [self.python, "-I", "-B", "/sandbox/script.py"], limits, None)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _unpack(data: bytes, out_dir: Path) -> None:
    """Write the framed records to ``out_dir``; stop at the first malformed record."""
    out_dir.mkdir(parents=True, exist_ok=True)
    position = 0
    while position < len(data):
        end = data.find(b"\n", position, position + 200)
        if end < 0:
            return
        try:
            name, size = data[position:end].decode("ascii").split("\t")
            size = int(size)
        except ValueError:
            return
        body = data[end + 1 : end + 1 + size]
        if not _NAME.match(name) or name.startswith(".") or len(body) != size:
            return
        (out_dir / name).write_bytes(body)
        position = end + 1 + size


# --------------------------------------------------------------------------- self-test

_PROBE = r"""
import json, os, socket
report = {"uid": os.getuid(), "env_keys": sorted(os.environ)}
try:
    report["proc1_environ"] = open("/proc/1/environ", "rb").read().decode("latin-1")
except OSError:
    report["proc1_environ"] = ""
report["visible"] = [p for p in ("/etc/passwd", "/root", "/home", "/var/lib/postgresql", "/work", "/srv")
                     if os.path.exists(p)]
def reach(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
report["reachable_ports"] = [p for p in (5432, 6379, 5672, 8000) if reach(p)]
try:
    socket.create_connection(("1.1.1.1", 53), timeout=0.5)
    report["internet"] = True
except OSError:
    report["internet"] = False
try:
    open("/usr/cairn-probe", "w")
    report["usr_writable"] = True
except OSError:
    report["usr_writable"] = False
print("CAIRN-PROBE " + json.dumps(report))
"""

SECRET_WORDS = ("SECRET", "PASSWORD", "DATABASE", "BROKER", "TOKEN", "KEY")


def isolation_selftest(runner: BubblewrapRunner | None = None) -> tuple[bool, str]:
    """Run a probe in the sandbox and check what it could see. The grading worker runs
    this at start and refuses to grade when it fails."""
    import json

    try:
        runner = runner or BubblewrapRunner()
    except (SandboxUnavailable, KeyError) as exc:
        return False, f"sandbox unavailable: {exc}"
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.py"
        probe.write_text(_PROBE)
        run = runner.run_script(probe, Limits(cpu_s=5, wall_s=20))
    line = next((ln for ln in run.output.splitlines() if ln.startswith("CAIRN-PROBE ")), None)
    if run.returncode != 0 or line is None:
        return False, f"probe failed to run (exit {run.returncode}): {run.output[-500:]}"
    report = json.loads(line.removeprefix("CAIRN-PROBE "))
    problems = []
    if report["uid"] == 0:
        problems.append("runs as root inside")
    leaked = [k for k in report["env_keys"] if any(w in k.upper() for w in SECRET_WORDS)]
    leaked += [w for w in SECRET_WORDS if w in report["proc1_environ"].upper()]
    if leaked:
        problems.append(f"environment leaks {sorted(set(leaked))}")
    if report["visible"]:
        problems.append(f"host paths visible: {report['visible']}")
    if report["reachable_ports"] or report["internet"]:
        problems.append(
            f"network reachable: ports {report['reachable_ports']}, internet {report['internet']}"
        )
    if report["usr_writable"]:
        problems.append("/usr is writable")
    return (not problems), (
        "; ".join(problems) or "isolated: no network, no host files, no secrets, uid 65534"
    )
