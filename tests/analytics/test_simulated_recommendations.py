"""A simulated cohort records its next steps as the platform does (``recommendation.*``
events with propensities, through the ingestion service), so the instructors'
recommendations dashboard has data for it (issue 15, point 6)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analytics import models as m
from analytics.rollups import rollups_update
from lms.courses.models import Course
from lms.courses.services import course_import
from lms.tracking.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
COURSE = "neural-networks-deep-learning"


def test_simulate_cohort_fills_the_recommendations_dashboard(client, settings):
    from pathlib import Path

    course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    call_command("simulate_cohort", "--course", COURSE, "--learners", "30", "--days", "21", "--seed", "6",
                 "--start", "2026-05-04", "--no-stats", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    shown = Event.objects.filter(source="simulation", verb="recommendation.shown")
    followed = Event.objects.filter(source="simulation", verb="recommendation.followed").count()
    dismissed = Event.objects.filter(source="simulation", verb="recommendation.dismissed").count()
    assert shown.count() > 100 and followed and dismissed and followed + dismissed == shown.count()
    for event in shown[:50]:
        assert (
            len(event.payload["propensities"]) == len(event.payload["items"])
            and event.payload["model"] == "syllabus"
        )
    rollups_update(until=timezone.now())
    course = Course.objects.get(slug=COURSE)
    assert m.LearnerRecommendation.objects.filter(course=course).count() == shown.count()

    client.force_login(UserFactory(is_staff=True))
    page = client.get(reverse("analytics:recommendations", args=[COURSE]))
    assert page.status_code == 200
    assert "No recommendations were shown in this course yet." not in page.content.decode()
    body = client.get(reverse("analytics:course-csv", args=[COURSE, "recommendations", "by-policy"]))
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert [r["Policy"] for r in rows] == ["syllabus"]
    assert int(rows[0]["Shown"]) == shown.count()
    assert int(rows[0]["Followed"]) == followed and int(rows[0]["Dismissed"]) == dismissed
    assert 0 < float(rows[0]["Follow rate"]) < 1
    outcomes = client.get(reverse("analytics:course-csv", args=[COURSE, "recommendations", "outcomes"]))
    groups = {r["Followed"]: r for r in csv.DictReader(io.StringIO(outcomes.content.decode()))}
    assert set(groups) == {"followed", "not followed"} and int(groups["followed"]["Completed"]) > 0
