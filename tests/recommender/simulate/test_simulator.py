"""The learner simulator: deterministic for a seed, learners independent of each other,
behaviour that reacts the way the model says (mastery, failures, persistence), and
aggregate statistics in the published ranges on the real curriculum."""

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from recommender.simulate import (
    Curriculum,
    CurriculumActivity,
    LabCheck,
    LearnerParams,
    Question,
    simulate_cohort,
)
from recommender.simulate.calibration import TARGETS, cohort_stats, drop_off_curve, stats_table
from recommender.simulate.learner import Knowledge, p_correct

START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[3] / "course_content"


def tiny() -> Curriculum:
    q = [
        Question(f"q{i}", "single", difficulty=1 + i % 5, concepts=("a",), n_options=4, correct=(1,))
        for i in range(5)
    ]
    return Curriculum(
        [
            CurriculumActivity("v1", "c", 1, 1, "video", 6, concepts=("a",), duration=360),
            CurriculumActivity(
                "quiz1",
                "c",
                1,
                1,
                "quiz",
                10,
                concepts=("a",),
                graded=True,
                questions=tuple(q),
                pass_fraction=0.6,
            ),
            CurriculumActivity("v2", "c", 2, 2, "video", 8, concepts=("b",), duration=480),
            CurriculumActivity(
                "lab1",
                "c",
                2,
                2,
                "lab",
                30,
                concepts=("a", "b"),
                graded=True,
                checks=(
                    LabCheck(
                        "f",
                        (("f small", True), ("f random", False)),
                        ("off by one",),
                        ("Stop the loop one step earlier.",),
                    ),
                    LabCheck("g", (("g shape", True),), ("transposed",)),
                ),
            ),  # fmt: skip
        ],
        requires={"b": ("a",)},
        passing_grade={"c": 0.8},
    )


def test_a_seed_reproduces_the_cohort_event_for_event():
    one = list(simulate_cohort(tiny(), learners=30, days=40, seed=7, start=START))
    two = list(simulate_cohort(tiny(), learners=30, days=40, seed=7, start=START))
    assert [r.events for r in one] == [r.events for r in two]
    assert sum(len(r.events) for r in one) > 300
    other = list(simulate_cohort(tiny(), learners=30, days=40, seed=8, start=START))
    assert [r.events for r in other] != [r.events for r in one]


def test_a_learner_depends_only_on_the_seed_and_its_index():
    whole = list(simulate_cohort(tiny(), learners=10, days=30, seed=3, start=START))
    tail = list(simulate_cohort(tiny(), learners=4, days=30, seed=3, start=START, first=6))
    assert [r.events for r in whole[6:]] == [r.events for r in tail]


def test_events_are_canonical_and_in_time_order():
    from lms.tracking.vocabulary import VALIDATORS, VERBS

    for run in simulate_cohort(tiny(), learners=20, days=30, seed=1, start=START):
        times = [e["time"] for e in run.events]
        assert times == sorted(times)
        for event in run.events:
            assert event["verb"] in VERBS
            VALIDATORS[event["verb"]](event["payload"])  # raises when a payload breaks the schema


def test_answers_follow_mastery_and_difficulty():
    params = LearnerParams()
    easy, hard = (Question("e", "single", 1, ("a",), 4, (0,)), Question("h", "single", 5, ("a",), 4, (0,)))
    assert p_correct(easy, 0.0, params) > p_correct(hard, 0.0, params)
    assert p_correct(hard, 3.0, params) > p_correct(hard, -1.0, params) >= 0.25  # a guess stays
    assert p_correct(easy, 10.0, params) == pytest.approx(1 - params.slip, abs=1e-3)  # a slip stays


def test_mastery_grows_with_study_and_decays_with_time_away():
    knowledge = Knowledge(LearnerParams(), prior=-1.0)
    knowledge.learn(["a"], 1.0, day=0)
    learned = knowledge.theta("a", 0)
    assert learned > -1.0
    assert -1.0 < knowledge.theta("a", 21) < learned  # half-life: halfway back
    assert knowledge.theta("a", 21) - (-1.0) == pytest.approx((learned + 1.0) / 2)


def test_labs_fail_in_known_ways_and_get_fixed():
    runs = list(simulate_cohort(tiny(), learners=200, days=60, seed=5, start=START))
    graded = [e for r in runs for e in r.events if e["verb"] == "lab.graded"]
    assert graded
    names = {t["name"] for e in graded for t in e["payload"]["tests"]}
    assert names <= {"f small", "f random", "g shape"}
    mistakes = {t.get("mistake") for r in runs for lab in r.labs for t in lab.tests if not t["passed"]}
    assert mistakes <= {"off by one", "transposed"} and mistakes
    # Each failed test carries the feedback the grader gives: the mistake's own hint
    # (none for "transposed", whose lab gives none), which the events never carry.
    hints = {(t["mistake"], t["hint"]) for r in runs for lab in r.labs for t in lab.tests if not t["passed"]}
    assert hints == {("off by one", "Stop the loop one step earlier."), ("transposed", "")}
    assert not {k for e in graded for t in e["payload"]["tests"] for k in t} & {"hint", "message", "mistake"}
    fixed = [
        r for r in runs if any(lab.score < 1 for lab in r.labs) and any(lab.score == 1 for lab in r.labs)
    ]
    assert fixed, "some learners should fail a lab first and then pass it"
    runs_only = [lab for r in runs if not r.traits.verified for lab in r.labs]
    assert all(lab.mode == "run" for lab in runs_only)  # auditors cannot Submit


def test_persistent_learners_last_longer():
    runs = list(simulate_cohort(tiny(), learners=400, days=60, seed=11, start=START))
    keen = [r.active_days for r in runs if r.traits.persistence > 0.7]
    fickle = [r.active_days for r in runs if r.traits.persistence < 0.3]
    assert np.mean(keen) > np.mean(fickle)


def test_the_real_curriculum_cohort_lands_in_the_published_ranges():
    curriculum = Curriculum.load(ROOT)
    assert len(curriculum) > 200 and curriculum.weeks == 17
    runs = list(simulate_cohort(curriculum, learners=600, days=112, seed=1, start=START))
    stats = cohort_stats(runs, curriculum)
    outside = {
        k: round(v, 3)
        for k, v in stats.items()
        if k in TARGETS and not TARGETS[k].low <= v <= TARGETS[k].high
    }
    assert not outside, f"outside the published ranges: {outside}\n{stats_table(stats)}"
    curve = drop_off_curve(runs, curriculum)
    assert curve[0] >= curve[5] >= curve[10] and not math.isnan(curve[10])


def test_the_policy_evaluation_runs_end_to_end_and_writes_table_json_and_plot(tmp_path, capsys):
    import json

    from recommender.simulate.__main__ import main

    main(["evaluate-policy", "--content", str(ROOT), "--course", "neural-networks-deep-learning", "--learners", "15",
          "--days", "14", "--seeds", "2", "--out", str(tmp_path)])  # fmt: skip
    data = json.loads((tmp_path / "policy-evaluation.json").read_text())
    assert set(data["summary"]) == {"self-directed", "syllabus", "most-popular"}
    assert all(len(rows) == 2 for rows in data["per_seed"].values())
    assert (tmp_path / "policy-evaluation.png").read_bytes()[:4] == b"\x89PNG"
    assert "| syllabus |" in (tmp_path / "policy-evaluation.md").read_text()
