import pytest

from lms.courses.models import Activity
from tests.factories import ActivityFactory, WeekFactory

TRANSCRIPT = """Backpropagation computes the gradient of the cost with respect to every parameter. It applies the
chain rule backwards, from the output layer to the first layer.

Each layer caches its inputs during the forward pass, so the backward pass can reuse them. The gradients then
update the weights with gradient descent."""


@pytest.fixture
def lecture_media(settings, tmp_path):
    """Generated lectures go to a folder of this test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT / "lectures"


@pytest.fixture
def generated_video(lecture_media):
    """A video with a transcript and no media: its lecture is generated (30 s)."""
    week = WeekFactory(course__slug="c7", course__title="Course Seven", slug="c7-w1", position=1)
    return ActivityFactory(week=week, slug="c7-backprop", position=1, kind=Activity.Kind.VIDEO,
                           title="Backpropagation", duration_seconds=30, transcript=TRANSCRIPT)  # fmt: skip
