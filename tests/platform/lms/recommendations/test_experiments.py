"""A/B tests of recommendation policies: stable assignment by keyed hash, the arm's
policy served, exposures logged (event and row), follow counts, outcomes per arm with
intervals, one experiment at a time, staff only."""

import pytest

from lms.courses.models import Enrollment
from lms.courses.services import enrollment_create
from lms.progress.models import ActivityProgress
from lms.recommendations.experiments import (
    ExperimentRefused,
    experiment_outcomes,
    experiment_start,
    experiments_forget,
)
from lms.recommendations.models import Exposure, PolicyExperiment
from lms.tracking.models import Event
from tests.factories import UserFactory, analyst_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    experiments_forget()
    yield
    experiments_forget()


def test_assignment_is_stable_and_follows_the_weights():
    experiment = PolicyExperiment(name="e", arms={"model": 70, "syllabus": 30}, salt="k")
    arms = [experiment.arm_for(i) for i in range(4000)]
    assert arms == [experiment.arm_for(i) for i in range(4000)]  # stable
    assert 0.67 < arms.count("model") / 4000 < 0.73
    other = PolicyExperiment(name="f", arms={"model": 70, "syllabus": 30}, salt="another key")
    assert [other.arm_for(i) for i in range(200)] != arms[:200]  # the key decides, not the id alone


def test_each_arm_is_served_its_policy_and_exposures_are_logged(client, small_course):
    course, items = small_course
    experiment = experiment_start(name="model-vs-syllabus", arms={"rules": 50, "syllabus": 50})
    learners = [UserFactory() for _ in range(12)]
    for learner in learners:
        enrollment_create(user=learner, course=course, track=Enrollment.Track.VERIFIED)
        client.force_login(learner)
        client.get("/")
        client.get("/")
    exposures = {e.learner_id: e for e in Exposure.objects.filter(experiment=experiment)}
    assert len(exposures) == 12 and all(e.shown == 2 for e in exposures.values())
    for learner in learners:
        arm = experiment.arm_for(learner.pk)
        assert exposures[learner.pk].arm == arm
        shown = Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").first()
        assert shown.payload["experiment"] == "model-vs-syllabus" and shown.payload["arm"] == arm
        assert shown.payload["model"] == ("syllabus" if arm == "syllabus" else "rules-v1")
    # Following a step counts; outcomes come per arm with intervals.
    first = learners[0]
    client.force_login(first)
    rec = (
        Event.objects.filter(learner_id=first.pk, verb="recommendation.shown")
        .first()
        .payload["recommendation"]
    )
    client.get(f"/next/{rec}/follow/c9-video")
    assert Exposure.objects.get(learner=first).followed == 1
    ActivityProgress.objects.create(
        learner=first, activity=items["video"], course=course, completed="2099-01-01T00:00Z"
    )
    outcomes = experiment_outcomes(experiment=experiment)
    assert set(outcomes) <= {"rules", "syllabus"} and sum(o["follow rate"].n for o in outcomes.values()) == 12
    arm = experiment.arm_for(first.pk)
    assert outcomes[arm]["activities completed"].mean > 0


def test_learners_who_switched_personalization_off_are_not_enrolled(client, small_course):
    course, _ = small_course
    experiment_start(name="e1", arms={"model": 1, "rules": 1})
    learner = UserFactory(personalized=False)
    enrollment_create(user=learner, course=course)
    client.force_login(learner)
    client.get("/")
    assert not Exposure.objects.exists()
    assert (
        Event.objects.get(learner_id=learner.pk, verb="recommendation.shown").payload["model"] == "syllabus"
    )


def test_one_experiment_at_a_time_and_bad_arms_refused(client):
    experiment_start(name="first", arms={"model": 1, "syllabus": 1})
    with pytest.raises(ExperimentRefused, match="another experiment"):
        experiment_start(name="second", arms={"model": 1, "syllabus": 1})
    with pytest.raises(ExperimentRefused, match="at least two arms"):
        experiment_start(name="third", arms={"model": 1})
    with pytest.raises(ExperimentRefused, match="unknown: bandit"):
        experiment_start(name="fourth", arms={"model": 1, "bandit": 1})


def test_the_staff_page(client):
    client.force_login(UserFactory())
    assert client.get("/staff/experiments/").status_code == 403
    client.force_login(analyst_user())
    response = client.post("/staff/experiments/", {"name": "ab1", "weight-model": "50", "weight-rules": "0",
                                                    "weight-syllabus": "50"}, follow=True)  # fmt: skip
    assert "Started ab1" in response.text and PolicyExperiment.objects.get().arms == {
        "model": 50,
        "syllabus": 50,
    }
    response = client.post("/staff/experiments/", {"name": "ab2", "weight-model": "x"}, follow=True)
    assert "whole-number weights" in response.text
    response = client.post("/staff/experiments/", {"stop": PolicyExperiment.objects.get().pk}, follow=True)
    assert "Stopped ab1" in response.text and not PolicyExperiment.objects.get().running
