"""Hostile submissions that replace the harness's output writer (issue 17, finding 2).

The learner's code runs in the same process as ``harness.py``, so it can rebind the
harness's ``save_npz`` (the caller's globals are one frame up) and write any file into
the output folder. These payloads are shared by the grader's tests and by the
measurement script in the test docstrings; each is the body of a notebook module.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

# Rebinds the harness's writer for ONE call: the first test of `scale` gets a ~94 KB
# compressed npz whose structure is a list of 8 million `{}` nodes; the other tests
# are graded normally.
EIGHT_MILLION_ITEMS = textwrap.dedent(
    """
    import sys
    import zipfile

    import numpy as np


    def _hijack_once(make):
        frame_globals = sys._getframe(2).f_globals
        original = frame_globals["save_npz"]

        def writer(path, value):
            frame_globals["save_npz"] = original
            make(path)
            return {"t": "none"}

        frame_globals["save_npz"] = writer


    def _many_items(path):
        text = '{"t": "list", "items": [' + "{}," * (8_000_000 - 1) + "{}]}"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            with zf.open("__structure__.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.array(text), allow_pickle=False)


    def scale(x, factor):
        _hijack_once(_many_items)
        return x * factor


    def row_means(x):
        return x.mean(axis=1)
    """
)

# Rebinds the writer for every test: each output is one member of 256 MiB minus 64 KiB
# of zeros (just under the old per-file cap), deflated to ~250 KB, copied per test.
LARGE_MEMBERS = textwrap.dedent(
    """
    import io
    import json
    import os
    import shutil
    import sys
    import zipfile

    import numpy as np

    _BUILT = "/tmp/big-output.npz"


    def _build():
        count = ((256 << 20) - (64 << 10)) // 8
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (count,)}
        )
        chunk = bytes(1 << 20)
        with zipfile.ZipFile(_BUILT, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open("value.npy", "w", force_zip64=True) as f:
                f.write(header.getvalue())
                left = count * 8
                while left:
                    f.write(chunk[: min(left, len(chunk))])
                    left -= min(left, len(chunk))
            node = {"t": "ndarray", "k": "value", "py": "ndarray", "dtype": "float64", "shape": [count]}
            with zf.open("__structure__.npy", "w") as f:
                np.lib.format.write_array(f, np.array(json.dumps(node)))


    def _writer(path, value):
        if not os.path.exists(_BUILT):
            _build()
        shutil.copy(_BUILT, path)
        return {"t": "none"}


    def scale(x, factor):
        sys._getframe(1).f_globals["save_npz"] = _writer
        return x * factor


    def row_means(x):
        return x.mean(axis=1)
    """
)

# The public test gets a bytes array of 2 x 15 million characters where numbers are
# expected: the old grader stored a 30-million-character feedback message.
HUGE_STRINGS = textwrap.dedent(
    """
    import numpy as np


    def scale(x, factor):
        if x.size <= 2:
            return np.array([b"x" * 15_000_000] * x.size)
        return x * factor


    def row_means(x):
        return x.mean(axis=1)
    """
)

# Finding 3: messages that PostgreSQL cannot store, and a number no float holds (run on
# :func:`scalar_lab`, whose ``L1`` returns one number).
NUL_MESSAGE = 'def sigmoid(x):\n    raise ValueError("\\x00")\n\ndef L1(yhat, y):\n    return 0.5\n'
SURROGATE_MESSAGE = 'def sigmoid(x):\n    raise ValueError("\\udcff")\n\ndef L1(yhat, y):\n    return 0.5\n'
HUGE_INT = "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\ndef L1(yhat, y):\n    return 10**400\n"


def _write_lab(root: Path, name: str, lab_py: str, tests_py: str) -> Path:
    """The lab folder ``root/name`` with its ``lab.py`` and ``tests.py``."""
    lab = root / name
    lab.mkdir(parents=True)
    (lab / "lab.py").write_text(lab_py)
    (lab / "tests.py").write_text(tests_py)
    return lab


def scalar_lab(root: Path) -> Path:
    """A lab whose ``L1`` returns one number and ``sigmoid`` an array (public tests)."""
    return _write_lab(
        root,
        "scalar",
        "import numpy as np\n\n\ndef sigmoid(x):\n    ### BEGIN SOLUTION\n    s = 1 / (1 + np.exp(-x))\n"
        "    ### END SOLUTION\n    return s\n\n\ndef L1(yhat, y):\n    ### BEGIN SOLUTION\n"
        "    loss = float(np.sum(np.abs(y - yhat)))\n    ### END SOLUTION\n    return loss\n",
        "import numpy as np\n\nfrom course_content.labkit import Test\n\nTESTS = [\n"
        "    Test('sigmoid of a vector', call='sigmoid', inputs={'x': np.array([0.0, 2.0])}, public=True),\n"
        "    Test('L1 of two vectors', call='L1', inputs={'yhat': np.array([0.9, 0.2]), 'y': np.array([1.0, 0.0])},"
        " public=True),\n]\n",
    )


def many_tests_lab(root: Path, n: int = 12) -> Path:
    """A lab with ``n`` tests of ``scale`` (the large-members payload writes one member
    per test, as in the finding)."""
    return _write_lab(
        root,
        "many-tests",
        "def scale(x, factor):\n    ### BEGIN SOLUTION\n    out = x * factor\n    ### END SOLUTION\n"
        "    return out\n\n\ndef row_means(x):\n    ### BEGIN SOLUTION\n    m = x.mean(axis=1)\n"
        "    ### END SOLUTION\n    return m\n",
        "import numpy as np\n\nfrom course_content.labkit import Test\n\n"
        f"TESTS = [Test(f'scale {{i}}', call='scale', inputs={{'x': np.arange(3.0) + i, 'factor': 2.0}}, "
        f"public=i == 0) for i in range({n})]\n",
    )
