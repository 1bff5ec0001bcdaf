import numpy as np

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- input generators


def random_segment_inputs(rng):
    Tx = int(rng.integers(50, 500))
    return {"segment_len": int(rng.integers(5, Tx // 3)), "Tx": Tx, "n_draws": int(rng.integers(5, 12))}


def random_overlap_inputs(rng):
    previous = []
    start = int(rng.integers(0, 10))
    for _ in range(int(rng.integers(1, 4))):
        length = int(rng.integers(5, 20))
        previous.append([start, start + length - 1])
        start += length + int(rng.integers(1, 15))
    segments = []
    for _ in range(12):
        s = int(rng.integers(0, start + 5))
        segments.append([s, s + int(rng.integers(0, 12))])
    # segments that touch an existing segment exactly at its first or last frame
    p0 = previous[0]
    segments += [[p0[1], p0[1] + 3], [max(0, p0[0] - 3), p0[0]], [p0[1] + 1, p0[1] + 2]]
    return {"segments": segments, "previous_segments": previous}


def random_insert_inputs(rng):
    n_freq, Tx = int(rng.integers(2, 6)), int(rng.integers(30, 80))
    clip_len = int(rng.integers(3, 10))
    previous = []
    s = int(rng.integers(0, 8))
    while s + 12 < Tx and len(previous) < 3:
        length = int(rng.integers(4, 12))
        previous.append([s, s + length - 1])
        s += length + int(rng.integers(2, 20))
    return {"background": rng.uniform(0, 1, size=(n_freq, Tx)),
            "audio_clip": rng.uniform(1, 3, size=(n_freq, clip_len)),
            "previous_segments": previous}


def random_insert_ones_inputs(rng):
    Ty = int(rng.integers(20, 120))
    Tx = int(Ty * rng.uniform(2.0, 6.0))
    y = np.zeros((1, Ty))
    y[0, rng.integers(Ty, size=3)] = 1.0            # labels already present stay
    return {"y": y, "segment_end": int(rng.integers(0, Tx)), "Tx": Tx, "n_ones": int(rng.integers(2, 9))}


def random_example_inputs(rng):
    n_freq, Tx = int(rng.integers(2, 5)), int(rng.integers(120, 200))
    return {"background": rng.gamma(2.0, 0.2, size=(n_freq, Tx)),
            "activates": [rng.uniform(1, 3, size=(n_freq, int(rng.integers(8, 14)))) for _ in range(3)],
            "negatives": [rng.uniform(1, 3, size=(n_freq, int(rng.integers(5, 12)))) for _ in range(3)],
            "Ty": int(Tx // 4), "full": True}


def random_model_inputs(rng):
    batch, n_freq = int(rng.integers(1, 4)), int(rng.integers(2, 7))
    Tx = 15 + 4 * int(rng.integers(2, 12))
    return {"x": rng.uniform(0, 1, size=(batch, Tx, n_freq)), "n_conv": int(rng.integers(2, 6)),
            "n_hidden": int(rng.integers(2, 6))}


def are_probabilities(output, inputs):
    p = np.asarray(output)
    if p.size and (p.min() < 0 or p.max() > 1):
        return "outputs must be probabilities in [0, 1]: did you apply the sigmoid at the end?"
    return None


# ---------------------------------------------------------------- tests

_SMALL_CLIP = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

TESTS = [
    # get_random_time_segment
    Test("get_random_time_segment: 4 draws", call="random_segments",
         inputs={"segment_len": 36, "Tx": 411, "n_draws": 4}, public=True, seed=1, expected=[[37, 72], [235, 270], [72, 107], [255, 290]]),
    Test("get_random_time_segment on random sizes", call="random_segments", inputs=random_segment_inputs,
         seed=4),

    # is_overlapping
    Test("is_overlapping on hand-picked segments", call="overlap_table",
         inputs={"segments": [[100, 150], [20, 29], [20, 30], [91, 139], [210, 260], [0, 400]],
                 "previous_segments": [[30, 90], [140, 200]]},
         public=True, expected=[True, False, True, False, False, True]),
    Test("is_overlapping with no previous segments", call="overlap_table",
         inputs={"segments": [[0, 10], [5, 5]], "previous_segments": []}, public=True, expected=[False, False]),
    Test("is_overlapping on random segments", call="overlap_table", inputs=random_overlap_inputs),

    # insert_audio_clip
    Test("insert_audio_clip on a silent background", call="insert_clip_check",
         inputs={"background": np.zeros((2, 16)), "audio_clip": _SMALL_CLIP,
                 "previous_segments": [[0, 4]]},
         public=True, seed=5, expected={'background': [[0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0]], 'segment_time': [6, 8], 'previous_segments': [[0, 4], [6, 8]], 'argument_unchanged': True}),
    Test("insert_audio_clip with no room left", call="insert_clip_check",
         inputs={"background": np.ones((2, 12)), "audio_clip": _SMALL_CLIP,
                 "previous_segments": [[0, 5], [6, 11]]},
         public=True, seed=0, expected={'background': [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], 'segment_time': [12, 12], 'previous_segments': [[0, 5], [6, 11]], 'argument_unchanged': True}),
    Test("insert_audio_clip on random backgrounds", call="insert_clip_check", inputs=random_insert_inputs,
         seed=2),
    Test("insert_audio_clip on a crowded background", call="insert_clip_check",
         inputs={"background": np.zeros((1, 30)), "audio_clip": np.ones((1, 5)),
                 "previous_segments": [[0, 6], [12, 17]]}, seed=3),

    # insert_ones
    Test("insert_ones in the middle", call="insert_ones",
         inputs={"y": np.zeros((1, 20)), "segment_end": 37, "Tx": 82, "n_ones": 3},
         public=True, expected=[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]]),
    Test("insert_ones near the end", call="insert_ones",
         inputs={"y": np.zeros((1, 20)), "segment_end": 74, "Tx": 82, "n_ones": 3},
         public=True, expected=[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]),
    Test("insert_ones on random sizes", call="insert_ones", inputs=random_insert_ones_inputs),

    # create_training_example
    Test("create_training_example, small example", call="training_example_check",
         inputs={"background": np.tile(np.linspace(0.2, 0.4, 60), (2, 1)),
                 "activates": [np.full((2, 6), 2.0), np.full((2, 8), 3.0)],
                 "negatives": [np.full((2, 5), 1.5)], "Ty": 15, "full": False},
         public=True, seed=16, expected={'y': [[0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]], 'x_shape': [2, 60], 'x_max': 1, 'x_column_sums': [0.09447558, 0.096076861, 0.097678143, 0.099279424, 0.1008807, 1.9919936, 1.9935949, 1.9951962, 1.9967974, 1.9983987, 2, 0.11208967, 0.11369095, 0.11529223, 0.11689351, 0.1184948, 0.12009608, 0.12169736, 0.12329864, 0.12489992, 0.1265012, 0.12810248, 0.12970376, 0.13130504, 0.13290633, 0.13450761, 0.13610889, 0.13771017, 0.13931145, 0.14091273, 0.14251401, 1.561249, 1.5628503, 1.5644516, 1.5660528, 1.5676541, 0.1521217, 0.15372298, 0.15532426, 0.15692554, 0.15852682, 0.1601281, 0.16172938, 0.16333066, 0.16493195, 0.16653323, 0.16813451, 0.16973579, 0.17133707, 0.17293835, 0.17453963, 0.17614091, 0.17774219, 0.17934347, 0.18094476, 0.18254604, 0.18414732, 0.1857486, 0.18734988, 0.18895116]}),
    Test("create_training_example on random clips", call="training_example_check",
         inputs=random_example_inputs, seed=21),
    Test("create_training_example on random clips (another seed)", call="training_example_check",
         inputs=random_example_inputs, seed=6),

    # TriggerModel.forward
    Test("TriggerModel forward, tiny model", call="model_forward",
         inputs={"x": np.linspace(0.0, 1.0, 69).reshape(1, 23, 3), "n_conv": 2, "n_hidden": 2},
         public=True, expected=[[[0.41715887], [0.41449037], [0.41289258]]], check=are_probabilities),
    Test("TriggerModel forward on random sizes", call="model_forward", inputs=random_model_inputs,
         seed=8, check=are_probabilities),
]


# ---------------------------------------------------------------- known mistakes
# Independent re-implementations used by the wrong versions below.

def _segment(segment_len, Tx):
    s = np.random.randint(low=0, high=Tx - segment_len)
    return (int(s), int(s + segment_len - 1))


def _overlap(segment_time, previous_segments):
    return any(segment_time[0] <= pe and segment_time[1] >= ps for ps, pe in previous_segments)


def _ones(y, segment_end, Tx, n_ones=5):
    y = np.array(y, dtype=float)
    e = int(segment_end * y.shape[1] / Tx)
    y[0, e + 1:e + n_ones + 1] = 1.0
    return y


def _insert(background, clip, previous):
    Tx = background.shape[1]
    seg = _segment(clip.shape[1], Tx)
    retry = 5
    while _overlap(seg, previous) and retry >= 0:
        seg = _segment(clip.shape[1], Tx)
        retry -= 1
    new = background.copy()
    if _overlap(seg, previous):
        return new, (Tx, Tx)
    previous.append(seg)
    new[:, seg[0]:seg[1] + 1] += clip
    return new, seg


def _segment_off_by_one(segment_len, Tx=411):
    s = np.random.randint(low=0, high=Tx - segment_len)
    return (int(s), int(s + segment_len))


def _segment_high_tx(segment_len, Tx=411):
    s = np.random.randint(low=0, high=Tx)
    return (int(s), int(s + segment_len - 1))


def _overlap_strict(segment_time, previous_segments):
    return any(segment_time[0] < pe and segment_time[1] > ps for ps, pe in previous_segments)


def _overlap_first_only(segment_time, previous_segments):
    for ps, pe in previous_segments:
        if segment_time[0] <= pe and segment_time[1] >= ps:
            return True
        else:
            return False
    return False


def _overlap_inside_only(segment_time, previous_segments):
    return any(segment_time[0] >= ps and segment_time[1] <= pe for ps, pe in previous_segments)


def _insert_assign(background, audio_clip, previous_segments):
    Tx = background.shape[1]
    seg = _segment(audio_clip.shape[1], Tx)
    retry = 5
    while _overlap(seg, previous_segments) and retry >= 0:
        seg = _segment(audio_clip.shape[1], Tx)
        retry -= 1
    new = background.copy()
    if _overlap(seg, previous_segments):
        return new, (Tx, Tx)
    previous_segments.append(seg)
    new[:, seg[0]:seg[1] + 1] = audio_clip
    return new, seg


def _insert_no_retry(background, audio_clip, previous_segments):
    Tx = background.shape[1]
    seg = _segment(audio_clip.shape[1], Tx)
    new = background.copy()
    if _overlap(seg, previous_segments):
        return new, (Tx, Tx)
    previous_segments.append(seg)
    new[:, seg[0]:seg[1] + 1] += audio_clip
    return new, seg


def _insert_no_append(background, audio_clip, previous_segments):
    return _insert(background, audio_clip, list(previous_segments))


def _ones_from_end(y, segment_end, Tx=411, n_ones=5):
    y = np.array(y, dtype=float)
    e = int(segment_end * y.shape[1] / Tx)
    y[0, e:e + n_ones] = 1.0
    return y


def _ones_no_rescale(y, segment_end, Tx=411, n_ones=5):
    y = np.array(y, dtype=float)
    y[0, segment_end + 1:segment_end + n_ones + 1] = 1.0
    return y


def _example(background, activates, negatives, Ty, *, normalize=True, label_negatives=False):
    Tx = background.shape[1]
    background = 0.5 * background
    y = np.zeros((1, Ty))
    previous = []
    n = np.random.randint(0, 5)
    idx = np.random.randint(len(activates), size=n)
    for i in idx:
        background, seg = _insert(background, activates[i], previous)
        y = _ones(y, seg[1], Tx)
    n = np.random.randint(0, 3)
    idx = np.random.randint(len(negatives), size=n)
    for i in idx:
        background, seg = _insert(background, negatives[i], previous)
        if label_negatives:
            y = _ones(y, seg[1], Tx)
    return (background / np.max(background) if normalize else background), y


MISTAKES = [
    Mistake(call="get_random_time_segment", name="segment one frame too long", impl=_segment_off_by_one,
            hint="Both ends are inclusive: a clip of segment_len frames starting at s ends at "
                 "s + segment_len - 1."),
    Mistake(call="get_random_time_segment", name="start drawn up to Tx", impl=_segment_high_tx,
            hint="The clip must fit inside the background: draw the start with "
                 "np.random.randint(low=0, high=Tx - segment_len)."),
    Mistake(call="is_overlapping", name="strict inequalities", impl=_overlap_strict,
            hint="Segments that share an end frame overlap: use s1 <= e2 and e1 >= s2 "
                 "(inclusive), not < and >."),
    Mistake(call="is_overlapping", name="returned after the first segment", impl=_overlap_first_only,
            hint="Your loop returns False as soon as the first previous segment does not overlap. "
                 "Only return False after checking every segment in the list."),
    Mistake(call="is_overlapping", name="only detected segments inside a previous one",
            impl=_overlap_inside_only,
            hint="Partial overlaps count too: two segments overlap when s1 <= e2 and e1 >= s2, "
                 "not only when one lies inside the other."),
    Mistake(call="insert_audio_clip", name="assigned the clip instead of adding it", impl=_insert_assign,
            hint="Sounds mix by adding energies: new_background[:, start:end + 1] += audio_clip, "
                 "so the background noise stays under the word."),
    Mistake(call="insert_audio_clip", name="no retry when the first position overlaps", impl=_insert_no_retry,
            hint="When the first random segment overlaps, draw new ones (up to 5 retries, "
                 "while retry >= 0) before giving up."),
    Mistake(call="insert_audio_clip", name="forgot to record the segment", impl=_insert_no_append,
            hint="Append the chosen segment_time to previous_segments, otherwise the next clip may "
                 "be pasted on top of this one."),
    Mistake(call="insert_ones", name="labels start at the end step itself", impl=_ones_from_end,
            hint="The ones go strictly after the end of the word: from segment_end_y + 1 to "
                 "segment_end_y + n_ones inclusive."),
    Mistake(call="insert_ones", name="input frame used as an output step", impl=_ones_no_rescale,
            hint="segment_end is an input frame: convert it with int(segment_end * Ty / Tx) "
                 "before indexing y, which has only Ty steps."),
    Mistake(call="create_training_example", name="forgot to normalize",
            impl=lambda background, activates, negatives, Ty=100: _example(background, activates, negatives, Ty, normalize=False),
            hint="Finish with x = background / np.max(background) so that every example peaks at 1."),
    Mistake(call="create_training_example", name="labelled the negative words",
            impl=lambda background, activates, negatives, Ty=100: _example(background, activates, negatives, Ty, label_negatives=True),
            hint="Only 'activate' clips get ones in y; negative words are inserted without "
                 "touching the labels."),
]
