"""The pedagogy invariants (``recommender.pedagogy``), property-based: thousands of learner
states drawn from simulated cohorts of three sizes on the real curriculum (a third of
the learners enrolled in every course, as the demo student was), and every policy's
output (syllabus, most-popular, the model policy with models trained on a small and a
larger cohort, and arbitrary rankings) through the checker."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.next_step import Candidate, Step
from recommender.pedagogy import (
    LearnerState,
    audit_policy,
    check,
    enforce,
    invariant_suite,
    own_reason,
    syllabus_steps,
)
from recommender.simulate import Curriculum, simulate_cohort
from recommender.simulate.records import LearnerView, events_frame
from recommender.simulate.simulated_policies import Checked, ModelPolicy, MostPopular, Scored, Syllabus

from .conftest import tiny_config

# Minutes of simulation, two trainings and thousands of examples: `make test` starts it first.
pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[2] / "course_content"
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
COHORTS = ((8, 21), (20, 22), (50, 23))  # (learners, seed): three sizes
KINDS = ("next", "practice", "ready", "resume", "due", "retake", "remediation", "review", "prerequisites")
PROPERTY = settings(max_examples=1500, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
MODEL_PROPERTY = settings(max_examples=600, deadline=None, database=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@dataclass
class Snapshot:
    state: LearnerState
    events: list[dict]
    learner: int
    now: dt.datetime


class _Recorder(Checked):
    """Follows the syllabus and keeps the learner's state at every choice."""

    name = "recorder"

    def __init__(self):
        self.snapshots: list[Snapshot] = []
        self.enroll_all = lambda view: view.learner % 3 == 1

    def rank(self, view, state):
        self.snapshots.append(Snapshot(state, list(view.events[-200:]), view.learner, view.now))
        return syllabus_steps(state)[:3]


@pytest.fixture(scope="module")
def curriculum() -> Curriculum:
    return Curriculum.load(ROOT, with_labs=False)


@pytest.fixture(scope="module")
def snapshots(curriculum) -> list[Snapshot]:
    out = []
    for learners, seed in COHORTS:
        recorder = _Recorder()
        for _ in simulate_cohort(curriculum, learners=learners, days=42, seed=seed, start=START, policy=recorder,
                                 compliance=0.8):  # fmt: skip
            pass
        out += recorder.snapshots
    return out


def _train(curriculum, tmp_path_factory, learners: int, name: str) -> Path:
    from recommender.train import train

    runs = list(simulate_cohort(curriculum, learners=learners, days=40, seed=learners, start=START))
    out = tmp_path_factory.mktemp(name) / "model"
    train(events_frame(runs), out, tiny_config())
    return out


@pytest.fixture(scope="module")
def small_model(curriculum, tmp_path_factory) -> Path:
    return _train(curriculum, tmp_path_factory, 30, "small")


@pytest.fixture(scope="module")
def large_model(curriculum, tmp_path_factory) -> Path:
    return _train(curriculum, tmp_path_factory, 150, "large")


def _model_policy(model_dir: Path, curriculum) -> ModelPolicy:
    from recommender.artifact import Recommender

    return ModelPolicy(Recommender.load(model_dir, threads=1), curriculum)


def _view(curriculum, snap: Snapshot) -> LearnerView:
    return LearnerView(curriculum, {}, snap.events, snap.now, False, snap.learner, "s")


def _assert_shown_steps_hold(state: LearnerState, steps: list[Step]) -> list[Step]:
    shown = enforce(state, steps, limit=3).steps
    assert check(state, shown) == [], [str(v) for v in check(state, shown)]
    assert len(shown) <= 3 and len({s.slug for s in shown}) == len(shown)
    open_unlocked = [c for c in state.candidates if c.enrolled and c.state in ("available", "started")]
    assert bool(shown) == bool(open_unlocked) or state.only_locked_left
    return shown


def test_the_cohorts_give_thousands_of_states_of_every_kind(snapshots):
    states = [s.state for s in snapshots]
    assert len(states) >= 2000
    assert any(len({c.course for c in s.candidates}) == 5 for s in states)  # enrolled everywhere
    assert any(len({c.course for c in s.candidates}) == 1 for s in states)
    assert any(s.failure for s in states) and any(c.due for s in states for c in s.candidates)
    assert any(s.frontier >= 3 for s in states)


