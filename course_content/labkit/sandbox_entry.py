"""Entry point inside the grading sandbox (copied beside harness.py; stdlib only).

Runs the harness with its outputs on the sandbox's private tmpfs, then streams them to
the host over the inherited pipe ``--result-fd`` as ``<name>\\t<size>\\n<bytes>`` records.
If the learner's code ends the process early (``os._exit``), nothing is streamed and the
host reports the missing outputs as failures: nothing here is trusted.
"""

import os
import sys


def main() -> int:
    argv = sys.argv[1:]
    at = argv.index("--result-fd")
    fd = int(argv[at + 1])
    del argv[at : at + 2]
    os.set_inheritable(fd, False)  # processes the learner's code starts do not get it
    out = argv[argv.index("--out") + 1]
    os.makedirs(out, exist_ok=True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import harness

    status = 1
    try:
        status = harness.main(argv)
    finally:
        with os.fdopen(fd, "wb") as pipe:
            for name in sorted(os.listdir(out)):
                path = os.path.join(out, name)
                if os.path.isfile(path):
                    with open(path, "rb") as f:
                        data = f.read()
                    pipe.write(f"{name}\t{len(data)}\n".encode("ascii") + data)
    return status


if __name__ == "__main__":
    sys.exit(main())
