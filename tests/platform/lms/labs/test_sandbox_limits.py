"""The sandbox's kernel-enforced limits and its result channel, against the REAL sandbox
(issue 17): memory that no rlimit sees (tmpfs, memfd, SysV shared memory) is capped by the
run's cgroup, ``/dev`` is read-only and ``/dev/shm`` small, processes are capped by
``pids.max``, and the learner's code cannot reach the pipe that carries the results."""

import json
import os
import re
import shutil
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from course_content.labkit.grade import grade
from course_content.labkit.labspec import load_lab, write_inputs
from course_content.labkit.sandbox.bubblewrap import (
    RESULT_RECORDS,
    SHM_BYTES,
    BubblewrapRunner,
    SandboxUnavailable,
    _unpack,
)
from course_content.labkit.sandbox.process import Limits
from course_content.labkit.sandbox.selftest import isolation_selftest

from .test_sandbox_attacks import LAB, assert_row_means_still_graded, nobody_processes, outcome, submission

CAP = 128 << 20  # the tests' memory cap: small, so that each attack ends fast
SLACK = 192 << 20  # other work on this machine moves the host's Shmem too
ATTACK = 1400 << 20  # what the reproduction wrote to each place


@pytest.fixture(scope="module")
def runner():
    return BubblewrapRunner(memory_bytes=CAP)


def shmem() -> int:
    text = Path("/proc/meminfo").read_text()
    return int(re.search(r"^Shmem:\s+(\d+) kB", text, re.M).group(1)) << 10


class ShmemWatch:
    """The host's peak Shmem while a block runs, sampled every 10 ms."""

    def __enter__(self):
        self.base = self.peak = shmem()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, shmem())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.after = shmem()

    @property
    def growth(self) -> int:
        return self.peak - self.base


def run_script(runner: BubblewrapRunner, tmp_path: Path, body: str, **limits) -> tuple:
    script = tmp_path / "attack.py"
    script.write_text(textwrap.dedent(body))
    with ShmemWatch() as watch:
        run = runner.run_script(script, Limits(**{"cpu_s": 10, "wall_s": 30, **limits}))
    return run, watch


def reported(run, key: str) -> int | None:
    found = re.findall(rf"^{key} (\d+)$", run.output, re.M)
    return int(found[-1]) if found else None


# --------------------------------------------------------------------------- memory

FILL_FILES = f"""
import os
written = 0
try:
    for i in range(40):
        with open(f"{{DIR}}/f{{i}}", "wb", buffering=0) as f:
            for _ in range(250):
                written += f.write(b"\\0" * (1 << 20))
                if written >= {ATTACK}:
                    raise SystemExit
except OSError as exc:
    print("refused", exc.strerror, flush=True)
print("written", written, flush=True)
"""


def test_dev_shm_is_a_small_tmpfs(runner, tmp_path):
    run, watch = run_script(runner, tmp_path, FILL_FILES.replace("{DIR}", "/dev/shm"))
    assert "refused No space left on device" in run.output, run.output
    assert reported(run, "written") <= SHM_BYTES
    assert watch.growth < SHM_BYTES + SLACK, watch.growth >> 20


def test_dev_is_read_only(runner, tmp_path):
    run, watch = run_script(runner, tmp_path, FILL_FILES.replace("{DIR}", "/dev"))
    assert "refused Read-only file system" in run.output, run.output
    assert reported(run, "written") == 0
    assert watch.growth < SLACK


MEMFD = f"""
import os
fds, written = [], 0
while written < {ATTACK}:
    fd = os.memfd_create("hoard")  # 250 MiB each: RLIMIT_FSIZE bounds one file, not many
    fds.append(fd)
    for _ in range(250):
        written += os.write(fd, b"\\0" * (1 << 20))
    print("written", written, flush=True)
"""

