"""The course rules in one place (course_content.rules): each rule checked on its own,
the platform, the dashboards and the simulator shown to call the same functions, and
the source tree shown to keep no copy of the pass mark or the 90% video rule."""

import re
from pathlib import Path

import pytest

from course_content import rules
from course_content.rules import (
    PASS_MARK,
    RUN,
    SUBMIT,
    VIDEO_COMPLETE,
    course_grade,
    course_passed,
    coverage,
    item_pass_mark,
    lab_completes,
    lab_mark,
    lab_passed,
    merge_segments,
    pass_mark,
    passes,
    quiz_passed,
    video_complete,
)

ROOT = Path(__file__).resolve().parents[2]


def test_segments_merge_into_sorted_disjoint_stretches():
    assert merge_segments([[20, 60], [0, 30], [70, 80], [80, 90], [5, 5], [50, 40]]) == [
        [0.0, 60.0],
        [70.0, 90.0],
    ]
    assert merge_segments([]) == []
    assert merge_segments([(1.5, 2.5)]) == [[1.5, 2.5]]
    # The input is never modified, and what comes back is new lists.
    played = [[10.0, 20.0], [15.0, 30.0]]
    merged = merge_segments(played)
    merged[0][1] = 99.0
    assert played == [[10.0, 20.0], [15.0, 30.0]]


def test_coverage_is_the_share_played_capped_at_one():
    assert coverage([[0, 30], [60, 90]], 100) == pytest.approx(0.6)
    assert coverage([[0, 120]], 100) == 1.0  # a player reporting past the end
    assert coverage([[0, 30]], 0) == 0.0 and coverage([[0, 30]], None) == 0.0  # length unknown


def test_a_video_is_watched_at_ninety_percent_of_it_played():
    assert VIDEO_COMPLETE == 0.9
    assert video_complete(0.9) and video_complete(1.0) and not video_complete(0.8999)
    # Skipping to the end does not count: coverage is the union of stretches played.
    assert not video_complete(coverage(merge_segments([[0, 10], [95, 100]]), 100))
    # The dashboards judge whole buckets (w of b watched): the share form agrees with
    # ``w >= 0.9 * b`` for every bucket count a heatmap can have.
    for buckets in range(1, 3601):
        for watched in range(int(0.9 * buckets) - 1, int(0.9 * buckets) + 2):
            assert video_complete(watched / buckets) == (watched >= 0.9 * buckets)


def test_the_pass_mark_falls_back_to_eighty_percent():
    assert PASS_MARK == 0.8
    assert pass_mark(None) == pass_mark(0) == 0.8 and pass_mark(0.6) == 0.6


def test_scores_pass_at_the_mark_with_float_noise_forgiven():
    assert passes(0.8, 0.8) and not passes(0.79, 0.8)
    assert sum([0.1] * 8) < 0.8 and passes(sum([0.1] * 8), 0.8)  # 0.7999999999999999 is 80%
    assert quiz_passed(4 / 5, None) and not quiz_passed(3 / 5, None)
    assert quiz_passed(3 / 5, 0.6) and not quiz_passed(3 / 5, 0.7)


def test_labs_pass_by_submit_at_the_passing_grade_or_by_an_all_green_run():
    assert lab_mark(SUBMIT, 0.7) == 0.7 and lab_mark(SUBMIT, None) == PASS_MARK and lab_mark(RUN, 0.7) == 1.0
    assert lab_passed(SUBMIT, 0.75, 0.7) and not lab_passed(SUBMIT, 0.65, 0.7)
    assert lab_passed(RUN, 1.0, 0.7) and not lab_passed(RUN, 0.95, 0.7)  # a Run needs every public test
    with pytest.raises(ValueError, match="'submit' or a 'run', not 'grade'"):
        lab_mark("grade", 0.8)


