"""Learners at risk: permissions, the rule when no model is active, the model's risk and
calibration when one is, the instructor's actions (recorded and logged), query budget."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import RiskAction
from lms.accounts.roles import learner_pseudonym
from lms.courses.models import Enrollment
from lms.recommendations.serving import serving_forget

pytestmark = pytest.mark.django_db


def url(c, name="at-risk"):
    return reverse(f"analytics:{name}", args=[c.course.slug])


@pytest.fixture
def no_model():
    serving_forget()
    yield
    serving_forget()


def test_only_instructors_of_the_course_analysts_and_staff_see_it_or_act(client, cohort, no_model):
    assert client.get(url(cohort)).status_code == 302
    learner = Enrollment.objects.filter(course=cohort.course, active=True).first().user
    for user, status in ((cohort.student, 403), (cohort.other_instructor, 403), (cohort.instructor, 200),
                         (cohort.analyst, 200), (cohort.staff, 200)):  # fmt: skip
        client.force_login(user)
        assert client.get(url(cohort)).status_code == status, user
        key = learner_pseudonym(learner.pk)  # what every viewer may name a learner by
        post = client.post(url(cohort, "at-risk-action"), {"learner": key, "action": "handled"})
        assert post.status_code == (302 if status == 200 else 403)
    assert RiskAction.objects.filter(learner=learner).count() == 3  # instructor, analyst and staff only


def test_without_a_model_the_rule_ranks_by_days_since_last_activity(client, cohort, no_model,
                                                                   django_assert_max_num_queries):  # fmt: skip
    client.force_login(cohort.instructor)
    client.get(url(cohort))  # the header's navigation flags are cached for five minutes
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
        response = client.get(url(cohort))
    assert response.status_code == 200
    # One query fetches every scored learner's recent events (the model's input).
    assert sum("tracking_event" in q["sql"] for q in queries.captured_queries) <= 1
    html = response.content.decode()
    assert "No recommender model is active" in html and "days since last activity" in html
    rows = response.context["rows"]
    assert rows and [r.days_inactive for r in rows] == sorted((r.days_inactive for r in rows), reverse=True)
    assert response.context["never_active"] >= 1  # the enrolled student never came
    assert f"Scored: the {len(rows)} most recently active" in html
    assert any("since last activity" in reason for r in rows for reason in r.reasons)


def test_actions_are_recorded_and_logged(client, cohort, no_model, caplog):
    learner = (
        Enrollment.objects.filter(course=cohort.course, active=True).exclude(user=cohort.student).first().user
    )
    learner.email = "learner@example.org"
    learner.save(update_fields=["email"])
    client.force_login(cohort.instructor)
    action = url(cohort, "at-risk-action")
    with caplog.at_level(logging.INFO, logger="analytics.services"):
        assert (
            client.post(action, {"learner": learner.pk, "action": "handled", "note": "called"}).status_code
            == 302
        )
        assert client.post(action, {"learner": learner.pk, "action": "not_useful"}).status_code == 302
        sent = client.post(action, {"learner": learner.pk, "action": "message", "subject": "Hello",
                                    "body": "We miss you in the course."})  # fmt: skip
    assert sent.status_code == 302
    assert [a.action for a in RiskAction.objects.filter(learner=learner).order_by("at")] == [
        "handled", "not_useful", "messaged"]  # fmt: skip
    assert all(a.by == cohort.instructor for a in RiskAction.objects.filter(learner=learner))
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["learner@example.org"]
    assert "at-risk action handled" in caplog.text
    page = client.get(url(cohort)).content.decode()
    assert "Messaged by teacher" in page
    # Not a learner of the course, an unknown action.
    assert client.post(action, {"learner": cohort.staff.pk, "action": "handled"}).status_code == 404
    assert client.post(action, {"learner": learner.pk, "action": "delete"}).status_code == 400


def test_with_an_active_model_the_risk_and_its_calibration_are_shown(client, cohort, settings, tmp_path,
                                                                    django_assert_max_num_queries):  # fmt: skip
    from lms.recommendations.models import ModelVersion
    from lms.recommendations.registry import model_activate, retrain_request
    from recommender.train import TrainConfig

    settings.MODEL_REGISTRY_DIR = tmp_path / "models"
    serving_forget()
    try:
        version = retrain_request(run_now=True, train_config=TrainConfig(
            epochs=1, d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=64, batch_size=16))  # fmt: skip
        if version.status == ModelVersion.Status.CANDIDATE:
            model_activate(version=version)
        version.refresh_from_db()
        assert version.status == ModelVersion.Status.ACTIVE, version.reason
        serving_forget()
        client.force_login(cohort.instructor)
        client.get(url(cohort))  # the header's navigation flags are cached for five minutes
        with django_assert_max_num_queries(10):
            response = client.get(url(cohort))
        html = response.content.decode()
        assert version.label in html and "ROC-AUC" in html and "PR-AUC" in html
        assert "No recommender model is active" not in html
        calibration = response.context["calibration"]
        assert calibration and {"roc_auc", "pr_auc", "positive_rate"} <= set(calibration)
        rows = response.context["rows"]
        risks = [r.risk for r in rows]
        assert all(0.0 <= r <= 1.0 for r in risks) and risks == sorted(risks, reverse=True)
    finally:
        serving_forget()
