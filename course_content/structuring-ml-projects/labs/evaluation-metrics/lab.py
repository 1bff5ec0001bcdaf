# %% [markdown]
# # Choosing and Computing Evaluation Metrics
#
# Welcome! Your team is building **PetSnap**, a phone app that sorts a user's photos into
# albums. Several classifiers are on the table and the engineers disagree about which one is
# "best". In this assignment you will settle the argument the way the lectures recommend:
# with a well-defined dev-set metric.
#
# **By the end of this assignment you will be able to:**
#
# - build a confusion matrix from labels and predictions, for any number of classes;
# - compute precision and recall for one class, and combine them into an F1 score;
# - average per-class F1 scores into a single-number metric (macro F1);
# - pick a model with one **optimizing** metric subject to several **satisficing** metrics;
# - compute a **weighted error** that penalizes some mistakes more than others.
#
# **Rules of the game:** use numpy only, no loops over examples unless an exercise says
# otherwise, and do not change the function signatures: the grader calls them by name.
#
# ## Table of contents
# 1. The confusion matrix (Exercise 1 - `confusion_matrix`)
# 2. Precision and recall (Exercise 2 - `precision_recall`)
# 3. The F1 score (Exercise 3 - `f1_score`)
# 4. One number for many classes (Exercise 4 - `macro_f1`)
# 5. Optimizing and satisficing metrics (Exercise 5 - `select_model`)
# 6. When some mistakes cost more (Exercise 6 - `weighted_error`)

# %%
import numpy as np

# %% [markdown]
# ## 0. The dev set
#
# The cell below generates PetSnap's dev set: 300 photos labelled with one of three classes,
# `0 = other`, `1 = cat`, `2 = dog`, and the predictions of two candidate classifiers, A and B.
# The data is synthetic but seeded, so everybody sees the same numbers.

# %%
CLASS_NAMES = ["other", "cat", "dog"]


def make_dev_set(m=300, seed=7):
    """Return y_dev and the predictions of classifiers A and B (all int arrays of shape (m,))."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=m, p=[0.5, 0.3, 0.2])
    # A is cautious about cats (rarely says "cat" unless sure); B says "cat" generously.
    pred_a = y.copy()
    pred_b = y.copy()
    u = rng.random(m)
    pred_a[(y == 1) & (u < 0.25)] = 0           # A misses a quarter of the cats
    pred_a[(y == 2) & (u < 0.10)] = 1           # ...and calls a few dogs cats
    pred_b[(y == 0) & (u < 0.10)] = 1           # B calls some "other" photos cats
    pred_b[(y == 1) & (u < 0.05)] = 2
    pred_b[(y == 2) & (u > 0.90)] = 0
    return y, pred_a, pred_b


y_dev, pred_a, pred_b = make_dev_set()
print("dev set size:", y_dev.shape[0], " class counts:", np.bincount(y_dev, minlength=3))

# %% [markdown]
# ## 1. The confusion matrix
#
# A confusion matrix counts, for every pair of classes, how often an example of true class
# `i` was predicted as class `j`:
#
# `M[i, j] = number of examples with y_true == i and y_pred == j`
#
# Rows are the **true** classes, columns the **predicted** classes. The diagonal holds the
# correct predictions; everything off the diagonal is a mistake, and *where* it sits tells you
# which classes get confused.
#
# ### Exercise 1 - confusion_matrix
#
# Implement `confusion_matrix(y_true, y_pred, num_classes)` returning an integer array of shape
# `(num_classes, num_classes)`.
#
# **Hint:** a tempting one-liner is `M[y_true, y_pred] += 1`. Try it on a tiny example with a
# repeated pair: numpy's fancy-index assignment does **not** accumulate duplicates, so every
# count would be at most 1. `np.add.at(M, (y_true, y_pred), 1)` does accumulate; so does
# `np.bincount(num_classes * y_true + y_pred, minlength=num_classes**2)` reshaped.
#
# For `y_true = [0, 1, 1, 2, 1]` and `y_pred = [0, 1, 0, 2, 1]` with 3 classes the expected
# output is
# ```
# [[1 0 0]
#  [1 2 0]
#  [0 0 1]]
# ```

# %%
def confusion_matrix(y_true, y_pred, num_classes):
    """
    Count (true class, predicted class) pairs.

    Arguments:
    y_true -- int array of shape (m,), true labels in 0..num_classes-1
    y_pred -- int array of shape (m,), predicted labels in 0..num_classes-1
    num_classes -- int, number of classes C

    Returns:
    M -- int array of shape (C, C); M[i, j] counts examples of true class i predicted as j
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    ### BEGIN SOLUTION
    M = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(M, (y_true, y_pred), 1)
    ### END SOLUTION
    return M


