"""The sandbox's isolation self-test: a probe run in a :class:`BubblewrapRunner` reports
what it could see and do (user, environment, host paths, network, writable places, memory
and processes beyond the cgroup's caps); :func:`isolation_selftest` checks the report."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

from .bubblewrap import SHM_BYTES, BubblewrapRunner, SandboxUnavailable
from .process import Limits

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
