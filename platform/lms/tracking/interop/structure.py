"""Open edX course structure -> a Cairn course with named, ordered weeks and activities.

Events imported from edX tracking logs name their course (``course-v1:Org+Course+Run``)
and their block (``block-v1:...+type@video+block@abc``) but nothing else: on their own
they become opaque external records in one "Imported" week. Importing the course's
structure gives those records what the journey map, the dashboards and the recommender
read: chapters become weeks (in order), the components under each chapter's sequentials
and verticals become its activities (in order), each with its kind (video -> video,
problem and other assessments -> quiz, html and the rest -> reading), its display name,
and whether it is graded (a problem in a graded subsection).

Two sources are read:

* JSON: the LMS Course Blocks API (``/api/courses/v1|v2/blocks/``, blocks as a map or a
  list, with ``children``, ``display_name``, ``type``, ``graded``), the older Course
  Structure API (same shape) and the research data package's ``course_structure`` file
  (a map of usage keys to ``category``, ``children``, ``metadata.display_name``).
* OLX, an exported course: a ``.tar.gz`` as Studio exports it, or its unpacked folder.
  ``course.xml`` names org, course and run; ``course/<run>.xml`` lists the chapters;
  every element is either defined inline or a *pointer* (only ``url_name``) to
  ``<type>/<url_name>.xml``. ``policies/<run>/policy.json`` supplies display names
  and ``graded`` that old exports keep there.

The rows are the ones the edX event importer names (``common.ExternalRecords``): the
course ``edx-<course key>-<hash>``, each activity ``edx-<block id>-<hash>`` from the
course key and the block id alone, so events and structure meet in the same rows in
whichever order they are imported. A re-import updates those rows in place (events
keep pointing at them); a chapter or component no longer in the structure is retired,
never deleted. Everything is parsed and checked before the first write, and the write
is one transaction: bad input leaves nothing half-written.

Bounds (hostile input): XML is parsed by expat with any DTD refused (so no entity
expansion, internal or external); each XML file at most ``MAX_XML_BYTES``, with at most
``MAX_ELEMENTS`` elements nested at most ``MAX_DEPTH`` deep; a tarball is read as a
stream, never extracted: members with absolute paths, ``..``, links or device entries
are refused, at most ``MAX_MEMBERS`` members and ``MAX_TAR_BYTES`` of content, only
``.xml`` and ``policy.json`` members kept (``MAX_KEPT_BYTES`` in all); JSON at most
``MAX_JSON_BYTES`` with at most ``MAX_BLOCKS`` blocks; a course at most
``MAX_CHAPTERS`` weeks and ``MAX_ACTIVITIES`` activities. Cycles in ``children`` are
refused.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

from django.db import transaction
from django.utils import timezone

from lms.courses.models import Activity, Course, Week
from lms.courses.services import row_save

from .common import ExternalRecords, ImportReport, external_slug
from .edx import block_id as usage_block_id
from .edx import block_type as usage_block_type

SOURCE = "edx"  # Event.Source.EDX: the source (and slug prefix) of the edX importer's records
MAX_JSON_BYTES = 64 << 20
MAX_BLOCKS = 200_000
MAX_XML_BYTES = 4 << 20
MAX_ELEMENTS = 100_000
MAX_DEPTH = 64
MAX_MEMBERS = 200_000
MAX_TAR_BYTES = 4 << 30
MAX_KEPT_BYTES = 256 << 20
MAX_CHAPTERS = 500
MAX_ACTIVITIES = 20_000
MAX_TITLE = 200

# Blocks whose children are walked (their own row is no activity) and blocks left out.
CONTAINERS = frozenset({"sequential", "vertical", "split_test", "conditional", "unit"})
SKIPPED = frozenset({"discussion", "course_info", "static_tab", "about", "wiki"})
QUIZ_TYPES = frozenset({
    "problem", "openassessment", "drag-and-drop-v2", "library_content", "itembank", "lti",
    "lti_consumer", "survey", "poll", "word_cloud", "done", "edx_sga", "freetextresponse",
})  # fmt: skip
KINDS = {"video": Activity.Kind.VIDEO, "lab": Activity.Kind.LAB}  # else quiz or reading
# A rough estimate for the outline ("5 min"); edX structures carry no durations.
MINUTES = {Activity.Kind.VIDEO: 6, Activity.Kind.QUIZ: 5, Activity.Kind.READING: 4, Activity.Kind.LAB: 20}
TYPE_TITLES = {"video": "Video", "problem": "Problem", "html": "Text"}


class StructureInvalid(ValueError):
    """The input is no course structure Cairn can read; nothing was written."""


def kind_of(block_type: str) -> str:
    if block_type in KINDS:
        return KINDS[block_type]
    return Activity.Kind.QUIZ if block_type in QUIZ_TYPES else Activity.Kind.READING


# The parsed structure --------------------------------------------------------------
@dataclass
class ActivitySpec:
    block_id: str  # the part of the usage key that events name (``block_id`` of edx.py)
    block_type: str
    title: str
    graded: bool

    @property
    def kind(self) -> str:
        return kind_of(self.block_type)


@dataclass
class ChapterSpec:
    block_id: str
    title: str
    activities: list[ActivitySpec] = field(default_factory=list)


@dataclass
class CourseStructure:
    course_key: str  # as tracking logs name it: course-v1:Org+Course+Run (or Org/Course/Run)
    title: str
    chapters: list[ChapterSpec]
    skipped: Counter = field(default_factory=Counter)


@dataclass
class Node:
    """One block, whatever the source: its type, id, name, grading and children."""

    type: str
    block_id: str
    title: str
    graded: bool | None
    children: list  # child keys (JSON) or elements (OLX), resolved by the walk


def _title(value: Any) -> str:
    return " ".join(value.split())[:MAX_TITLE] if isinstance(value, str) else ""


def course_key_of(root_key: str) -> str | None:
    """The course key tracking logs use, from the course block's usage key:
    ``block-v1:O+C+R+type@course+block@course`` -> ``course-v1:O+C+R``;
    ``i4x://O/C/course/R`` -> ``O/C/R``."""
    if root_key.startswith("block-v1:") and "+type@" in root_key:
        return "course-v1:" + root_key[len("block-v1:") :].split("+type@", 1)[0]
    if root_key.startswith("i4x://"):
        parts = root_key[len("i4x://") :].split("/")
        if len(parts) == 4 and parts[2] == "course":
            return f"{parts[0]}/{parts[1]}/{parts[3]}"
    return None


