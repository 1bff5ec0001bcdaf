"""Reading a sandbox run's outputs back: trusted code, hostile data, its own small process.

The learner's code shares a process with ``harness.py``, so it can replace the harness's
writer and put any file in the output folder: a 94 KB npz whose structure unfolds into
8 million nodes (3.6 GiB and 77 s in the worker), or members of 256 MiB of zeros that
compress to nothing. So the worker never parses those files itself. ``grade`` starts
this module as a fresh interpreter (``python -I -S``, standard library only, no numpy:
it starts in tens of milliseconds) under an address-space, CPU and wall-clock limit::

    python -I -S -B -c BOOT REPO --out OUT --dest DEST --tests t000,t001
        --items N --bytes N --members N --chars N

For each test id it reads ``OUT/<id>.json`` (at most 1 MiB) and, for a test that
returned, ``OUT/<id>.npz``, charging a per-run :class:`Budget` BEFORE reading anything
big: zip members are counted from the end-of-central-directory record, array and
structure bytes from the zip headers (``zipfile`` never inflates past the size a header
declares) and the npy headers (shape x itemsize must equal the member's size), structure
nodes from a cheap count of ``{ [ ,`` before ``json.loads`` and exactly while walking.
Over a cap, that test fails with a sentence saying which cap and by how much.

What it writes to ``DEST`` is small and already validated: ``<id>.json`` (status, capped
texts, a normalized structure whose array keys name files in DEST), one ``.npy`` per
array with a header this module wrote (copied in 1 MiB chunks, never held whole), the
cleaned ``_module.json`` and ``_done.json`` with what the run used. The worker loads
only those, after checking their sizes (``execution.read_outputs``).
"""

from __future__ import annotations

import json
import math
import re
import resource
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

if __package__:
    from .messages import MAX_TEXT, MAX_TRACEBACK, clean_text
else:  # run as a script (execution.read_outputs, ``python -I``): no package import, a faster start
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from messages import MAX_TEXT, MAX_TRACEBACK, clean_text  # type: ignore[no-redef]

# Per run (one grading of one piece of code, all its sandbox processes together).
MAX_ITEMS = 100_000  # structure nodes: numbers, strings, lists, dict entries, arrays
MAX_BYTES = 64 << 20  # uncompressed array bytes (the sandbox's result pipe holds 64 MiB)
MAX_MEMBERS = 10_000  # zip members (arrays)
MAX_CHARS = 8 << 20  # characters of structure JSON
MAX_RESULT_JSON = 1 << 20  # one test's result file
MAX_DEPTH = 64  # as harness.MAX_DEPTH
MAX_NPY_HEADER = 10_000
VALID_STATUSES = {"running", "ok", "error", "not_implemented", "timeout", "missing"}
STRUCTURE_MEMBER = "__structure__.npy"
FLOAT_WORDS = {"nan", "inf", "-inf"}
CHUNK = 1 << 20

# An npy header as numpy writes it (a dict repr, padded with spaces, ending in a newline).
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^']{1,40})', 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:[0-9]{1,15}(?:, [0-9]{1,15})*,?)?)\), \} *\n\Z"
)
# Allowed numpy dtypes, as npy descr strings: bool, ints, floats, complex, str, bytes.
_DESCR = re.compile(r"^[<>|=]?(b1|[iu][1248]|f(2|4|8|12|16)|c(8|16|24|32)|[US]\d{1,10})$")


class OverLimit(Exception):
    """The outputs need more than the run's budget allows; the message is for the learner."""


class Malformed(Exception):
    """A file that the harness would not have written."""


class Budget:
    """What is left to read in this run; :meth:`charge` raises :class:`OverLimit`."""

    CAPS = ("items", "bytes", "members", "chars")

    def __init__(
        self,
        items: int = MAX_ITEMS,
        bytes: int = MAX_BYTES,
        members: int = MAX_MEMBERS,
        chars: int = MAX_CHARS,
    ) -> None:
        self.items, self.bytes, self.members, self.chars = items, bytes, members, chars

    def __repr__(self) -> str:
        return f"Budget({self.as_dict()})"

    def as_dict(self) -> dict[str, int]:
        return {cap: getattr(self, cap) for cap in self.CAPS}

    def charge(self, *, items: int = 0, bytes: int = 0, members: int = 0, chars: int = 0) -> None:
        if items > self.items:
            raise OverLimit(
                f"your output has more than {MAX_ITEMS:,} items (numbers, strings, list and dict "
                "entries) in all: the grader reads at most that many per run; return a numpy "
                "array rather than a long Python list"
            )
        if bytes > self.bytes:
            raise OverLimit(
                f"your output holds {bytes / 2**20:,.0f} MiB of array data where the grader reads "
                f"at most {MAX_BYTES >> 20} MiB per run (all tests together)"
            )
        if members > self.members:
            raise OverLimit(
                f"your output holds {members:,} arrays where the grader reads at most {MAX_MEMBERS:,} per run"
            )
        if chars > self.chars:
            raise OverLimit(
                f"your output has too many items or too long strings to grade: its description "
                f"is {chars:,} characters long where the grader reads at most {MAX_CHARS:,} per run "
                f"(about {MAX_ITEMS:,} items); return a numpy array rather than a long Python list"
            )
        self.items -= items
        self.bytes -= bytes
        self.members -= members
        self.chars -= chars

    def restore(self, snapshot: dict[str, int]) -> None:
        """Back to ``snapshot`` (an :meth:`as_dict` of this budget)."""
        for cap, value in snapshot.items():
            setattr(self, cap, value)


