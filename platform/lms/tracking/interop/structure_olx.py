"""OLX, an exported Open edX course, read into a ``structure.CourseStructure``: a
``.tar.gz`` as Studio exports it (read as a stream, never extracted) or its unpacked
folder; XML parsed by expat with any DTD refused. The bounds are those of
``structure.py``'s docstring.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from .structure import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_KEPT_BYTES,
    MAX_MEMBERS,
    MAX_TAR_BYTES,
    MAX_TITLE,
    MAX_XML_BYTES,
    SKIPPED,
    CourseStructure,
    Node,
    StructureInvalid,
    block_title,
    structure_walk,
)


# XML (expat, no DTD) --------------------------------------------------------------------
@dataclass
class Element:
    tag: str
    attrib: dict[str, str]
    children: list[Element] = field(default_factory=list)


def parse_xml(data: bytes, where: str) -> Element:
    """Elements and attributes only (text is not needed). Any DTD is refused: OLX has
    none, and refusing it rules out entity expansion (billion laughs) and external
    entities at once."""
    if len(data) > MAX_XML_BYTES:
        raise StructureInvalid(f"{where}: larger than {MAX_XML_BYTES >> 20} MiB")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    root: list[Element] = []
    count = 0

    def refuse(*_args) -> None:
        raise StructureInvalid(f"{where}: a DTD or entity declaration (refused)")

    def start(tag: str, attrib: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS or len(stack) >= MAX_DEPTH:
            raise StructureInvalid(f"{where}: more than {MAX_ELEMENTS} elements or {MAX_DEPTH} levels")
        element = Element(tag, attrib)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _tag: stack.pop()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise StructureInvalid(f"{where}: not well-formed XML ({exc})") from exc
    return root[0]


# OLX files: a tarball read as a stream, or a folder -----------------------------------
def _safe_member(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or "\x00" in name:
        raise StructureInvalid(f"unsafe path in the archive: {name[:200]!r}")
    normal = posixpath.normpath(name)
    return "" if normal == "." else normal


def _wanted(name: str) -> bool:
    return name.endswith(".xml") or name.endswith("policy.json")


def _tar_files(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    members = total = kept = 0
    try:
        with tarfile.open(path, mode="r|*") as tar:
            for member in tar:
                members += 1
                total += max(member.size, 0)
                if members > MAX_MEMBERS or total > MAX_TAR_BYTES:
                    raise StructureInvalid(
                        f"the archive holds more than {MAX_MEMBERS} members or {MAX_TAR_BYTES >> 30} GiB"
                    )
                name = _safe_member(member.name)
                if member.issym() or member.islnk():
                    raise StructureInvalid(f"the archive holds a link: {member.name[:200]!r}")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise StructureInvalid(f"the archive holds a special file: {member.name[:200]!r}")
                if not _wanted(name):
                    continue
                if member.size > MAX_XML_BYTES:
                    raise StructureInvalid(f"{name}: larger than {MAX_XML_BYTES >> 20} MiB")
                kept += member.size
                if kept > MAX_KEPT_BYTES:
                    raise StructureInvalid(f"more than {MAX_KEPT_BYTES >> 20} MiB of XML in the archive")
                files[name] = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise StructureInvalid(f"{path.name} is not a readable tar archive: {exc}") from exc
    return files


class OlxFiles:
    """The files of an export, by their path under the folder holding ``course.xml``."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        self.name = path.name
        if path.is_dir():
            self.folder, self.files = path.resolve(), None
            prefixes = [""] if (path / "course.xml").is_file() else sorted(
                f"{p.name}/" for p in path.iterdir() if p.is_dir() and (p / "course.xml").is_file()
            )  # fmt: skip
        else:
            self.folder, self.files = None, _tar_files(path)
            prefixes = sorted(
                (
                    name[: -len("course.xml")]
                    for name in self.files
                    if posixpath.basename(name) == "course.xml"
                ),
                key=lambda p: (p.count("/"), p),
            )
        if not prefixes:
            raise StructureInvalid(f"{path.name}: no course.xml (is this an Open edX course export?)")
        self.prefix = prefixes[0]

    def read(self, name: str) -> bytes | None:
        name = self.prefix + _safe_member(name)
        if self.files is not None:
            return self.files.get(name)
        target = self.folder / name
        if target.is_symlink() or not target.is_file():
            return None
        if self.folder not in target.resolve().parents:
            raise StructureInvalid(f"{name} leads out of the export folder")
        if target.stat().st_size > MAX_XML_BYTES:
            raise StructureInvalid(f"{name}: larger than {MAX_XML_BYTES >> 20} MiB")
        return target.read_bytes()

    def xml(self, name: str) -> Element | None:
        data = self.read(name)
        return None if data is None else parse_xml(data, name)