@PROPERTY
@given(data=st.data())
def test_any_ranking_comes_out_valid(snapshots, data):
    """Whatever a policy ranks (any activity of the curriculum, any kind, any reason),
    what is shown satisfies every invariant, and valid steps keep the policy's order."""
    state = data.draw(st.sampled_from(snapshots)).state
    slugs = [c.slug for c in state.candidates] + ["no-such-activity"]
    concepts = sorted({x for c in state.candidates for x in c.concepts})
    step = st.builds(
        Step,
        slug=st.sampled_from(slugs),
        reason=st.one_of(st.just("Try it."), st.sampled_from(concepts).map(lambda x: f"It is about {x}.")),
        rank_score=st.just(0.0),
        kind=st.sampled_from(KINDS),
    )
    ranking = data.draw(st.lists(step, max_size=12))
    shown = _assert_shown_steps_hold(state, ranking)
    valid = [s.slug for s in ranking if not check(state, [Step(s.slug, s.reason, 0.0, s.kind)])]
    kept = [s.slug for s in shown if s.slug in valid]
    assert kept == [s for s in dict.fromkeys(valid) if s in kept]  # in the policy's order


@PROPERTY
@given(data=st.data())
def test_the_syllabus_policy_is_valid_as_it_is(snapshots, data):
    state = data.draw(st.sampled_from(snapshots)).state
    ranked = syllabus_steps(state)
    assert check(state, ranked[:3]) == []
    if ranked and ranked[0].kind != "prerequisites":
        top = state.by_slug[ranked[0].slug]
        assert top.course == state.current_course  # the current course first, then by number
        numbers = [
            state.by_slug[s.slug].course_number for s in ranked if state.by_slug[s.slug].course != top.course
        ]
        assert numbers == sorted(numbers)


@PROPERTY
@given(data=st.data())
def test_the_current_course_is_the_lowest_unfinished_unless_the_learner_works_elsewhere(snapshots, data):
    from recommender.pedagogy import course_completed

    state = data.draw(st.sampled_from(snapshots)).state
    by_course: dict[str, list[Candidate]] = {}
    for c in state.candidates:
        by_course.setdefault(c.course, []).append(c)
    unfinished = sorted((items[0].course_number, course) for course, items in by_course.items()
                        if not course_completed(items))  # fmt: skip
    if state.recent_course in {course for _, course in unfinished}:
        assert state.current_course == state.recent_course
    elif unfinished:
        assert state.current_course == unfinished[0][1]


@pytest.fixture(scope="module")
def popular(curriculum) -> MostPopular:
    return MostPopular(simulate_cohort(curriculum, learners=30, days=35, seed=99, start=START))


@PROPERTY
@given(data=st.data())
def test_most_popular_comes_out_valid(snapshots, curriculum, popular, data):
    snap = data.draw(st.sampled_from(snapshots))
    _assert_shown_steps_hold(snap.state, popular.rank(_view(curriculum, snap), snap.state))


_rankings: dict[tuple[str, int], list[Step]] = {}


def _model_ranking(policy: ModelPolicy, key: str, curriculum, index: int, snap: Snapshot) -> list[Step]:
    if (key, index) not in _rankings:
        _rankings[key, index] = policy._rank(_view(curriculum, snap), snap.state)
    return _rankings[key, index]


@pytest.fixture(scope="module")
def model_policies(curriculum, small_model, large_model) -> dict[str, ModelPolicy]:
    return {"small": _model_policy(small_model, curriculum), "large": _model_policy(large_model, curriculum)}


@MODEL_PROPERTY
@given(data=st.data())
def test_the_model_policy_is_valid_as_it_is_for_models_trained_on_small_and_large_cohorts(
    snapshots, curriculum, model_policies, data
):
    key = data.draw(st.sampled_from(sorted(model_policies)))
    index = data.draw(st.integers(0, len(snapshots) - 1))
    snap = snapshots[index]
    ranked = _model_ranking(model_policies[key], key, curriculum, index, snap)
    assert check(snap.state, ranked[:3]) == [], [str(v) for v in check(snap.state, ranked[:3])]
    _assert_shown_steps_hold(snap.state, ranked)


