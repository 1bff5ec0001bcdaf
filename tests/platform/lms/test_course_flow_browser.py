"""Moving through a course in a real browser (issue 21): a new learner is welcomed and
enrolls as their first step, walks the whole course with Next only (every page kind,
across week boundaries), works in the lab with Run / Submit always in reach, gets a
reply notification (another user replies: unread count, inbox, open), opens their
certificate from the inbox; an instructor lists the course's certificates; the API
documentation and the error pages. No page scrolls sideways at 390 px.

Screenshots at 1280 px and 390 px go to $CAIRN_SCREENSHOTS when set (``make
screenshots`` points it at docs/screenshots/), else to a temporary folder.
"""

from pathlib import Path

import pytest
from django.conf import settings

from lms.accounts.models import User
from lms.courses.models import Activity, Course, CourseRole, Enrollment
from lms.courses.services import course_import, enrollment_create
from lms.discussions.services import thread_create
from lms.progress.models import Certificate
from lms.progress.services import progress_scored
from tests.axe import axe_check
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = "neural-networks-deep-learning"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SIDEWAYS = "() => document.documentElement.scrollWidth"


def _contexts(browser, live_server, client, user):
    """A desktop and a phone browser sharing ``user``'s session."""
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    desktop = browser.new_context(viewport=DESKTOP)
    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    for context in (desktop, phone):
        context.add_cookies([cookie])
    return desktop.new_page(), phone.new_page()


def _phone_check(phone, url: str, name: str | None, shots: Path) -> None:
    """At 390 px the page is never wider than the screen (tables and code scroll in their box)."""
    phone.goto(url)
    width = phone.evaluate(SIDEWAYS)
    assert width <= PHONE["width"], f"{url} is {width} px wide at phone width"
    if name:
        phone.screenshot(path=str(shots / f"{name}-phone.png"))


