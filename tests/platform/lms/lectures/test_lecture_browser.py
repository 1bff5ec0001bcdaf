"""A learner watches a lecture generated from its transcript, captions on, then finds
another moment of it by a word of its transcript, in Debian's Chromium. The first visit
shows the "preparing" state; a real Celery worker (queue ``media``) makes the video and
the page shows it by itself. Screenshots at 1280 and 390 px go to $CAIRN_SCREENSHOTS
(``make screenshots``: docs/screenshots/) when set; axe-core checks every page
(tests/axe.py)."""

from pathlib import Path

import pytest

from lms.courses.models import Activity, Course, Enrollment
from lms.courses.services import course_import, enrollment_create
from lms.lectures.models import LectureRender
from tests.axe import CHECKED
from tests.conftest import running_worker
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COURSE = "neural-networks-deep-learning"
LECTURE = "c1-w4-what-does-this-have-to-do-with-the-brain"  # 300 s stated, about 200 words
WORD = "dendrites"  # said once in the whole curriculum, in this lecture's fourth sentence
PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
TRACK = "document.getElementById('lecture').textTracks[0]"


def shoot(page, phone, shots: Path, name: str) -> None:
    """The page at 1280 px and, in the phone-width twin, at 390 px (no sideways scroll)."""
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    phone.goto(page.url)
    assert phone.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at phone width"
    phone.screenshot(path=str(shots / f"{name}-phone.png"), full_page=True)


def test_a_learner_watches_a_generated_lecture_with_captions_and_finds_a_moment_by_search(
    browser, live_server, client, shots, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    course = Course.objects.get(slug=COURSE)
    lecture = Activity.objects.get(slug=LECTURE)
    learner = UserFactory(username="grace")
    enrollment_create(user=learner, course=course, track=Enrollment.Track.AUDIT)
    client.force_login(learner)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True)
    for context in (desktop, phone_context):
        context.add_cookies([cookie])
    page, phone = desktop.new_page(), phone_context.new_page()
    video_url = f"{live_server.url}/courses/{COURSE}/{LECTURE}/"

    with running_worker(queues=("media",)):
        # First visit: the lecture is being prepared; the transcript is there to read meanwhile.
        page.goto(video_url)
        assert "Preparing this lecture" in page.inner_text("#lecture-preparing")
        assert "dendrites" in page.inner_text("#transcript")
        page.screenshot(path=str(shots / "lecture-preparing.png"), full_page=True)
        # The page shows the video by itself once the worker has made it.
        page.wait_for_selector("video#lecture", timeout=240_000)
    render = LectureRender.objects.get(activity=lecture)
    assert render.status == "ready"

    # The video lasts what the page states, and its caption track is on by default.
    page.wait_for_function("() => document.getElementById('lecture').readyState >= 1")
    assert page.evaluate("document.getElementById('lecture').duration") == pytest.approx(300, abs=0.5)
    page.wait_for_function(f"() => {TRACK}.cues && {TRACK}.cues.length > 0", timeout=15_000)
    track = page.evaluate(f"(() => {{ const t = {TRACK}; return {{kind: t.kind, mode: t.mode, language: t.language,"
                          f" n: t.cues.length, first: t.cues[0].text, start: t.cues[0].startTime}}; }})()")  # fmt: skip
    assert track == {"kind": "captions", "mode": "showing", "language": "en", "n": len(render.cues),
                     "first": render.cues[0]["text"], "start": pytest.approx(render.cues[0]["start"], abs=0.01)}  # fmt: skip
    # Watch with captions: at the second caption's time, that caption is the one shown.
    second = render.cues[1]
    page.evaluate(f"(() => {{ const v = document.getElementById('lecture'); v.muted = true;"
                  f" v.currentTime = {second['start'] + 0.2}; v.play(); }})()")  # fmt: skip
    page.wait_for_function(f"() => {TRACK}.activeCues && {TRACK}.activeCues.length > 0", timeout=15_000)
    assert page.evaluate(f"{TRACK}.activeCues[0].text") == second["text"]
    page.evaluate("document.getElementById('lecture').pause()")
    assert page.locator("#transcript p.current").inner_text() == " ".join(
        c["text"] for c in render.cues if c["sentence"] == second["sentence"]
    )
    shoot(page, phone, shots, "lecture")

    # Search from the navigation box for a word said later in the lecture.
    page.get_by_label("Search courses and lectures").fill(WORD)
    page.get_by_label("Search courses and lectures").press("Enter")
    page.wait_for_url(f"{live_server.url}/search/?q={WORD}")
    hit = page.locator(".search-hit").first
    assert hit.locator(".search-hit-title").inner_text() == lecture.title
    assert "dendrites" in hit.locator("mark").first.inner_text().lower()
    said = next(c for c in render.cues if WORD in c["text"])
    href = hit.locator("a").get_attribute("href")
    assert href == f"/courses/{COURSE}/{LECTURE}/?t={int(said['start'])}"
    shoot(page, phone, shots, "search-results")

    # The result opens the lecture at that moment.
    hit.locator("a").click()
    page.wait_for_url(f"{live_server.url}{href}")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('lecture').currentTime - {int(said['start'])}) < 0.5"
    )
    assert 0 <= said["start"] - page.evaluate("document.getElementById('lecture').currentTime") < 1.5

    # A search that finds nothing says what to try; an empty one explains what search covers.
    page.goto(f"{live_server.url}/search/?q=zyxwvut")
    assert "Nothing found" in page.inner_text("main") and "Check the spelling" in page.inner_text("main")
    shoot(page, phone, shots, "search-none")
    page.goto(f"{live_server.url}/search/")
    assert "What you can search" in page.inner_text("main")
    assert page.locator("#search-page-q").get_attribute("maxlength") == "200"

    # axe-core ran on every page above (the fixture fails the test on serious findings).
    assert {u.split("?")[0] for u in CHECKED} >= {video_url, f"{live_server.url}/search/"}
    desktop.close()
    phone_context.close()
