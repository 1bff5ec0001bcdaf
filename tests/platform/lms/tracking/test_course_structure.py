"""Import of an Open edX course structure (Course Blocks API JSON, the research data
package's course_structure file, an OLX export as a folder or a tarball): named, ordered
weeks and activities on the rows that imported edX events use, in either order, and
re-imports that update those rows in place. Hostile input is refused with nothing written.

The fixtures (structure_fixtures/) were written for these tests from the published
formats: one small course, "Python Basics" (course-v1:CairnX+PY101+2024_T1), described
the same way by the Blocks API JSON and by the OLX export."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.courses.models import Activity, Course, Week
from lms.progress.journey import journey_map
from lms.progress.selectors import course_state_for
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import external_slug
from lms.tracking.interop.structure import MAX_XML_BYTES, StructureInvalid
from lms.tracking.interop.structure_import import course_structure_import_file
from lms.tracking.interop.structure_olx import parse_xml
from lms.tracking.models import Event
from lms.tracking.services import catalog_index_forget
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "structure_fixtures"
BLOCKS = FIXTURES / "blocks_v2.json"
OLX = FIXTURES / "olx"
COURSE = "course-v1:CairnX+PY101+2024_T1"
KEY = "block-v1:CairnX+PY101+2024_T1+type@{}+block@{}"
# (week, position, kind, title, graded) of every activity, in syllabus order
EXPECTED = [
    (1, 1, "video", "Welcome to Python", False),
    (1, 2, "reading", "Course syllabus", False),
    (1, 3, "quiz", "Variables quiz", True),
    (2, 1, "video", "For loops", False),
    (2, 2, "reading", "For loops", False),  # no display name: its unit's name
    (2, 3, "quiz", "Loop practice", False),
]


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


def olx_tarball(tmp_path: Path, folder: Path = OLX, top: str = "course") -> Path:
    """The export as Studio writes it: a .tar.gz with one top-level folder."""
    out = tmp_path / "course.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname=top)
    return out


def outline(course: Course) -> list[tuple]:
    return [
        (a.week.position, a.position, a.kind, a.title, a.graded)
        for a in Activity.objects.filter(course=course, retired=False, week__retired=False)
        .select_related("week")
        .order_by("week__position", "position")
    ]


def the_course() -> Course:
    return Course.objects.get(slug=external_slug("edx", COURSE))


def edx_log(tmp_path: Path) -> Path:
    """Events that name blocks by usage key only (no display names): a play of the intro
    video and a graded answer to the first quiz, by two learners."""
    lines = []
    for n, user in enumerate(["ada", "bo"]):
        lines.append({
            "username": user, "event_type": "play_video", "event_source": "browser",
            "time": f"2024-02-0{n + 1}T10:00:00+00:00", "session": "s1",
            "event": json.dumps({"id": KEY.format("video", "intro_video"), "currentTime": 3.5, "code": "html5"}),
            "context": {"course_id": COURSE, "org_id": "CairnX", "path": "/event"},
        })  # fmt: skip
        lines.append({
            "username": user, "event_type": "problem_check", "event_source": "server",
            "time": f"2024-02-0{n + 1}T10:05:00+00:00",
            "event": {"problem_id": KEY.format("problem", "quiz_p1"), "answers": {"quiz_p1_2_1": "x"},
                      "success": "correct", "attempts": 1, "grade": 1, "max_grade": 1},
            "context": {"course_id": COURSE, "org_id": "CairnX", "path": "/courses/x/xblock"},
        })  # fmt: skip
    path = tmp_path / "tracking.log"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


# Reading the formats ------------------------------------------------------------------
def test_blocks_api_json_gives_named_ordered_weeks_and_activities():
    report = course_structure_import_file(path=BLOCKS)
    course = the_course()
    assert course.title == "Python Basics" and course.external_source == "edx"
    assert outline(course) == EXPECTED
    weeks = list(Week.objects.filter(course=course).values_list("position", "title", "retired"))
    assert weeks == [(1, "Week 1: Getting started", False), (2, "Week 2: Loops", False)]
    assert report.counts["activity created"] == 6 and report.counts["week created"] == 2
    assert report.skipped == {"discussion block": 1, "chapter with no activities": 1}
    assert all(a.minutes > 0 and a.external_source == "edx" for a in Activity.objects.filter(course=course))


def test_olx_folder_and_tarball_give_the_same_course_as_the_json(tmp_path):
    course_structure_import_file(path=OLX)
    course = the_course()
    assert outline(course) == EXPECTED
    pks = dict(Activity.objects.filter(course=course).values_list("slug", "pk"))

    report = course_structure_import_file(path=olx_tarball(tmp_path))
    assert not {k for k in report.counts if k.startswith(("activity", "week"))}, report.counts
    report = course_structure_import_file(path=BLOCKS)
    assert not {k for k in report.counts if k.startswith(("activity", "week"))}, report.counts
    assert dict(Activity.objects.filter(course=course).values_list("slug", "pk")) == pks
    assert outline(course) == EXPECTED
    assert "wiki at the top level" in course_structure_import_file(path=OLX).skipped


def test_json_lines_import_every_course_or_none(tmp_path):
    """The analytics pipeline keeps the Course Blocks API's answers for many courses as
    JSON lines: each line is a course, and a bad line imports none of them."""
    lines = [
        json.dumps(json.loads(path.read_text()))
        for path in (BLOCKS, FIXTURES / "course_structure_research.json")
    ]
    both = tmp_path / "course_blocks.json"
    both.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    call_command("import_course_structure", str(both), stdout=out)
    assert out.getvalue().count(" -> ") == 2
    assert outline(Course.objects.get(slug=external_slug("edx", "MITx/6.00x/2013_Spring")))
    Course.objects.all().delete()
    broken = tmp_path / "broken.json"
    broken.write_text(lines[0] + "\n{not json\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_course_structure", str(broken), stdout=io.StringIO())
    assert not Course.objects.exists()


def test_research_package_course_structure_with_i4x_keys(tmp_path):
    course_structure_import_file(path=FIXTURES / "course_structure_research.json")
    course = Course.objects.get(slug=external_slug("edx", "MITx/6.00x/2013_Spring"))
    assert course.title == "Introduction to Computer Science"
    assert outline(course) == [
        (1, 1, "video", "What is computation?", False),
        (1, 2, "quiz", "Exercise 1", True),
        (2, 1, "quiz", "Counting vowels", True),  # graded: its subsection is a graded problem set
        (2, 2, "reading", "Hints", False),
    ]
    # An old-style log (i4x usage keys, Org/Course/Run course id) lands on those rows.
    log = tmp_path / "old.log"
    log.write_text(json.dumps({
        "username": "cy", "event_type": "play_video", "event_source": "browser",
        "time": "2013-02-05T10:00:00", "event": json.dumps({"id": "i4x-MITx-6_00x-video-L1_video", "currentTime": 1}),
        "context": {"course_id": "MITx/6.00x/2013_Spring", "path": "/event"},
    }) + "\n")  # fmt: skip
    report = events_import(format="edx", paths=[log], threaded=False)
    assert report.stored == 1 and report.activities_created == 0 and report.courses_created == 0
    assert Event.objects.get().activity.title == "What is computation?"


def test_course_id_override_names_the_course_of_the_logs():
    course_structure_import_file(path=BLOCKS, course_key="CairnX/PY101/2024_T1")
    course = Course.objects.get(slug=external_slug("edx", "CairnX/PY101/2024_T1"))
    assert outline(course) == EXPECTED


# Events before or after the structure --------------------------------------------------
def test_events_imported_before_the_structure_get_its_names_and_order(tmp_path):
    report = events_import(format="edx", paths=[edx_log(tmp_path)], threaded=False)
    assert report.stored == 4 and report.activities_created == 2
    course = the_course()
    opaque = {a.pk: (a.title, a.week.title) for a in Activity.objects.filter(course=course)}
    assert sorted(opaque.values()) == [("intro_video", "Imported (edx)"), ("quiz_p1", "Imported (edx)")]
    events_before = dict(Event.objects.values_list("event_id", "activity_id"))

    course_structure_import_file(path=BLOCKS)
    assert outline(course) == EXPECTED
    named = {a.pk: a.title for a in Activity.objects.filter(course=course, pk__in=opaque)}
    assert sorted(named.values()) == ["Variables quiz", "Welcome to Python"]  # the same rows, renamed
    assert dict(Event.objects.values_list("event_id", "activity_id")) == events_before
    assert Activity.objects.filter(course=course).count() == 6
    # The events' own week moves after the chapters and holds nothing now.
    events_week = Week.objects.get(course=course, title="Imported (edx)")
    assert events_week.position == 3 and not events_week.activities.filter(retired=False).exists()


def test_events_imported_after_the_structure_attach_to_its_activities(tmp_path):
    course_structure_import_file(path=OLX)
    named = dict(Activity.objects.values_list("pk", "title"))
    report = events_import(format="edx", paths=[edx_log(tmp_path)], threaded=False)
    assert report.stored == 4 and report.courses_created == 0 and report.activities_created == 0
    assert sorted({named[e.activity_id] for e in Event.objects.all()}) == [
        "Variables quiz",
        "Welcome to Python",
    ]
    assert Activity.objects.count() == 6


def test_events_of_blocks_the_structure_lacks_stay_in_the_imported_week(tmp_path):
    course_structure_import_file(path=BLOCKS)
    log = tmp_path / "extra.log"
    log.write_text(json.dumps({
        "username": "ada", "event_type": "play_video", "event_source": "browser", "time": "2024-03-01T10:00:00+00:00",
        "event": json.dumps({"id": KEY.format("video", "bonus"), "currentTime": 1}),
        "context": {"course_id": COURSE, "path": "/event"},
    }) + "\n")  # fmt: skip
    events_import(format="edx", paths=[log], threaded=False)
    bonus = Activity.objects.get(title="bonus")
    assert bonus.week.title == "Imported (edx)" and bonus.week.position == 3
    course_structure_import_file(path=BLOCKS)  # a re-import leaves it where it is, not retired
    bonus.refresh_from_db()
    assert not bonus.retired and bonus.week.position == 3


# Re-import --------------------------------------------------------------------------
def test_reimport_is_idempotent_and_a_changed_structure_updates_rows_in_place(tmp_path):
    course_structure_import_file(path=BLOCKS)
    assert course_structure_import_file(path=BLOCKS).counts.total() == 0  # nothing to do
    course = the_course()
    pks = dict(Activity.objects.filter(course=course).values_list("title", "pk"))

    data = json.loads(BLOCKS.read_text())
    blocks = data["blocks"]
    blocks[KEY.format("video", "intro_video")]["display_name"] = "Welcome to Python 3"
    ch1, ch2 = KEY.format("chapter", "ch1"), KEY.format("chapter", "ch2")
    blocks[ch1]["children"], blocks[ch2]["children"] = blocks[ch2]["children"], blocks[ch1]["children"]
    blocks[KEY.format("vertical", "v1")]["children"].remove(KEY.format("html", "syllabus_html"))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))
    report = course_structure_import_file(path=changed)
    assert report.counts["activity retired"] == 1 and report.counts["activity created"] == 0

    rows = {a.pk: a for a in Activity.objects.filter(course=course).select_related("week")}
    assert rows[pks["Welcome to Python"]].title == "Welcome to Python 3"
    assert rows[pks["Welcome to Python"]].week.title == "Week 2: Loops"  # swapped contents
    assert rows[pks["Course syllabus"]].retired
    assert rows[pks["Loop practice"]].week.title == "Week 1: Getting started"

    course_structure_import_file(path=BLOCKS)  # and back: the retired one returns
    assert outline(course) == EXPECTED
    assert dict(Activity.objects.filter(course=course).values_list("title", "pk")) == pks


# What the pages read -----------------------------------------------------------------
def test_journey_map_and_outline_show_the_imported_course_as_weeks():
    course_structure_import_file(path=OLX)
    course = the_course()
    state = course_state_for(learner=UserFactory(), course_slug=course.slug)
    assert [(w.week.position, w.week.title, len(w.items)) for w in state.weeks] == [
        (1, "Week 1: Getting started", 3),
        (2, "Week 2: Loops", 3),
    ]
    drawn = journey_map(state)
    assert [(number, title) for _, number, title, _ in drawn.columns] == [
        (1, "Getting started"),  # under its "Week 1" heading: no "Week 1:" twice
        (2, "Loops"),
    ]
    assert [n.letter for n in drawn.nodes] == ["V", "R", "Q", "V", "R", "Q"]
    assert state.grade.graded_total == 1


# Bad input: a clear error, nothing written -------------------------------------------
def _tar_with(tmp_path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    out = tmp_path / "hostile.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for folder_file in sorted(OLX.rglob("*")):
            if folder_file.is_file():
                tar.add(folder_file, arcname=f"course/{folder_file.relative_to(OLX)}")
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out


def _member(name: str, data: bytes = b"<x/>", **attrs) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, data


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_member("../evil.xml"), "unsafe path"),
        (_member("course/../../evil.xml"), "unsafe path"),
        (_member("/etc/evil.xml"), "unsafe path"),
        (_member("course/chapter/link.xml", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd"), "link"),
        (_member("course/chapter/hard.xml", b"", type=tarfile.LNKTYPE, linkname="course/course.xml"), "link"),
        (_member("course/dev", b"", type=tarfile.CHRTYPE), "special file"),
        (_member("course/problem/big.xml", b"<a>" + b" " * MAX_XML_BYTES + b"</a>"), "larger than"),
    ],
)
def test_hostile_tarballs_are_refused_and_nothing_is_written(tmp_path, entry, message):
    with pytest.raises(StructureInvalid, match=message):
        course_structure_import_file(path=_tar_with(tmp_path, [entry]))
    assert not Course.objects.exists() and not Week.objects.exists() and not Activity.objects.exists()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<chapter display_name="&lol3;"><sequential url_name="seq1"/></chapter>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE chapter [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<chapter display_name="&secret;"><sequential url_name="seq1"/></chapter>"""


