"""The demo graduate (``seed_demo``): verified in the first course with every graded
item passed, so its certificate (and the certificate pages) exist in the demo; earned
the way a learner earns it, with its notification; seeding again changes nothing."""

import pytest

from lms.inbox.models import Message
from lms.progress.models import Certificate
from lms.site.management.commands.seed_demo import _graduate_ensure
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_graduate_holds_the_first_courses_certificate(small_course, client):
    course, items = small_course
    CourseFactory(slug="later", number=course.number + 1)  # not the first course
    graduate = UserFactory(username="demo-graduate")
    certificate = _graduate_ensure(learner=graduate)
    assert certificate is not None and certificate.course == course and certificate.grade == 1.0
    assert Message.objects.filter(recipient=graduate, kind="certificate").count() == 1
    assert _graduate_ensure(learner=graduate) == certificate  # idempotent
    assert Certificate.objects.filter(learner=graduate).count() == 1
    page = client.get(f"/certificates/{certificate.code}/")
    assert page.status_code == 200 and course.title in page.content.decode()
