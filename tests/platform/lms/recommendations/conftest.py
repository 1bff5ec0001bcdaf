"""Fixtures shared by the next-step tests."""

import pytest

from lms.courses.models import Enrollment
from lms.courses.services import enrollment_create
from tests.factories import UserFactory


@pytest.fixture
def learner(small_course):
    """A learner on the verified track of the small two-week course (tests/platform/lms/conftest.py)."""
    course, _ = small_course
    user = UserFactory()
    enrollment_create(user=user, course=course, track=Enrollment.Track.VERIFIED)
    return user