# --------------------------------------------------------------------------- zip + npy


def zip_entry_count(path: Path) -> int:
    """Members declared by the end-of-central-directory record, read before ``zipfile``
    builds one object per member. A zip64 directory (more than 65,535 members; numpy never
    needs one for small outputs) counts as too many."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        tail_len = min(size, 22 + 65_535)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise Malformed("not a zip file")
    _, _, _, _, total, _, cd_offset, _ = struct.unpack("<4s4H2LH", tail[at : at + 22])
    if total == 0xFFFF or cd_offset == 0xFFFFFFFF:
        return 1 << 30
    return total


def read_npy_header(fh: Any) -> tuple[str, bool, tuple[int, ...], int]:
    """``(descr, fortran_order, shape, header_bytes)`` of an .npy stream, validated."""
    magic = fh.read(8)
    if len(magic) != 8 or magic[:6] != b"\x93NUMPY" or magic[6] not in (1, 2, 3):
        raise Malformed("not an npy array")
    size_fmt = "<H" if magic[6] == 1 else "<I"
    raw = fh.read(struct.calcsize(size_fmt))
    if len(raw) != struct.calcsize(size_fmt):
        raise Malformed("truncated npy header")
    (length,) = struct.unpack(size_fmt, raw)
    if length > MAX_NPY_HEADER:
        raise Malformed("npy header too long")
    match = _HEADER.match(fh.read(length).decode("latin-1"))
    if match is None:  # numpy writes exactly this form; anything else was not the harness
        raise Malformed("unreadable npy header")
    descr, fortran = match["descr"], match["fortran"] == "True"
    if not _DESCR.match(descr):
        raise Malformed(f"array of an unsupported dtype {descr!r}")
    shape = tuple(int(d) for d in match["shape"].split(",") if d.strip())
    if len(shape) > 64 or any(d >= 1 << 48 for d in shape):
        raise Malformed("npy header with a bad shape")
    return descr, fortran, shape, 8 + len(raw) + length


def itemsize(descr: str) -> int:
    kind, digits = descr.lstrip("<>|=")[0], int(descr.lstrip("<>|=")[1:])
    return digits * 4 if kind == "U" else digits


def npy_header(descr: str, fortran: bool, shape: tuple[int, ...]) -> bytes:
    """A version 1.0 header, padded to 64 bytes as numpy writes it."""
    text = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode("latin-1")
    pad = 64 - (10 + len(text) + 1) % 64
    body = text + b" " * (pad % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body


class NpzReader:
    """One output ``.npz``: members counted and sized from the headers, then read on demand."""

    def __init__(self, path: Path, budget: Budget) -> None:
        count = zip_entry_count(path)
        budget.charge(members=count)
        self.zf = zipfile.ZipFile(path)
        infos = self.zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise Malformed("duplicate members")
        arrays = sum(i.file_size for i in infos if i.filename != STRUCTURE_MEMBER)
        budget.charge(bytes=arrays)
        self.infos = {i.filename: i for i in infos}

    def close(self) -> None:
        self.zf.close()

    def structure_text(self, budget: Budget) -> str:
        info = self.infos.get(STRUCTURE_MEMBER)
        if info is None:
            raise Malformed("no structure")
        with self.zf.open(info) as fh:
            descr, _, shape, header = read_npy_header(fh)
            if shape != () or descr.lstrip("<>|=")[0] != "U" or descr[0] == ">":
                raise Malformed("structure is not a unicode scalar")
            nbytes = itemsize(descr)
            if info.file_size != header + nbytes:
                raise Malformed("structure size does not match its header")
            budget.charge(chars=nbytes // 4)
            data = fh.read(nbytes)
        if len(data) != nbytes:
            raise Malformed("truncated structure")
        return data.decode("utf-32-le", errors="replace").rstrip("\x00")

    def copy_array(self, key: str, out: BinaryIO) -> int:
        """Append member ``key`` to ``out`` as a fresh .npy (a header written here, the data
        copied in chunks); returns its offset."""
        info = self.infos.get(f"{key}.npy")
        if info is None:
            raise Malformed(f"array {key[:40]!r} is missing")
        offset = out.tell()
        with self.zf.open(info) as fh:
            descr, fortran, shape, header = read_npy_header(fh)
            nbytes = math.prod(shape) * itemsize(descr)
            if info.file_size != header + nbytes:
                raise Malformed("array size does not match its header")
            out.write(npy_header(descr, fortran, shape))
            left = nbytes
            while left:
                chunk = fh.read(min(left, CHUNK))
                if not chunk:
                    raise Malformed("truncated array")
                out.write(chunk)
                left -= len(chunk)
        return offset


# --------------------------------------------------------------------------- structure


def parse_structure(text: str, budget: Budget) -> Any:
    """``json.loads`` only after bounding how many containers and values it can create."""
    upper = text.count("{") + text.count("[") + text.count(",")
    if upper > 8 * budget.items + 16:
        budget.charge(items=upper // 8)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Malformed("unreadable structure") from exc


def normalize(node: Any, npz: NpzReader, out: BinaryIO, budget: Budget, copied: dict[str, int]) -> dict:
    """A validated copy of one structure node; an array's key becomes its offset in ``out``
    (``copied`` maps the harness's keys to offsets, so a shared array is copied once)."""
    return _walk(node, npz, out, budget, copied, 0)


def _walk(
    node: Any, npz: NpzReader, out: BinaryIO, budget: Budget, copied: dict[str, int], depth: int
) -> dict:
    budget.charge(items=1)
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return {"t": "malformed"}
    t = node.get("t")
    v = node.get("v")
    if t == "none":
        return {"t": "none"}
    if t == "bool" and type(v) is bool:
        return {"t": "bool", "v": v}
    if t == "int" and type(v) is int:
        return {"t": "int", "v": v}
    if t == "float" and (type(v) in (int, float) or (isinstance(v, str) and v in FLOAT_WORDS)):
        return {"t": "float", "v": v}
    if t == "str" and isinstance(v, str):
        return {"t": "str", "v": v}
    if t in ("ndarray", "npscalar", "tensor") and isinstance(node.get("k"), str):
        key = node["k"]
        if key not in copied:
            copied[key] = npz.copy_array(key, out)
        py = node.get("py") if isinstance(node.get("py"), str) else ""
        return {"t": t, "k": f"@{copied[key]}", "py": py[:100]}
    if t in ("list", "tuple") and isinstance(node.get("items"), list):
        return {"t": t, "items": [_walk(n, npz, out, budget, copied, depth + 1) for n in node["items"]]}
    if t == "dict" and isinstance(node.get("items"), list):
        items = []
        for pair in node["items"]:
            if not (isinstance(pair, list) and len(pair) == 2 and type(pair[0]) in (str, int)):
                return {"t": "malformed"}
            items.append([pair[0], _walk(pair[1], npz, out, budget, copied, depth + 1)])
        return {"t": "dict", "items": items}
    if t == "unsupported":
        py = node.get("py") if isinstance(node.get("py"), str) else "object"
        return {"t": "unsupported", "py": py[:100]}
    return {"t": "malformed"}


# --------------------------------------------------------------------------- results


def _load_json(path: Path) -> dict | None:
    """A small JSON object written in the sandbox; None when absent."""
    try:
        if path.stat().st_size > MAX_RESULT_JSON:
            raise Malformed(f"{path.name} is larger than {MAX_RESULT_JSON >> 20} MiB")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"{path.name} is not readable JSON") from exc
    if not isinstance(data, dict):
        raise Malformed(f"{path.name} is not a JSON object")
    return data


