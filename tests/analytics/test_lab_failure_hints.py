"""The lab-failure dashboard of a simulated cohort shows the feedback the grader would
have given: each "hint" is a known mistake's own hint from the lab's tests.py, never a
simulator label ("simulated mistake: ..."), and tests failed without a known mistake show
the grader's message."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from course_content.labkit.labspec import load_lab
from lms.courses.models import Activity
from recommender.simulate.activities import VALUE_MESSAGE

pytestmark = pytest.mark.django_db


def _shown(text: str) -> str:
    """As the dashboard stores feedback: whitespace kept, cut at 200 characters."""
    return text if len(text) <= 200 else text[:199] + "…"


def test_the_hint_column_holds_the_labs_own_hints(client, cohort):
    client.force_login(cohort.instructor)
    slug = cohort.course.slug
    hint_rows = 0
    for lab in Activity.objects.filter(course=cohort.course, kind=Activity.Kind.LAB):
        real_hints = {
            _shown(m.hint.strip()) for m in load_lab(Path(settings.CONTENT_ROOT) / lab.lab_path).mistakes
        }
        response = client.get(reverse("analytics:activity-csv", args=[slug, "labs", lab.slug, "failures"]))
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        for row in rows:
            assert "simulated mistake" not in row["feedback shown"]
            if row["feedback is a hint"] == "yes":
                hint_rows += 1
                assert row["feedback shown"] in real_hints, (lab.slug, row)
            else:
                assert row["feedback shown"] == VALUE_MESSAGE, (lab.slug, row)
    assert hint_rows > 0  # the cohort made known mistakes, and the page shows their hints

    page = client.get(reverse("analytics:lab", args=[slug, cohort.lab.slug])).content.decode()
    assert "simulated mistake" not in page
