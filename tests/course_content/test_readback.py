"""Reading a sandbox run's outputs back within a budget, in a limited helper process
(``labkit.readback`` through ``execution.read_outputs``), and the one text cleaner.

Hostile files are written straight into an out folder, as learner code that replaces the
harness's writer would; the real-sandbox versions are in
tests/platform/lms/labs/test_grader_budgets.py."""

from __future__ import annotations

import io
import json
import resource
import shutil
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from course_content.labkit import Test as LabTest
from course_content.labkit import execution as ex
from course_content.labkit import grade as g
from course_content.labkit import harness as hz
from course_content.labkit import readback
from course_content.labkit.compare import compare_safely
from course_content.labkit.messages import MAX_TEXT, clean_text
from course_content.labkit.values import Val, to_val, value_to_val


class PeakRss:
    """The largest growth of this process's resident memory while the block runs: sampled
    every 5 ms, and the kernel's high-water mark when the block raised it (a long C call
    such as ``json.loads`` holds the GIL and would starve the sampler)."""

    def __enter__(self) -> PeakRss:
        self.base = self.peak = _rss()
        self._maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if maxrss > self._maxrss:
            self.peak = max(self.peak, maxrss * 1024)

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.base) / 2**20


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def ok_result(out: Path, tid: str) -> None:
    (out / f"{tid}.json").write_text(json.dumps({"id": tid, "status": "ok", "wall_s": 0.1, "cpu_s": 0.1}))


def write_npz(path: Path, members: dict[str, np.ndarray], compress: bool = True) -> None:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, arr in members.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, arr, allow_pickle=False)


def structure_npz(path: Path, structure_text: str, arrays: dict[str, np.ndarray] | None = None) -> None:
    write_npz(path, {**(arrays or {}), "__structure__": np.array(structure_text)})


# --------------------------------------------------------------------------- clean_text


def test_clean_text_replaces_nul_controls_and_surrogates_and_keeps_newlines() -> None:
    text = clean_text("a\x00b\udcffc\x1b[31m\td\ne\ud83d")
    assert text == "a\ufffdb\ufffdc\ufffd[31m\td\ne\ufffd"
    text.encode("utf-8")  # storable


def test_clean_text_bounds_the_length_with_a_visible_marker() -> None:
    text = clean_text("x" * 30_000_097)
    assert len(text) <= MAX_TEXT
    assert text.endswith("… (29,996,137 more characters)")
    assert clean_text("short", 10) == "short"
    assert clean_text(None) == "" and clean_text(12) == ""


# --------------------------------------------------------------------------- round trip


