"""Issue 9: analysts see every course with learners pseudonymized. An analyst without
``accounts.view_learner_identity`` never sees a learner's username, display name or
e-mail on any dashboard page or CSV; one granted it does, and so do the course's
instructors (who teach those learners) and staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analytics.models import RiskAction
from analytics.risk import learner_risk_refresh
from analytics.views import COURSE_PAGES
from lms.accounts import roles
from lms.accounts.models import User
from lms.courses.models import CourseRole, Enrollment
from lms.inbox.models import Message
from tests.analytics.conftest import Cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def learners(cohort: Cohort) -> list:
    """The course's simulated learners, a few with an e-mail address (names they all
    have). Not ``cohort.student``: "student" is a word the pages use."""
    enrolled = Enrollment.objects.filter(course=cohort.course, active=True).exclude(user=cohort.student)
    users = [e.user for e in enrolled.select_related("user")]
    for n, user in enumerate(users[:5]):
        user.email = f"learner{n}@example.org"
        user.save(update_fields=["email"])
    learner_risk_refresh(course=cohort.course)  # the at-risk page reads this rollup
    return users


def identities(users) -> set[str]:
    found = set()
    for user in users:
        found |= {user.username, user.email, user.display_name, user.get_full_name()}
    return found - {""}


def every_page_and_csv(client, cohort: Cohort) -> dict[str, str]:
    """url -> body of every dashboard page of the course and every CSV they link to."""
    slug, bodies = cohort.course.slug, {}
    urls = [reverse(f"analytics:{page}", args=[slug]) for page in COURSE_PAGES]
    activities = {"video": cohort.video, "quiz": cohort.quiz, "lab": cohort.lab}
    urls += [
        reverse(f"analytics:{name}", args=[slug, activity.slug]) for name, activity in activities.items()
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = response.content.decode()
        charts = [*response.context["charts"], *response.context.get("tables", [])]
        for chart in charts:
            csv = client.get(chart.csv_url)
            assert csv.status_code == 200, chart.csv_url
            bodies[chart.csv_url] = csv.content.decode()
    return bodies


def test_an_analyst_sees_every_course_but_no_learner_by_name(client, cohort, learners):
    client.force_login(cohort.analyst)
    index = client.get(reverse("analytics:index")).content.decode()
    assert cohort.course.title in index and cohort.other.title in index
    assert client.get(reverse("analytics:overview", args=[cohort.other.slug])).status_code == 200
    bodies = every_page_and_csv(client, cohort)
    names = identities(learners)
    leaks = {url: sorted(n for n in names if n in body) for url, body in bodies.items()}
    assert not any(leaks.values()), {url: found for url, found in leaks.items() if found}
    at_risk = bodies[reverse("analytics:at-risk", args=[cohort.course.slug])]
    rows = client.get(reverse("analytics:at-risk", args=[cohort.course.slug])).context["rows"]
    assert rows and all(roles.pseudonym_label(r.learner.pk) in at_risk for r in rows)
    for row in rows:  # nor by database id: anchors and forms carry the pseudonym
        assert f'name="learner" value="{row.learner.pk}"' not in at_risk
        assert f'id="learner-{row.learner.pk}"' not in at_risk
    assert "Send message" not in at_risk and "mailto:" not in at_risk  # no messaging without identity
    csv = next(body for url, body in bodies.items() if url.endswith("/learners.csv"))
    assert csv.splitlines()[0].startswith("Rank,Learner,Band,Risk")  # no e-mail column


def test_an_analyst_cannot_message_but_may_record_an_action_under_a_pseudonym(client, cohort, learners):
    learner = next(user for user in learners if user.email)
    action = reverse("analytics:at-risk-action", args=[cohort.course.slug])
    client.force_login(cohort.analyst)
    key = roles.analytics_learner_pseudonym(learner.pk)
    sent = client.post(action, {"learner": key, "action": "message", "body": "Hello"})
    assert sent.status_code == 403 and not Message.objects.exists()
    by_id = client.post(action, {"learner": learner.pk, "action": "handled"})
    assert by_id.status_code == 404  # an analyst names learners by pseudonym only
    response = client.post(action, {"learner": key, "action": "handled"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert roles.pseudonym_label(learner.pk) in page and not any(n in page for n in identities([learner]))
    assert RiskAction.objects.filter(learner=learner, by=cohort.analyst).count() == 1


@pytest.mark.parametrize("who", ["identifying_analyst", "staff", "instructor"])
def test_identified_viewers_see_names_and_may_message(client, cohort, learners, who):
    client.force_login(getattr(cohort, who))
    response = client.get(reverse("analytics:at-risk", args=[cohort.course.slug]))
    page = response.content.decode()
    scored = [r.learner for r in response.context["rows"]]
    assert scored and all(learner.username in page for learner in scored)
    assert "Send message" in page
    learner = next(user for user in learners if user.email)
    action = reverse("analytics:at-risk-action", args=[cohort.course.slug])
    sent = client.post(action, {"learner": learner.pk, "action": "message", "body": "We miss you."})
    # delivered in the site (the e-mail copy goes by Celery: tests/platform/lms/inbox)
    assert sent.status_code == 302
    assert Message.objects.get(recipient=learner).body == "We miss you."


def test_an_analyst_who_teaches_the_course_sees_its_learners_by_name(client, cohort, learners):
    CourseRole.objects.create(user=cohort.analyst, course=cohort.other)
    assert roles.can_identify(cohort.analyst, course_id=cohort.other.pk)
    assert not roles.can_identify(cohort.analyst, course_id=cohort.course.pk)
    learner = learners[0]
    assert roles.learner_label(learner, viewer=cohort.analyst, course_id=cohort.course.pk).startswith(
        "learner-"
    )
    CourseRole.objects.create(user=cohort.analyst, course=cohort.course)
    analyst = User.objects.get(pk=cohort.analyst.pk)  # roles are remembered per user object (per request)
    assert roles.learner_label(learner, viewer=analyst, course_id=cohort.course.pk) == str(learner)
    client.force_login(cohort.analyst)
    page = client.get(reverse("analytics:at-risk", args=[cohort.course.slug])).content.decode()
    assert "Send message" in page


def test_instructors_see_only_their_courses_and_students_no_dashboard(client, cohort):
    for user, own, other in ((cohort.instructor, 200, 403), (cohort.other_instructor, 403, 200),
                             (cohort.student, 403, 403)):  # fmt: skip
        client.force_login(user)
        assert client.get(reverse("analytics:at-risk", args=[cohort.course.slug])).status_code == own, user
        assert client.get(reverse("analytics:overview", args=[cohort.other.slug])).status_code == other, user
    client.force_login(cohort.student)
    assert client.get(reverse("analytics:index")).status_code == 403
