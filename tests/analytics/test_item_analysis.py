"""The statistics behind the charts, on hand-made numbers."""

import numpy as np
import pytest

from analytics.pages.item_analysis import QuestionAnalysis, item_flags
from analytics.pages.video import rewatch_hotspots
from analytics.rollups import bucket_ranges, option_keys, video_buckets
from analytics.stats import point_biserial
from lms.courses.models import Question


def test_the_point_biserial_from_sums_is_the_pearson_correlation():
    rng = np.random.default_rng(3)
    rest = rng.integers(0, 10, size=200)
    right = (rng.random(200) < 0.2 + 0.06 * rest).astype(int)
    r = point_biserial(len(right), int(right.sum()), int(rest.sum()), int((rest * rest).sum()),
                       int((right * rest).sum()))  # fmt: skip
    assert r == pytest.approx(np.corrcoef(right, rest)[0, 1], abs=1e-12)
    assert point_biserial(5, 5, 10, 30, 10) is None  # everyone right: undefined, not 0


def _item(n=50, p=0.6, r=0.3, options=None):
    item = QuestionAnalysis(Question(position=1, prompt="?", type="single"), n=n, p=p, r=r)
    item.options = options or [
        {"index": 0, "correct": True, "first": 30},
        {"index": 1, "correct": False, "first": 20},
    ]
    return item


@pytest.mark.parametrize(
    "item, flag",
    [
        (_item(p=0.97), "too easy"),
        (_item(p=0.1), "too hard"),
        (_item(r=-0.2), "negative discrimination"),
        (_item(r=0.05), "near-zero discrimination"),
        (_item(options=[{"index": 0, "correct": True, "first": 10}, {"index": 1, "correct": False, "first": 30}]),
         "a distractor is chosen more than the key"),
    ],
)  # fmt: skip
def test_probably_faulty_items_are_flagged(item, flag):
    assert any(f.startswith(flag) for f in item_flags(item))


def test_sound_items_and_small_samples_are_not_flagged():
    assert item_flags(_item()) == []
    assert item_flags(_item(n=5, p=0.99, r=-0.5)) == []


def test_video_buckets_stay_bounded_and_merge_once_per_learner():
    assert video_buckets(340) == (1, 340)
    assert video_buckets(7300) == (3, 2434)
    assert video_buckets(None) == (1, 3600)
    # Stretches touching the same second count it once; out-of-range parts are clipped.
    assert bucket_ranges([[0, 10.3], [10.6, 20], [-5, 1], [330, 400]], 1, 340) == [[0, 20], [330, 340]]


def test_answers_become_option_keys():
    assert option_keys(2, Question.Type.SINGLE, 4) == ["2"]
    assert option_keys([0, 3, 3], Question.Type.MULTIPLE, 4) == ["0", "3"]
    assert option_keys(9, Question.Type.SINGLE, 4) == ["other"]
    assert option_keys(None, Question.Type.SINGLE, 4) == ["none"]
    assert option_keys(2.5, Question.Type.NUMERIC, 0) == []


def test_rewatch_hotspots_are_the_highest_separate_peaks():
    replays = [0] * 100
    replays[10:15] = [4, 8, 9, 8, 2]
    replays[60:63] = [5, 6, 5]
    spots = rewatch_hotspots(replays, width=2, top=3)
    assert [(s.start, s.end, s.replays) for s in spots] == [(22, 28, 9), (120, 126, 6)]
