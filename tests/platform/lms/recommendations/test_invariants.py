"""The report of issue 15, reproduced: a learner 6 % into course 1, enrolled in several
courses, with a promoted model, was told to do a course-5 lab with a reason about other
concepts. Every policy's steps now go through the pedagogy checker
(``recommender.pedagogy``): they stay in the learner's current course, unlocked, with a
reason about the step itself; and the catalog lists courses 1 to 5 in order."""

import io
import re

import pytest
from django.core.management import call_command

from lms.courses.models import Activity, Course
from lms.courses.services import enrollment_create
from lms.progress.models import ActivityProgress
from lms.progress.selectors import State
from lms.recommendations.model_policy import learner_state
from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import model_activate, retrain_request
from lms.recommendations.selectors import learner_course_states
from lms.recommendations.services import next_steps_compute
from lms.recommendations.serving import serving_forget
from lms.tracking.models import Event
from recommender.next_step import Step
from recommender.pedagogy import check
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
COURSE = "neural-networks-deep-learning"
OTHERS = ("sequence-models", "improving-deep-networks")  # enrolled in these first


@pytest.fixture
def promoted(settings, tmp_path):
    """The curriculum, a simulated course-1 cohort and a tiny model trained on it, active."""
    from recommender.train import TrainConfig

    settings.MODEL_REGISTRY_DIR = tmp_path / "models"
    call_command("import_course", "--all", stdout=io.StringIO())
    call_command("simulate_cohort", "--course", COURSE, "--learners", "60", "--days", "40", "--seed", "2",
                 "--start", "2026-04-06", "--no-stats", stdout=io.StringIO())  # fmt: skip
    serving_forget()
    config = TrainConfig(epochs=1, d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=64, batch_size=16)
    version = retrain_request(run_now=True, train_config=config)
    if version.status != ModelVersion.Status.ACTIVE:
        model_activate(version=version)
    serving_forget()
    yield ModelVersion.objects.get(pk=version.pk)
    serving_forget()


def _learner_six_percent_into_course_1():
    learner = UserFactory()
    for slug in (*OTHERS, COURSE):
        enrollment_create(user=learner, course=Course.objects.get(slug=slug))
    course = Course.objects.get(slug=COURSE)
    activities = list(
        Activity.objects.filter(course=course, retired=False).order_by("week__position", "position")
    )
    done = activities[: round(0.06 * len(activities))]
    for activity in done:
        ActivityProgress.objects.create(learner=learner, activity=activity, course=course, coverage=1.0,
                                        completed="2026-11-01T10:00Z")  # fmt: skip
    return learner, len(done) / len(activities)


def _assert_about_course_1_unlocked_and_reasoned(learner, slugs: list[str], reasons: list[str]):
    states = learner_course_states(learner=learner)
    items = {i.activity.slug: (i, s) for s in states for i in s.items}
    assert len(slugs) == 3
    for slug, reason in zip(slugs, reasons, strict=True):
        item, state = items[slug]
        assert state.course.slug == COURSE, f"{slug} is in {state.course.slug}"
        assert item.state in (State.AVAILABLE, State.STARTED), f"{slug} is {item.state}"
        concepts = {c.title for c in item.activity.concepts.all()}
        # About this step: its week, one of its concepts, or the learner's own result.
        assert (
            item.activity.week.title in reason
            or any(c in reason for c in concepts)
            or re.search(r"\d+%", reason)
        ), reason
    state = learner_state(states)
    shown = [Step(slug, reason, 0.0) for slug, reason in zip(slugs, reasons, strict=True)]
    assert [str(v) for v in check(state, shown)] == []


def test_a_course_1_learner_with_a_promoted_model_gets_course_1_steps_about_themselves(promoted, client):
    learner, share = _learner_six_percent_into_course_1()
    assert 0.04 <= share <= 0.08
    client.force_login(learner)
    page = client.get("/")
    assert page.status_code == 200 and promoted.label in page.text  # the model's policy served it
    shown = Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").latest("received")
    assert shown.payload["model"] == promoted.label
    _assert_about_course_1_unlocked_and_reasoned(learner, shown.payload["items"], shown.payload["reasons"])
    assert "Operations on Word Vectors" not in page.text.split('id="my-courses"')[0]


def test_every_policy_keeps_a_new_learner_in_course_1(promoted):
    """Syllabus order (personalization off, or an experiment's syllabus arm), the rules
    (no model) and the model: the first course by number, its first weeks, unlocked."""
    from lms.recommendations import services
    from lms.recommendations.serving import active_model

    learner, _ = _learner_six_percent_into_course_1()
    states = learner_course_states(learner=learner)
    loaded = active_model()
    no_model = type("NoModel", (), {"recommender": None, "version": loaded.version})()
    for arm, personalized, model in (("", True, loaded), ("syllabus", True, loaded), ("rules", True, loaded),
                                     ("", True, no_model), ("", False, loaded)):  # fmt: skip
        learner.personalized = personalized
        name, chosen, eligible = services._choose(learner, states, arm, model)
        assert eligible and eligible[0] == chosen[0].activity.slug
        _assert_about_course_1_unlocked_and_reasoned(
            learner, [s.activity.slug for s in chosen], [s.reason for s in chosen]
        )
        assert chosen[0].activity.week.position <= 2, (name, chosen[0].activity.slug)
    learner.personalized = True
    steps = next_steps_compute(learner=learner)
    assert steps.primary.course.slug == COURSE


def test_the_catalog_lists_the_courses_by_number(client, settings):
    call_command("import_course", "--all", stdout=io.StringIO())
    page = client.get("/").text
    catalog = page[page.index('class="catalog"') :]
    titles = list(Course.objects.order_by("number").values_list("title", "number"))
    positions = [catalog.index(title) for title, _ in titles]
    assert positions == sorted(positions) and [n for _, n in titles] == [1, 2, 3, 4, 5]
    assert f'<li value="1"><a href="/courses/{COURSE}/"' in catalog
