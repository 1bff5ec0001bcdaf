# %% [markdown]
# # Error Analysis: Deciding What to Work on Next
#
# Welcome! You lead the team behind **TrailCam**, a classifier that tells park rangers whether
# a camera-trap photo contains a wolf. Training is done; the dev error is disappointing; six
# engineers each have a favourite fix. Rather than guess, you will do what the lectures
# recommend: measure where the errors come from, then spend the team's time where the
# measurements say the payoff is largest.
#
# **By the end of this assignment you will be able to:**
#
# - compute avoidable bias, variance, data mismatch and dev-set overfitting from human,
#   training, training-dev, dev and test errors;
# - turn those gaps into a ranked diagnosis with a recommended action;
# - tally a hand-labelled table of misclassified dev examples into per-category fractions;
# - rank error categories and compute the **ceiling** on how much fixing each one can help.
#
# Use numpy only and keep the function signatures: the grader calls them by name.
#
# ## Table of contents
# 1. From five error rates to four gaps (Exercise 1 - `compute_gaps`)
# 2. A diagnosis (Exercise 2 - `diagnose`)
# 3. Tallying the error-analysis spreadsheet (Exercise 3 - `category_fractions`)
# 4. Ranking the categories (Exercise 4 - `rank_categories`)
# 5. The ceiling on improvement (Exercise 5 - `improvement_ceilings`)

# %%
import numpy as np

# %% [markdown]
# ## 1. From five error rates to four gaps
#
# TrailCam's training set mixes 200,000 photos scraped from wildlife websites (sharp, well lit,
# animal centred) with 10,000 real camera-trap photos. Dev and test sets contain only real
# camera-trap photos, because that is what the rangers will use. To tell a *variance* problem
# from a *data-mismatch* problem you also carved a **training-dev set** out of the training
# distribution: the network never trains on it, but it looks like the training data.
#
# Reading the errors from left to right, each gap is one problem:
#
# | gap | formula | what it measures |
# |---|---|---|
# | avoidable bias | `train - human` | how far the model is from the best achievable (Bayes error, approximated by human-level error) on data it trained on |
# | variance | `train_dev - train` | failure to generalize to *unseen data from the same distribution* |
# | data mismatch | `dev - train_dev` | the extra error caused by the dev/test distribution being different |
# | dev overfitting | `test - dev` | the dev set has been tuned to too much; a bigger dev set is needed |
#
# Use as human error the **best** level a team of experts reaches: it is the best estimate
# of Bayes error available.
#
# ### Exercise 1 - compute_gaps
#
# Return a dict with exactly the keys `"avoidable_bias"`, `"variance"`, `"data_mismatch"`,
# `"dev_overfitting"` and Python floats as values. Gaps can be negative (for example when the
# dev distribution happens to be *easier* than the training distribution): keep the sign.
#
# **Expected:** human 1%, train 8%, train-dev 8.5%, dev 17%, test 17.5% give (up to rounding)
# `{"avoidable_bias": 0.07, "variance": 0.005, "data_mismatch": 0.085, "dev_overfitting": 0.005}`.

# %%
def compute_gaps(human_error, train_error, train_dev_error, dev_error, test_error):
    """
    Split the error into the four gaps of the bias/variance/mismatch analysis.

    Arguments:
    human_error, train_error, train_dev_error, dev_error, test_error -- floats in [0, 1]

    Returns:
    gaps -- dict with keys "avoidable_bias", "variance", "data_mismatch", "dev_overfitting"
    """
    ### BEGIN SOLUTION
    gaps = {
        "avoidable_bias": float(train_error - human_error),
        "variance": float(train_dev_error - train_error),
        "data_mismatch": float(dev_error - train_dev_error),
        "dev_overfitting": float(test_error - dev_error),
    }
    ### END SOLUTION
    return gaps


# %% [markdown]
# ## 2. A diagnosis
#
# The gaps are only useful if they change what the team does next. Each one points to a
# different family of fixes:
#
# | gap | typical actions |
# |---|---|
# | avoidable bias | bigger network, train longer or with a better optimizer, better architecture |
# | variance | more training data, regularization (L2, dropout, data augmentation) |
# | data mismatch | manual error analysis of train vs dev differences; collect or synthesize training data that looks like dev |
# | dev overfitting | a bigger dev set |
#
# ### Exercise 2 - diagnose
#
# Implement `diagnose(human_error, train_error, train_dev_error, dev_error, test_error, tolerance)`:
#
# 1. compute the gaps with your `compute_gaps`;
# 2. keep only the gaps **strictly greater** than `tolerance` (differences of a fraction of a
#    percent are within the noise of a dev set);
# 3. return the list of their names (the dict keys), **largest gap first**. If two gaps are
#    equal, keep them in the table order above (a stable sort does this for you, e.g.
#    `sorted(names, key=lambda n: -gaps[n])`).
#
# An empty list means no gap is worth acting on.
#
# **Expected:** with the numbers of Exercise 1 and `tolerance=0.01`:
# `["data_mismatch", "avoidable_bias"]`. TrailCam's first problem is that web photos do not look
# like camera-trap photos; its second is that the network underfits even its training set.

# %%
GAP_ORDER = ["avoidable_bias", "variance", "data_mismatch", "dev_overfitting"]


def diagnose(human_error, train_error, train_dev_error, dev_error, test_error, tolerance):
    """
    Names of the gaps above tolerance, largest first.

    Returns:
    problems -- list of str, a subset of GAP_ORDER sorted by decreasing gap
    """
    ### BEGIN SOLUTION
    gaps = compute_gaps(human_error, train_error, train_dev_error, dev_error, test_error)
    names = [name for name in GAP_ORDER if gaps[name] > tolerance]
    problems = sorted(names, key=lambda name: -gaps[name])
    ### END SOLUTION
    return problems


