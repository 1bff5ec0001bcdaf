import numpy as np

from course_content.labkit import Mistake, Test

GAP_ORDER = ["avoidable_bias", "variance", "data_mismatch", "dev_overfitting"]


# ---------- random inputs for hidden tests ----------

def random_errors(rng):
    human = float(rng.uniform(0.0, 0.05))
    steps = rng.uniform(-0.01, 0.08, size=4)
    train = human + abs(steps[0])
    train_dev = train + steps[1]
    dev = train_dev + steps[2]
    test = dev + steps[3]
    return {"human_error": human, "train_error": float(train), "train_dev_error": float(train_dev),
            "dev_error": float(dev), "test_error": float(test)}


def random_diagnosis(rng):
    d = random_errors(rng)
    d["tolerance"] = float(rng.choice([0.005, 0.01, 0.02]))
    return d


def random_tags(rng):
    n = int(rng.integers(30, 90))
    k = int(rng.integers(3, 7))
    rates = rng.uniform(0.05, 0.6, size=k)
    return {"tags": (rng.random((n, k)) < rates).astype(int)}


def random_named_tags(rng):
    d = random_tags(rng)
    k = d["tags"].shape[1]
    d["tags"][:, 1] = d["tags"][:, 0]  # guarantee a tie between the first two categories
    d["names"] = [f"category_{c}" for c in "abcdefgh"[:k]]
    return d


def random_ceiling(rng):
    d = random_tags(rng)
    d["dev_error"] = float(rng.uniform(0.05, 0.3))
    return d


SMALL_TAGS = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 0, 0]])

TESTS = [
    # Exercise 1
    Test("TrailCam gaps", call="compute_gaps",
         inputs={"human_error": 0.01, "train_error": 0.08, "train_dev_error": 0.085,
                 "dev_error": 0.17, "test_error": 0.175},
         expected={"avoidable_bias": 0.07, "variance": 0.005, "data_mismatch": 0.085,
                   "dev_overfitting": 0.005},
         public=True),
    Test("gaps with an easier dev distribution", call="compute_gaps",
         inputs={"human_error": 0.02, "train_error": 0.03, "train_dev_error": 0.10,
                 "dev_error": 0.06, "test_error": 0.06},
         expected={"avoidable_bias": 0.01, "variance": 0.07, "data_mismatch": -0.04,
                   "dev_overfitting": 0.0},
         public=True),
    Test("gaps, random error rates", call="compute_gaps", inputs=random_errors),
    # Exercise 2
    Test("TrailCam diagnosis", call="diagnose",
         inputs={"human_error": 0.01, "train_error": 0.08, "train_dev_error": 0.085,
                 "dev_error": 0.17, "test_error": 0.175, "tolerance": 0.01},
         expected=["data_mismatch", "avoidable_bias"], public=True),
    Test("a gap equal to the tolerance is not a problem", call="diagnose",
         inputs={"human_error": 0.0, "train_error": 0.125, "train_dev_error": 0.25,
                 "dev_error": 0.5, "test_error": 0.5, "tolerance": 0.125},
         expected=["data_mismatch"], public=True),
    Test("variance-dominated model", call="diagnose",
         inputs={"human_error": 0.005, "train_error": 0.01, "train_dev_error": 0.11,
                 "dev_error": 0.12, "test_error": 0.16, "tolerance": 0.005},
         expected=["variance", "dev_overfitting", "data_mismatch"], public=True),
    Test("diagnosis, random error rates", call="diagnose", inputs=random_diagnosis),
    Test("diagnosis, more random error rates", call="diagnose", inputs=random_diagnosis, seed=5),
    # Exercise 3
    Test("fractions of a 4x3 table", call="category_fractions", inputs={"tags": SMALL_TAGS},
         expected=np.array([0.5, 0.25, 0.5]), public=True),
    Test("fractions, random table", call="category_fractions", inputs=random_tags),
    # Exercise 4
    Test("rank a 4x3 table", call="rank_categories", inputs={"tags": SMALL_TAGS, "names": ["a", "b", "c"]},
         expected=["a", "c", "b"], public=True),
    Test("rank the TrailCam categories", call="rank_categories",
         inputs={"tags": np.array([[0, 1, 1, 0, 0], [0, 1, 0, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 1, 1],
                                   [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]]),
                 "names": ["dog_or_fox", "night_infrared", "blurry_motion", "partly_hidden", "mislabeled"]},
         expected=["night_infrared", "blurry_motion", "partly_hidden", "dog_or_fox", "mislabeled"], public=True),
    Test("rank, random table with a tie", call="rank_categories", inputs=random_named_tags),
    # Exercise 5
    Test("ceilings of a 4x3 table", call="improvement_ceilings",
         inputs={"dev_error": 0.2, "tags": SMALL_TAGS}, expected=np.array([0.1, 0.15, 0.1]), public=True),
    Test("ceilings, random table", call="improvement_ceilings", inputs=random_ceiling),
]


# ---------- known mistakes ----------

def _gaps(h, tr, td, dv, ts):
    return {"avoidable_bias": float(tr - h), "variance": float(td - tr),
            "data_mismatch": float(dv - td), "dev_overfitting": float(ts - dv)}


def _gaps_no_human(human_error, train_error, train_dev_error, dev_error, test_error):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    g["avoidable_bias"] = float(train_error)
    return g


def _gaps_skip_train_dev(human_error, train_error, train_dev_error, dev_error, test_error):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    g["variance"] = float(dev_error - train_error)
    return g


def _gaps_reversed(human_error, train_error, train_dev_error, dev_error, test_error):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    return {k: -v for k, v in g.items()}


