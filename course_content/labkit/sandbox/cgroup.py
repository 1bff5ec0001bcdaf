"""One cgroup per sandbox run: a kernel-enforced cap on its real memory and processes.

Rlimits bound each process's address space, not what a run holds outside it: pages of a
tmpfs (``/dev/shm``, ``/tmp``), a ``memfd`` or SysV shared memory outlive the process that
wrote them and are in no process's RSS. A memory cgroup charges every such page to the
run, and its OOM killer ends the run at the cap; a pids cgroup bounds processes and
threads even where ``RLIMIT_NPROC`` would count other runs of the same user.

cgroup v2 is used where the unified hierarchy offers the ``memory`` controller to this
process, otherwise the v1 ``memory`` and ``pids`` hierarchies. The run's cgroups are
children of this process's own cgroups (creating them needs root or a delegated
subtree); :meth:`RunCgroup.join` runs in the sandbox's ``preexec_fn`` before privileges
are dropped, so the sandbox user owns nothing in them and cannot raise its limits.
"""

from __future__ import annotations

import errno
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

WORKER_LEAF = "cairn-worker"  # v2: where this worker's own processes move (no internal processes)


class CgroupUnavailable(RuntimeError):
    """No cgroup with a memory and a pids limit can be created for a run here."""


def _own_paths() -> dict[str, str]:
    """``{controller: path}`` from /proc/self/cgroup; ``""`` is the v2 (unified) path."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name.removeprefix("name=")] = path
    return paths


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """``(root, mount point, fstype, super options)`` of every cgroup mount."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, (fstype, _source, options) = left.split(), right.split()[:3]
        if fstype in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4], fstype, set(options.split(","))))
    return found


def _inside(mount_root: str, mount_point: str, path: str) -> Path | None:
    """The directory of cgroup ``path`` under a mount of the hierarchy rooted at ``mount_root``."""
    if mount_root != "/" and path != mount_root and not path.startswith(mount_root + "/"):
        return None
    rel = path[len(mount_root) :] if mount_root != "/" else path
    return Path(mount_point + rel.rstrip("/")) if rel.strip("/") else Path(mount_point)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return None if text == "max" else int(text)