@pytest.mark.parametrize(
    ("chapter", "message"),
    [
        (BILLION_LAUGHS, "DTD or entity"),
        (EXTERNAL, "DTD or entity"),
        (b'<!DOCTYPE chapter SYSTEM "http://203.0.113.1/x.dtd"><chapter/>', "DTD or entity"),
        (b"<chapter display_name='x'><sequential url_name='seq1'>", "not well-formed"),
        (b"<a>" * 70 + b"</a>" * 70, "levels"),
    ],
)
def test_hostile_xml_is_refused_and_nothing_is_written(tmp_path, chapter, message):
    folder = tmp_path / "export"
    shutil.copytree(OLX, folder)
    (folder / "chapter" / "ch2.xml").write_bytes(chapter)
    with pytest.raises(StructureInvalid, match=message):
        course_structure_import_file(path=folder)
    with pytest.raises(StructureInvalid, match=message):
        course_structure_import_file(path=olx_tarball(tmp_path, folder))
    assert not Course.objects.exists() and not Activity.objects.exists()


def test_xml_parser_bounds_elements():
    with pytest.raises(StructureInvalid, match="elements"):
        parse_xml(b"<a>" + b"<b/>" * 100_001 + b"</a>", "many.xml")
    assert parse_xml(b"<a x='1'><b/></a>", "ok.xml").children[0].tag == "b"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"blocks": {}}', "no blocks"),
        (b'{"blocks": {"a": {"type": "chapter"}}}', "course block"),
        (b'{"blocks": {"x": {"type": "course", "children": []}}}', "course key"),
        (
            json.dumps(
                {
                    "root": KEY.format("course", "course"),
                    "blocks": {
                        KEY.format("course", "course"): {
                            "type": "course",
                            "children": [KEY.format("chapter", "c")],
                        },
                        KEY.format("chapter", "c"): {
                            "type": "chapter",
                            "children": [KEY.format("sequential", "s")],
                        },
                        KEY.format("sequential", "s"): {
                            "type": "sequential",
                            "children": [KEY.format("chapter", "c"), KEY.format("sequential", "s")],
                        },
                    },
                }
            ).encode(),
            "cycle",
        ),  # fmt: skip
    ],
)
def test_bad_json_is_refused_and_nothing_is_written(tmp_path, content, message):
    path = tmp_path / "blocks.json"
    path.write_bytes(content)
    with pytest.raises(StructureInvalid, match=message):
        course_structure_import_file(path=path)
    assert not Course.objects.exists()