SYSV = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
segment = libc.shmget(0, {ATTACK}, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600; never removed
assert segment >= 0, ctypes.get_errno()
address = libc.shmat(segment, None, 0)
for offset in range(0, {ATTACK}, 1 << 20):
    ctypes.memset(address + offset, 1, 1 << 20)
    if offset % (64 << 20) == 0:
        print("written", offset, flush=True)
"""


@pytest.mark.parametrize("attack", [MEMFD, SYSV], ids=["memfd", "sysv-shm"])
def test_shared_memory_beyond_the_cap_is_killed_and_the_host_keeps_its_memory(runner, tmp_path, attack):
    run, watch = run_script(runner, tmp_path, attack)
    assert run.oom_killed and run.returncode != 0, run.output
    assert (reported(run, "written") or 0) < CAP
    assert "ran out of memory (a run may use 128 MiB)" in run.death
    assert watch.growth < CAP + SLACK, watch.growth >> 20
    assert watch.after < watch.base + SLACK  # the pages went with the sandbox
    assert nobody_processes() == []


HOARD_MEMFD = f"""
import os
fd = os.memfd_create("hoard")
for _ in range({(CAP >> 20) * 2}):
    os.write(fd, b"\\0" * (1 << 20))
return x * factor
"""

# A segment never removed: it outlives the killed process and still fills the cap while
# the streaming parent sends the results of the tests that finished (it frees it first).
HOARD_SYSV = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmat.restype = ctypes.c_void_p
address = libc.shmat(libc.shmget(0, {CAP * 2}, 0o1600), None, 0)
ctypes.memset(address, 1, {CAP * 2})
return x * factor
"""


@pytest.mark.parametrize("hoard", [HOARD_MEMFD, HOARD_SYSV], ids=["memfd", "sysv-shm"])
def test_a_learner_sees_a_memory_limit_death_and_the_other_tests_are_still_graded(runner, hoard):
    with ShmemWatch() as watch:
        result = grade(LAB, submission(hoard), seed=7, runner=runner)
    scale = [t for t in result.tests if t.call == "scale"]
    assert all(t.kind == "crashed" and "ran out of memory" in t.message for t in scale), [
        (t.kind, t.message) for t in scale
    ]
    assert_row_means_still_graded(result)
    assert watch.growth < CAP + SLACK


def test_a_fork_bomb_is_bounded_by_pids_max(tmp_path):
    bounded = BubblewrapRunner(memory_bytes=CAP, pids_max=32)
    bomb = """
    import os, time
    started = 0
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            started += 1
        except OSError:
            pass
    print("started", started, flush=True)
    """
    # RLIMIT_NPROC far above pids.max: the cgroup is what stops this bomb.
    run, _ = run_script(bounded, tmp_path, bomb, extra_procs=4096)
    assert run.pids_limit == 32 and run.peak_pids == 32
    assert reported(run, "started") < 32
    assert nobody_processes() == []


# --------------------------------------------------------------------------- result channel


def test_learner_code_cannot_reach_the_result_pipe(tmp_path):
    """Writing records to ``--result-fd`` (it is in sys.argv), opening the parent's fd via
    /proc, ptracing the parent, planting a FIFO under a result's name: nothing works, and
    the host keeps only the files this run's tests write."""
    attack = """
    import ctypes, json, os, sys
    fd = int(sys.argv[sys.argv.index("--result-fd") + 1])
    fake = json.dumps({"id": "t000", "status": "ok", "passed": True}).encode()
    records = b"".join(f"x{i:06d}.json\\t{len(fake)}\\n".encode() + fake for i in range(300_000))
    gained = []
    for path in (None, f"/proc/{os.getppid()}/fd/{fd}"):
        try:
            target = fd if path is None else os.open(path, os.O_WRONLY)
            os.fstat(target)
            if os.readlink(f"/proc/self/fd/{target}").startswith("pipe:"):
                os.write(target, records)
                gained.append(path or "fd")
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, os.getppid(), 0, 0) == 0:  # PTRACE_ATTACH
        gained.append("ptrace")
    try:  # a FIFO and a symlink under result names: the streaming parent skips both
        os.mkfifo("/tmp/out/t009.json")
        os.symlink("/proc/self/environ", "/tmp/out/t010.json")
    except FileExistsError:
        pass  # planted by the first test already
    if gained:
        raise RuntimeError(f"reached the result pipe: {gained}")
    return x * factor
    """
    lab = load_lab(LAB)
    prepared = write_inputs(lab, list(range(len(lab.tests))), 7, tmp_path / "in")
    code = tmp_path / "notebook.py"
    code.write_text(submission(attack))
    out = tmp_path / "out"
    start = time.perf_counter()
    run = BubblewrapRunner().run_harness(code, None, prepared.dir, out, Limits(cpu_s=10, wall_s=30))
    assert time.perf_counter() - start < 10
    assert run.returncode == 0 and run.results_cut is None, (run.returncode, run.results_cut, run.output)
    names = sorted(p.name for p in out.iterdir())
    expected = {f"t{i:03d}.{ext}" for i in range(len(lab.tests)) for ext in ("json", "npz")}
    assert set(names) <= expected | {"_module.json", "_done.json"} and len(names) <= 10, names
    for tid in ("t000", "t001"):  # the scale tests: ran, and the attack gained nothing
        result = json.loads((out / f"{tid}.json").read_text())
        assert result["status"] == "ok", result


def test_killing_the_streaming_parent_leaves_the_outputs_missing(runner):
    attack = """
    import os, signal
    os.kill(os.getppid(), signal.SIGKILL)
    return x * factor
    """
    result = grade(LAB, submission(attack), seed=7, runner=runner)
    assert result.score == 0.0
    assert {kind for _, kind in outcome(result).values()} == {"crashed"}


def test_the_host_stops_unpacking_at_the_record_cap(tmp_path):
    body = b'{"status": "ok"}'
    flood = b"".join(f"t{i:06d}.json\t{len(body)}\n".encode() + body for i in range(300_000))
    start = time.perf_counter()
    problem = _unpack(flood, tmp_path)
    assert time.perf_counter() - start < 10
    assert problem == f"it sent back more than {RESULT_RECORDS} result files"
    assert len(list(tmp_path.iterdir())) == RESULT_RECORDS


def test_the_host_writes_only_the_names_the_tests_produce(tmp_path):
    body = b"{}"
    frames = b"".join(f"{n}\t{len(body)}\n".encode() + body for n in ("t000.json", "t009.json", "../x"))
    problem = _unpack(frames, tmp_path, frozenset({"t000.json", "_module.json"}))
    assert problem == "it sent back result files that its tests do not write"
    assert [p.name for p in tmp_path.iterdir()] == ["t000.json"]


# --------------------------------------------------------------------------- fail closed


def _as_nobody(call) -> tuple[bool, str]:
    """``call()`` in a forked child that dropped root for the ``nobody`` user: a worker
    that may not create cgroups."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_fd, json.dumps(call()).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data))


@pytest.mark.skipif(os.getuid() != 0, reason="drops root to show a worker without cgroups")
def test_without_a_cgroup_the_self_test_fails_unless_explicitly_turned_off():
    ok, detail = _as_nobody(lambda: isolation_selftest(BubblewrapRunner()))
    assert not ok and "cannot create a cgroup" in detail, detail
    ok, detail = _as_nobody(lambda: isolation_selftest(BubblewrapRunner(cgroup=False)))
    assert ok and "no cgroup (CAIRN_SANDBOX_CGROUP=off)" in detail, detail


def test_a_run_without_its_cgroup_is_refused_not_run_unbounded():
    folder = Path(tempfile.mkdtemp(prefix="cairn-h-"))
    folder.chmod(0o755)  # readable by the dropped user
    script = folder / "noop.py"
    script.write_text("print('ran')\n")

    def attempt():
        try:
            BubblewrapRunner().run_script(script, Limits(cpu_s=5, wall_s=10))
        except SandboxUnavailable as exc:
            return False, str(exc)
        return True, "ran"

    if os.getuid() != 0:
        pytest.skip("drops root to show a worker without cgroups")
    try:
        ok, detail = _as_nobody(attempt)
    finally:
        shutil.rmtree(folder)
    assert not ok and "CAIRN_SANDBOX_CGROUP=off" in detail, detail


def test_the_self_test_checks_the_new_limits():
    ok, detail = isolation_selftest(BubblewrapRunner())
    assert ok and "a cgroup caps memory at 1024 MiB" in detail, detail