def _walk(course: Node, resolve, course_key: str) -> CourseStructure:
    """Chapters of ``course`` -> weeks; the components under each, depth first -> its
    activities. ``resolve(child)`` gives a child's Node, or None (counted, skipped)."""
    structure = CourseStructure(course_key, course.title or course_key, [])
    seen: set[str] = set()
    walked: set[tuple[str, str]] = set()
    total = 0
    for chapter_ref in course.children:
        chapter = resolve(chapter_ref)
        if chapter is None:
            continue
        if chapter.type != "chapter":
            structure.skipped[f"{chapter.type} at the top level"] += 1
            continue
        spec = ChapterSpec(chapter.block_id, chapter.title or f"Section {len(structure.chapters) + 1}")
        stack = [(iter(chapter.children), chapter.graded, chapter.title, {chapter.block_id})]
        while stack:
            children, graded, parent_title, path = stack[-1]
            ref = next(children, None)
            if ref is None:
                stack.pop()
                continue
            node = resolve(ref)
            if node is None:
                continue
            if node.block_id in path:
                raise StructureInvalid(f"block {node.block_id!r} contains itself (a cycle in children)")
            inherited = node.graded if node.graded is not None else graded
            if node.type in CONTAINERS:
                if (node.type, node.block_id) in walked:  # a DAG: walk each container once
                    structure.skipped["block listed twice (kept its first place)"] += 1
                    continue
                walked.add((node.type, node.block_id))
                if len(stack) >= MAX_DEPTH:
                    raise StructureInvalid(f"blocks nested more than {MAX_DEPTH} deep")
                stack.append(
                    (iter(node.children), inherited, node.title or parent_title, path | {node.block_id})
                )
                continue
            if node.type in SKIPPED or node.type == "chapter":
                structure.skipped[f"{node.type} block"] += 1
                continue
            if node.block_id in seen:
                structure.skipped["block listed twice (kept its first place)"] += 1
                continue
            seen.add(node.block_id)
            kind = kind_of(node.type)
            title = (
                node.title or parent_title or TYPE_TITLES.get(node.type, node.type.replace("_", " ").title())
            )
            spec.activities.append(
                ActivitySpec(node.block_id, node.type, title, bool(inherited) and kind == "quiz")
            )
            total += 1
            if total > MAX_ACTIVITIES:
                raise StructureInvalid(f"more than {MAX_ACTIVITIES} activities in one course")
        if spec.activities:
            structure.chapters.append(spec)
        else:
            structure.skipped["chapter with no activities"] += 1
        if len(structure.chapters) > MAX_CHAPTERS:
            raise StructureInvalid(f"more than {MAX_CHAPTERS} chapters in one course")
    if not structure.chapters:
        raise StructureInvalid("the structure has no chapter with any component in it")
    return structure


