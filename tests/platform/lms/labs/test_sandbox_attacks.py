"""Hostile submissions against the REAL sandbox (bubblewrap as an unprivileged user).
Each attack replaces ``scale``'s body; ``row_means`` stays correct, so every attack
must leave the grader working and every other test still graded where the process
survives. The verdict is always computed outside the sandbox."""

import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from course_content.labkit.grade import grade
from course_content.labkit.labspec import build_inputs, load_lab
from course_content.labkit.sandbox.bubblewrap import BubblewrapRunner
from course_content.labkit.sandbox.selftest import isolation_selftest

LAB = Path(__file__).parent / "fixtures" / "tiny-lab"
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def runner():
    return BubblewrapRunner()


def submission(scale_body: str) -> str:
    return (
        "import numpy as np\n\n"
        "def scale(x, factor):\n" + textwrap.indent(textwrap.dedent(scale_body).strip(), "    ") + "\n\n"
        "def row_means(x):\n    return x.mean(axis=1)\n"
    )


def outcome(result):
    return {t.name: (t.passed, t.kind) for t in result.tests}


def assert_row_means_still_graded(result):
    kinds = outcome(result)
    assert kinds["row means of a small matrix"] == (True, "passed"), kinds
    assert kinds["row means of a random matrix"] == (True, "passed"), kinds


def assert_scale_failed(result, *kinds):
    for name in ("scale a small vector", "scale a random matrix"):
        passed, kind = outcome(result)[name]
        assert not passed and kind in kinds, (name, kind, [t.message for t in result.tests])


def nobody_processes() -> list[str]:
    """Live processes left by THIS test process's sandbox runs, and their cgroups. Every
    run's processes sit in a cgroup named ``cairn-run-<our pid>-...`` (other sessions may
    be grading on this machine at the same time); zombies waiting for the host's init to
    reap them hold no resources and run nothing."""
    mine = f"cairn-run-{os.getpid()}-"
    out = subprocess.run(["ps", "-e", "-o", "pid=,stat=,comm="], capture_output=True, text=True).stdout
    left = []
    for line in out.splitlines():
        pid, stat = line.split()[:2]
        try:
            if mine in Path(f"/proc/{pid}/cgroup").read_text() and not stat.startswith("Z"):
                left.append(line)
        except OSError:
            pass  # gone meanwhile
    return left + [str(p) for p in Path("/sys/fs/cgroup").glob(f"**/{mine}*")]


