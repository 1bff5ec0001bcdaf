"""The activity page's registries (lms.courses.pages): each kind's page is its owning
app's, registered in that app's ``AppConfig.ready()``; the openers run in the order the
apps are installed (progress records the opening before the recommended step is read)."""

from lms.courses.models import Activity
from lms.courses.pages import activity_openers, activity_page


def test_every_activity_kind_is_rendered_by_the_app_that_owns_it():
    owners = {kind.value: activity_page(kind).__module__ for kind in Activity.Kind}
    assert owners == {
        "video": "lms.lectures.views",
        "reading": "lms.courses.views",
        "quiz": "lms.quizzes.views",
        "lab": "lms.labs.views",
    }


def test_progress_is_told_of_an_opening_before_the_recommended_step_is_read():
    assert [opener.__module__ for opener in activity_openers()] == [
        "lms.progress.views",
        "lms.recommendations.apps",
    ]