def test_a_harness_output_round_trips_through_the_reader(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    value = {
        "W": np.arange(12.0).reshape(3, 4),
        "names": np.array(["a", "bc"]),
        "cost": [1.5, float("nan"), 3],
        "big": 2**70,
        "t": (np.float32(2.5), "s", None, True),
    }
    hz.save_npz(out / "t000.npz", value)
    ok_result(out, "t000")
    budget = readback.Budget()
    module, runs = ex.read_outputs(out, ["t000", "t001"], budget)
    assert module is None and set(runs) == {"t000"}  # t001 never ran: no entry
    got = runs["t000"].python_value()
    assert np.array_equal(got["W"], value["W"]) and got["names"].tolist() == ["a", "bc"]
    assert got["cost"][0] == 1.5 and np.isnan(got["cost"][1]) and got["cost"][2] == 3
    assert got["big"] == float(2**70)  # beyond int64: compared as a float
    assert got["t"][0] == np.float32(2.5) and got["t"][1:] == ("s", None, True)
    assert readback.MAX_BYTES - budget.bytes == 96 + 16 + 4 + 3 * 128  # data + npy headers
    assert 0 < readback.MAX_ITEMS - budget.items < 30


# --------------------------------------------------------------------------- the findings


def test_eight_million_tiny_items_fail_the_test_with_an_explanation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    structure_npz(out / "t000.npz", '{"t": "list", "items": [' + "{}," * (8_000_000 - 1) + "{}]}")
    assert (out / "t000.npz").stat().st_size < 200_000  # ~94 KB on disk
    ok_result(out, "t000")
    hz.save_npz(out / "t001.npz", np.ones(3))
    ok_result(out, "t001")
    start = time.perf_counter()
    with PeakRss() as rss:
        _, runs = ex.read_outputs(out, ["t000", "t001"], readback.Budget())
    assert time.perf_counter() - start < 10  # the old grader: 77 s and 3.6 GiB
    assert rss.growth_mib < 100, rss.growth_mib
    bad = runs["t000"]
    assert (bad.status, bad.exc_type) == ("error", "OutputError")
    assert "too many items" in bad.message and "8,388,608" in bad.message
    assert np.array_equal(runs["t001"].python_value(), np.ones(3))  # the next test still read


def test_an_item_count_over_the_budget_is_refused_before_parsing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    structure_npz(out / "t000.npz", '{"t": "list", "items": [' + "{}," * (2_000_000 - 1) + "{}]}")
    ok_result(out, "t000")
    items = [{"t": "float", "v": 1.0}] * 60_000
    for tid in ("t001", "t002"):
        structure_npz(out / f"{tid}.npz", json.dumps({"t": "list", "items": items}))
        ok_result(out, tid)
    _, runs = ex.read_outputs(out, ["t000", "t001", "t002"], readback.Budget())
    assert runs["t000"].message.startswith("your output has more than 100,000 items")
    assert len(runs["t001"].python_value()) == 60_000
    assert "more than 100,000 items" in runs["t002"].message  # the budget is per run


def test_twelve_large_members_are_refused_from_the_zip_headers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    count = ((256 << 20) - (64 << 10)) // 8
    first = out / "t000.npz"
    with zipfile.ZipFile(first, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("value.npy", "w", force_zip64=True) as fh:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, {"descr": "<f8", "fortran_order": False, "shape": (count,)}
            )
            fh.write(header.getvalue())
            zeros = bytes(1 << 20)
            left = count * 8
            while left:
                fh.write(zeros[: min(left, len(zeros))])
                left -= min(left, len(zeros))
        node = {"t": "ndarray", "k": "value", "py": "ndarray"}
        with zf.open("__structure__.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array(json.dumps(node)))
    tids = [f"t{i:03d}" for i in range(12)]
    for tid in tids:
        if tid != "t000":
            shutil.copy(first, out / f"{tid}.npz")
        ok_result(out, tid)
    start = time.perf_counter()
    with PeakRss() as rss:
        _, runs = ex.read_outputs(out, tids, readback.Budget())
    assert time.perf_counter() - start < 10
    assert rss.growth_mib < 100, rss.growth_mib  # the old grader: 3.2 GiB
    for tid in tids:
        assert runs[tid].exc_type == "OutputError"
        assert "256 MiB of array data" in runs[tid].message and "at most 64 MiB" in runs[tid].message


def test_arrays_over_the_run_budget_fail_the_later_tests(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for tid in ("t000", "t001"):
        hz.save_npz(out / f"{tid}.npz", np.zeros(40 << 17))  # 40 MiB each
        ok_result(out, tid)
    budget = readback.Budget()
    _, runs = ex.read_outputs(out, ["t000", "t001"], budget)
    assert runs["t000"].status == "ok" and runs["t000"].python_value().shape == (40 << 17,)
    assert "40 MiB of array data where the grader reads at most 64 MiB" in runs["t001"].message
    assert budget.bytes == readback.MAX_BYTES - (40 << 20) - 128  # t001 refused: not charged


def test_too_many_members_lying_headers_and_pickles_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with zipfile.ZipFile(out / "t000.npz", "w") as zf:  # 10,001 members
        for i in range(10_001):
            zf.writestr(f"a{i}.npy", b"")
    with zipfile.ZipFile(out / "t001.npz", "w") as zf:  # a header claiming a terabyte
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (1 << 37,)}
        )
        zf.writestr("value.npy", header.getvalue() + bytes(64))
        zf.writestr("__structure__.npy", _npy(np.array('{"t": "ndarray", "k": "value"}')))
    with zipfile.ZipFile(out / "t002.npz", "w") as zf:  # an object array (a pickle)
        zf.writestr("value.npy", _npy(np.array([{"a": 1}], dtype=object), allow_pickle=True))
        zf.writestr("__structure__.npy", _npy(np.array('{"t": "ndarray", "k": "value"}')))
    (out / "t003.npz").write_bytes(b"not a zip")
    tids = ["t000", "t001", "t002", "t003"]
    for tid in tids:
        ok_result(out, tid)
    _, runs = ex.read_outputs(out, tids, readback.Budget())
    assert "10,001 arrays" in runs["t000"].message
    assert "does not match its header" in runs["t001"].message  # 1 TiB claimed, 64 bytes there
    assert "unsupported dtype" in runs["t002"].message
    assert "could not be read back" in runs["t003"].message
    assert all(r.exc_type == "OutputError" for r in runs.values())


def test_a_header_whose_shape_does_not_match_the_data_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with zipfile.ZipFile(out / "t000.npz", "w") as zf:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (1000,)}
        )
        zf.writestr("value.npy", header.getvalue() + bytes(64))
        zf.writestr("__structure__.npy", _npy(np.array('{"t": "ndarray", "k": "value"}')))
    ok_result(out, "t000")
    _, runs = ex.read_outputs(out, ["t000"], readback.Budget())
    assert "does not match its header" in runs["t000"].message


