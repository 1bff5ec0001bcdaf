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

Reading is here (the parsed structure, JSON) and in ``structure_olx.py`` (OLX);
``structure_import.py`` picks the reader for a file and writes the rows.

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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.courses.models import Activity

from .edx_types import block_id as usage_block_id
from .edx_types import block_type as usage_block_type

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
    block_id: str  # the part of the usage key that events name (``block_id`` of edx_types.py)
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


def block_title(value: Any) -> str:
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


def structure_walk(course: Node, resolve, course_key: str) -> CourseStructure:
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
            block_title(block.get("display_name") or metadata.get("display_name")),
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

    structure = structure_walk(blocks[root], resolve, key)
    structure.skipped.update(missing)
    return structure