# JSON ---------------------------------------------------------------------------------
def structure_from_json(path: Path, *, course_key: str | None = None) -> CourseStructure:
    """A Course Blocks API / Course Structure API response, or a research data package
    ``course_structure`` file (see the module docstring)."""
    path = Path(path)
    if path.stat().st_size > MAX_JSON_BYTES:
        raise StructureInvalid(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MiB")
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise StructureInvalid(f"{path.name} is not valid JSON: {exc}") from exc
    return structure_from_blocks(data, course_key=course_key)


def structure_from_blocks(data: Any, *, course_key: str | None = None) -> CourseStructure:
    if not isinstance(data, dict):
        raise StructureInvalid("a course structure is a JSON object")
    root = data.get("root")
    raw = data.get("blocks") if "blocks" in data else data
    if isinstance(raw, list):
        items = [(b.get("id"), b) for b in raw if isinstance(b, dict)]
    elif isinstance(raw, dict):
        items = list(raw.items())
    else:
        raise StructureInvalid("'blocks' is neither an object nor a list")
    if len(items) > MAX_BLOCKS:
        raise StructureInvalid(f"more than {MAX_BLOCKS} blocks")
    blocks: dict[str, Node] = {}
    for key, block in items:
        if not isinstance(key, str) or not isinstance(block, dict):
            continue
        metadata = block.get("metadata") if isinstance(block.get("metadata"), dict) else {}
        btype = block.get("type") or block.get("category") or usage_block_type(key) or ""
        if not isinstance(btype, str) or not btype:
            continue
        bid = block.get("block_id") if isinstance(block.get("block_id"), str) else usage_block_id(key)
        graded = block.get("graded", metadata.get("graded"))
        children = block.get("children") or []
        if not isinstance(children, list):
            raise StructureInvalid(f"the children of {key!r} are not a list")
        blocks[key] = Node(
            btype,
            bid[:MAX_TITLE],
            _title(block.get("display_name") or metadata.get("display_name")),
            graded if isinstance(graded, bool) else None,
            [c for c in children if isinstance(c, str)],
        )
    if not blocks:
        raise StructureInvalid("no blocks found (expected 'blocks' of the Course Blocks API)")
    if not isinstance(root, str) or root not in blocks:
        courses = [key for key, node in blocks.items() if node.type == "course"]
        if len(courses) != 1:
            raise StructureInvalid(
                "cannot tell the course block: give 'root', or exactly one block of type course"
            )
        root = courses[0]
    key = course_key or course_key_of(root)
    if not key:
        raise StructureInvalid(f"cannot derive the course key from {root!r}: pass the course id")
    missing = Counter()

    def resolve(child: str) -> Node | None:
        node = blocks.get(child)
        if node is None:
            missing["child block not in the file"] += 1
        return node

    structure = _walk(blocks[root], resolve, key)
    structure.skipped.update(missing)
    return structure


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
            _title(attrib.get("display_name") or meta.get("display_name")),
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
        _title(course.attrib.get("display_name") or course_meta.get("display_name")),
        None,
        course.children,
    )
    structure = _walk(root, node, course_key or f"course-v1:{org}+{number}+{run}")
    structure.skipped.update(missing)
    return structure


