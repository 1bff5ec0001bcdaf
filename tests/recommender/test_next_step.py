"""The model-based policy: remediation after a failure, due work first, practice once
unlocked, resume, the productive band, deferring what is predicted mastered, short steps
for learners at risk; every step has a reason."""

from recommender.next_step import Candidate, ModelOutputs, choose


def outputs(next_p=None, correct=0.7, risk=0.1, per_question=None):
    per_question = per_question or {}

    def correctness(keys):
        return {k: per_question.get(k, correct) for k in keys}

    return ModelOutputs(next_probability=next_p or {}, correctness=correctness, risk=risk, version="model-v1")


def course(**overrides):
    items = [
        Candidate("v1", "video", "Gradient descent", "Week 1", 0, minutes=7, concepts=("gd",), state="done"),
        Candidate("v2", "video", "Computation graphs", "Week 1", 1, minutes=12, concepts=("graph",)),
        Candidate(
            "q1",
            "quiz",
            "Week 1 quiz",
            "Week 1",
            2,
            minutes=20,
            concepts=("gd", "graph"),
            graded=True,
            pass_mark=0.8,
            questions=(("q1/a", ("gd",)), ("q1/b", ("graph",))),
        ),  # fmt: skip
        Candidate("v3", "video", "Vectorization", "Week 2", 3, minutes=5, concepts=("vec",)),
        Candidate(
            "l1",
            "lab",
            "Vectorize it",
            "Week 2",
            4,
            minutes=40,
            concepts=("vec",),
            graded=True,
            state="locked",
        ),  # fmt: skip
    ]
    return [Candidate(**{**c.__dict__, **overrides.get(c.slug, {})}) for c in items]


def test_every_step_has_a_reason_and_done_or_locked_items_are_never_offered():
    steps = choose(course(v3={"state": "locked"}), outputs({"v2": 0.5, "v3": 0.4}))
    assert [s.slug for s in steps][:1] == ["v2"]
    assert all(s.reason for s in steps)
    assert not {"v1", "v3"} & {s.slug for s in steps}


def test_a_course_not_begun_starts_at_its_first_activity_whatever_others_opened_first():
    items = course(v1={"state": "available"})
    steps = choose(items, outputs({"v2": 0.6, "v1": 0.3}))
    assert steps[0].slug == "v1" and steps[0].reason == "The course begins here: the first video of Week 1."
    assert "v2" in [s.slug for s in steps[1:]]  # the model's favourite stays an alternative
    # once anything is done, the model ranks again
    assert all("begins here" not in s.reason for s in choose(course(), outputs({"v3": 0.6, "v2": 0.3})))


def test_after_a_failure_the_lecture_on_the_weakest_concept_comes_first_then_the_retake():
    items = course(q1={"state": "started", "score": 0.5}, v2={"state": "done"})
    steps = choose(items, outputs({"v3": 0.9}, per_question={"q1/a": 0.8, "q1/b": 0.3}), recent_failure="q1",
                   concept_titles={"graph": "Computation graphs"})  # fmt: skip
    assert [s.slug for s in steps[:2]] == ["v2", "q1"]
    assert steps[0].kind == "remediation" and "Computation graphs" in steps[0].reason
    assert steps[1].kind == "retake" and "50%" in steps[1].reason


def test_due_work_comes_before_new_material_when_success_is_in_reach():
    items = course(v2={"state": "done"}, q1={"due": True})
    steps = choose(items, outputs({"v3": 0.9}, correct=0.75))
    assert steps[0].slug == "q1" and steps[0].kind == "due" and "75%" in steps[0].reason


def test_an_assessment_below_the_productive_band_waits_for_its_lesson():
    steps = choose(course(), outputs({"q1": 0.9, "v2": 0.1}, correct=0.3))
    assert steps[0].slug == "v2"  # the lesson the quiz needs, even though the quiz is the likelier click
    assert "q1" not in [s.slug for s in steps]


def test_in_the_band_an_assessment_is_recommended_with_its_predicted_success():
    steps = choose(course(v2={"state": "done"}), outputs({"q1": 0.3, "v3": 0.3}, correct=0.7))
    assert steps[0].slug == "q1" and "70%" in steps[0].reason and "productive" in steps[0].reason


def test_learners_at_risk_get_a_short_step_first():
    steps = choose(course(v2={"state": "done"}), outputs({"l1": 0.6, "v3": 0.2}, risk=0.8))
    assert steps[0].slug == "v3" and steps[0].reason.startswith("A short one")


