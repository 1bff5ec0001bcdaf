"""The run cgroup of the grading sandbox (labkit/cgroup.py) on this machine's real cgroupfs:
limits set and read back, a process joins it before exec, the OOM killer ends a tmpfs hoard
at the cap, and nothing is left after ``remove``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_content.labkit.sandbox.cgroup import CgroupUnavailable, RunCgroup, _inside


def test_cgroup_paths_under_a_mount_whose_root_is_not_the_hierarchys():
    # A container's cgroupns: the hierarchy's /docker/abc is mounted at /sys/fs/cgroup.
    assert _inside("/", "/sys/fs/cgroup/memory", "/process_api/x") == Path(
        "/sys/fs/cgroup/memory/process_api/x"
    )
    assert _inside("/", "/sys/fs/cgroup", "/") == Path("/sys/fs/cgroup")
    assert _inside("/docker/abc", "/sys/fs/cgroup", "/docker/abc/w") == Path("/sys/fs/cgroup/w")
    assert _inside("/docker/abc", "/sys/fs/cgroup", "/docker/abc") == Path("/sys/fs/cgroup")
    assert _inside("/docker/abc", "/sys/fs/cgroup", "/docker/abcd") is None


@pytest.fixture
def cgroup():
    if os.getuid() != 0:
        pytest.skip("creating cgroups needs root (or a delegated subtree)")
    try:
        run = RunCgroup.create(memory_bytes=64 << 20, pids_max=16)
    except CgroupUnavailable as exc:
        pytest.skip(f"no cgroup here: {exc}")
    yield run
    run.remove()


def test_limits_hold_and_a_process_joins_before_exec(cgroup):
    assert cgroup.memory_limit() == 64 << 20 and cgroup.pids_limit() == 16
    proc = subprocess.Popen(["sleep", "30"], preexec_fn=cgroup.join)
    try:
        assert cgroup.memory_dir.name in Path(f"/proc/{proc.pid}/cgroup").read_text()
        assert str(proc.pid) in (cgroup.pids_dir / "cgroup.procs").read_text().split()
    finally:
        assert cgroup.kill_all()
        proc.wait()
    assert proc.returncode == -9


def test_a_tmpfs_hoard_is_oom_killed_at_the_cap_and_remove_leaves_nothing(cgroup, tmp_path):
    hoard = (
        "import os\n"
        "fd = os.memfd_create('hoard')\n"
        "for _ in range(256):\n"
        "    os.write(fd, b'\\0' * (1 << 20))\n"
        "print('survived', flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", hoard], preexec_fn=cgroup.join, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9 and "survived" not in proc.stdout
    assert cgroup.oom_kills() >= 1
    assert cgroup.peak_memory() <= 64 << 20
    cgroup.remove()
    assert not cgroup.memory_dir.exists() and not cgroup.pids_dir.exists()