def test_an_error_while_writing_rolls_everything_back():
    """The derived slug of the last activity is taken by another course's row: the course,
    its weeks and the first five activities written before it are rolled back."""
    from lms.tracking.interop.external import ExternalRecords
    from lms.tracking.interop.records import ImportReport

    slug = ExternalRecords(source="edx", prefix="edx", report=ImportReport("edx"))._derived(
        (COURSE, "loops_p1")
    )
    ActivityFactory(slug=slug)
    before = (Course.objects.count(), Week.objects.count(), Activity.objects.count())
    with pytest.raises(StructureInvalid, match="another course"):
        course_structure_import_file(path=BLOCKS)
    assert (Course.objects.count(), Week.objects.count(), Activity.objects.count()) == before


def test_a_native_course_is_never_overwritten():
    from tests.factories import CourseFactory

    CourseFactory(slug=external_slug("edx", COURSE), title="Ours")
    with pytest.raises(StructureInvalid, match="Cairn course"):
        course_structure_import_file(path=BLOCKS)
    assert Course.objects.get().title == "Ours"


def test_an_archive_without_course_xml_is_refused(tmp_path):
    out = tmp_path / "other.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        info, data = _member("readme.xml")
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(StructureInvalid, match="no course.xml"):
        course_structure_import_file(path=out)
    not_tar = tmp_path / "x.tar.gz"
    not_tar.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(StructureInvalid, match="not a readable tar"):
        course_structure_import_file(path=not_tar)