def test_a_learner_moves_through_a_course_with_next_only(browser, live_server, client, shots):
    course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    course = Course.objects.get(slug=COURSE)
    url = live_server.url
    learner = UserFactory(username="grace", email="", display_name="Grace H.")
    page, phone = _contexts(browser, live_server, client, learner)

    # A brand-new learner: welcomed (not "welcome back"), enrolment offered as the first step.
    page.goto(f"{url}/")
    main = page.inner_text("main")
    assert "Welcome to Cairn" in main and "Welcome back" not in main
    assert "More courses" not in main
    page.screenshot(path=str(shots / "home-new-learner.png"), full_page=True)
    _phone_check(phone, page.url, "home-new-learner", shots)
    page.locator("#enroll-first").click()
    assert "enrolled on the audit track" in page.inner_text("main")
    enrollment_create(user=learner, course=course, track=Enrollment.Track.VERIFIED)

    # Next only, from the first activity to the end: the syllabus order, across weeks.
    syllabus = list(
        Activity.objects.filter(course=course, retired=False, week__retired=False)
        .order_by("week__position", "position")
        .values_list("slug", "kind", "week__position")
    )
    page.goto(f"{url}/courses/{COURSE}/{syllabus[0][0]}/")
    visited, shot_kinds = [], set()
    while True:
        slug = page.url.rstrip("/").rsplit("/", 1)[1]
        visited.append(slug)
        kind = next(k for s, k, _ in syllabus if s == slug)
        if kind not in shot_kinds:  # one of each kind, at both widths
            shot_kinds.add(kind)
            assert page.locator("nav.activity-nav").is_visible()
            page.screenshot(path=str(shots / f"flow-{kind}.png"), full_page=kind != "lab")
            _phone_check(phone, page.url, f"flow-{kind}", shots)
        following = page.locator("#next-activity[rel=next]")
        if following.count() == 0:
            assert "End of the course" in page.locator("#next-activity").inner_text()
            break
        assert len(visited) <= len(syllabus), "Next goes round in circles"
        following.click()
        page.wait_for_url(lambda u, s=slug: not u.rstrip("/").endswith(s))
    assert visited == [s for s, _, _ in syllabus]
    assert len({w for _, _, w in syllabus}) > 1 and {"video", "quiz", "lab"} <= shot_kinds

    # Previous goes back, across the week boundary too.
    week_two = next(i for i, (_, _, w) in enumerate(syllabus) if w == syllabus[-1][2] and i)
    first_of_week = next(i for i, (_, _, w) in enumerate(syllabus) if w == syllabus[week_two][2])
    page.goto(f"{url}/courses/{COURSE}/{syllabus[first_of_week][0]}/")
    page.locator("#previous-activity").click()
    page.wait_for_url(f"**/{syllabus[first_of_week - 1][0]}/")

    # The lab: the editor is a bounded box, Run and Submit are in the window without scrolling.
    lab = Activity.objects.filter(course=course, kind=Activity.Kind.LAB).order_by("week__position").first()
    page.goto(f"{url}/courses/{COURSE}/{lab.slug}/")
    page.wait_for_selector(".CodeMirror")
    editor = page.locator(".CodeMirror").bounding_box()
    assert editor["height"] <= 0.7 * DESKTOP["height"], editor
    for button in ("Run public tests", "Submit for a grade"):
        box = page.get_by_role("button", name=button).bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= DESKTOP["height"], (button, box)
    page.mouse.wheel(0, 1200)  # scrolled through the instructions: the bar stays in the window
    box = page.get_by_role("button", name="Run public tests").bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= DESKTOP["height"], box
    page.screenshot(path=str(shots / "lab-layout.png"))
    _phone_check(phone, page.url, "lab-layout", shots)
    phone.wait_for_selector(".CodeMirror")
    assert phone.evaluate(SIDEWAYS) <= PHONE["width"]

    # Another user replies to the learner's thread: the unread count, the inbox, open.
    thread = thread_create(author=learner, activity=lab, title="Is keepdims needed?", body="In the softmax.")
    other = UserFactory(username="helpful")
    enrollment_create(user=other, course=course)
    other_page, _ = _contexts(browser, live_server, client, other)
    other_page.goto(f"{url}/courses/{COURSE}/{lab.slug}/discussion/{thread.pk}/")
    other_page.get_by_label("Your reply").fill("Yes: it keeps the column, so the division broadcasts.")
    other_page.get_by_role("button", name="Post reply").click()
    other_page.wait_for_selector("text=so the division broadcasts")
    other_page.context.close()
    page, phone = _contexts(browser, live_server, client, learner)  # the same learner, signed in again
    page.goto(f"{url}/courses/{COURSE}/")
    assert page.locator("#inbox-unread").inner_text() == "1"
    page.locator("#nav-inbox").click()
    page.wait_for_url("**/me/inbox/")
    item = page.locator(".inbox-message.unread")
    assert item.count() == 1 and "New reply to “Is keepdims needed?”" in item.inner_text()
    assert "From helpful" in item.inner_text() and "so the division" not in item.inner_text()
    page.screenshot(path=str(shots / "inbox.png"), full_page=True)
    _phone_check(phone, page.url, "inbox", shots)
    item.get_by_role("button", name="Open").click()
    page.wait_for_url(f"**/discussion/{thread.pk}/")
    assert "so the division broadcasts" in page.inner_text("main")
    assert page.locator("#inbox-unread").count() == 0  # read: the count is gone

    # The certificate, once every graded item is passed: announced, opened from the inbox.
    for activity in Activity.objects.filter(course=course, graded=True, retired=False):
        progress_scored(learner_id=learner.pk, activity=activity, score=1.0, passed=True)
    certificate = Certificate.objects.get(learner=learner, course=course)
    page.goto(f"{url}/me/inbox/")
    page.locator(".inbox-message.unread", has_text="Certificate earned").get_by_role(
        "button", name="Open"
    ).click()
    page.wait_for_url(f"**/certificates/{certificate.code}/")
    assert course.title in page.inner_text("main") and "Grace H." in page.inner_text("main")
    page.screenshot(path=str(shots / "certificate-learner.png"), full_page=True)
    _phone_check(phone, page.url, "certificate", shots)
    for path in ("/", f"/courses/{COURSE}/", f"/courses/{COURSE}/progress/", f"/courses/{COURSE}/journey/",
                 f"/courses/{COURSE}/{lab.slug}/discussion/{thread.pk}/"):  # fmt: skip
        _phone_check(phone, f"{url}{path}", None, shots)
    page.context.close()
    phone.context.close()

    # The instructor lists the course's certificates.
    instructor = UserFactory(username="prof")
    CourseRole.objects.create(user=instructor, course=course)
    page, phone = _contexts(browser, live_server, client, instructor)
    page.goto(f"{url}/courses/{COURSE}/")
    page.get_by_role("link", name="Certificates issued").click()
    table = page.locator("#certificates").inner_text()
    assert "Grace H." in table and "100%" in table
    page.screenshot(path=str(shots / "certificates-staff.png"), full_page=True)
    _phone_check(phone, page.url, "certificates-staff", shots)
    page.context.close()
    phone.context.close()
    assert User.objects.filter(username="grace").exists()


def test_api_documentation_and_error_pages_in_a_browser(browser, live_server, shots):
    url = live_server.url
    page = browser.new_context(viewport=DESKTOP).new_page()
    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    # /api/schema/ opened in a browser is the documentation page, rendered from the vendored Swagger UI.
    page.goto(f"{url}/api/schema/")
    page.wait_for_url("**/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
    assert page.locator(".swagger-ui .opblock").count() >= 5
    assert "/api/events" in page.inner_text("#swagger-ui")
    axe_check(page)  # Swagger UI draws the operations after the load event: check what it drew
    page.screenshot(path=str(shots / "api-docs.png"))
    _phone_check(phone, page.url, "api-docs", shots)
    # a mistyped certificate code: the site's page, with the way home
    response = page.goto(f"{url}/certificates/not-a-real-code/")
    assert response.status == 404 and "We could not find that page" in page.inner_text("main")
    assert page.get_by_role("link", name="Go to the home page").is_visible()
    page.screenshot(path=str(shots / "error-404.png"), full_page=True)
    _phone_check(phone, page.url, "error-404", shots)
    # the favicon is served (no 404 on every page)
    assert page.goto(f"{url}/favicon.ico").status == 200
    # the visitor's catalog, in course-number order, at phone width
    _phone_check(phone, f"{url}/", None, shots)
    page.context.close()
    phone.context.close()
