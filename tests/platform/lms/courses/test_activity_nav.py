"""Moving through a course: Previous and Next on every activity page in syllabus order,
across week boundaries; the recommended step beside Next when it is another one (read
from the cached choice, never computed per page); the home page of a brand-new learner;
the catalog in course-number order."""

import pytest
from django.core.cache import cache

from lms.courses.models import Course
from lms.courses.selectors import activity_neighbours
from lms.courses.services import enrollment_create
from lms.recommendations.services import NEXT_STEPS_KEY, next_steps_show
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_neighbours_follow_the_syllabus_across_weeks(small_course):
    course, items = small_course
    order = ["video", "reading", "quiz", "video2", "quiz2"]
    for i, name in enumerate(order):
        previous, following = activity_neighbours(activity=items[name])
        assert (previous.slug if previous else None) == (items[order[i - 1]].slug if i else None)
        assert (following.slug if following else None) == (
            items[order[i + 1]].slug if i + 1 < len(order) else None
        )
    _, following = activity_neighbours(activity=items["quiz"])
    assert following.other_week and following.week_title == "Week two"
    items["video2"].retired = True
    items["video2"].save()
    assert activity_neighbours(activity=items["quiz"])[1].slug == "c9-quiz2"  # retired ones skipped


@pytest.mark.parametrize("name", ["video", "reading", "quiz"])
def test_every_kind_of_page_has_previous_and_next(client, small_course, name):
    course, items = small_course
    learner = UserFactory(username=f"nav-{name}")
    enrollment_create(user=learner, course=course)
    client.force_login(learner)
    html = client.get(f"/courses/c9/{items[name].slug}/").content.decode()
    assert 'aria-label="Course navigation"' in html and 'rel="next"' in html
    assert ('rel="prev"' in html) == (name != "video")  # the first activity offers the outline instead
    last = client.get("/courses/c9/c9-quiz2/").content.decode()
    assert 'rel="next"' not in last and "End of the course" in last


def test_the_recommended_step_is_offered_beside_next_when_it_differs(client, small_course):
    course, items = small_course
    learner = UserFactory(username="nav-rec")
    enrollment_create(user=learner, course=course)
    client.force_login(learner)
    # nothing cached yet: no recommendation, and the page does not compute one
    assert 'id="recommended-step"' not in client.get("/courses/c9/c9-reading/").content.decode()
    assert cache.get(NEXT_STEPS_KEY.format(learner.pk)) is None
    steps = next_steps_show(learner=learner)  # what the home page does
    top = steps.primary.activity.slug
    assert top == "c9-video"  # the syllabus' first step
    html = client.get("/courses/c9/c9-quiz/").content.decode()  # Next is video2; the recommendation differs
    assert 'id="recommended-step"' in html and f"/courses/c9/{top}/" in html.split('id="recommended-step"')[1]
    # on the recommended page itself, the next one in the cached ranking (if any) is offered, never itself
    own = client.get(f"/courses/c9/{top}/").content.decode()
    assert f'href="/courses/c9/{top}/" title' not in own


def test_a_new_learner_is_welcomed_and_offered_enrolment_first(client):
    CourseFactory(slug="third", title="Third course", number=3)
    first = CourseFactory(slug="first", title="First course", number=1)
    CourseFactory(slug="second", title="A second course", number=2)
    learner = UserFactory(username="newcomer")
    client.force_login(learner)
    html = client.get("/").content.decode()
    assert "Welcome to Cairn, newcomer" in html and "Welcome back" not in html
    assert 'id="first-step"' in html and f'action="/courses/{first.slug}/enroll"' in html
    # the catalog in course-number order, not alphabetical
    assert html.index("First course") < html.index("A second course") < html.index("Third course")
    response = client.post(f"/courses/{first.slug}/enroll", {"track": "audit"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "Welcome back, newcomer" in html and 'id="first-step"' not in html
    CourseFactory(slug="a-fourth", number=4)
    for course in Course.objects.all():
        enrollment_create(user=learner, course=course)
    assert "More courses" not in client.get("/").content.decode()  # no empty heading