# The command ------------------------------------------------------------------------
def test_command_imports_and_reports(tmp_path):
    out = io.StringIO()
    call_command("import_course_structure", str(olx_tarball(tmp_path)), stdout=out)
    text = out.getvalue()
    assert "6 activity created" in text and "2 week created" in text and "rollups_update --rebuild" in text
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_course_structure", str(tmp_path / "missing.json"), stdout=io.StringIO())


def test_a_shared_container_is_walked_once(tmp_path):
    """Children lists form a DAG at worst: 64 levels of two edges to the same unit would
    be 2**64 visits if each were walked again."""
    blocks = {KEY.format("course", "course"): {"type": "course", "children": [KEY.format("chapter", "c")]},
              KEY.format("chapter", "c"): {"type": "chapter", "children": [KEY.format("vertical", "u0")] * 2}}  # fmt: skip
    for level in range(60):
        blocks[KEY.format("vertical", f"u{level}")] = {
            "type": "vertical",
            "children": [KEY.format("vertical", f"u{level + 1}")] * 2,
        }
    blocks[KEY.format("vertical", "u60")] = {"type": "vertical", "children": [KEY.format("video", "deep")]}
    blocks[KEY.format("video", "deep")] = {"type": "video", "display_name": "Deep"}
    path = tmp_path / "dag.json"
    path.write_text(json.dumps({"root": KEY.format("course", "course"), "blocks": blocks}))
    report = course_structure_import_file(path=path)
    assert report.counts["activity created"] == 1
    assert report.skipped["block listed twice (kept its first place)"] == 61  # one per repeated edge


def test_a_symlink_in_an_export_folder_is_never_followed(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(OLX, folder)
    secret = tmp_path / "secret.xml"
    secret.write_text('<chapter display_name="Outside the export"><sequential url_name="seq3"/></chapter>')
    (folder / "chapter" / "ch2.xml").unlink()
    (folder / "chapter" / "ch2.xml").symlink_to(secret)
    report = course_structure_import_file(path=folder)
    assert report.skipped["chapter file missing"] == 1
    assert list(Week.objects.values_list("title", flat=True)) == ["Week 1: Getting started"]
