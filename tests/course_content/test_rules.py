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
    from lms.progress.services import segments_merge
    from recommender.simulate.cohort import _merge

    assert segments_merge is merge_segments and _merge is merge_segments
    for module in ("analytics/rollups.py", "analytics/selectors.py", "platform/lms/labs/services.py",
                   "platform/lms/quizzes/services.py", "platform/lms/progress/selectors.py",
                   "platform/lms/progress/services.py", "platform/lms/simulation/services.py",
                   "recommender/simulate/cohort.py", "recommender/simulate/calibration.py"):  # fmt: skip
        source = (ROOT / module).read_text()
        assert re.search(r"^from course_content(\.rules import| import rules)", source, re.M), module


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
