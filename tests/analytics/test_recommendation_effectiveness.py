"""Recommendation effectiveness: counts by policy from the recommendation rollup, outcomes
after following versus not with 95% intervals, permissions, CSV and query budget."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import models as m
from analytics.stats import wilson
from tests.analytics.conftest import people_and_items, store_cohort, store_recommendations

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def rec(module_db):
    from analytics.rollups import rollups_update

    course = store_cohort(seed=5)
    store_recommendations(course)
    rollups_update(until=timezone.now())
    return people_and_items(course)


def url(c, name="recommendations"):
    return reverse(f"analytics:{name}", args=[c.course.slug])


def test_only_instructors_of_the_course_analysts_and_staff_see_it(client, rec):
    assert client.get(url(rec)).status_code == 302  # to the login page
    for user, status in rec.course_access():
        client.force_login(user)
        assert client.get(url(rec)).status_code == status, user
        csv_url = reverse("analytics:course-csv", args=[rec.course.slug, "recommendations", "by-policy"])
        assert client.get(csv_url).status_code == status


def test_counts_by_policy_match_the_rollup_and_the_csv(client, rec, django_assert_max_num_queries):
    client.force_login(rec.instructor)
    client.get(url(rec))  # the header's navigation flags are cached for five minutes
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        response = client.get(url(rec))
    assert response.status_code == 200
    assert not any("tracking_event" in q["sql"] for q in queries.captured_queries)
    html = response.content.decode()
    assert "Learners at risk" in html and "Recommendations" in html  # the tabs
    for policy in ("model-v1", "rules-v1", "syllabus"):
        assert policy in html
    body = client.get(reverse("analytics:course-csv", args=[rec.course.slug, "recommendations", "by-policy"]))
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    assert rows[0] == ["Policy", "Shown", "Followed", "Dismissed", "Follow rate"]
    shown = sum(int(r[1]) for r in rows[1:])
    assert shown == m.LearnerRecommendation.objects.filter(course=rec.course).count()
    assert sum(int(r[2]) for r in rows[1:]) == m.LearnerRecommendation.objects.filter(followed=True).count()


def test_outcomes_after_following_versus_not_with_intervals(client, rec):
    client.force_login(rec.staff)
    body = client.get(reverse("analytics:course-csv", args=[rec.course.slug, "recommendations", "outcomes"]))
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert {r["Followed"] for r in rows} == {"followed", "not followed"}
    # Every recommendation suggested an activity the learner completed a day later.
    for r in rows:
        n, done = int(r["Recommendations"]), int(r["Completed"])
        assert n and done == n
        assert float(r["95% low"]) < float(r["Share completed"]) == 1.0 == float(r["95% high"])
    assert sum(int(r["Recommendations"]) for r in rows) == m.LearnerRecommendation.objects.count()
    assert "95% interval" in client.get(url(rec)).content.decode()


def test_the_wilson_interval():
    assert wilson(0, 0) == (None, None)
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-3) and high == pytest.approx(0.7634, abs=1e-3)
    assert wilson(0, 20)[0] == 0.0 and wilson(20, 20)[1] == 1.0