def _keyed(path: Path, key: str) -> int:
    """A counter from a flat-keyed file (``memory.events``, ``memory.oom_control``)."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _v2_parent(own: dict[str, str]) -> Path | None:
    """The v2 cgroup under which runs go, with memory and pids enabled for its children."""
    if "" not in own:
        return None
    for root, point, fstype, _ in _mounts():
        if fstype != "cgroup2" or (base := _inside(root, point, own[""])) is None:
            continue
        if base.name == WORKER_LEAF:  # moved there by an earlier call
            base = base.parent
        try:
            available = set((base / "cgroup.controllers").read_text().split())
        except OSError:
            continue
        if not {"memory", "pids"} <= available:
            return None
        enabled = set((base / "cgroup.subtree_control").read_text().split())
        if {"memory", "pids"} <= enabled:
            return base
        try:
            _write(base / "cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            # "No internal processes": a cgroup that hands controllers to its children
            # cannot hold processes itself. Move this worker's processes (a container's or
            # a delegated service's) into a leaf, as docker-in-docker's entrypoint does.
            leaf = base / WORKER_LEAF
            leaf.mkdir(exist_ok=True)
            for pid in (base / "cgroup.procs").read_text().split():
                try:
                    _write(leaf / "cgroup.procs", pid)
                except OSError:
                    pass  # exited meanwhile, or a kernel thread
            _write(base / "cgroup.subtree_control", "+memory +pids")
        return base
    return None


def _v1_dirs(own: dict[str, str]) -> dict[str, Path]:
    dirs: dict[str, Path] = {}
    for root, point, fstype, options in _mounts():
        for controller in ("memory", "pids"):
            if fstype == "cgroup" and controller in options and controller in own and controller not in dirs:
                if (where := _inside(root, point, own[controller])) is not None:
                    dirs[controller] = where
    return dirs


@dataclass
class RunCgroup:
    """The cgroup(s) of one sandbox run: v2 one directory, v1 a memory and a pids one."""

    version: int
    memory_dir: Path
    pids_dir: Path
    memory_bytes: int
    pids_max: int
    _procs_files: list[bytes] = field(default_factory=list)

    @classmethod
    def create(cls, *, memory_bytes: int, pids_max: int) -> RunCgroup:
        """Create the run's cgroup(s) with their limits; raises :class:`CgroupUnavailable`."""
        name = f"cairn-run-{os.getpid()}-{secrets.token_hex(4)}"
        made: list[Path] = []
        try:
            own = _own_paths()
            parent = _v2_parent(own)
            if parent is not None:
                run = cls(2, parent / name, parent / name, memory_bytes, pids_max)
            else:
                dirs = _v1_dirs(own)
                if set(dirs) != {"memory", "pids"}:
                    raise CgroupUnavailable(
                        "neither cgroup v2 with the memory and pids controllers nor the v1 "
                        f"memory and pids hierarchies are available (found {sorted(dirs) or 'none'})"
                    )
                run = cls(1, dirs["memory"] / name, dirs["pids"] / name, memory_bytes, pids_max)
            for folder in dict.fromkeys([run.memory_dir, run.pids_dir]):
                folder.mkdir()
                made.append(folder)
            run._set_limits()
        except (OSError, ValueError) as exc:
            for folder in reversed(made):
                _rmdir(folder)
            raise CgroupUnavailable(f"cannot create a cgroup for the run: {exc}") from exc
        except CgroupUnavailable:
            for folder in reversed(made):
                _rmdir(folder)
            raise
        run._procs_files = [bytes(d / "cgroup.procs") for d in dict.fromkeys([run.memory_dir, run.pids_dir])]
        return run

    def _set_limits(self) -> None:
        if self.version == 2:
            _write(self.memory_dir / "memory.max", str(self.memory_bytes))
            if (self.memory_dir / "memory.swap.max").exists():
                _write(self.memory_dir / "memory.swap.max", "0")
        else:
            _write(self.memory_dir / "memory.limit_in_bytes", str(self.memory_bytes))
            if (self.memory_dir / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                _write(self.memory_dir / "memory.memsw.limit_in_bytes", str(self.memory_bytes))
        _write(self.pids_dir / "pids.max", str(self.pids_max))
        # Read back: a limit the kernel silently rounded or refused must not pass for set.
        if self.memory_limit() is None or self.memory_limit() > self.memory_bytes:
            raise CgroupUnavailable(f"the memory limit did not hold (read back {self.memory_limit()})")
        if _read_int(self.pids_dir / "pids.max") != self.pids_max:
            raise CgroupUnavailable("the pids limit did not hold")

    def join(self) -> None:
        """Move the calling process into the run's cgroup(s): for ``preexec_fn``, as root,
        before dropping privileges ("0" is the writer itself, in v1 and v2)."""
        for path in self._procs_files:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    # ------------------------------------------------------------------ reading back

    def memory_limit(self) -> int | None:
        name = "memory.max" if self.version == 2 else "memory.limit_in_bytes"
        return _read_int(self.memory_dir / name)

    def pids_limit(self) -> int | None:
        return _read_int(self.pids_dir / "pids.max")

    def oom_kills(self) -> int:
        if self.version == 2:
            return _keyed(self.memory_dir / "memory.events", "oom_kill")
        return _keyed(self.memory_dir / "memory.oom_control", "oom_kill")

    def peak_memory(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        return _read_int(self.memory_dir / name)

    def peak_pids(self) -> int | None:
        return _read_int(self.pids_dir / "pids.peak")  # kernels >= 6.1

    def pids_refused(self) -> int:
        """How many forks the pids limit refused."""
        return _keyed(self.pids_dir / "pids.events", "max")

    # ------------------------------------------------------------------ the end

    def _pids(self) -> set[int]:
        pids: set[int] = set()
        for path in self._procs_files:
            try:
                pids.update(int(p) for p in Path(os.fsdecode(path)).read_text().split())
            except OSError:
                pass
        return pids

    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process left in the run's cgroup, until it is empty."""
        kill_file = self.memory_dir / "cgroup.kill"  # v2, kernels >= 5.14
        deadline = time.monotonic() + timeout_s
        while pids := self._pids():
            if self.version == 2 and kill_file.exists():
                try:
                    _write(kill_file, "1")
                except OSError:
                    pass
            else:
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def remove(self) -> None:
        self.kill_all()
        for folder in dict.fromkeys([self.memory_dir, self.pids_dir]):
            _rmdir(folder)


def _rmdir(folder: Path, timeout_s: float = 2.0) -> None:
    """rmdir a cgroup; EBUSY while its last processes finish exiting."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                return
            time.sleep(0.01)
