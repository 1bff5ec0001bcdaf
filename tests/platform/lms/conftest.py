"""A two-week course with a concept graph: enough to exercise progress, deadlines,
locks, grades and certificates without importing the whole catalog."""

import pytest

from lms.courses.models import Activity, Concept, Question
from tests.factories import ActivityFactory, CourseFactory, WeekFactory

OPTIONS = [
    {"text": "right", "correct": True, "explanation": "Yes."},
    {"text": "wrong", "correct": False, "explanation": "No."},
]


def _graded_quiz(**fields) -> Activity:
    """A graded quiz of the small course: three attempts, half the points to pass."""
    return ActivityFactory(kind=Activity.Kind.QUIZ, graded=True, max_attempts=3, pass_fraction=0.5, **fields)


@pytest.fixture
def small_course():
    course = CourseFactory(slug="c9", title="Course Nine", passing_grade=0.8)
    w1 = WeekFactory(course=course, slug="c9-w1", position=1, title="Week one")
    w2 = WeekFactory(course=course, slug="c9-w2", position=2, title="Week two")
    basics = Concept.objects.create(slug="basics", title="Basics")
    advanced = Concept.objects.create(slug="advanced", title="Advanced ideas")
    advanced.requires.add(basics)
    items = {
        "video": ActivityFactory(
            week=w1,
            slug="c9-video",
            position=1,
            title="Intro video",
            duration_seconds=100,
            media="media/intro.mp4",
        ),  # fmt: skip
        "reading": ActivityFactory(
            week=w1,
            slug="c9-reading",
            position=2,
            kind=Activity.Kind.READING,
            title="Notes",
            transcript="# Notes\n\nRead me.",
        ),  # fmt: skip
        "quiz": _graded_quiz(week=w1, slug="c9-quiz", position=3, title="Week one quiz"),
        "video2": ActivityFactory(
            week=w2, slug="c9-video2", position=1, title="Advanced video", duration_seconds=100
        ),
        "quiz2": _graded_quiz(week=w2, slug="c9-quiz2", position=2, title="Week two quiz"),
    }
    items["video"].concepts.add(basics)
    items["quiz"].concepts.add(basics)
    items["video2"].concepts.add(advanced)
    items["quiz2"].concepts.add(advanced)
    for quiz in (items["quiz"], items["quiz2"]):
        Question.objects.create(activity=quiz, slug="q1", position=1, type="single", prompt="Pick right",
                                difficulty=1, options=OPTIONS)  # fmt: skip
    from lms.courses.selectors import catalog_graph_forget

    catalog_graph_forget()
    yield course, items
    catalog_graph_forget()
