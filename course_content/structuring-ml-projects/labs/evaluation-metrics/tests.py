import numpy as np

from course_content.labkit import Mistake, Test


# ---------- random inputs for hidden tests ----------

def random_labels(rng):
    c = int(rng.integers(2, 6))
    m = int(rng.integers(20, 60))
    y = rng.integers(0, c, size=m)
    p = np.where(rng.random(m) < 0.7, y, rng.integers(0, c, size=m))
    return {"y_true": y, "y_pred": p, "num_classes": c}


def random_matrix(rng):
    c = int(rng.integers(2, 5))
    M = rng.integers(0, 20, size=(c, c))
    return {"M": M, "k": int(rng.integers(0, c))}


def random_pr(rng):
    p = rng.random(7)
    r = rng.random(7)
    p[2] = 0.0
    r[2] = 0.0
    return {"precision": p, "recall": r}


def random_models(rng):
    n = int(rng.integers(5, 9))
    k = int(rng.integers(1, 4))
    sat = np.round(rng.uniform(0, 10, size=(n, k)), 1)
    thr = np.round(rng.uniform(5, 9, size=k), 1)
    sat[1] = thr  # one model exactly on the thresholds
    return {"optimizing": np.round(rng.random(n), 3), "satisficing": sat, "thresholds": thr}


def random_weighted(rng):
    m = int(rng.integers(15, 40))
    y = rng.integers(0, 3, size=m)
    p = np.where(rng.random(m) < 0.6, y, rng.integers(0, 3, size=m))
    w = np.where(rng.random(m) < 0.2, 10.0, 1.0)
    return {"y_true": y, "y_pred": p, "weights": w}


TESTS = [
    # Exercise 1
    Test("confusion matrix of a small example", call="confusion_matrix",
         inputs={"y_true": np.array([0, 1, 1, 2, 1]), "y_pred": np.array([0, 1, 0, 2, 1]), "num_classes": 3},
         expected=np.array([[1, 0, 0], [1, 2, 0], [0, 0, 1]]), public=True),
    Test("confusion matrix counts repeated pairs", call="confusion_matrix",
         inputs={"y_true": np.array([1, 1, 1, 0, 0, 1]), "y_pred": np.array([1, 1, 0, 0, 1, 1]), "num_classes": 2},
         expected=np.array([[1, 1], [1, 3]]), public=True),
    Test("confusion matrix, random labels", call="confusion_matrix", inputs=random_labels),
    # Exercise 2
    Test("precision and recall of class 1", call="precision_recall",
         inputs={"M": np.array([[5, 1], [2, 4]]), "k": 1}, expected=(0.8, 4 / 6), public=True),
    Test("precision and recall when a class is never predicted", call="precision_recall",
         inputs={"M": np.array([[3, 0, 1], [2, 0, 0], [1, 0, 5]]), "k": 1}, expected=(0.0, 0.0), public=True),
    Test("precision and recall of class 2 in a 3x3 matrix", call="precision_recall",
         inputs={"M": np.array([[7, 1, 2], [0, 9, 3], [1, 0, 6]]), "k": 2}, expected=(6 / 11, 6 / 7), public=True),
    Test("precision and recall, random matrix", call="precision_recall", inputs=random_matrix),
    # Exercise 3
    Test("F1 of two scalars", call="f1_score", inputs={"precision": 0.8, "recall": 0.5},
         expected=0.8 / 1.3, public=True),
    Test("F1 element-wise with a zero pair", call="f1_score",
         inputs={"precision": np.array([1.0, 0.0, 0.5]), "recall": np.array([0.02, 0.0, 0.25])},
         expected=np.array([0.04 / 1.02, 0.0, 0.25 / 0.75]), public=True),
    Test("F1, random arrays", call="f1_score", inputs=random_pr),
    # Exercise 4
    Test("macro F1 of a small example", call="macro_f1",
         inputs={"y_true": np.array([0, 1, 1, 2, 1]), "y_pred": np.array([0, 1, 0, 2, 1]), "num_classes": 3},
         expected=(2 / 3 + 0.8 + 1.0) / 3, public=True),
    Test("macro F1 with a class that is never predicted", call="macro_f1",
         inputs={"y_true": np.array([0, 0, 1, 1, 2, 2]), "y_pred": np.array([0, 0, 1, 0, 1, 1]), "num_classes": 3},
         expected=(0.8 + 0.4 + 0.0) / 3, public=True),
    Test("macro F1, random labels", call="macro_f1", inputs=random_labels),
    # Exercise 5
    Test("select the PetSnap model", call="select_model",
         inputs={"optimizing": np.array([0.90, 0.93, 0.92, 0.91]),
                 "satisficing": np.array([[45.0, 12.0], [95.0, 18.0], [80.0, 25.0], [80.0, 20.0]]),
                 "thresholds": np.array([80.0, 20.0])},
         expected=3, public=True),
    Test("no feasible model", call="select_model",
         inputs={"optimizing": np.array([0.7, 0.8]), "satisficing": np.array([[120.0], [150.0]]),
                 "thresholds": np.array([100.0])},
         expected=-1, public=True),
    Test("select a model, random table", call="select_model", inputs=random_models),
    Test("select a model, another random table", call="select_model", inputs=random_models, seed=3),
    # Exercise 6
    Test("weighted error of a small example", call="weighted_error",
         inputs={"y_true": np.array([1, 0, 2, 1]), "y_pred": np.array([1, 1, 2, 0]),
                 "weights": np.array([1.0, 10.0, 1.0, 1.0])},
         expected=11 / 13, public=True),
    Test("weighted error, random weights", call="weighted_error", inputs=random_weighted),
]