# %% [markdown]
# ## 3. Tallying the error-analysis spreadsheet
#
# The diagnosis says data mismatch and avoidable bias matter. To know *which* examples to work
# on, two engineers went through 120 misclassified dev photos and ticked, for each one, the
# categories that apply. A photo may be in several categories (a blurry night shot of a dog is
# `night`, `blurry` **and** `dog`), or in none. The cell below generates that spreadsheet as a
# 0/1 matrix `tags` of shape `(n_examples, n_categories)`.

# %%
CATEGORIES = ["dog_or_fox", "night_infrared", "blurry_motion", "partly_hidden", "mislabeled"]


def make_error_table(n=120, seed=11):
    """0/1 matrix (n, len(CATEGORIES)) of hand-assigned error categories."""
    rng = np.random.default_rng(seed)
    rates = np.array([0.08, 0.45, 0.30, 0.22, 0.06])
    return (rng.random((n, len(CATEGORIES))) < rates).astype(int)


tags = make_error_table()
dev_error_trailcam = 0.17
print("tags shape:", tags.shape, " ticks per column:", tags.sum(axis=0))

# %% [markdown]
# ### Exercise 3 - category_fractions
#
# Return, for every category, the **fraction of the misclassified examples** that fall in it:
# the column sums divided by the number of rows. Return a float array of shape
# `(n_categories,)`.
#
# Because categories overlap, these fractions need **not** add up to 1, and they must not be
# rescaled so that they do: "45% of our errors happen at night" must stay true even if many of
# those night photos are also blurry.
#
# **Expected:** for the 4x3 table `[[1,0,1],[0,0,1],[1,1,0],[0,0,0]]` the fractions are
# `[0.5, 0.25, 0.5]`.

# %%
def category_fractions(tags):
    """
    Fraction of misclassified examples in each category.

    Arguments:
    tags -- 0/1 int array of shape (n_examples, n_categories)

    Returns:
    fractions -- float array of shape (n_categories,)
    """
    tags = np.asarray(tags)
    ### BEGIN SOLUTION
    fractions = tags.sum(axis=0) / tags.shape[0]
    ### END SOLUTION
    return fractions


# %% [markdown]
# ## 4. Ranking the categories
#
# ### Exercise 4 - rank_categories
#
# Return the category names ordered from the **most** frequent to the least. Ties keep the
# order in which the categories are listed in `names` (use a stable sort, e.g.
# `np.argsort(-counts, kind="stable")`). Return a Python list of strings.
#
# **Expected:** with the 4x3 table above and `names = ["a", "b", "c"]`: `["a", "c", "b"]`.

# %%
def rank_categories(tags, names):
    """
    Category names sorted by decreasing count (ties: original order).

    Arguments:
    tags -- 0/1 int array of shape (n_examples, n_categories)
    names -- list of n_categories strings

    Returns:
    ranked -- list of str
    """
    ### BEGIN SOLUTION
    counts = np.asarray(tags).sum(axis=0)
    order = np.argsort(-counts, kind="stable")
    ranked = [names[i] for i in order]
    ### END SOLUTION
    return ranked


# %% [markdown]
# ## 5. The ceiling on improvement
#
# TrailCam's dev error is 17%. Suppose 8% of the misclassified photos are dogs or foxes. Even
# a perfect fix for dogs and foxes removes only those errors: the dev error can fall at best to
# `17% * (1 - 0.08) = 15.64%`, a gain of 1.36 points. That is the **ceiling** on the
# improvement the project can bring, and it is why a month on the dog problem would be a poor
# bet, while a category holding half of the errors could be worth it.
#
# `best_error_k = dev_error * (1 - fraction_k)`
#
# The same reasoning answers "should we fix the mislabeled dev examples?": compare the share
# of the dev error they cause (`dev_error * fraction_mislabeled`) with the rest.
#
# ### Exercise 5 - improvement_ceilings
#
# Return a float array of shape `(n_categories,)` with, for each category, the **best dev
# error achievable by completely fixing that category alone**. Reuse `category_fractions`.
#
# **Expected:** `dev_error = 0.2` and the 4x3 table above give `[0.1, 0.15, 0.1]`.

# %%
def improvement_ceilings(dev_error, tags):
    """
    Best-case dev error after fixing every mistake of one category.

    Arguments:
    dev_error -- float, current dev-set error in [0, 1]
    tags -- 0/1 int array of shape (n_examples, n_categories), the misclassified dev examples

    Returns:
    best_errors -- float array of shape (n_categories,)
    """
    ### BEGIN SOLUTION
    best_errors = dev_error * (1 - category_fractions(tags))
    ### END SOLUTION
    return best_errors


# %% [markdown]
# Once all tests pass, run `rank_categories(tags, CATEGORIES)` and
# `improvement_ceilings(dev_error_trailcam, tags)` in a scratch cell. Night-time infrared
# photos (about 51% of the errors) come out on top, with a best case near 8.4% dev error, while
# a perfect fix of the mislabeled examples (about 6% of the errors) would bring 17% down only to
# about 16%: not the first thing to do, but worth doing before comparing two models whose dev
# errors differ by less than a point.
#
# ## Congratulations!
#
# You turned two vague questions, "what is wrong?" and "what should we do first?", into numbers:
#
# - the four gaps tell you **which kind of problem** dominates, and therefore which family of
#   fixes to try;
# - the error-analysis tally tells you **which slice of the data** to work on, and its ceiling
#   tells you how much that work can possibly buy.
#
# A couple of hours spent counting errors by hand routinely saves weeks of work on the wrong idea.