def test_an_items_pass_mark_is_its_own_for_a_quiz_and_the_courses_for_a_lab():
    assert item_pass_mark("quiz", 0.6, 0.9) == 0.6 and item_pass_mark("quiz", None, 0.9) == PASS_MARK
    assert item_pass_mark("lab", 0.6, 0.9) == 0.9 and item_pass_mark("lab", None, None) == PASS_MARK


def test_the_course_grade_is_the_mean_best_score_missing_items_zero():
    assert course_grade([1.0, 0.5, None]) == pytest.approx(0.5)
    assert course_grade([]) == 0.0
    assert course_passed(course_grade([0.9, 0.7]), 0.8) and not course_passed(course_grade([0.9, 0.6]), 0.8)


def test_the_platform_the_dashboards_and_the_simulator_share_the_rules():
    from lms.progress import services as progress_services

    assert progress_services.merge_segments is merge_segments
    for module in ("analytics/rollups/contributions.py", "analytics/rollups/fold.py", "analytics/rollups/catalog.py",
                   "analytics/pages/videos.py", "analytics/pages/quiz.py", "platform/lms/labs/services.py",
                   "platform/lms/quizzes/services.py", "platform/lms/progress/selectors.py",
                   "platform/lms/progress/services.py", "platform/lms/simulation/services.py",
                   "recommender/simulate/activities.py", "recommender/simulate/calibration.py"):  # fmt: skip
        source = (ROOT / module).read_text()
        assert re.search(r"^from course_content(\.rules import| import rules)", source, re.M), module


SCORE_SETS = [[], [None], [1.0, 0.5, None], [0.9, 0.7], [0.9, 0.6], [0.1] * 8, [1.0, 1.0, 1.0]]


@pytest.mark.parametrize("scores", SCORE_SETS)
def test_the_platforms_course_grade_and_the_simulators_are_the_rule(scores):
    """The learner's progress page (``lms.progress.selectors``) and the certificates the
    simulator writes (``lms.simulation.services``) grade a course as ``course_grade``:
    the mean best score over the graded items, a missing one 0; ungraded items ignored."""
    from types import SimpleNamespace

    from lms.courses.models import Activity, Course
    from lms.progress.models import ActivityProgress
    from lms.progress.selectors import _grade as page_grade
    from lms.simulation.services import _grade as simulated_grade

    course = Course(pk=1, passing_grade=0.8)
    graded = [Activity(pk=n, slug=f"a{n}", course=course, graded=True) for n in range(1, len(scores) + 1)]
    video = Activity(pk=99, slug="video", course=course, graded=False)
    rows = {a.pk: ActivityProgress(score=s) for a, s in zip(graded, scores, strict=True) if s is not None}
    rows[video.pk] = ActivityProgress(score=1.0)
    page = page_grade(course, [*graded, video], rows)
    assert page.grade == pytest.approx(course_grade(scores))

    run = SimpleNamespace(progress={a.slug: SimpleNamespace(score=s) for a, s in zip(graded, scores, strict=True)
                                    if s is not None} | {"video": SimpleNamespace(score=1.0)})  # fmt: skip
    activities = {a.slug: (a.pk, 1, True) for a in graded} | {"video": (99, 1, False), "other": (7, 2, True)}
    assert simulated_grade(run, 1, activities) == pytest.approx(course_grade(scores))


def _replayed(events: list[tuple[str, str | None, dict]], passing: float | None = None) -> bool:
    """Did the offline evaluator's replay of the platform's progress (``recommender.ope``)
    complete activity ``x`` of course ``c`` from these (verb, activity, payload) events?"""
    import pandas as pd

    from recommender.progress_replay import ProgressReplay

    replay = ProgressReplay({"c": passing} if passing is not None else None)
    now = pd.Timestamp("2026-01-05", tz="UTC")
    return any([replay.add(now, verb, "c", activity, payload) for verb, activity, payload in events])