def _olx_url_name(value: str) -> str:
    """Studio writes ':' in a url_name as '/' in the file name (old exports)."""
    return value.replace(":", "/")


def structure_from_olx(path: Path, *, course_key: str | None = None) -> CourseStructure:
    files = OlxFiles(path)
    top = files.xml("course.xml")
    if top is None or top.tag != "course":
        raise StructureInvalid("course.xml has no <course> element")
    org, number, run = (top.attrib.get(a, "") for a in ("org", "course", "url_name"))
    if not (org and number and run):
        raise StructureInvalid("course.xml must name org, course and url_name (the run)")
    course = (
        top if top.children or "display_name" in top.attrib else files.xml(f"course/{_olx_url_name(run)}.xml")
    )
    if course is None or course.tag != "course":
        raise StructureInvalid(f"course/{run}.xml is missing or is not a <course>")
    policy: dict = {}
    raw_policy = files.read(f"policies/{_olx_url_name(run)}/policy.json")
    if raw_policy:
        try:
            loaded = json.loads(raw_policy)
            policy = loaded if isinstance(loaded, dict) else {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise StructureInvalid(f"policies/{run}/policy.json is not valid JSON: {exc}") from exc
    missing = Counter()

    def node(element: Element) -> Node | None:
        tag, attrib = element.tag, dict(element.attrib)
        url_name = attrib.get("url_name") or ""
        if tag in SKIPPED:  # e.g. <wiki slug="..."/>: nothing to load
            return Node(tag, url_name or tag, "", None, [])
        if url_name and len(attrib) == 1 and not element.children:  # a pointer tag
            loaded = files.xml(f"{tag}/{_olx_url_name(url_name)}.xml")
            if loaded is None:
                missing[f"{tag} file missing"] += 1
                return None
            if loaded.tag != tag:
                raise StructureInvalid(f"{tag}/{url_name}.xml holds a <{loaded.tag}>, not a <{tag}>")
            attrib = {**loaded.attrib, **attrib}
            element = loaded
        if not url_name:
            missing[f"{tag} without url_name (events cannot name it)"] += 1
            return None
        meta = policy.get(f"{tag}/{url_name}")
        meta = meta if isinstance(meta, dict) else {}
        graded = attrib.get("graded", meta.get("graded"))
        return Node(
            tag,
            url_name[:MAX_TITLE],
            block_title(attrib.get("display_name") or meta.get("display_name")),
            (
                graded.lower() == "true"
                if isinstance(graded, str)
                else graded
                if isinstance(graded, bool)
                else None
            ),
            element.children,
        )

    course_meta = policy.get(f"course/{run}")
    course_meta = course_meta if isinstance(course_meta, dict) else {}
    root = Node(
        "course",
        run,
        block_title(course.attrib.get("display_name") or course_meta.get("display_name")),
        None,
        course.children,
    )
    structure = structure_walk(root, node, course_key or f"course-v1:{org}+{number}+{run}")
    structure.skipped.update(missing)
    return structure
