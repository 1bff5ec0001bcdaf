"""An Open edX course imported as events and then as an OLX export reads, in a real
browser, like a course: the outline lists named weeks and activities, the journey map
draws one column per chapter with a named, lettered node per component, and its nodes
open their pages (a video with no media here says where it plays).

Screenshots go to $CAIRN_SCREENSHOTS when set (docs/screenshots/ for the docs), else to
a temporary folder."""

import json
import tarfile
from pathlib import Path

import pytest

from lms.courses.models import Activity, Course
from lms.progress.services import progress_activity_opened
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import external_slug
from lms.tracking.interop.structure_import import course_structure_import_file
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLX = Path(__file__).parent / "structure_fixtures" / "olx"
COURSE = "course-v1:CairnX+PY101+2024_T1"


def test_journey_map_of_an_imported_course_shows_named_weeks_and_activities(
    logged_in_page, live_server, tmp_path, shots
):
    # Events first (opaque records), then the course export.
    log = tmp_path / "tracking.log"
    log.write_text(json.dumps({
        "username": "ada", "event_type": "play_video", "event_source": "browser", "time": "2024-02-01T10:00:00+00:00",
        "event": json.dumps({"id": "block-v1:CairnX+PY101+2024_T1+type@video+block@intro_video", "currentTime": 2}),
        "context": {"course_id": COURSE, "path": "/event"},
    }) + "\n")  # fmt: skip
    assert events_import(format="edx", paths=[log], threaded=False).activities_created == 1
    export = tmp_path / "course.tar.gz"
    with tarfile.open(export, "w:gz") as tar:
        tar.add(OLX, arcname="course")
    course_structure_import_file(path=export)
    course = Course.objects.get(slug=external_slug("edx", COURSE))

    # A signed-in reader who opened two of its activities (their path is drawn).
    reader = UserFactory(username="analyst-reader")
    for title in ("Welcome to Python", "Variables quiz"):
        progress_activity_opened(learner=reader, activity=Activity.objects.get(course=course, title=title))
    page = logged_in_page.login(reader)

    page.goto(f"{live_server.url}/courses/{course.slug}/")
    main = page.inner_text("main")
    assert "Python Basics" in main and "Week 1: Getting started" in main and "Week 2: Loops" in main
    assert "takes no enrollments here" in main and "Enroll" not in main
    assert page.locator("ol.activities li").all_inner_texts()[0].startswith("Welcome to Python")
    page.get_by_role("link", name="Journey map").click()
    page.locator("figure.journey svg > text[font-weight='600']").first.wait_for()  # the click navigates

    headings = page.evaluate(
        """() => Array.from(document.querySelectorAll("figure.journey svg > text[font-weight='600']"),
                            t => t.firstChild.textContent.trim())"""
    )
    assert headings == ["Week 1", "Week 2"]
    subtitles = page.locator("figure.journey svg > text[font-size='11']").all_text_contents()
    assert subtitles == ["Getting started", "Loops"]  # the chapters' own "Week N:" not repeated
    assert page.locator("figure.journey svg > text title").all_text_contents() == ["Getting started", "Loops"]
    nodes = page.locator("a.node title").all_text_contents()
    assert [n.split(" (")[0] for n in nodes] == [
        "Welcome to Python", "Course syllabus", "Variables quiz", "For loops", "For loops", "Loop practice",
    ]  # fmt: skip
    assert page.locator("a.node text").all_text_contents()[:3] == ["V", "1", "R"]  # letter, then path step
    assert page.locator("polyline").count() == 1
    assert "Welcome to Python" in page.locator("main ol").inner_text()
    page.screenshot(path=str(shots / "journey-imported-course.png"), full_page=True)

    # Its nodes open their pages: the video says it plays on the source platform.
    page.locator("a.node").first.click()
    page.wait_for_load_state()
    assert "Welcome to Python" in page.inner_text("h1")
    assert "imported from edx" in page.inner_text("#no-media")
