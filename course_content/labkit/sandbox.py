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
  tmpfs ``/tmp`` and a 16 MiB ``/dev/shm`` are the only writable places (the root and
  ``/dev`` are remounted read-only), so nothing can fill the host's disk;
- its own cgroup (``cgroup.py``): real memory capped at ``memory_bytes`` (1 GiB unless
  ``CAIRN_SANDBOX_MEMORY_MB``), counting what rlimits miss (tmpfs, memfd and SysV shared
  memory pages), and ``pids.max``; everything left is killed and the cgroup removed after
  the run. No cgroup, no run (``SandboxUnavailable``), unless ``CAIRN_SANDBOX_CGROUP=off``
  says to run on rlimits alone (then memory outside them is bounded by the host only);
- rlimits (CPU, address space, file size, processes), a wall-clock timer and an output
  cap, from ``grade.Limits``.

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
from .grade import HARNESS_FILE, Limits, ProcessRun, spawn

ENTRY_FILE = Path(__file__).with_name("sandbox_entry.py")
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
        nproc = _processes_of(self.uid) + limits.extra_procs

        def apply() -> None:
            if cgroup is not None:
                cgroup.join()  # as root, before the privileges go
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

def fill(path, limit):
    written, chunk = 0, b"\0" * (1 << 20)
    try:
        with open(path, "wb", buffering=0) as f:
            while written < limit:
                written += f.write(chunk)
    except OSError:
        pass
    try:
        os.remove(path)
    except OSError:
        pass
    return written
report["shm_written"] = fill("/dev/shm/cairn-probe", 2 * SHM_BYTES)
report["dev_written"] = fill("/dev/cairn-probe", 1 << 20)
# Memory that no rlimit sees (a memfd), twice the run's cap, in a child: the cgroup's
# OOM killer must end it (the child offers itself first).
pid = os.fork()
if pid == 0:
    try:
        open("/proc/self/oom_score_adj", "w").write("1000")
        fd, chunk = os.memfd_create("cairn-probe"), b"\1" * (1 << 20)
        for _ in range(2 * MEMORY_BYTES >> 20):
            os.write(fd, chunk)
    finally:
        os._exit(0)
_, status = os.waitpid(pid, 0)
report["memfd_killed"] = os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9
# Processes beyond pids.max: they wait on a pipe, then leave.
r, w = os.pipe()
children = []
for _ in range(2 * PIDS_MAX):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    children.append(pid)
os.close(w)
for pid in children:
    os.waitpid(pid, 0)
report["forks"] = len(children)
print("CAIRN-PROBE " + json.dumps(report))
"""
PROBE_MEMORY_BYTES = 96 << 20  # small caps for the probe: the same mechanism, checked fast
PROBE_PIDS = 24

SECRET_WORDS = ("SECRET", "PASSWORD", "DATABASE", "BROKER", "TOKEN", "KEY")


def isolation_selftest(runner: BubblewrapRunner | None = None) -> tuple[bool, str]:
    """Run a probe in the sandbox and check what it could see. The grading worker runs
    this at start and refuses to grade when it fails."""
    import json

    try:
        runner = runner or BubblewrapRunner()
        probe_runner = dataclasses.replace(runner, memory_bytes=PROBE_MEMORY_BYTES, pids_max=PROBE_PIDS)
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "probe.py"
            probe.write_text(
                f"SHM_BYTES = {SHM_BYTES}\nMEMORY_BYTES = {PROBE_MEMORY_BYTES}\nPIDS_MAX = {PROBE_PIDS}\n"
                + _PROBE
            )
            run = probe_runner.run_script(probe, Limits(cpu_s=5, wall_s=20))
    except (SandboxUnavailable, KeyError) as exc:
        return False, f"sandbox unavailable: {exc}"
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
    if report["shm_written"] > SHM_BYTES or report["dev_written"]:
        problems.append(
            f"/dev/shm took {report['shm_written'] >> 20} MiB (cap {SHM_BYTES >> 20}), /dev "
            f"took {report['dev_written'] >> 20} MiB (must be read-only)"
        )
    limited = "no cgroup (CAIRN_SANDBOX_CGROUP=off): memory outside rlimits is unbounded"
    if runner.cgroup:
        limited = f"a cgroup caps memory at {runner.memory_bytes >> 20} MiB and processes"
        if run.memory_limit_bytes != PROBE_MEMORY_BYTES or run.pids_limit != PROBE_PIDS:
            problems.append(
                f"the run's cgroup limits did not hold ({run.memory_limit_bytes}, {run.pids_limit})"
            )
        if not (report["memfd_killed"] and run.oom_killed):
            problems.append("memory beyond the cgroup's cap was not stopped")
        if report["forks"] >= PROBE_PIDS:
            problems.append(f"{report['forks']} processes started under pids.max {PROBE_PIDS}")
    return (not problems), (
        "; ".join(problems) or f"isolated: no network, no host files, no secrets, uid 65534; {limited}"
    )
