"""The dashboard pages: who may see them, what they cost (at most 10 queries, none on
tracking_event), and that every chart's CSV holds exactly the rows the chart draws."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

JSON_SCRIPT = re.compile(r'<script id="(chart-[a-z0-9-]+-data)" type="application/json">(.*?)</script>', re.S)


def pages(c) -> dict[str, str]:
    slug = c.course.slug
    return {
        "overview": reverse("analytics:overview", args=[slug]),
        "videos": reverse("analytics:videos", args=[slug]),
        "video": reverse("analytics:video", args=[slug, c.video.slug]),
        "quizzes": reverse("analytics:quizzes", args=[slug]),
        "quiz": reverse("analytics:quiz", args=[slug, c.quiz.slug]),
        "labs": reverse("analytics:labs", args=[slug]),
        "lab": reverse("analytics:lab", args=[slug, c.lab.slug]),
        "csv": reverse("analytics:course-csv", args=[slug, "overview", "funnel"]),
        "activity-csv": reverse("analytics:activity-csv", args=[slug, "videos", c.video.slug, "heatmap"]),
    }


PAGES = ["overview", "videos", "video", "quizzes", "quiz", "labs", "lab", "csv", "activity-csv"]


@pytest.mark.parametrize("page", PAGES)
def test_only_the_course_instructors_and_staff_see_a_course_dashboard(client, cohort, page):
    url = pages(cohort)[page]
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user, status in cohort.course_access():
        client.force_login(user)
        assert client.get(url).status_code == status, (user.username, url)


def test_the_index_lists_the_courses_one_teaches_and_refuses_students(client, cohort):
    url = reverse("analytics:index")
    assert client.get(url).status_code == 302
    client.force_login(cohort.student)
    assert client.get(url).status_code == 403
    client.force_login(cohort.instructor)
    page = client.get(url).content.decode()
    assert cohort.course.title in page and cohort.other.title not in page
    client.force_login(cohort.other_instructor)
    page = client.get(url).content.decode()
    assert cohort.other.title in page and cohort.course.title not in page
    for analyst in (cohort.analyst, cohort.staff):
        client.force_login(analyst)
        page = client.get(url).content.decode()
        assert cohort.course.title in page and cohort.other.title in page and "Exports" in page


def test_unknown_courses_activities_and_charts_are_404(client, cohort):
    client.force_login(cohort.staff)
    slug = cohort.course.slug
    for url in [
        reverse("analytics:overview", args=["no-such-course"]),
        reverse("analytics:video", args=[slug, cohort.quiz.slug]),  # a quiz is not a video
        reverse("analytics:lab", args=[slug, "no-such-lab"]),
        reverse("analytics:course-csv", args=[slug, "overview", "no-such-chart"]),
        reverse("analytics:course-csv", args=[slug, "nowhere", "funnel"]),
        reverse("analytics:activity-csv", args=[slug, "readings", cohort.video.slug, "heatmap"]),
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("page", PAGES[:7] + ["index"])
def test_a_dashboard_page_reads_rollups_only_in_at_most_10_queries(
    client, cohort, page, django_assert_max_num_queries
):
    client.force_login(cohort.instructor)  # an instructor pays for the role check too
    url = reverse("analytics:index") if page == "index" else pages(cohort)[page]
    client.get(url)  # the header's navigation flags are cached for five minutes: measure a steady page
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    touching = [q["sql"] for q in queries.captured_queries if "tracking_event" in q["sql"]]
    assert touching == []


@pytest.mark.parametrize("page", PAGES[:7])
def test_every_chart_has_a_csv_of_exactly_its_rows(client, cohort, page):
    client.force_login(cohort.instructor)
    html = client.get(pages(cohort)[page]).content.decode()
    charts = JSON_SCRIPT.findall(html)
    assert charts, "no chart on the page"
    links = re.findall(r'<a href="([^"]+\.csv[^"]*)" download>', html)
    assert len(links) >= len(charts)
    for (chart_id, data), link in zip(charts, links, strict=False):
        spec = json.loads(data)
        assert link.split("?")[0].endswith(chart_id.removeprefix("chart-").removesuffix("-data") + ".csv")
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == spec["columns"]
        assert len(rows) - 1 == len(spec["rows"])
        for got, want in zip(rows[1:], spec["rows"], strict=True):
            assert got == [_as_csv(value) for value in want], (chart_id, got, want)


def _as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(round(value, 6))
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return str(value)


def test_the_pages_show_the_cohort(client, cohort):
    """Figures from the rollups reach the pages: the funnel, a flagged or unflagged item
    table, the lab's failures with the feedback shown."""
    from analytics import models as m

    client.force_login(cohort.instructor)
    overview = client.get(pages(cohort)["overview"]).content.decode()
    summary = m.CourseSummary.objects.get(course=cohort.course)
    assert summary.learners == 40 and f"<dd>{summary.learners}</dd>" in overview
    assert "Funnel by week" in overview and "Week 1" in overview
    quizzes = client.get(pages(cohort)["quizzes"]).content.decode()
    assert "Item analysis" in quizzes and "Discrimination" in quizzes
    lab = client.get(pages(cohort)["lab"]).content.decode()
    failure = m.LabFailure.objects.filter(activity=cohort.lab).order_by("-failures").first()
    assert failure is not None and failure.test in lab
    video = client.get(pages(cohort)["video"]).content.decode()
    assert "Re-watch hotspots" in video and "Drop-off" in video


def test_csv_cells_that_look_like_formulas_are_quoted():
    from analytics.charts import Chart

    chart = Chart("x", "X", "bar", ["name", "value"], [["=HYPERLINK(1)", -0.25], ["+1", None]], [])
    assert chart.csv().splitlines() == ["name,value", "'=HYPERLINK(1),-0.25", "'+1,"]