def _number(value: Any) -> float:
    try:
        number = float(value) if type(value) in (int, float) else 0.0
    except OverflowError:
        return 0.0
    return number if math.isfinite(number) else 0.0


def _text(data: dict, key: str, limit: int) -> str:
    return clean_text(data.get(key), limit)


def read_test(out_dir: Path, tid: str, arrays: BinaryIO, budget: Budget) -> dict | None:
    """The validated record of one test, or None when the harness never wrote one. Its
    arrays are appended to ``arrays``; ``record["arrays"]`` lists their offsets."""
    try:
        data = _load_json(out_dir / f"{tid}.json")
    except Malformed as exc:
        return _output_error(tid, f"its result file could not be read ({exc})")
    if data is None:
        return None
    status = data.get("status")
    if status not in VALID_STATUSES:
        return _output_error(tid, "the test produced no readable result")
    record = {
        "id": tid,
        "status": status,
        "exc_type": _text(data, "exc_type", 100),
        "message": _text(data, "message", MAX_TEXT),
        "traceback": _text(data, "traceback", MAX_TRACEBACK),
        "wall_s": _number(data.get("wall_s")),
        "cpu_s": _number(data.get("cpu_s")),
    }
    if status != "ok":
        return record
    npz = None
    before, start = budget.as_dict(), arrays.tell()  # a refused output is not kept
    try:
        npz = NpzReader(out_dir / f"{tid}.npz", budget)
        structure = parse_structure(npz.structure_text(budget), budget)
        copied: dict[str, int] = {}
        record["structure"] = normalize(structure, npz, arrays, budget, copied)
        record["arrays"] = sorted(copied.values())
        return record
    except OverLimit as exc:
        message = str(exc)
    except (Malformed, OSError, zipfile.BadZipFile, EOFError, ValueError, OverflowError) as exc:
        detail = str(exc) if isinstance(exc, Malformed) else type(exc).__name__
        message = f"the output could not be read back ({detail})"
    finally:
        if npz is not None:
            npz.close()
    budget.restore(before)
    arrays.seek(start)
    arrays.truncate()
    return _output_error(tid, message, record)