def structures_read(
    path: Path, *, format: str = "auto", course_key: str | None = None
) -> list[CourseStructure]:
    """Every course structure in ``path``: one, or for a JSON-lines file one per line (the
    analytics pipeline dumps the Course Blocks API's answers for many courses that way)."""
    path = Path(path)
    if format == "olx" or (
        format == "auto" and not (path.is_file() and path.suffix.lower() in (".json", ".jsonl"))
    ):
        return [structure_read(path, format=format, course_key=course_key)]
    if path.stat().st_size > MAX_JSON_BYTES:
        raise StructureInvalid(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MiB")
    try:
        text = path.read_bytes().decode("utf-8")
        values = [json.loads(text)]
    except UnicodeDecodeError as exc:
        raise StructureInvalid(f"{path.name} is not valid JSON: {exc}") from exc
    except ValueError as whole:
        values = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    values.append(json.loads(line))
                except ValueError as exc:
                    where = f"line {number}" if number > 1 or len(values) else "its start"
                    raise StructureInvalid(
                        f"{path.name} is not valid JSON or JSON lines ({where}: {exc}; as one document: {whole})"
                    ) from exc
    if course_key and len(values) > 1:
        raise StructureInvalid(f"{path.name} holds {len(values)} courses: --course-id names one")
    return [structure_from_blocks(value, course_key=course_key) for value in values]


def structure_read(path: Path, *, format: str = "auto", course_key: str | None = None) -> CourseStructure:
    """Parse ``path`` (``format``: json, olx, or auto: .json files are JSON)."""
    path = Path(path)
    if not path.exists():
        raise StructureInvalid(f"{path} does not exist")
    if format == "auto":
        format = "json" if path.is_file() and path.suffix.lower() == ".json" else "olx"
    if format == "json":
        return structure_from_json(path, course_key=course_key)
    if format == "olx":
        return structure_from_olx(path, course_key=course_key)
    raise StructureInvalid(f"unknown format {format!r}: json, olx or auto")


# Writing --------------------------------------------------------------------------------
@dataclass
class StructureReport:
    course_key: str
    course_slug: str = ""
    counts: Counter = field(default_factory=Counter)  # e.g. counts["activity created"]
    skipped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        done = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n) or "nothing to do"
        lines = [f"{self.course_key} -> {self.course_slug}: {done}"]
        lines += [f"  skipped {n}: {why}" for why, n in self.skipped.most_common()]
        return "\n".join(lines)


def week_slug(course_key: str, chapter: str) -> str:
    return external_slug(f"{SOURCE}-ch", f"{course_key}|{chapter}")


