"""The demo instructor opens every dashboard in a real browser, on the demo cohort (300
simulated learners over eight weeks of the first course): every chart is drawn, every
control is labelled, nothing scrolls sideways at phone width, a "Download CSV" link
downloads the chart's rows. Each page is photographed, desktop and phone width.

Screenshots go to $CAIRN_SCREENSHOTS when set, else to a temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import models as m
from analytics.rollups import rollups_update
from lms.accounts.models import User
from lms.accounts.services import demo_users_ensure
from lms.courses.models import Activity, CourseRole
from lms.recommendations.serving import serving_forget
from tests.analytics.conftest import forget_caches, store_cohort, store_recommendations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => el.tagName === 'BUTTON' ? !el.innerText.trim() && !el.getAttribute('aria-label')
                : !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CHARTS = """() => [...document.querySelectorAll('[data-chart]')].map(box => ({
  id: box.dataset.chart, drawn: !!box.cairnChart, width: box.querySelector('canvas').width }))"""


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("CAIRN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _busiest(course, kind: str, rollup, column: str) -> Activity:
    counts = dict(rollup.objects.filter(course=course).values_list("activity_id", column))
    return max(Activity.objects.filter(course=course, kind=kind), key=lambda a: (counts.get(a.pk, 0), -a.pk))


def test_the_demo_instructor_opens_every_dashboard(browser, live_server, client, shots):
    forget_caches()
    course = store_cohort(learners=300, days=56, seed=1)
    store_recommendations(course, learners=300)
    serving_forget()  # no model: the at-risk page ranks by its rule
    report = rollups_update(until=timezone.now())
    assert report.events > 50_000
    instructor = User.objects.get(username=demo_users_ensure()["instructor"][0])
    CourseRole.objects.get_or_create(user=instructor, course=course)
    video = _busiest(course, "video", m.VideoSummary, "seeks_back")
    quiz = _busiest(course, "quiz", m.QuizSummary, "first_attempts")
    lab = _busiest(course, "lab", m.LabSummary, "attempted")
    slug = course.slug
    pages = {
        "index": reverse("analytics:index"),
        "overview": reverse("analytics:overview", args=[slug]),
        "videos": reverse("analytics:videos", args=[slug]),
        "video": reverse("analytics:video", args=[slug, video.slug]),
        "quizzes": reverse("analytics:quizzes", args=[slug]),
        "quiz": reverse("analytics:quiz", args=[slug, quiz.slug]),
        "labs": reverse("analytics:labs", args=[slug]),
        "lab": reverse("analytics:lab", args=[slug, lab.slug]),
        "at-risk": reverse("analytics:at-risk", args=[slug]),
        "recommendations": reverse("analytics:recommendations", args=[slug]),
    }

    client.force_login(instructor)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    phone = browser.new_context(viewport=PHONE)
    for context in (desktop, phone):
        context.add_cookies([cookie])
    page, small = desktop.new_page(), phone.new_page()
    errors: list[str] = []
    for p in (page, small):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
        # Failed loads are reported by URL below (the site has no favicon: not ours).
        p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and
             not msg.text.startswith("Failed to load resource") else None)  # fmt: skip
        p.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and
             not r.url.endswith("/favicon.ico") else None)  # fmt: skip
    try:
        for name, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, name
            page.wait_for_function("() => document.documentElement.dataset.chartsReady === 'true'")
            charts = page.evaluate(CHARTS)
            assert all(c["drawn"] and c["width"] > 0 for c in charts), (name, charts)
            if name != "index":
                assert charts, f"no chart on {name}"
            assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on {name}"
            page.screenshot(path=str(shots / f"dashboards-{name}.png"), full_page=True)
            small.goto(live_server.url + path)
            small.wait_for_function("() => document.documentElement.dataset.chartsReady === 'true'")
            assert small.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at phone width"
            small.screenshot(path=str(shots / f"dashboards-{name}-phone.png"))

        # The overview's period control and a chart's CSV download.
        page.goto(live_server.url + pages["overview"])
        page.select_option("#period", "30")
        page.click("form.period button")
        page.wait_for_function("() => document.documentElement.dataset.chartsReady === 'true'")
        assert "period=30" in page.url
        with page.expect_download() as download:
            page.locator("#chart-activity a[download]").click()
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
        assert rows[0] == ["day", "video plays", "quiz attempts", "lab gradings"]
        assert len(rows) == 31
    finally:
        desktop.close()
        phone.close()
        forget_caches()
    assert errors == []
