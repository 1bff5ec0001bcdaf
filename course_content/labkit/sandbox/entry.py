"""Entry point inside the grading sandbox (copied beside harness.py; stdlib only).

The result pipe ``--result-fd`` must stay out of the learner's reach, so this process
splits in two before anything else is imported:

- the child closes the pipe at once, then imports ``harness`` and runs it: the learner's
  code only ever runs in a process that does not hold the pipe;
- the parent marks itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``) BEFORE forking, so
  the same-uid child can neither open ``/proc/<parent>/fd/N`` nor ptrace it (that would
  need ``CAP_SYS_PTRACE``; the sandbox has no capabilities). It waits for the child, kills
  whatever the child left running in the sandbox's PID namespace (nothing can change
  ``/tmp/out`` while it is read), frees the SysV and ``/dev/shm`` memory they left, then
  streams ``/tmp/out`` to the host as ``<name>\\t<size>\\n<bytes>`` records: regular
  files with harness names only.

If the learner's code kills or stops the parent, nothing is streamed and the host
reports the missing outputs as failures: nothing here is trusted, the host validates
every record again.
"""

import ctypes
import os
import re
import signal
import stat
import sys

PR_SET_DUMPABLE = 4
IPC_RMID = 0
RESULT_NAME = re.compile(r"^(t\d{3,6}\.(json|npz)|_(module|drivers|done)\.json)$")


def _set_dumpable(value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _offer_to_oom_killer() -> None:
    """At the run's memory cap, the kernel kills this child (the learner's code) first:
    memory in tmpfs, memfd or SysV shm is in no process's RSS, so the parent, which has
    the results to stream, would otherwise be as likely a victim."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def _run_harness(argv: list[str]) -> int:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness

    return harness.main(argv)


def _stream(out: str, fd: int) -> None:
    with os.fdopen(fd, "wb") as pipe:
        for name in sorted(os.listdir(out)):
            if not RESULT_NAME.match(name):
                continue
            try:
                file_fd = os.open(os.path.join(out, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            with os.fdopen(file_fd, "rb") as f:
                info = os.fstat(file_fd)
                if not stat.S_ISREG(info.st_mode):
                    continue  # a FIFO or device planted under a result's name
                pipe.write(f"{name}\t{info.st_size}\n".encode("ascii"))
                left = info.st_size
                while left and (chunk := f.read(min(left, 1 << 20))):  # little memory needed
                    pipe.write(chunk)
                    left -= len(chunk)
                if left:
                    return  # shorter than it said: the host sees a malformed record and stops


def _drop_shared_memory() -> None:
    """Free what the (now dead) learner's processes left in SysV shared memory and
    ``/dev/shm``: at the run's memory cap it would leave no room to stream the results."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        with open("/proc/sysvipc/shm") as f:
            segments = [int(line.split()[1]) for line in f.read().splitlines()[1:] if line.split()]
    except (OSError, ValueError, IndexError):
        segments = []
    for segment in segments:
        libc.shmctl(segment, IPC_RMID, None)
    for name in os.listdir("/dev/shm"):
        try:
            os.unlink(os.path.join("/dev/shm", name))
        except OSError:
            pass


def main() -> int:
    argv = sys.argv[1:]
    at = argv.index("--result-fd")
    fd = int(argv[at + 1])
    del argv[at : at + 2]
    os.set_inheritable(fd, False)  # processes the learner's code starts do not get it
    out = argv[argv.index("--out") + 1]
    os.makedirs(out, exist_ok=True)
    _set_dumpable(0)  # inherited by the child, which turns it back on for itself
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            os.close(fd)
            _set_dumpable(1)
            _offer_to_oom_killer()
            status = _run_harness(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # noqa: BLE001 - report it like an uncaught exception would
            import traceback

            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:  # noqa: BLE001, S110 - a learner may have replaced it
                    pass
            os._exit(status & 0xFF)
    _, wait_status = os.waitpid(child, 0)
    try:
        os.kill(-1, signal.SIGKILL)  # all but this process and the namespace's init
    except ProcessLookupError:
        pass
    _drop_shared_memory()
    _stream(out, fd)
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status)  # as bwrap reports a signal
    return os.waitstatus_to_exitcode(wait_status)


if __name__ == "__main__":
    sys.exit(main())