def test_a_reader_stopped_by_its_limits_fails_the_unread_tests(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    hz.save_npz(out / "t000.npz", np.ones(3))
    ok_result(out, "t000")
    structure_npz(out / "t001.npz", json.dumps({"t": "str", "v": "x" * 7_000_000}))  # within the caps
    ok_result(out, "t001")
    monkeypatch.setattr(ex, "READBACK_MEMORY", 64 << 20)
    budget = readback.Budget()
    _, runs = ex.read_outputs(out, ["t000", "t001"], budget)
    assert np.array_equal(runs["t000"].python_value(), np.ones(3))  # read before the stop
    assert runs["t001"].exc_type == "OutputError"
    assert "could not be read back within the grader's limits (64 MiB of memory" in runs["t001"].message
    assert budget.items == budget.bytes == 0  # nothing more is read in this grading


def test_result_texts_are_cleaned_and_bounded_by_the_reader(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "_module.json").write_text(
        json.dumps({"status": "error", "message": "\x00" * 10, "line": 10**400, "wall_s": 10**400})
    )
    (out / "t000.json").write_text(
        json.dumps({"status": "error", "exc_type": "E\udcff", "message": "m" * 100_000, "wall_s": 10**400})
    )
    module, runs = ex.read_outputs(out, ["t000"], readback.Budget())
    assert module["message"] == "\ufffd" * 10 and module["line"] is None and module["wall_s"] == 0.0
    run = runs["t000"]
    assert run.exc_type == "E\ufffd" and len(run.message) <= MAX_TEXT and run.wall_s == 0.0


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value, expected",
    [
        (10**400, 0.5),
        ([1.0, 10**400], [1.0, 2.0]),
        ({"a": -(10**400)}, {"a": 1.0}),
    ],
    ids=["int", "in-a-list", "in-a-dict"],
)
def test_numbers_no_float_holds_fail_the_test_with_an_explanation(value, expected) -> None:
    got, exp = value_to_val(value), value_to_val(expected)
    failure = compare_safely(got, exp, LabTest("t", call="f", inputs={}), {})
    assert failure is not None and "too large to compare" in failure.message


def test_a_float_node_holding_a_huge_integer_is_unsupported_not_a_crash() -> None:
    val = to_val({"t": "float", "v": 10**400}, {})
    assert val.t == "unsupported" and "too large" in val.py


def test_data_that_defeats_a_comparison_fails_the_test() -> None:
    got = Val("ndarray", "ndarray", np.array([10**400], dtype=object))
    exp = Val("ndarray", "ndarray", np.array([1.0]))
    failure = compare_safely(got, exp, LabTest("t", call="f", inputs={}), {})
    assert failure is not None and "could not be compared" in failure.message


# --------------------------------------------------------------------------- results


def test_grade_results_bound_and_clean_every_text() -> None:
    test = g.TestResult(
        "n\x00", "t000", "f", True, False, 0.0, 1.0, "error", "x\x00" * 50_000, "h\udcff", "tb\x00"
    )
    result = g.GradeResult("lab", False, "r\x00" * 10_000, 0.0, 0.0, 1.0, [test], None, False, 0.1, "e\udcff")
    data = json.loads(result.to_json())
    texts = [data["reason"], data["notebook_error"], *data["tests"][0].values()]
    for text in (t for t in texts if isinstance(t, str)):
        assert "\x00" not in text and text.encode("utf-8")
        assert len(text) <= 8_000
    assert data["tests"][0]["message"].endswith("more characters)")


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()