@pytest.mark.parametrize(
    "played", [[[0, 89]], [[0, 90]], [[0, 50], [40, 95]], [[0, 10], [95, 100]], [[0, 100]]]
)
def test_the_offline_replay_completes_a_video_by_the_rule(played):
    expected = video_complete(coverage(merge_segments(played), 100))
    assert _replayed([("video.paused", "x", {"duration": 100, "segments": played})]) is expected


@pytest.mark.parametrize("score", [0.0, 0.6, 0.79, sum([0.1] * 8), 0.8, 1.0])
def test_the_offline_replay_passes_a_quiz_by_the_rule(score):
    assert _replayed([("quiz.graded", "x", {"score": score})]) is quiz_passed(score, None)


@pytest.mark.parametrize("track", ["audit", "verified"])
@pytest.mark.parametrize("mode", [SUBMIT, RUN])
@pytest.mark.parametrize("score", [0.5, 0.7, 0.95, 1.0])
def test_labs_complete_by_the_same_rule_offline_and_in_the_simulator(track, mode, score):
    """A Submit completes a lab at the course's passing grade; a Run only for an auditor,
    and only when every public test passes. The offline replay folds the events the
    platform wrote; the simulator's learners act on the same rule."""
    auditing = track == "audit"
    expected = lab_completes(mode, score, 0.7, auditing=auditing)
    assert expected == (lab_passed(mode, score, 0.7) and (mode == SUBMIT or auditing))
    events = [
        ("enrollment.activated", None, {"track": track}),
        ("lab.graded", "x", {"mode": mode, "score": score}),
    ]
    assert _replayed(events, passing=0.7) is expected


def test_the_simulators_calibration_counts_lab_passes_by_the_rule():
    """``cohort_stats``' "attempts to pass a lab" counts the first grading that passes by
    ``lab_passed`` (a verified learner's Submits at the course's grade, an auditor's Runs)."""
    key = "lab attempts to pass (mean)"
    from types import SimpleNamespace

    from recommender.simulate.calibration import cohort_stats

    def learner(verified: bool, mode: str, scores: list[float]):
        labs = [SimpleNamespace(mode=mode, activity="lab", score=s) for s in scores]
        return SimpleNamespace(traits=SimpleNamespace(verified=verified), completed={}, progress={}, quizzes=[],
                               labs=labs, active_days=1, enroll_day=0, dropped_day=None, mastery=0.5)  # fmt: skip

    curriculum = SimpleNamespace(courses=["c"], items=[], passing_grade={"c": 0.7})
    scores = [0.5, 0.69, 0.7, 1.0]
    first = next(n for n, s in enumerate(scores, start=1) if lab_passed(SUBMIT, s, 0.7))
    stats = cohort_stats([learner(True, SUBMIT, scores)], curriculum)
    assert stats[key] == first
    first_run = next(n for n, s in enumerate(scores, start=1) if lab_passed(RUN, s, 0.7))
    assert cohort_stats([learner(False, RUN, scores)], curriculum)[key] == first_run


COPIES = re.compile(r"or 0\.8\b|, 0\.8\)|>= ?0\.9\b|< ?0\.9\b")


def test_no_copy_of_the_pass_mark_or_the_video_rule_is_left():
    """A new ``x or 0.8`` or ``coverage >= 0.9`` would start the rules drifting apart:
    call course_content.rules instead."""
    found = []
    for folder in ("platform/lms", "analytics", "recommender", "course_content"):
        for path in (ROOT / folder).rglob("*.py"):
            lab_code = folder == "course_content" and "labs" in path.parts  # the labs' own exercises
            if "migrations" in path.parts or lab_code or path.name == "rules.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if COPIES.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_rules_module_is_pure():
    """No Django, numpy or torch: the recommender library and notebooks import it."""
    source = Path(rules.__file__).read_text()
    assert not re.search(r"^\s*(from|import) (django|numpy|torch|pandas|lms|analytics)\b", source, re.M)
