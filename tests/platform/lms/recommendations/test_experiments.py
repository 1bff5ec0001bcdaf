"""A/B tests of recommendation policies: stable assignment by keyed hash, the arm's
policy served, exposures logged (event and row), follow counts, outcomes per arm with
intervals (or "not enough data yet"), free-text titles with derived slugs, one
experiment at a time, staff only, and a page that never reads NaN."""

import datetime as dt
import math
import re
import statistics

import pytest
from django.utils import timezone

from lms.courses.models import Enrollment
from lms.courses.services import enrollment_create
from lms.progress.models import ActivityProgress
from lms.recommendations.experiments import (
    MIN_LEARNERS_PER_ARM,
    ExperimentRefused,
    experiment_outcomes,
    experiment_start,
    experiment_stop,
    experiments_forget,
)
from lms.recommendations.models import Exposure, PolicyExperiment
from lms.tracking.models import Event
from tests.factories import ActivityFactory, CourseFactory, UserFactory, analyst_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    experiments_forget()
    yield
    experiments_forget()


def test_assignment_is_stable_and_follows_the_weights():
    experiment = PolicyExperiment(title="e", name="e", arms={"model": 70, "syllabus": 30}, salt="k")
    arms = [experiment.arm_for(i) for i in range(4000)]
    assert arms == [experiment.arm_for(i) for i in range(4000)]  # stable
    assert 0.67 < arms.count("model") / 4000 < 0.73
    other = PolicyExperiment(title="f", name="f", arms={"model": 70, "syllabus": 30}, salt="another key")
    assert [other.arm_for(i) for i in range(200)] != arms[:200]  # the key decides, not the id alone


def test_each_arm_is_served_its_policy_and_exposures_are_logged(client, small_course):
    course, items = small_course
    experiment = experiment_start(title="model vs syllabus", arms={"rules": 50, "syllabus": 50})
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
    # The home page never calls the syllabus arm "Personalized".
    for arm in ("syllabus", "rules"):
        learner = next(learner for learner in learners if experiment.arm_for(learner.pk) == arm)
        client.force_login(learner)
        text = client.get("/").text
        assert ("Personalized: chosen from your progress" in text) == (arm == "rules")
        assert ("Steps follow the syllabus order for now" in text) == (arm == "syllabus")
    # Following a step counts; outcomes come per arm with intervals.
    first = learners[0]
    client.force_login(first)
    rec = (
        Event.objects.filter(learner_id=first.pk, verb="recommendation.shown")
        .first()
        .payload["recommendation"]
    )
    client.post(f"/next/{rec}/follow/c9-video")
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
    experiment_start(title="e1", arms={"model": 1, "rules": 1})
    learner = UserFactory(personalized=False)
    enrollment_create(user=learner, course=course)
    client.force_login(learner)
    client.get("/")
    assert not Exposure.objects.exists()
    assert (
        Event.objects.get(learner_id=learner.pk, verb="recommendation.shown").payload["model"] == "syllabus"
    )


def test_one_experiment_at_a_time_and_bad_arms_refused(client):
    experiment_start(title="first", arms={"model": 1, "syllabus": 1})
    with pytest.raises(ExperimentRefused, match="another experiment"):
        experiment_start(title="second", arms={"model": 1, "syllabus": 1})
    with pytest.raises(ExperimentRefused, match="at least two arms"):
        experiment_start(title="third", arms={"model": 1})
    with pytest.raises(ExperimentRefused, match="unknown: bandit"):
        experiment_start(title="fourth", arms={"model": 1, "bandit": 1})


def test_titles_are_free_text_and_slugs_are_derived_and_unique():
    first = experiment_start(title="model vs syllabus, Dec", arms={"model": 50, "syllabus": 50})
    assert (first.title, first.name, str(first)) == (
        "model vs syllabus, Dec",
        "model-vs-syllabus-dec",
        "model vs syllabus, Dec",
    )
    experiment_stop(experiment=first)
    second = experiment_start(title="  model   vs syllabus, dec ", arms={"model": 1, "rules": 1})
    assert (second.title, second.name) == ("model vs syllabus, dec", "model-vs-syllabus-dec-2")
    experiment_stop(experiment=second)
    assert experiment_start(title="模型 ?", arms={"model": 1, "rules": 1}).name == "experiment"
    with pytest.raises(ExperimentRefused, match="give the experiment a title"):
        experiment_start(title="   ", arms={"model": 1, "rules": 1})
    with pytest.raises(ExperimentRefused, match="longer than 120"):
        experiment_start(title="x" * 121, arms={"model": 1, "rules": 1})
    with pytest.raises(ExperimentRefused, match="whole-number weight"):
        experiment_start(title="t", arms={"model": "half", "rules": 1})