# %% [markdown]
# ## 2. Precision and recall
#
# Treat one class `k` as "positive" and all the others as "negative" (one-vs-rest). From the
# confusion matrix `M`:
#
# - true positives `TP = M[k, k]`
# - everything **predicted** as `k` is column `k`: `TP + FP = sum(M[:, k])`
# - everything that **truly is** `k` is row `k`: `TP + FN = sum(M[k, :])`
#
# `precision = TP / (TP + FP)`: of the photos the app put in the cat album, what fraction are cats?
#
# `recall = TP / (TP + FN)`: of all the cat photos, what fraction reached the cat album?
#
# ### Exercise 2 - precision_recall
#
# Return `(precision, recall)` as Python floats. If a denominator is 0 (the class is never
# predicted, or never present) return `0.0` for that quantity instead of dividing by zero.
#
# For `M = [[5, 1], [2, 4]]` and `k = 1`: precision = 4/5 = 0.8 and recall = 4/6 ≈ 0.6667.

# %%
def precision_recall(M, k):
    """
    Precision and recall of class k from a confusion matrix (rows true, columns predicted).

    Arguments:
    M -- int array of shape (C, C)
    k -- int, the class treated as positive

    Returns:
    precision, recall -- Python floats in [0, 1]
    """
    M = np.asarray(M)
    ### BEGIN SOLUTION
    tp = M[k, k]
    predicted_k = M[:, k].sum()
    actual_k = M[k, :].sum()
    precision = float(tp / predicted_k) if predicted_k > 0 else 0.0
    recall = float(tp / actual_k) if actual_k > 0 else 0.0
    ### END SOLUTION
    return precision, recall


# %% [markdown]
# ## 3. The F1 score
#
# Classifier A might have the better precision and B the better recall. Two numbers make it
# hard to choose quickly, so we combine them with the **harmonic mean**:
#
# `F1 = 2 * P * R / (P + R)`
#
# Unlike the arithmetic mean, the harmonic mean is dragged down by the smaller of the two:
# a classifier with P = 1.0 and R = 0.02 has an arithmetic mean of 0.51 but an F1 of about 0.04.
#
# ### Exercise 3 - f1_score
#
# Implement `f1_score(precision, recall)`. It must work for scalars **and** for numpy arrays of
# the same shape (element-wise). Where `P + R == 0`, F1 is defined as `0`.
#
# **Hint:** `np.where(denominator > 0, numerator / safe_denominator, 0.0)` avoids the division
# warning if you replace zero denominators by 1 in `safe_denominator`.

# %%
def f1_score(precision, recall):
    """
    Harmonic mean of precision and recall, element-wise.

    Arguments:
    precision -- float or numpy array
    recall -- float or numpy array of the same shape

    Returns:
    f1 -- float (for scalar inputs) or numpy array of the same shape
    """
    p = np.asarray(precision, dtype=float)
    r = np.asarray(recall, dtype=float)
    ### BEGIN SOLUTION
    denom = p + r
    safe = np.where(denom > 0, denom, 1.0)
    f1 = np.where(denom > 0, 2 * p * r / safe, 0.0)
    ### END SOLUTION
    if f1.ndim == 0:
        return float(f1)
    return f1


# %% [markdown]
# ## 4. One number for many classes
#
# PetSnap has three albums, so "precision and recall" is really six numbers per classifier.
# The **macro-averaged F1** is the plain average of the per-class F1 scores: each class counts
# equally, however many examples it has, so a classifier cannot look good by acing the big
# "other" class while failing on dogs.
#
# `macro_F1 = (1/C) * sum_k F1_k`
#
# ### Exercise 4 - macro_f1
#
# Use your `confusion_matrix`, `precision_recall` and `f1_score`. Return a Python float.
#
# **Expected:** for `y_true = [0, 1, 1, 2, 1]`, `y_pred = [0, 1, 0, 2, 1]` and 3 classes the
# per-class F1 scores are 2/3, 0.8 and 1.0, so macro F1 ≈ 0.8222.

# %%
def macro_f1(y_true, y_pred, num_classes):
    """
    Average of the one-vs-rest F1 scores of every class.

    Arguments:
    y_true, y_pred -- int arrays of shape (m,)
    num_classes -- int C

    Returns:
    score -- Python float
    """
    ### BEGIN SOLUTION
    M = confusion_matrix(y_true, y_pred, num_classes)
    f1s = []
    for k in range(num_classes):
        p, r = precision_recall(M, k)
        f1s.append(f1_score(p, r))
    score = float(np.mean(f1s))
    ### END SOLUTION
    return score


