"""Every ``recommendation.shown`` records the exact probability with which each item was
put in its slot, exploration only reorders the policy's own checked steps, and a
learner who chose the syllabus order is never explored on."""

from collections import Counter

import pytest

from lms.courses.models import Enrollment
from lms.courses.services import enrollment_create
from lms.recommendations.services import next_steps_compute, next_steps_show
from lms.tracking.models import Event
from recommender.ope import slot_propensities

pytestmark = pytest.mark.django_db


def _shown(learner):
    return list(Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").order_by("time"))


def test_without_exploration_the_policy_order_is_shown_with_propensity_one(learner, settings):
    settings.RECOMMENDATION_EXPLORATION = 0.0
    steps = next_steps_show(learner=learner)
    (event,) = _shown(learner)
    assert event.payload["items"] == [s.activity.slug for s in (steps.primary, *steps.alternatives)]
    assert event.payload["propensities"] == [1.0, 1.0, 1.0]
    assert event.payload["exploration"] == 0.0


def test_exploration_reorders_only_the_policy_steps_with_exact_propensities(learner, settings):
    settings.RECOMMENDATION_EXPLORATION = 0.5
    ranked = [
        s.activity.slug for s in (lambda n: (n.primary, *n.alternatives))(next_steps_compute(learner=learner))
    ]
    assert len(ranked) == 3
    tops: Counter = Counter()
    for _ in range(300):
        steps = next_steps_show(learner=learner)
        shown = [s.activity.slug for s in (steps.primary, *steps.alternatives)]
        tops[shown[0]] += 1
    events = _shown(learner)
    assert len(events) == 300
    for event in events:
        items = event.payload["items"]
        assert sorted(items) == sorted(ranked)  # never a step outside the policy's list
        assert event.payload["exploration"] == 0.5
        assert event.payload["propensities"] == pytest.approx(slot_propensities(ranked, items, 0.5), abs=1e-6)
    # The logged propensity of the top step is what the draws show: 1 - 0.5 + 0.5/3 for
    # the policy's own first step, 0.5/3 for each of the others (binomial 99.9% bands).
    assert 0.58 < tops[ranked[0]] / 300 < 0.75
    for slug in ranked[1:]:
        assert 0.09 < tops[slug] / 300 < 0.25
    first = next(e for e in events if e.payload["items"][0] == ranked[0])
    assert first.payload["propensities"][0] == pytest.approx(1 - 0.5 + 0.5 / 3, abs=1e-6)
    # What the page renders is what the event says was shown.
    steps = next_steps_show(learner=learner)
    assert _shown(learner)[-1].payload["items"] == [
        s.activity.slug for s in (steps.primary, *steps.alternatives)
    ]


def test_exploration_never_puts_a_step_on_top_that_may_not_be_there(learner, small_course, settings):
    """A learner working in course 9 and enrolled in another course too: steps of the
    other course may be alternatives, never the top step (the pedagogy checker's top
    rules), explored or not; the propensities account for the steps that may be on top."""
    from lms.progress.models import ActivityProgress
    from lms.recommendations.model_policy import learner_state
    from lms.recommendations.selectors import learner_course_states
    from recommender.next_step import Step
    from recommender.pedagogy import check
    from tests.factories import ActivityFactory, WeekFactory

    course, items = small_course
    other = WeekFactory(course__slug="c10", course__number=course.number + 1, slug="c10-w1", position=1)
    for n in range(3):
        ActivityFactory(week=other, slug=f"c10-video{n}", position=n + 1, title=f"Other video {n}")
    enrollment_create(user=learner, course=other.course, track=Enrollment.Track.VERIFIED)
    ActivityProgress.objects.create(learner=learner, activity=items["video"], course=course, coverage=0.3,
                                    segments=[[0, 30]])  # fmt: skip
    settings.RECOMMENDATION_EXPLORATION = 1.0
    state = learner_state(learner_course_states(learner=learner))
    for _ in range(60):
        next_steps_show(learner=learner)
    events = _shown(learner)
    for event in events:
        items_shown, props = event.payload["items"], event.payload["propensities"]
        top = items_shown[0]
        assert not check(state, [Step(top, "", 0.0, "next")]), top
        assert top.startswith("c9-")
        may_top = [s for s in items_shown if not check(state, [Step(s, "", 0.0, "next")])]
        ranked = [
            s.activity.slug
            for s in (lambda n: (n.primary, *n.alternatives))(next_steps_compute(learner=learner))
        ]
        assert props == pytest.approx(slot_propensities(ranked, items_shown, 1.0, may_top), abs=1e-6)
    assert len({e.payload["items"][0] for e in events}) >= 2  # it did explore


def test_a_learner_who_chose_the_syllabus_order_is_not_explored(learner, settings):
    settings.RECOMMENDATION_EXPLORATION = 1.0
    learner.personalized = False
    learner.save(update_fields=["personalized"])
    for _ in range(20):
        next_steps_show(learner=learner)
    events = _shown(learner)
    assert {tuple(e.payload["items"]) for e in events} == {("c9-video", "c9-reading", "c9-quiz")}
    assert all(
        e.payload["propensities"] == [1.0, 1.0, 1.0] and e.payload["exploration"] == 0.0 for e in events
    )


def test_the_home_page_records_propensities(client, learner, settings):
    settings.RECOMMENDATION_EXPLORATION = 0.1
    client.force_login(learner)
    page = client.get("/")
    (event,) = _shown(learner)
    assert page.status_code == 200 and f'data-activity="{event.payload["items"][0]}"' in page.text
    assert len(event.payload["propensities"]) == len(event.payload["items"])
    assert event.payload["propensities"][0] in (
        pytest.approx(1 - 0.1 + 0.1 / 3, abs=1e-6),
        pytest.approx(0.1 / 3, abs=1e-6),
    )


def test_the_registry_page_estimates_a_version_from_the_logs(client, settings, tmp_path, transactional_db):
    """A simulated cohort's logged showings (with propensities, ending yesterday), a small
    trained version, and the registry's "Estimate from the logs" button: a real worker on
    the training queue estimates and the page shows the follow rate and 7-day progress
    with intervals, reading only the stored result."""
    import io
    import time

    from django.core.management import call_command

    from lms.recommendations.models import ModelVersion
    from lms.recommendations.ope import ope_events_frame, ope_result
    from recommender.train import TrainConfig, train
    from tests.conftest import running_worker
    from tests.factories import analyst_user

    settings.MODEL_REGISTRY_DIR = tmp_path / "models"
    call_command("import_course", "--all", stdout=io.StringIO())
    call_command("simulate_cohort", "--course", "neural-networks-deep-learning", "--learners", "30", "--days", "28",
                 "--seed", "8", "--no-stats", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    artifact = tmp_path / "models" / "v1" / "model"
    train(ope_events_frame(showings=100_000), artifact, TrainConfig(epochs=1, d_model=16, n_layers=1, n_heads=2,
          d_ff=32, max_len=64, batch_size=16, min_steps=8), progress=False)  # fmt: skip
    version = ModelVersion.objects.create(number=1, status=ModelVersion.Status.CANDIDATE, path=str(artifact))

    client.force_login(analyst_user())
    page = client.get("/staff/models/")
    assert "Estimated from the logs" in page.text and "Estimate v1 from the logs" in page.text
    with running_worker(queues=("training",)):
        response = client.post("/staff/models/1/ope")
        assert response.status_code == 302
        assert "already running" in client.post("/staff/models/1/ope", follow=True).text
        deadline = time.monotonic() + 600  # a ceiling for a hang: seconds quiet, minutes on a busy machine
        while (ope_result(version=version) or {}).get("status") == "running" and time.monotonic() < deadline:
            time.sleep(1)
    result = ope_result(version=version)
    assert result["status"] == "done", result
    by_policy = {r["policy"]: r for r in result["results"]}
    assert set(by_policy) == {"logging", "syllabus", "v1"}
    assert by_policy["syllabus"]["support"] > 0.9  # the cohort was shown syllabus order
    logged = by_policy["logging"]["estimates"]["followed"]["dr"]
    assert 0 < logged["low"] <= logged["value"] <= logged["high"] < 1
    computed = []  # the page reads the stored result only: it never samples or estimates

    def compute(*args, **kwargs):
        computed.append(args)
        raise AssertionError("the registry page computed an estimate")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("lms.recommendations.ope.ope_events_frame", compute)
        patch.setattr("recommender.ope.evaluate_candidates", compute)
        page = client.get("/staff/models/")
    assert computed == [] and page.status_code == 200
    text = page.text
    assert "as logged" in text and "syllabus" in text and "Progress in 7 days" in text
    assert f"{logged['value']:.3f}" in text and "Estimate v1 again" in text


def test_an_estimate_that_never_finished_stops_blocking_a_new_one(tmp_path):
    import json

    from lms.recommendations.models import ModelVersion
    from lms.recommendations.ope import OPERefused, ope_request, ope_result

    artifact = tmp_path / "v1" / "model"
    artifact.mkdir(parents=True)
    version = ModelVersion.objects.create(number=1, status=ModelVersion.Status.CANDIDATE, path=str(artifact))
    (artifact.parent / "ope.json").write_text(
        json.dumps({"status": "running", "requested": "2026-01-01T00:00:00+00:00"})
    )
    assert ope_result(version=version)["status"] == "failed"
    ope_request(version=version)  # allowed again: the old one is dead
    assert ope_result(version=version)["status"] == "running"
    with pytest.raises(OPERefused, match="already running"):
        ope_request(version=version)
    version.path = str(tmp_path / "missing")
    with pytest.raises(OPERefused, match="no artifact"):
        ope_request(version=version)