def test_the_invariant_suite_passes_for_a_trained_model_in_seconds(small_model):
    import time

    cpu = time.process_time()  # this process's CPU time: a busy machine does not stretch it
    report = invariant_suite(small_model, learners=12, seed=5)
    spent = time.process_time() - cpu
    assert report.passed and report.checked >= 20 and report.violations == [], report.summary
    assert report.summary.startswith("invariants hold") and str(report.checked) in report.summary
    assert spent < 20, f"{spent:.1f} CPU seconds"  # 5.8 measured on a loaded machine (41 s of wall time)


def test_the_invariant_suite_reports_a_policy_that_needs_replacing(curriculum):
    """A policy that offers the last activities of the specialization (what the report saw:
    a course-5 lab for a learner 6 % into course 1) is reported, rule by rule."""
    backwards = Scored("backwards", lambda view: [i.slug for i in reversed(view.curriculum.items)])
    report = audit_policy(backwards, curriculum, learners=6, seed=5)
    assert not report.passed and report.checked > 0
    # Outside the enrolled courses, soft-locked, and (for the learners enrolled everywhere) the
    # last course's activities on top.
    assert {"unknown", "locked", "not-current-course"} <= set(report.counts)
    assert "invariants violated" in report.summary and report.violations


# -- the rules, one by one, on a hand-made learner ------------------------------------------


def _learner(**overrides) -> LearnerState:
    """Enrolled in courses 1 and 5, 6 % into course 1 (the report's demo student)."""
    rows = [
        Candidate("c1-v1", "video", "What is a neural network?", "Week 1: Introduction", 0, concepts=("nn",),
                  state="done", course="c1", course_number=1, week=1),
        Candidate("c1-v2", "video", "Supervised learning", "Week 1: Introduction", 1, concepts=("supervised",),
                  course="c1", course_number=1, week=1, prerequisites=("nn",)),
        Candidate("c1-q1", "quiz", "Week 1 quiz", "Week 1: Introduction", 2, concepts=("nn", "supervised"),
                  graded=True, course="c1", course_number=1, week=1),
        Candidate("c1-v3", "video", "Logistic regression", "Week 2: Basics", 3, concepts=("logistic",),
                  course="c1", course_number=1, week=2, prerequisites=("supervised",)),
        Candidate("c1-v4", "video", "Vectorization", "Week 3: Shallow networks", 4, concepts=("vectorization",),
                  course="c1", course_number=1, week=3, state="locked", prerequisites=("logistic",)),
        Candidate("c1-v5", "video", "Activation functions", "Week 3: Shallow networks", 5,
                  concepts=("activation",), course="c1", course_number=1, week=3),
        Candidate("c5-lab", "lab", "Operations on Word Vectors", "Week 2: NLP", 6, minutes=60,
                  concepts=("embeddings",), course="c5", course_number=5, week=2, graded=True),
        Candidate("c5-v1", "video", "Word embeddings", "Week 2: NLP", 7, concepts=("embeddings",),
                  course="c5", course_number=5, week=2, state="locked", prerequisites=("activation",)),
    ]  # fmt: skip
    rows = [replace(c, **overrides.get(c.slug, {})) for c in rows]
    titles = {"nn": "Neural networks", "supervised": "Supervised learning", "logistic": "Logistic regression",
              "vectorization": "Vectorization", "activation": "Activation functions", "embeddings": "Word embeddings"}  # fmt: skip
    return LearnerState(rows, recent_course=overrides.get("recent"), concept_titles=titles)


def _rules(state: LearnerState, *steps: Step) -> list[tuple[str, str]]:
    return [(v.rule, v.slug) for v in check(state, list(steps))]


def test_the_demo_students_course_5_lab_is_not_a_top_step():
    state = _learner()
    assert state.current_course == "c1" and state.frontier == 1
    lab = Step(
        "c5-lab", "Practice beats watching: the concepts this lab builds on are covered.", 0.0, "practice"
    )
    assert _rules(state, lab) == [("not-current-course", "c5-lab")]
    shown = enforce(state, [lab], limit=3).steps
    assert shown[0].slug == "c1-v2" and "Supervised learning" in shown[0].reason  # the syllabus of course 1
    assert "c5-lab" in [s.slug for s in shown[1:]]  # an enrolled course: fine as an alternative