# ---------- known mistakes ----------

def _cm_fancy_assign(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=int)
    M[np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)] += 1
    return M


def _cm_transposed(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(M, (np.asarray(y_pred, dtype=int), np.asarray(y_true, dtype=int)), 1)
    return M


def _pr_swapped_axes(M, k):
    M = np.asarray(M)
    tp = M[k, k]
    row, col = M[k, :].sum(), M[:, k].sum()
    return (float(tp / row) if row else 0.0, float(tp / col) if col else 0.0)


def _pr_whole_matrix(M, k):
    M = np.asarray(M)
    tp = M[k, k]
    return float(tp / M.sum()), float(tp / M.sum())


def _f1_arithmetic(precision, recall):
    out = (np.asarray(precision, dtype=float) + np.asarray(recall, dtype=float)) / 2
    return float(out) if out.ndim == 0 else out


def _f1_no_two(precision, recall):
    p = np.asarray(precision, dtype=float)
    r = np.asarray(recall, dtype=float)
    d = p + r
    out = np.where(d > 0, p * r / np.where(d > 0, d, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def _macro_accuracy(y_true, y_pred, num_classes):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _macro_weighted_by_support(y_true, y_pred, num_classes):
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    M = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(M, (y_true, y_pred), 1)
    f1s, support = [], []
    for k in range(num_classes):
        tp, pc, ac = M[k, k], M[:, k].sum(), M[k, :].sum()
        p = tp / pc if pc else 0.0
        r = tp / ac if ac else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        support.append(ac)
    return float(np.average(f1s, weights=support))


def _select_ignore_constraints(optimizing, satisficing, thresholds):
    return int(np.argmax(np.asarray(optimizing, dtype=float)))


def _select_strict(optimizing, satisficing, thresholds):
    opt = np.asarray(optimizing, dtype=float)
    sat = np.asarray(satisficing, dtype=float).reshape(opt.shape[0], -1)
    feasible = np.all(sat < np.asarray(thresholds, dtype=float).reshape(-1), axis=1)
    if not feasible.any():
        return -1
    return int(np.argmax(np.where(feasible, opt, -np.inf)))


def _select_any(optimizing, satisficing, thresholds):
    opt = np.asarray(optimizing, dtype=float)
    sat = np.asarray(satisficing, dtype=float).reshape(opt.shape[0], -1)
    feasible = np.any(sat <= np.asarray(thresholds, dtype=float).reshape(-1), axis=1)
    if not feasible.any():
        return -1
    return int(np.argmax(np.where(feasible, opt, -np.inf)))


def _select_index_among_feasible(optimizing, satisficing, thresholds):
    opt = np.asarray(optimizing, dtype=float)
    sat = np.asarray(satisficing, dtype=float).reshape(opt.shape[0], -1)
    feasible = np.all(sat <= np.asarray(thresholds, dtype=float).reshape(-1), axis=1)
    if not feasible.any():
        return -1
    return int(np.argmax(opt[feasible]))


def _werr_over_m(y_true, y_pred, weights):
    w = np.asarray(weights, dtype=float)
    return float(np.sum(w * (np.asarray(y_true) != np.asarray(y_pred))) / w.shape[0])


def _werr_unweighted(y_true, y_pred, weights):
    return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))


MISTAKES = [
    Mistake(call="confusion_matrix", name="fancy-index += does not accumulate", impl=_cm_fancy_assign,
            hint="M[y_true, y_pred] += 1 adds 1 only once per distinct (i, j) pair, so repeated pairs are lost. "
                 "Use np.add.at(M, (y_true, y_pred), 1), which accumulates duplicates."),
    Mistake(call="confusion_matrix", name="rows and columns swapped", impl=_cm_transposed,
            hint="Your matrix is transposed. Rows are the true classes and columns the predicted classes: "
                 "M[i, j] counts examples with y_true == i and y_pred == j."),
    Mistake(call="precision_recall", name="row and column sums swapped", impl=_pr_swapped_axes,
            hint="Precision divides by everything *predicted* as k, which is column k (M[:, k].sum()); recall "
                 "divides by everything that *truly is* k, which is row k (M[k, :].sum()). Yours are swapped."),
    Mistake(call="precision_recall", name="divided by the total count", impl=_pr_whole_matrix,
            hint="Dividing TP by M.sum() gives the share of all examples that are correct positives, not precision "
                 "or recall. Precision uses column k's sum, recall row k's sum."),
    Mistake(call="f1_score", name="arithmetic mean", impl=_f1_arithmetic,
            hint="F1 is the harmonic mean 2PR / (P + R), not (P + R) / 2. The harmonic mean punishes a classifier "
                 "whose precision or recall is very low."),
    Mistake(call="f1_score", name="forgot the factor 2", impl=_f1_no_two,
            hint="You computed P*R / (P + R); the harmonic mean of two numbers is 2PR / (P + R). "
                 "Check: with P = R, F1 must equal P."),
    Mistake(call="macro_f1", name="returned accuracy", impl=_macro_accuracy,
            hint="Macro F1 is the mean over classes of the per-class F1 score, not the fraction of correct "
                 "predictions. Build the confusion matrix, then call precision_recall and f1_score for every class."),
    Mistake(call="macro_f1", name="weighted by class support", impl=_macro_weighted_by_support,
            hint="Macro averaging gives every class the same weight: use a plain mean of the C F1 scores, "
                 "not an average weighted by how many examples each class has."),
    Mistake(call="select_model", name="ignored the satisficing metrics", impl=_select_ignore_constraints,
            hint="You returned the model with the best optimizing metric overall. First discard every model that "
                 "exceeds any threshold, then take the best of the rest."),
    Mistake(call="select_model", name="strict inequality", impl=_select_strict,
            hint="A model that is exactly on a threshold (80 ms for an 80 ms budget) meets it: use <=, not <."),
    Mistake(call="select_model", name="any instead of all", impl=_select_any,
            hint="A model is feasible only when it meets *every* satisficing threshold: combine the comparisons "
                 "along axis 1 with np.all, not np.any."),
    Mistake(call="select_model", name="index among feasible models", impl=_select_index_among_feasible,
            hint="np.argmax(optimizing[feasible]) is a position inside the filtered array, not the model's index "
                 "in the original table. Mask infeasible models with -inf instead of removing them."),
    Mistake(call="weighted_error", name="divided by m", impl=_werr_over_m,
            hint="Normalize by the sum of the weights, not by the number of examples; otherwise the error can "
                 "exceed 1 and is not comparable across dev sets."),
    Mistake(call="weighted_error", name="ignored the weights", impl=_werr_unweighted,
            hint="You computed the plain error rate. Multiply each mistake by its weight w_i before summing, and "
                 "divide by sum(w)."),
]