def test_a_half_watched_video_is_resumed():
    steps = choose(course(v2={"state": "started", "coverage": 0.4}), outputs({"v3": 0.9}))
    assert steps[0].slug == "v2" and "40%" in steps[0].reason


def test_an_unlocked_lab_comes_before_more_lectures():
    steps = choose(course(v3={"state": "done"}, l1={"state": "available"}), outputs({"v2": 0.9}))
    assert steps[0].slug == "l1" and steps[0].kind == "practice" and "Practice" in steps[0].reason
    assert steps[1].slug == "v2"


def test_a_lab_is_not_pushed_on_a_learner_at_risk():
    items = course(v2={"state": "done"}, v3={"state": "done"}, l1={"state": "available"})
    steps = choose(items, outputs({"l1": 0.1, "q1": 0.1}, risk=0.8))
    assert all(s.kind != "practice" for s in steps)


def test_a_lesson_predicted_mastered_is_deferred():
    # mastered on the learner's own answers: graded on q1, whose questions cover gd
    items = course(v2={"concepts": ("gd",)}, q1={"state": "done", "score": 0.9, "passed": True})
    steps = choose(items, outputs({"v2": 0.6, "v3": 0.2}, per_question={"q1/a": 0.95, "q1/b": 0.95}), limit=4)
    lessons = [s for s in steps if s.slug in ("v2", "v3")]
    assert [s.slug for s in lessons] == ["v3", "v2"]
    assert "95%" in lessons[1].reason and "refresher" in lessons[1].reason


def test_after_a_failure_with_its_lecture_seen_the_lab_on_that_concept_comes_before_the_retake():
    items = course(q1={"state": "started", "score": 0.5}, v2={"state": "done"},
                   l1={"state": "available", "concepts": ("graph", "vec")})  # fmt: skip
    steps = choose(items, outputs(per_question={"q1/a": 0.8, "q1/b": 0.3}), recent_failure="q1",
                   concept_titles={"graph": "Computation graphs"})  # fmt: skip
    assert [s.slug for s in steps] == ["l1", "v2", "q1"]
    assert (
        steps[0].kind == "remediation"
        and "Computation graphs" in steps[0].reason
        and "lab" in steps[0].reason
    )
    assert steps[2].kind == "retake"


def test_a_lesson_is_not_deferred_on_the_models_prior_alone():
    items = course(v2={"concepts": ("gd",)})  # nothing answered on gd yet: a prediction, not evidence
    steps = choose(items, outputs({"v2": 0.6, "v3": 0.2}, per_question={"q1/a": 0.95, "q1/b": 0.95}), limit=4)
    lessons = [s for s in steps if s.slug in ("v2", "v3")]
    assert [s.slug for s in lessons] == ["v2", "v3"] and "refresher" not in lessons[0].reason


def test_no_assessment_is_pushed_before_its_lessons_however_likely_the_pass():
    steps = choose(course(), outputs({"v2": 0.9}, correct=0.95))
    assert steps[0].slug == "v2" and all(s.kind != "ready" for s in steps)


def test_an_assessment_predicted_above_its_pass_mark_is_taken_now():
    steps = choose(course(v2={"state": "done"}), outputs({"v3": 0.9}, correct=0.85))
    assert (
        steps[0].slug == "q1"
        and steps[0].kind == "ready"
        and "85%" in steps[0].reason
        and "80%" in steps[0].reason
    )


def test_below_the_band_an_assessment_waits_only_until_each_topic_was_taught_once():
    items = course(
        v2={"state": "done"}, v3={"concepts": ("graph",), "order": 1}
    )  # a second, unwatched lesson
    steps = choose(items, outputs({"q1": 0.9}, correct=0.4), limit=4)
    quiz = next(s for s in steps if s.slug == "q1")
    assert "stretch" in quiz.reason and "40%" in quiz.reason


def test_a_lab_waits_for_the_lessons_on_its_concepts_however_likely_the_click():
    """The report's new learner got a 45-minute lab first: a lab comes once a lesson on
    each of its concepts is done (here the video on vectorization is not)."""
    items = course(l1={"state": "available"})
    steps = choose(items, outputs({"l1": 0.9, "v2": 0.05, "v3": 0.05}), limit=4)
    assert "l1" not in [s.slug for s in steps]
    taught = choose(course(l1={"state": "available"}, v3={"state": "done"}), outputs({"l1": 0.9}))
    assert taught[0].slug == "l1" and "Practice" in taught[0].reason