def _exposed(experiment, arm: str, count: int, *, completed_each=lambda i: 0, followed_each=lambda i: 0):
    """``count`` learners exposed to ``arm``, learner i shown 4 steps, following
    ``followed_each(i)`` and completing ``completed_each(i)`` activities since."""
    course = CourseFactory()
    activities = [ActivityFactory(course=course, week__course=course) for _ in range(4)]
    start = timezone.now() - dt.timedelta(days=3)
    for i in range(count):
        learner = UserFactory()
        Exposure.objects.create(experiment=experiment, learner=learner, arm=arm, first_shown=start, shown=4,
                                followed=followed_each(i))  # fmt: skip
        for activity in activities[: completed_each(i)]:
            ActivityProgress.objects.create(learner=learner, activity=activity, course=course,
                                            completed=start + dt.timedelta(days=1))  # fmt: skip


def test_outcomes_wait_for_enough_learners_then_give_intervals():
    experiment = experiment_start(title="enough?", arms={"model": 50, "rules": 25, "syllabus": 25})
    n = MIN_LEARNERS_PER_ARM
    _exposed(experiment, "model", n, completed_each=lambda i: i % 4, followed_each=lambda i: i % 3)
    _exposed(experiment, "syllabus", n - 1, completed_each=lambda i: 1)
    outcomes = experiment_outcomes(experiment=experiment)
    assert set(outcomes) == {"model", "rules", "syllabus"}  # every arm, exposed or not

    model = outcomes["model"]["activities completed"]
    values = [float(i % 4) for i in range(n)]
    half = 1.96 * statistics.stdev(values) / math.sqrt(n)
    assert model.ready and model.n == n and model.mean == pytest.approx(statistics.fmean(values))
    assert (model.low, model.high) == (pytest.approx(model.mean - half), pytest.approx(model.mean + half))
    follow = outcomes["model"]["follow rate"]
    assert follow.mean == pytest.approx(statistics.fmean([(i % 3) / 4 for i in range(n)]))
    assert 0.0 <= follow.low <= follow.mean <= follow.high <= 1.0

    short = outcomes["syllabus"]["activities completed"]
    assert not short.ready and short.n == n - 1 and short.low is None and short.high is None
    empty = outcomes["rules"]["follow rate"]
    assert not empty.ready and empty.n == 0 and empty.mean is None
    for arm in outcomes.values():  # nothing is NaN, ever
        for estimate in arm.values():
            assert all(v is None or math.isfinite(v) for v in (estimate.mean, estimate.low, estimate.high))


def test_the_page_reads_well_and_never_nan(client):
    experiment = experiment_start(title="model vs syllabus, Dec", arms={"model": 70, "syllabus": 30})
    _exposed(experiment, "model", MIN_LEARNERS_PER_ARM, completed_each=lambda i: i % 2)
    _exposed(experiment, "syllabus", 3)
    client.force_login(analyst_user())
    text = client.get("/staff/experiments/").text
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    assert "{&#x27;model&#x27;" not in text and "{'model'" not in text  # no dict printed
    section = text[text.index(f'id="exp-{experiment.pk}"') :]
    model = re.search(r'<tr data-arm="model">(.*?)</tr>', section, re.S).group(1)
    syllabus = re.search(r'<tr data-arm="syllabus">(.*?)</tr>', section, re.S).group(1)
    assert "Personalized by the active model" in model and "<td>70</td><td>70%</td>" in model
    assert "Syllabus order, not personalized" in syllabus and "Personalized" not in syllabus
    assert "<td>30</td><td>30%</td>" in syllabus and 'class="exposed">3<' in syllabus
    assert syllabus.count(f"not enough data yet (3 of {MIN_LEARNERS_PER_ARM} needed)") == 3
    mean = statistics.fmean([float(i % 2) for i in range(MIN_LEARNERS_PER_ARM)])
    assert f"{mean:.2f} <small" in model and "not enough data" not in model


def test_the_staff_page(client):
    client.force_login(UserFactory())
    assert client.get("/staff/experiments/").status_code == 403
    client.force_login(analyst_user())
    response = client.post("/staff/experiments/", {"title": "model vs syllabus, Dec", "weight-model": "50",
                                                    "weight-rules": "0", "weight-syllabus": "50"},
                           follow=True)  # fmt: skip
    assert "Started model vs syllabus, Dec" in response.text
    experiment = PolicyExperiment.objects.get()
    assert experiment.arms == {"model": 50, "syllabus": 50} and experiment.name == "model-vs-syllabus-dec"
    response = client.post("/staff/experiments/", {"title": "ab2", "weight-model": "x"}, follow=True)
    assert "whole-number weight" in response.text
    response = client.post("/staff/experiments/", {"title": "", "weight-model": "1", "weight-rules": "1"},
                           follow=True)  # fmt: skip
    assert "give the experiment a title" in response.text
    response = client.post("/staff/experiments/", {"stop": experiment.pk}, follow=True)
    assert "Stopped model vs syllabus, Dec" in response.text and not PolicyExperiment.objects.get().running