# %% [markdown]
# Once your functions pass the tests, compare the two classifiers yourself in a scratch cell,
# e.g. `macro_f1(y_dev, pred_a, 3)` against `macro_f1(y_dev, pred_b, 3)`, and look at
# `precision_recall(confusion_matrix(y_dev, pred_a, 3), 1)` for the cat class. A has the
# higher cat precision (about 0.95 against 0.91), B the higher cat recall (0.94 against 0.75);
# macro F1 (about 0.909 for A, 0.929 for B) turns the debate into a one-line decision.
#
# ## 5. Optimizing and satisficing metrics
#
# Accuracy is not the only thing the product team cares about. The app must classify a photo
# in at most 80 ms on a mid-range phone and the model file must fit in 20 MB. Those are
# **satisficing** metrics: any value under the threshold is good enough, and being *further*
# under it earns nothing. The dev-set macro F1 is the single **optimizing** metric: among the
# models that satisfy every constraint, we want the one with the highest score.
#
# | model | macro F1 | latency (ms) | size (MB) |
# |---|---|---|---|
# | A | 0.90 | 45 | 12 |
# | B | 0.93 | 95 | 18 |
# | C | 0.92 | 80 | 25 |
# | D | 0.91 | 80 | 20 |
#
# B is the most accurate but too slow, C is within the latency budget but too big, so the
# answer is D (index 3). Note that 80 ms **meets** an 80 ms budget: thresholds are inclusive.
#
# ### Exercise 5 - select_model
#
# Implement `select_model(optimizing, satisficing, thresholds)`:
#
# - `optimizing` has shape `(n,)`: higher is better;
# - `satisficing` has shape `(n, k)`: one row per model, one column per constraint; model `i`
#   is **feasible** when `satisficing[i, j] <= thresholds[j]` for **every** `j`;
# - return the index (a Python `int`) of the feasible model with the largest optimizing
#   value; on a tie, the smallest index; if no model is feasible, return `-1`.

# %%
def select_model(optimizing, satisficing, thresholds):
    """
    Best model by an optimizing metric among those meeting all satisficing thresholds.

    Arguments:
    optimizing -- float array of shape (n,), higher is better
    satisficing -- float array of shape (n, k), lower is better, must be <= thresholds
    thresholds -- float array of shape (k,)

    Returns:
    best -- Python int, index of the chosen model, or -1 if no model is feasible
    """
    optimizing = np.asarray(optimizing, dtype=float)
    satisficing = np.asarray(satisficing, dtype=float).reshape(optimizing.shape[0], -1)
    thresholds = np.asarray(thresholds, dtype=float).reshape(-1)
    ### BEGIN SOLUTION
    feasible = np.all(satisficing <= thresholds, axis=1)
    if not feasible.any():
        return -1
    scores = np.where(feasible, optimizing, -np.inf)
    best = int(np.argmax(scores))
    ### END SOLUTION
    return best


# %% [markdown]
# ## 6. When some mistakes cost more
#
# A week after launch, users complain: a few photos they had marked **private** (say, photos of
# their children) were sorted into albums that are shared with friends by default. Plain error
# counts such a mistake the same as putting a dog in the "other" album, so the metric no longer
# tells the team what the users care about. The lecture's fix is to **change the metric**:
# give each dev example a weight `w_i` (for example 1 for ordinary photos and 10 for private
# ones) and use the weighted error
#
# `weighted_error = sum_i w_i * 1{y_pred_i != y_true_i} / sum_i w_i`
#
# Dividing by the sum of the weights, not by `m`, keeps the error between 0 and 1.
#
# ### Exercise 6 - weighted_error
#
# **Expected:** `y_true = [1, 0, 2, 1]`, `y_pred = [1, 1, 2, 0]`, `weights = [1, 10, 1, 1]`
# gives (10 + 1) / 13 ≈ 0.8462, while the unweighted error would be 0.5.

# %%
def weighted_error(y_true, y_pred, weights):
    """
    Weighted misclassification rate.

    Arguments:
    y_true, y_pred -- int arrays of shape (m,)
    weights -- non-negative float array of shape (m,), not all zero

    Returns:
    err -- Python float in [0, 1]
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    weights = np.asarray(weights, dtype=float)
    ### BEGIN SOLUTION
    wrong = (y_true != y_pred).astype(float)
    err = float(np.sum(weights * wrong) / np.sum(weights))
    ### END SOLUTION
    return err


# %% [markdown]
# ## Congratulations!
#
# You can now turn a pile of predictions into the numbers a team can act on:
#
# - a confusion matrix shows *which* classes are confused;
# - precision, recall and F1 summarize one class, macro F1 summarizes all of them;
# - optimizing + satisficing metrics turn "accurate, fast and small" into one decision rule;
# - when the metric stops ranking models the way users would, change the metric (here, by
#   weighting the examples that matter most) rather than arguing over each model by hand.