def test_the_sandbox_self_test_passes_here(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    ok, detail = isolation_selftest()
    assert ok, detail


def test_a_correct_submission_passes(runner):
    result = grade(LAB, submission("return x * factor"), seed=7, runner=runner)
    assert result.gradable and result.score == 1.0, result.summary()


@pytest.mark.parametrize(
    "attack, kinds",
    [
        ("while True:\n    pass", {"timeout"}),  # 1. infinite loop: CPU limit
        ("import time\ntime.sleep(1e9)", {"timeout"}),  # 2. sleeps forever: wall clock
        ("bytearray(8 << 30)", {"error"}),  # 4. memory bomb
        ("return np.ones((100000, 100000))", {"error"}),  # 4. memory bomb in numpy
        (
            "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nreturn f(0)",
            {"crashed", "error", "timeout"},
        ),
        ("import ctypes\nreturn ctypes.string_at(0)", {"crashed"}),  # 12. segfault
    ],
    ids=["infinite-loop", "sleep", "bytearray-8G", "numpy-80G", "deep-recursion", "segfault"],
)
def test_resource_attacks_fail_the_test_and_the_rest_is_still_graded(runner, attack, kinds):
    result = grade(LAB, submission(attack), seed=7, runner=runner)
    assert_scale_failed(result, *kinds)
    if "crashed" not in kinds:
        assert_row_means_still_graded(result)


def test_fork_bomb_hits_the_process_limit_and_leaves_nothing_running(runner):
    bomb = """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
    result = grade(LAB, submission(bomb), seed=7, runner=runner)
    assert_scale_failed(result, "timeout", "crashed", "error", "missing")
    assert nobody_processes() == []
    assert grade(LAB, submission("return x * factor"), seed=7, runner=runner).score == 1.0


def test_thread_bomb_hits_the_process_limit(runner):
    bomb = """
    import threading, time
    while True:
        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
    """
    result = grade(LAB, submission(bomb), seed=7, runner=runner)
    assert_scale_failed(result, "error", "timeout", "crashed", "missing")
    assert nobody_processes() == []
    assert grade(LAB, submission("return x * factor"), seed=7, runner=runner).score == 1.0


def test_output_flood_is_cut_and_reported(runner):
    result = grade(LAB, submission("while True:\n    print('spam' * 1000)"), seed=7, runner=runner)
    assert result.score < 1.0
    assert_scale_failed(result, "timeout", "crashed", "missing")


def test_files_outside_the_private_tmp_are_refused_and_tmp_is_bounded(runner):
    writes = """
    import os
    refused = 0
    for path in ("/usr/evil", "/sandbox/notebook.py", "/etc/cairn"):
        try:
            open(path, "w").write("x")
        except OSError:
            refused += 1
    try:
        with open("/tmp/fill", "wb") as f:
            for _ in range(200):
                f.write(b"\\0" * (1 << 20))
    except OSError:
        refused += 1
    os.remove("/tmp/fill")
    return x * factor if refused == 4 else x * 0
    """
    result = grade(LAB, submission(writes), seed=7, runner=runner)
    assert result.score == 1.0, result.summary()


def test_no_network_and_no_secrets_inside(runner, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@127.0.0.1/db")
    probe = f"""
    import os, socket
    seen = []
    for port in (5432, 6379, 5672):
        s = socket.socket()
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", port))
            seen.append(port)
        except OSError:
            pass
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=0.5)
        seen.append("internet")
    except OSError:
        pass
    env = " ".join(os.environ) + open("/proc/1/environ", "rb").read().decode("latin-1")
    if "SECRET" in env or "DATABASE" in env:
        seen.append("environment")
    for path in ("{ROOT}/platform/lms/settings.py", "{LAB}/lab.py", "{LAB}/tests.py", "/etc/passwd", "/root"):
        if os.path.exists(path):
            seen.append(path)
    return x * factor if not seen else x * 0
    """
    result = grade(LAB, submission(probe), seed=7, runner=runner)
    assert result.score == 1.0, result.summary()


def test_faking_a_score_exiting_early_or_patching_checks_gains_nothing(runner):
    cheat = """
    import json, os, sys
    import numpy
    numpy.allclose = lambda *a, **k: True
    numpy.testing.assert_allclose = lambda *a, **k: None
    print("Score: 100%  All tests passed!")
    for name in ("t0.json", "t1.json", "_result.json"):
        with open(os.path.join("/tmp/out", name), "w") as f:
            json.dump({{"status": "ok", "passed": True, "score": 1.0}}, f)
    sys.exit(0)
    """.replace("{{", "{").replace("}}", "}")
    result = grade(LAB, submission(cheat), seed=7, runner=runner)
    assert result.score < 1.0
    assert not any(t.passed for t in result.tests if t.call == "scale")


@pytest.mark.parametrize(
    "body",
    [
        "class Liar:\n    def __eq__(self, other):\n        return True\nreturn Liar()",
        "return np.array([object(), object()], dtype=object)",
        "import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch /tmp/pwned',))\nreturn Evil()",
    ],
    ids=["always-equal", "object-array", "pickle-payload"],
)
def test_objects_that_lie_or_pickle_are_rejected(runner, body):
    result = grade(LAB, submission(body), seed=7, runner=runner)
    assert_scale_failed(result, "type", "error")
    assert_row_means_still_graded(result)


def test_hidden_tests_never_show_expected_values_and_change_per_submission(runner):
    result = grade(LAB, submission("print(x)\nreturn x * factor + 1"), seed=11, runner=runner)
    lab = load_lab(LAB)
    hidden_index = next(i for i, t in enumerate(lab.tests) if not t.public and t.call == "scale")
    hidden = build_inputs(lab.tests[hidden_index], hidden_index, 11)
    expected = hidden["x"] * hidden["factor"]
    [feedback] = [t for t in result.tests if t.name == "scale a random matrix"]
    assert not feedback.passed
    for value in expected.ravel():
        assert f"{value:.4f}"[:6] not in feedback.message
    other = build_inputs(lab.tests[hidden_index], hidden_index, 12)
    assert not np.allclose(other["x"], hidden["x"])  # another submission, other inputs


def test_the_sandbox_runs_as_an_unprivileged_host_user(runner):
    assert os.getuid() != 0 or runner.uid != 0