def test_a_learner_who_works_in_another_unfinished_course_has_it_as_current():
    state = _learner(recent="c5")
    assert state.current_course == "c5"
    assert _rules(state, Step("c5-lab", "Practice.", 0.0)) == []


def test_soft_locked_done_and_duplicate_steps_are_replaced():
    state = _learner()
    locked = Step("c1-v4", "Next.", 0.0)
    done = Step("c1-v1", "Next.", 0.0)
    assert ("locked", "c1-v4") in _rules(state, Step("c1-v2", "Next.", 0.0), locked)
    assert _rules(state, Step("c1-v2", "x.", 0.0), done) == [("done", "c1-v1")]
    assert _rules(state, Step("c1-v2", "x.", 0.0), Step("c1-v1", "Review it.", 0.0, "review")) == []
    assert _rules(state, Step("c1-v2", "x.", 0.0), Step("c1-v2", "x.", 0.0)) == [("duplicate", "c1-v2")]
    shown = enforce(state, [locked, done, Step("c1-v2", "x.", 0.0)], limit=3).steps
    assert [s.slug for s in shown] == ["c1-v2", "c1-q1", "c1-v3"]


def test_a_top_step_beyond_the_next_week_needs_a_stated_reason():
    state = _learner()
    ahead = Step("c1-v5", "Next in the course.", 0.0)
    assert _rules(state, ahead) == [("too-far-ahead", "c1-v5")]
    assert _rules(state, Step("c1-v3", "Next in the course.", 0.0)) == []  # the next week
    due = _learner(**{"c1-v5": {"due": True}})
    assert _rules(due, Step("c1-v5", "Past its deadline.", 0.0, "due")) == []


def test_a_reason_may_name_only_the_items_concepts_and_their_prerequisites():
    state = _learner()
    about_other = Step("c1-v2", "Next: covers Activation functions.", 0.0)
    assert _rules(state, about_other) == [("foreign-concept", "c1-v2")]
    assert _rules(state, Step("c1-v2", "Next: covers Supervised learning, after Neural networks.", 0.0)) == []
    quoted = Step("c1-v2", "Your last attempt at “Activation functions” fell short.", 0.0, "remediation")
    assert _rules(state, quoted) == []  # an activity's title, quoted, is not a claim about a concept
    assert own_reason(state.by_slug["c1-v2"], state.concept_titles) == (
        "Next in Week 1: Introduction: covers Supervised learning."
    )


def test_when_nothing_open_is_unlocked_the_first_item_is_offered_with_what_it_builds_on():
    state = LearnerState([
        Candidate("c3-v1", "video", "Orthogonalization", "Week 1", 0, concepts=("ortho",), state="locked",
                  course="c3", course_number=3, week=1, prerequisites=("tuning",)),
        Candidate("c3-v2", "video", "Metrics", "Week 1", 1, concepts=("metrics",), state="locked",
                  course="c3", course_number=3, week=1, prerequisites=("ortho",)),
    ], concept_titles={"tuning": "Hyperparameter tuning"})  # fmt: skip
    shown = enforce(state, [Step("c3-v2", "Next.", 0.0)], limit=3).steps
    assert [s.slug for s in shown] == ["c3-v1"] and shown[0].kind == "prerequisites"
    assert "Hyperparameter tuning" in shown[0].reason and check(state, shown) == []


def test_the_simulators_policies_go_through_the_checker(curriculum):
    """A learner enrolled in every course on day one: syllabus order starts course 1."""
    view = LearnerView(curriculum, {}, [{"id": "e", "time": START, "verb": "enrollment.activated",
                                         "course": curriculum.courses[0], "session": "", "payload": {}}],
                       START, False, 1, "s")  # fmt: skip
    policy = Syllabus()
    policy.enroll_all = lambda view: True
    assert policy.choose(view) == curriculum.items[0].slug
    backwards = Scored("backwards", lambda view: [i.slug for i in reversed(view.curriculum.items)])
    chosen = backwards.choose(view)
    assert curriculum.item(chosen).course == curriculum.courses[0]