def _gaps_mismatch_from_train(human_error, train_error, train_dev_error, dev_error, test_error):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    g["data_mismatch"] = float(dev_error - train_error)
    return g


def _diag_ascending(human_error, train_error, train_dev_error, dev_error, test_error, tolerance):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    return sorted([n for n in GAP_ORDER if g[n] > tolerance], key=lambda n: g[n])


def _diag_inclusive(human_error, train_error, train_dev_error, dev_error, test_error, tolerance):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    return sorted([n for n in GAP_ORDER if g[n] >= tolerance], key=lambda n: -g[n])


def _diag_unfiltered(human_error, train_error, train_dev_error, dev_error, test_error, tolerance):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    return sorted(GAP_ORDER, key=lambda n: -g[n])


def _diag_unsorted(human_error, train_error, train_dev_error, dev_error, test_error, tolerance):
    g = _gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    return [n for n in GAP_ORDER if g[n] > tolerance]


def _frac_normalized(tags):
    t = np.asarray(tags)
    return t.sum(axis=0) / t.sum()


def _frac_counts(tags):
    return np.asarray(tags).sum(axis=0).astype(float)


def _frac_wrong_axis(tags):
    return np.asarray(tags).mean(axis=1)


def _rank_ascending(tags, names):
    counts = np.asarray(tags).sum(axis=0)
    return [names[i] for i in np.argsort(counts, kind="stable")]


def _rank_unstable(tags, names):
    counts = np.asarray(tags).sum(axis=0)
    return [names[i] for i in sorted(range(len(names)), key=lambda i: (-counts[i], -i))]


def _ceil_subtract(dev_error, tags):
    return dev_error - np.asarray(tags).mean(axis=0)


def _ceil_gain(dev_error, tags):
    return dev_error * np.asarray(tags).mean(axis=0)


def _ceil_normalized(dev_error, tags):
    t = np.asarray(tags)
    return dev_error * (1 - t.sum(axis=0) / t.sum())


MISTAKES = [
    Mistake(call="compute_gaps", name="avoidable bias without human error", impl=_gaps_no_human,
            hint="Avoidable bias is train_error - human_error: human-level error stands in for Bayes error, "
                 "which no model can beat, so only the part of the training error above it is avoidable."),
    Mistake(call="compute_gaps", name="variance measured on the dev set", impl=_gaps_skip_train_dev,
            hint="Variance is train_dev_error - train_error. dev_error - train_error mixes variance with data "
                 "mismatch; the training-dev set exists precisely to separate the two."),
    Mistake(call="compute_gaps", name="data mismatch measured from the training error", impl=_gaps_mismatch_from_train,
            hint="Data mismatch is dev_error - train_dev_error: both sets are unseen, so the only difference "
                 "left between them is the distribution."),
    Mistake(call="compute_gaps", name="gaps with the wrong sign", impl=_gaps_reversed,
            hint="Each gap is the later error minus the earlier one (train - human, train_dev - train, "
                 "dev - train_dev, test - dev), so a growing error gives a positive gap."),
    Mistake(call="diagnose", name="smallest gap first", impl=_diag_ascending,
            hint="List the problems from the largest gap to the smallest: sort on -gap (or reverse=True)."),
    Mistake(call="diagnose", name="gap equal to tolerance counted", impl=_diag_inclusive,
            hint="Keep only gaps strictly greater than the tolerance: use >, not >=."),
    Mistake(call="diagnose", name="did not filter by tolerance", impl=_diag_unfiltered,
            hint="Drop the gaps that are not above the tolerance before sorting; small or negative gaps are "
                 "not problems to work on."),
    Mistake(call="diagnose", name="did not sort", impl=_diag_unsorted,
            hint="The names must be ordered by decreasing gap, not kept in the table order."),
    Mistake(call="category_fractions", name="normalized to sum to 1", impl=_frac_normalized,
            hint="Divide the column sums by the number of misclassified examples (tags.shape[0]), not by the "
                 "total number of ticks: a photo can be in several categories, so the fractions may exceed 1 "
                 "in total."),
    Mistake(call="category_fractions", name="returned counts", impl=_frac_counts,
            hint="You returned how many examples are in each category; divide by the number of rows to get fractions."),
    Mistake(call="category_fractions", name="averaged over the wrong axis", impl=_frac_wrong_axis,
            hint="Rows are examples and columns are categories: sum over axis=0 to get one value per category."),
    Mistake(call="rank_categories", name="least frequent first", impl=_rank_ascending,
            hint="Rank from the most frequent category to the least: sort on -counts."),
    Mistake(call="rank_categories", name="ties in reverse order", impl=_rank_unstable,
            hint="When two categories have the same count, keep the order in which they appear in names: "
                 "use a stable sort such as np.argsort(-counts, kind='stable')."),
    Mistake(call="improvement_ceilings", name="subtracted the fraction from the error", impl=_ceil_subtract,
            hint="The fraction is a share of the *errors*, not of the dev set: fixing category k removes "
                 "dev_error * fraction_k, so the best error is dev_error * (1 - fraction_k)."),
    Mistake(call="improvement_ceilings", name="returned the gain instead of the best error", impl=_ceil_gain,
            hint="dev_error * fraction_k is the largest possible *reduction*; the function returns the best "
                 "achievable dev error, dev_error * (1 - fraction_k)."),
    Mistake(call="improvement_ceilings", name="normalized fractions", impl=_ceil_normalized,
            hint="Use the fraction of misclassified examples in each category (column sum / number of rows), "
                 "as in category_fractions, not a share of all ticks."),
]
