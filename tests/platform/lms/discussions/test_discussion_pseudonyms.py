"""Pseudonyms on discussion pages (issue 17, finding 11): an analyst without the identity
grant sees every author (thread, reply, "Started by") as the learner's pseudonym, the
one the dashboards and exports use, and the authors' names nowhere in titles or bodies;
an analyst granted identities, instructors and classmates see names."""

import pytest

from lms.accounts.roles import pseudonym_label
from lms.courses.models import CourseRole, Enrollment
from lms.discussions.services import post_create, thread_create
from lms.tracking.services import catalog_index_forget
from tests.factories import ActivityFactory, UserFactory, analyst_user

pytestmark = pytest.mark.django_db

NAMES = ("Zelda Quartz", "zelda-q", "Otto Keeps", "otto-k")


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


@pytest.fixture
def world():
    activity = ActivityFactory(
        slug="nn-w1-intro", week__course__slug="nn", week__course__title="Neural Networks"
    )
    zelda = UserFactory(
        username="zelda-q", first_name="Zelda", last_name="Quartz", display_name="Zelda Quartz"
    )
    otto = UserFactory(username="otto-k", display_name="Otto Keeps")
    for user in (zelda, otto):
        Enrollment.objects.create(user=user, course=activity.course, active=True)
    thread = thread_create(
        author=zelda, activity=activity, title="Zelda Quartz asks: why ReLU?", body="Signed, zelda-q."
    )
    post_create(author=otto, thread=thread, body="Hi Zelda Quartz, vanishing gradients. -- Otto Keeps")
    return activity, thread, zelda, otto


def pages(client, viewer, activity, thread) -> tuple[str, str]:
    client.force_login(viewer)
    base = f"/courses/{activity.course.slug}/{activity.slug}/discussion/"
    listing, detail = client.get(base), client.get(f"{base}{thread.pk}/")
    assert listing.status_code == detail.status_code == 200
    return listing.content.decode(), detail.content.decode()


def test_an_analyst_without_the_grant_sees_pseudonyms_everywhere(client, world):
    activity, thread, zelda, otto = world
    listing, detail = pages(client, analyst_user(), activity, thread)
    for text in (listing, detail):
        assert not [name for name in NAMES if name.lower() in text.lower()], "a name is shown"
    assert f"by {pseudonym_label(zelda.pk)}" in listing
    assert f"Started by {pseudonym_label(zelda.pk)}" in detail
    assert f"{pseudonym_label(otto.pk)} ·" in detail  # the reply's author line
    assert f"{pseudonym_label(zelda.pk)} asks: why ReLU?" in detail  # the name in the title
    assert f"Hi {pseudonym_label(zelda.pk)}, vanishing gradients" in detail


@pytest.mark.parametrize("who", ["identifying analyst", "instructor", "classmate"])
def test_those_who_may_identify_learners_see_names(client, world, who):
    activity, thread, zelda, otto = world
    if who == "identifying analyst":
        viewer = analyst_user(identity=True)
    elif who == "instructor":
        viewer = UserFactory(username="teacher")
        CourseRole.objects.create(user=viewer, course=activity.course)
    else:
        viewer = UserFactory(username="peer")
        Enrollment.objects.create(user=viewer, course=activity.course, active=True)
    listing, detail = pages(client, viewer, activity, thread)
    assert "by Zelda Quartz" in listing and "Started by Zelda Quartz" in detail
    assert "Otto Keeps ·" in detail and "Zelda Quartz asks: why ReLU?" in detail
    assert "learner-" not in listing + detail


def test_a_pseudonymous_page_costs_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    activity, thread, *_ = world
    client.force_login(analyst_user())
    with django_assert_max_num_queries(12):
        assert (
            client.get(f"/courses/{activity.course.slug}/{activity.slug}/discussion/{thread.pk}/").status_code
            == 200
        )
