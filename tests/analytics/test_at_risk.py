"""Learners at risk: the precomputed rollup (rule and model), the page's permissions,
filters, sorting, pages of 50 and query budget, one sentence per signal, and the
instructor's actions (a message reaches the learner's home page)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import LearnerRisk, RiskAction
from analytics.risk import band_of, learner_risk_refresh, signals
from lms.accounts.roles import analytics_learner_pseudonym
from lms.courses.models import Enrollment
from lms.inbox.models import Message
from lms.recommendations.serving import serving_forget
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 4, 12, tzinfo=dt.UTC)  # the simulated cohort: 30 days from 2026-05-04
Band = LearnerRisk.Band


def url(c, name="at-risk"):
    return reverse(f"analytics:{name}", args=[c.course.slug])


@pytest.fixture
def no_model():
    serving_forget()
    yield
    serving_forget()


@pytest.fixture
def refreshed(cohort, no_model):
    learner_risk_refresh(course=cohort.course, now=NOW)
    return cohort


def test_only_instructors_of_the_course_analysts_and_staff_see_it_or_act(client, refreshed):
    cohort = refreshed
    assert client.get(url(cohort)).status_code == 302
    learner = Enrollment.objects.filter(course=cohort.course, active=True).first().user
    for user, status in cohort.course_access():
        client.force_login(user)
        assert client.get(url(cohort)).status_code == status, user
        key = analytics_learner_pseudonym(learner.pk)  # what every viewer may name a learner by
        post = client.post(url(cohort, "at-risk-action"), {"learner": key, "action": "handled"})
        assert post.status_code == (302 if status == 200 else 403)
    assert RiskAction.objects.filter(learner=learner).count() == 3  # instructor, analyst and staff only
    # a pseudonymizing analyst is offered no message (it would need the learner's identity)
    client.force_login(cohort.analyst)
    assert "Send message" not in client.get(url(cohort)).content.decode()


def test_without_a_model_the_rule_bands_learners_by_days_away(
    client, refreshed, django_assert_max_num_queries
):
    cohort = refreshed
    rows = list(LearnerRisk.objects.filter(course=cohort.course))
    assert len(rows) == Enrollment.objects.filter(course=cohort.course, active=True).count()
    assert all(r.source == "rule" and r.risk is None and r.computed == NOW for r in rows)
    assert all(r.band == band_of(risk=None, days_inactive=r.days_inactive) for r in rows)
    student = next(r for r in rows if r.learner_id == cohort.student.pk)
    assert student.band == Band.NEVER and student.last_active is None  # enrolled, never came
    assert {Band.DISENGAGED, Band.LOW} <= {r.band for r in rows}  # some left, some are still here
    for r in rows:
        if r.last_active is not None:
            assert r.days_inactive == (NOW - r.last_active).days

    client.force_login(cohort.instructor)
    client.get(url(cohort))  # the header's navigation flags are cached for five minutes
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
        response = client.get(url(cohort))
    assert response.status_code == 200
    assert not any("tracking_event" in q["sql"] for q in queries.captured_queries)  # the rollup only
    html = response.content.decode()
    assert "No recommender model is active" in html and "Risk computed" in html and "by the rule" in html
    shown = response.context["rows"]
    ranked = [r for r in rows if r.band != Band.NEVER]
    assert len(shown) == min(len(ranked), 50)
    keys = [(r.band, r.days_inactive) for r in shown]
    assert keys == sorted(keys, reverse=True)  # disengaged first, then by days away
    assert response.context["never_active"] >= 1


def test_one_sentence_per_signal_always_worded_alike():
    assert signals(days_inactive=41, recent_failures=2, overdue_weeks=[3, 2]) == [
        "Inactive 41 days",
        "2 failed graded items in the last 14 days",
        "Behind the soft deadline of weeks 2, 3",
    ]
    assert signals(days_inactive=1, recent_failures=1, overdue_weeks=[1]) == [
        "Inactive 1 day",
        "1 failed graded item in the last 14 days",
        "Behind the soft deadline of week 1",
    ]
    assert signals(days_inactive=0, recent_failures=0, overdue_weeks=[]) == []


def _many(cohort, n: int = 130) -> list:
    """``n`` more enrolled learners with precomputed rows (the page reads only the rollup)."""
    rows = []
    bands = [Band.DISENGAGED, Band.HIGH, Band.MEDIUM, Band.LOW]
    for i in range(n):
        user = UserFactory(username=f"many-{i}")
        Enrollment.objects.create(user=user, course=cohort.course, track=Enrollment.Track.AUDIT)
        days = (i * 7) % 45
        rows.append(LearnerRisk(course=cohort.course, learner=user, band=bands[i % 4], risk=None,
                                last_active=NOW - dt.timedelta(days=days), days_inactive=days, week=1 + i % 3,
                                recent_failures=i % 3, overdue_weeks=[1] if i % 5 == 0 else [],
                                source="rule", computed=NOW))  # fmt: skip
    LearnerRisk.objects.bulk_create(rows)
    return rows


def test_filters_sorting_and_pages_of_fifty(client, refreshed, django_assert_max_num_queries):
    cohort = refreshed
    _many(cohort)
    ranked = LearnerRisk.objects.filter(course=cohort.course).exclude(band=Band.NEVER)
    total = ranked.count()
    client.force_login(cohort.instructor)
    client.get(url(cohort))
    pages = -(-total // 50)
    seen = []
    for page in range(1, pages + 1):
        with django_assert_max_num_queries(12):
            response = client.get(url(cohort), {"page": page})
        rows = response.context["rows"]
        assert len(rows) == (50 if page < pages else total - 50 * (pages - 1))
        seen += [r.key for r in rows]
    assert len(set(seen)) == total  # every ranked learner once, over the pages
    html = response.content.decode()
    assert 'rel="prev"' in html and f"page {pages} of {pages}" in html

    def get(**params):
        response = client.get(url(cohort), params)
        assert response.status_code == 200
        return response.context["rows"], response.context["page"].paginator.count

    rows, count = get(band="high")
    assert count == ranked.filter(band=Band.HIGH).count() and {r.band for r in rows} == {Band.HIGH}
    rows, count = get(week="2")
    assert count == ranked.filter(week=2).count() and {r.week for r in rows} == {2}
    rows, count = get(active="7")
    assert count == ranked.filter(days_inactive__lte=7).count() and all(r.days_inactive <= 7 for r in rows)
    rows, count = get(active="older", band="disengaged")
    assert all(r.days_inactive > 30 and r.band == Band.DISENGAGED for r in rows)
    assert count == ranked.filter(days_inactive__gt=30, band=Band.DISENGAGED).count()
    rows, count = get(band="never")
    assert count >= 1 and {r.band for r in rows} == {Band.NEVER}
    rows, _ = get(sort="inactive")
    assert [r.days_inactive for r in rows] == sorted((r.days_inactive for r in rows), reverse=True)
    rows, _ = get(sort="recent")
    assert [r.days_inactive for r in rows] == sorted(r.days_inactive for r in rows)
    rows, _ = get(sort="failures")
    assert [r.recent_failures for r in rows] == sorted((r.recent_failures for r in rows), reverse=True)
    # unknown values are ignored, a page past the end shows the last one
    rows, count = get(band="purple", week="x", active="-1", sort="drop table", page="999")
    assert count == total and rows

    # the CSV holds every row the filters match, not only the page
    response = client.get(url(cohort), {"band": "medium", "sort": "inactive"})
    html = response.content.decode()
    link = re.search(r'href="([^"]+/learners\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "band=medium" in link and "sort=inactive" in link
    lines = client.get(link).content.decode().strip().splitlines()
    assert lines[0].startswith("Rank,Learner,E-mail,Band,Risk,Days inactive")
    assert len(lines) - 1 == ranked.filter(band=Band.MEDIUM).count()


def test_actions_are_recorded_and_a_message_reaches_the_learners_home_page(client, refreshed, caplog):
    cohort = refreshed
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
                                    "body": "We miss you in the course."}, follow=True)  # fmt: skip
    assert sent.status_code == 200
    assert "it shows in their inbox and e-mailed to them" in sent.content.decode()
    assert [a.action for a in RiskAction.objects.filter(learner=learner).order_by("at")] == [
        "handled", "not_useful", "messaged"]  # fmt: skip
    assert all(a.by == cohort.instructor for a in RiskAction.objects.filter(learner=learner))
    assert "at-risk action handled" in caplog.text
    message = Message.objects.get(recipient=learner)
    assert (message.sender, message.subject, message.body) == (
        cohort.instructor,
        "Hello",
        "We miss you in the course.",
    )
    assert "Messaged by teacher" in client.get(url(cohort)).content.decode()

    client.force_login(learner)
    home = client.get(reverse("home")).content.decode()
    assert "Messages for you" in home and "We miss you in the course." in home

    # an empty message sends nothing and says so
    client.force_login(cohort.instructor)
    empty = client.post(action, {"learner": learner.pk, "action": "message", "body": "  "}, follow=True)
    assert "Nothing sent" in empty.content.decode() and Message.objects.filter(recipient=learner).count() == 1
    # Not a learner of the course, an unknown action.
    assert client.post(action, {"learner": cohort.staff.pk, "action": "handled"}).status_code == 404
    assert client.post(action, {"learner": learner.pk, "action": "delete"}).status_code == 400


def test_message_is_never_offered_where_nothing_can_be_delivered(client, refreshed):
    cohort = refreshed
    row = LearnerRisk.objects.filter(course=cohort.course).exclude(band=Band.NEVER).order_by("-band").first()
    learner = row.learner
    client.force_login(cohort.instructor)
    html = client.get(url(cohort)).content.decode()
    assert f'id="body-{learner.pk}"' in html  # offered: the learner has an account that sees it
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    html = client.get(url(cohort)).content.decode()
    assert f'id="learner-{learner.pk}"' in html and f'id="body-{learner.pk}"' not in html
    posted = client.post(url(cohort, "at-risk-action"),
                         {"learner": learner.pk, "action": "message", "body": "Hello?"}, follow=True)  # fmt: skip
    assert "Nothing sent" in posted.content.decode()
    assert not Message.objects.filter(recipient=learner).exists()
    assert not RiskAction.objects.filter(learner=learner, action="messaged").exists()


def test_with_an_active_model_time_away_counts_and_calibration_is_shown(client, cohort, settings, tmp_path,
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
        learner_risk_refresh(course=cohort.course, now=NOW)
        rows = list(LearnerRisk.objects.filter(course=cohort.course))
        assert all(r.source == version.label for r in rows)
        engaged = [r for r in rows if r.days_inactive is not None and r.days_inactive < 14]
        gone = [r for r in rows if r.days_inactive is not None and r.days_inactive >= 14]
        assert engaged and gone
        assert all(0.0 <= r.risk <= 1.0 and r.band == band_of(risk=r.risk, days_inactive=r.days_inactive)
                   for r in engaged)  # fmt: skip
        assert all(r.risk is None and r.band == Band.DISENGAGED for r in gone)  # no longer a prediction

        client.force_login(cohort.instructor)
        client.get(url(cohort))  # the header's navigation flags are cached for five minutes
        with django_assert_max_num_queries(12):
            response = client.get(url(cohort))
        html = response.content.decode()
        assert version.label in html and "ROC-AUC" in html and "PR-AUC" in html
        assert "No recommender model is active" not in html
        calibration = response.context["calibration"]
        assert calibration and {"roc_auc", "pr_auc", "ece", "positive_rate"} <= set(calibration)
        shown = response.context["rows"]
        # whoever has been away the whole horizon comes before anyone still engaged
        bands = [r.band for r in shown]
        assert bands == sorted(bands, reverse=True)
        for a, b in zip(shown, shown[1:], strict=False):  # within a band, the higher risk first
            if a.band == b.band and a.risk is not None:
                assert a.risk >= b.risk
    finally:
        serving_forget()