def _output_error(tid: str, message: str, record: dict | None = None) -> dict:
    base = dict(record or {"id": tid, "wall_s": 0.0, "cpu_s": 0.0, "traceback": ""})
    base.pop("structure", None)
    base.pop("arrays", None)
    base.update(status="error", exc_type="OutputError", message=clean_text(message))
    return base


def read_module_status(out_dir: Path) -> dict | None:
    """``_module.json`` with only the fields the grader uses, texts capped."""
    try:
        data = _load_json(out_dir / "_module.json")
    except Malformed:
        return {
            "status": "error",
            "exc_type": "OutputError",
            "message": "the notebook's status is unreadable",
        }
    if data is None:
        return None
    clean: dict[str, Any] = {"status": data.get("status") if isinstance(data.get("status"), str) else "error"}
    for key, limit in (("exc_type", 100), ("message", MAX_TEXT), ("traceback", MAX_TRACEBACK), ("text", 300)):
        clean[key] = _text(data, key, limit)
    for key in ("line", "offset", "failed_cells"):
        value = data.get(key)
        clean[key] = value if type(value) is int and 0 <= value < 1 << 31 else None
    clean["wall_s"] = _number(data.get("wall_s"))
    return clean


RECORDS = "records.jsonl"
ARRAYS = "arrays.bin"


def read_all(out_dir: Path, tids: list[str], dest: Path, budget: Budget) -> None:
    """Write the validated records to ``dest/records.jsonl``, one line each as soon as it
    is read (the notebook's status first, ``{"done": used}`` last), so a reader stopped by
    its limits still leaves the earlier tests; their arrays go to ``dest/arrays.bin``."""
    start = budget.as_dict()
    with open(dest / RECORDS, "w") as records, open(dest / ARRAYS, "wb") as arrays:

        def emit(line: dict) -> None:
            arrays.flush()
            records.write(json.dumps(line) + "\n")
            records.flush()

        module = read_module_status(out_dir)
        if module is not None:
            emit({"module": module})
        for tid in tids:
            record = read_test(out_dir, tid, arrays, budget)
            if record is not None:
                emit({"test": record})
        emit({"done": {cap: start[cap] - left for cap, left in budget.as_dict().items()}})


def main(argv: list[str] | None = None) -> int:
    """``--out DIR --dest DIR --tests a,b --items N --bytes N --members N --chars N
    --memory BYTES --cpu SECONDS``: the limits are set first, before anything is read."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) % 2 or not all(a.startswith("--") for a in args[::2]):
        print(main.__doc__, file=sys.stderr)
        return 2
    opts = dict(zip((a[2:] for a in args[::2]), args[1::2], strict=True))
    memory, cpu = int(opts["memory"]), int(opts["cpu"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    budget = Budget(*(int(opts[cap]) for cap in Budget.CAPS))
    tids = [t for t in opts.get("tests", "").split(",") if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", t)]
    read_all(Path(opts["out"]), tids, Path(opts["dest"]), budget)
    return 0


if __name__ == "__main__":
    sys.exit(main())