@transaction.atomic
def course_structure_import(*, structure: CourseStructure, source_name: str = "") -> StructureReport:
    """Write ``structure`` onto the course's external records (creating the missing ones);
    see the module docstring. Idempotent."""
    from lms.courses.selectors import catalog_graph_forget
    from lms.tracking.services import catalog_index_forget

    naming = ExternalRecords(source=SOURCE, prefix=SOURCE, report=ImportReport(SOURCE))
    key = structure.course_key
    report = StructureReport(key, skipped=Counter(structure.skipped))
    slug = external_slug(SOURCE, key)
    existing = Course.objects.select_for_update().filter(slug=slug).first()
    if existing is not None and not existing.external_source:
        raise StructureInvalid(f"{slug} is a Cairn course; its structure comes from course_content/")
    course = row_save(
        Course,
        {"slug": slug},
        {"title": structure.title[:MAX_TITLE], "external_source": existing.external_source if existing else SOURCE,
         "source_path": source_name[:500]},
        report.counts,
        "course",
        lock=True,
    )  # fmt: skip
    report.course_slug = course.slug
    seen_weeks, seen_activities = set(), set()
    for position, chapter in enumerate(structure.chapters, start=1):
        week = row_save(
            Week,
            {"slug": week_slug(key, chapter.block_id)},
            {"course": course, "position": position, "title": chapter.title, "retired": False},
            report.counts,
            "week",
            lock=True,
        )
        seen_weeks.add(week.pk)
        for place, spec in enumerate(chapter.activities, start=1):
            activity_slug = naming._derived((key, spec.block_id))  # the slug edX events give it
            owner = Activity.objects.filter(slug=activity_slug).values_list("course_id", flat=True).first()
            if owner is not None and owner != course.pk:
                raise StructureInvalid(f"activity {activity_slug} belongs to another course")
            kind = spec.kind
            activity = row_save(
                Activity,
                {"slug": activity_slug},
                {"course": course, "week": week, "position": place, "kind": kind, "title": spec.title,
                 "graded": spec.graded, "minutes": MINUTES[kind], "retired": False,
                 "external_source": SOURCE},
                report.counts,
                "activity",
                lock=True,
            )  # fmt: skip
            seen_activities.add(activity.pk)
    # Activities first seen in logs and absent from the structure stay in the events'
    # week, which moves after the chapters; what an earlier structure placed and this
    # one lacks is retired (its events and history are kept).
    events_week = external_slug(f"{SOURCE}-w", course.slug)
    moved = Week.objects.filter(slug=events_week, course=course).exclude(position=len(structure.chapters) + 1)
    report.counts["week updated"] += moved.update(position=min(len(structure.chapters) + 1, 32767))
    report.counts["week retired"] += (
        Week.objects.filter(course=course, retired=False)
        .exclude(pk__in=seen_weeks)
        .exclude(slug=events_week)
        .update(retired=True)
    )
    report.counts["activity retired"] += (
        Activity.objects.filter(course=course, retired=False)
        .exclude(pk__in=seen_activities)
        .exclude(week__slug=events_week)
        .update(retired=True)
    )
    report.counts += Counter()  # drops the zero counts
    course.imported_at = timezone.now()
    course.save(update_fields=["imported_at"])
    transaction.on_commit(catalog_graph_forget)
    transaction.on_commit(catalog_index_forget)
    return report


def course_structure_import_file(
    *, path: Path, format: str = "auto", course_key: str | None = None
) -> StructureReport:
    """Parse, then write: nothing is written unless the whole file parses."""
    structure = structure_read(path, format=format, course_key=course_key)
    return course_structure_import(structure=structure, source_name=Path(path).name)


@transaction.atomic
def course_structures_import_file(
    *, path: Path, format: str = "auto", course_key: str | None = None
) -> list[StructureReport]:
    """Every course of ``path`` (``structures_read``), all or none."""
    structures = structures_read(path, format=format, course_key=course_key)
    return [course_structure_import(structure=s, source_name=Path(path).name) for s in structures]


__all__ = [
    "CourseStructure",
    "StructureInvalid",
    "StructureReport",
    "course_structure_import",
    "course_structure_import_file",
    "course_structures_import_file",
    "structure_read",
    "structures_read",
]
