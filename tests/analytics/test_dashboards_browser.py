"""The demo instructor opens every dashboard in a real browser, on the demo cohort (300
simulated learners over eight weeks of the first course): every chart is drawn, every
control is labelled, nothing scrolls sideways at phone width, a "Download CSV" link
downloads the chart's rows. Each page is photographed, desktop and phone width.

Screenshots go to $CAIRN_SCREENSHOTS when set, else to a temporary folder.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from analytics import models as m
from analytics.navigation import SECTIONS
from lms.accounts.models import User
from lms.accounts.services import demo_users_ensure
from lms.courses.models import CourseRole
from tests.analytics.conftest import (
    OVERFLOW,
    PHONE,
    UNLABELLED,
    busiest,
    demo_cohort,
    errors_watch,
    forget_caches,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = """() => [...document.querySelectorAll('[data-chart]')].map(box => ({
  id: box.dataset.chart, drawn: !!box.cairnChart, width: box.querySelector('canvas').width }))"""


def test_the_demo_instructor_opens_every_dashboard(browser, live_server, client, shots):
    course = demo_cohort()
    instructor = User.objects.get(username=demo_users_ensure()["instructor"][0])
    CourseRole.objects.get_or_create(user=instructor, course=course)
    video = busiest(course, "video", m.VideoSummary, "seeks_back")
    quiz = busiest(course, "quiz", m.QuizSummary, "first_attempts")
    lab = busiest(course, "lab", m.LabSummary, "attempted")
    # The index, every section of the course, and the busiest video, quiz and lab.
    pages = {"index": reverse("analytics:index")}
    pages |= {key: reverse(url, args=[course.slug]) for key, _, url in SECTIONS}
    pages |= {a.kind: reverse(f"analytics:{a.kind}", args=[course.slug, a.slug]) for a in (video, quiz, lab)}

    client.force_login(instructor)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    phone = browser.new_context(viewport=PHONE)
    for context in (desktop, phone):
        context.add_cookies([cookie])
    page, small = desktop.new_page(), phone.new_page()
    errors: list[str] = []
    for p in (page, small):
        errors_watch(p, errors)
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
