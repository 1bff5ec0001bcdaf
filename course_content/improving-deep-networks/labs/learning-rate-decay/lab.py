# %% [markdown]
# # Learning-rate decay
#
# With mini-batch gradient descent every step follows the gradient of a small, random sample
# of the data. Near the minimum those noisy steps keep overshooting: with a fixed learning
# rate the parameters never settle and the cost keeps jittering around its lowest value.
# Shrinking the learning rate as training progresses lets you take big steps early, while far
# from the minimum, and small careful ones at the end.
#
# In this lab you will implement two decay schedules and use them in a tiny training loop:
#
# - **inverse-time decay**: `learning_rate = learning_rate0 / (1 + decay_rate * epoch_num)`;
# - **scheduled (step) decay**: the same formula, but the rate only changes every
#   `time_interval` epochs:
#   `learning_rate = learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))`.
#
# (Other schedules you may meet: exponential `learning_rate0 * 0.95 ** epoch_num`,
# `k / sqrt(epoch_num) * learning_rate0`, piecewise-constant "staircases", or manual
# decay when the dev error stops improving.)
#
# **After this lab you will be able to**
# - compute both schedules for any epoch,
# - plug a schedule into a mini-batch training loop, updating the rate once per epoch,
# - see how decay removes the jitter of a fixed learning rate.

# %%
import math

import numpy as np

# %% [markdown]
# ## 1. Inverse-time decay
#
# An **epoch** is one pass through the whole training set. Epochs are counted from 0, so at
# epoch 0 the learning rate equals `learning_rate0`.
#
# Example: with `learning_rate0 = 0.2` and `decay_rate = 1`, the rates for epochs 0, 1, 2, 3
# are 0.2, 0.1, 0.0667, 0.05.
#
# ### Exercise 1: `update_lr`

# %%
def update_lr(learning_rate0, epoch_num, decay_rate):
    """
    learning_rate0 -- initial learning rate;  epoch_num -- epoch number (0, 1, ...)
    decay_rate -- how fast the rate decays

    Returns learning_rate -- the decayed learning rate (float)
    """
    ### BEGIN SOLUTION
    learning_rate = learning_rate0 / (1 + decay_rate * epoch_num)
    ### END SOLUTION
    return float(learning_rate)

# %% [markdown]
# With many epochs the inverse-time schedule can decay too fast: after 1000 epochs at
# `decay_rate = 1`, the learning rate is a thousandth of its initial value and learning has
# practically stopped.
#
# ## 2. Scheduled decay
#
# Keep the learning rate constant for `time_interval` epochs, then decay it, like a staircase.
# Use `math.floor` (or `//`) for the number of completed intervals.
#
# Example: `learning_rate0 = 0.5`, `decay_rate = 0.3`, `time_interval = 100`: epochs 0 to 99
# use 0.5, epochs 100 to 199 use `0.5 / 1.3 = 0.3846`, epochs 200 to 299 use `0.5 / 1.6 = 0.3125`.
#
# ### Exercise 2: `schedule_lr_decay`

# %%
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    """
    time_interval -- number of epochs between two decays

    Returns learning_rate -- the decayed learning rate (float)
    """
    ### BEGIN SOLUTION
    learning_rate = learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))
    ### END SOLUTION
    return float(learning_rate)

# %% [markdown]
# ## 3. A whole schedule
#
# ### Exercise 3: `learning_rate_schedule`
#
# Return a NumPy array of length `num_epochs` whose entry `e` is the learning rate used in
# epoch `e` (for `e = 0, ..., num_epochs - 1`):
#
# - `method == "constant"`: always `learning_rate0`;
# - `method == "inverse"`: `update_lr(learning_rate0, e, decay_rate)`;
# - `method == "scheduled"`: `schedule_lr_decay(learning_rate0, e, decay_rate, time_interval)`.
#
# Raise a `ValueError` for any other method.

# %%
def learning_rate_schedule(learning_rate0, num_epochs, decay_rate, method="inverse",
                           time_interval=1000):
    """
    Returns learning_rates -- array of shape (num_epochs,), the rate for each epoch
    """
    ### BEGIN SOLUTION
    rates = []
    for epoch in range(num_epochs):
        if method == "constant":
            rates.append(float(learning_rate0))
        elif method == "inverse":
            rates.append(update_lr(learning_rate0, epoch, decay_rate))
        elif method == "scheduled":
            rates.append(schedule_lr_decay(learning_rate0, epoch, decay_rate, time_interval))
        else:
            raise ValueError("unknown method: " + str(method))
    learning_rates = np.array(rates)
    ### END SOLUTION
    return learning_rates

# %% [markdown]
# ## 4. Decay in a training loop
#
# The model is logistic regression, `a = sigmoid(w.T x + b)` with `w` of shape `(n_x, 1)` and
# a scalar `b`, on two overlapping Gaussian clouds. Because the clouds overlap, no boundary
# is perfect, and mini-batch gradients stay noisy even at the best parameters: the setting
# where decay matters. The cost, its gradients and the mini-batch split are provided.

# %%
def make_blobs(m, rng):
    """Two Gaussian clouds centred at (1, 0.5) (label 1) and (-1, -0.5) (label 0)."""
    Y = (rng.random((1, m)) < 0.5).astype(float)
    centres = np.where(Y > 0, 1.0, -1.0) * np.array([[1.0], [0.5]])
    X = rng.standard_normal((2, m)) + centres
    return X, Y


_data_rng = np.random.default_rng(5)
train_X, train_Y = make_blobs(200, _data_rng)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def compute_cost(w, b, X, Y):
    """Mean cross-entropy of logistic regression on (X, Y)."""
    A = sigmoid(w.T @ X + b)
    return float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def compute_gradients(w, b, X, Y):
    """Returns dw (n_x, 1) and db (float) for the mean cross-entropy."""
    m = X.shape[1]
    dZ = sigmoid(w.T @ X + b) - Y
    return X @ dZ.T / m, float(np.sum(dZ) / m)


def random_mini_batches(X, Y, mini_batch_size):
    """Shuffle the columns (one np.random.permutation call) and split them into batches."""
    m = X.shape[1]
    permutation = np.random.permutation(m)
    X, Y = X[:, permutation], Y[:, permutation]
    return [(X[:, k:k + mini_batch_size], Y[:, k:k + mini_batch_size])
            for k in range(0, m, mini_batch_size)]

# %% [markdown]
# ### Exercise 4: `train_with_decay`
#
# Compute the whole schedule once with `learning_rate_schedule`. Then, for each epoch:
#
# 1. take `learning_rate = learning_rates[epoch]`: the rate changes once per epoch, not
#    once per mini-batch;
# 2. for each `(mini_batch_X, mini_batch_Y)` of `random_mini_batches(X, Y, mini_batch_size)`
#    (call it once per epoch, so that each epoch is shuffled differently), compute the
#    gradients on the mini-batch and update `w -= learning_rate * dw`, `b -= learning_rate * db`;
# 3. at the end of the epoch, append `compute_cost(w, b, X, Y)` on the **whole** training set
#    to `costs`.

# %%
def train_with_decay(X, Y, learning_rate0=3.0, num_epochs=100, decay_rate=0.3,
                     method="inverse", time_interval=10, mini_batch_size=8):
    """
    Mini-batch gradient descent for logistic regression with a decaying learning rate.

    Returns a dict with "w" (n_x, 1), "b" (float), "costs" (num_epochs,) and
    "learning_rates" (num_epochs,)
    """
    w = np.zeros((X.shape[0], 1))
    b = 0.0
    costs = []
    learning_rates = learning_rate_schedule(learning_rate0, num_epochs, decay_rate, method,
                                            time_interval)
    ### BEGIN SOLUTION
    for epoch in range(num_epochs):
        learning_rate = learning_rates[epoch]
        for mini_batch_X, mini_batch_Y in random_mini_batches(X, Y, mini_batch_size):
            dw, db = compute_gradients(w, b, mini_batch_X, mini_batch_Y)
            w = w - learning_rate * dw
            b = b - learning_rate * db
        costs.append(compute_cost(w, b, X, Y))
    ### END SOLUTION
    return {"w": w, "b": float(b), "costs": np.array(costs), "learning_rates": learning_rates}

# %% [markdown]
# ## 5. Compare the schedules
#
# In a new cell, train with a constant rate and with each decay schedule:
#
# ```python
# for method, decay_rate in [("constant", 0.0), ("inverse", 0.3), ("scheduled", 1.0)]:
#     np.random.seed(0)
#     result = train_with_decay(train_X, train_Y, learning_rate0=3.0, num_epochs=100,
#                               decay_rate=decay_rate, method=method, time_interval=10)
#     print(method, np.round(result["costs"][::10], 4), result["costs"][-20:].std())
# ```
#
# The lowest cost reachable on this data is about 0.2257. With the constant rate 3.0 the
# cost keeps bouncing between roughly 0.23 and 0.27 until the end (its standard deviation
# over the last 20 epochs is around 0.01). With inverse-time decay (`decay_rate = 0.3`) it
# settles at 0.2257 within about 30 epochs, and the jitter vanishes. The staircase schedule
# gets there too, more slowly, because it keeps each rate for 10 epochs.
#
# **Remember**
# - Decay the learning rate per epoch, starting from `learning_rate0` at epoch 0.
# - Inverse-time decay: `learning_rate0 / (1 + decay_rate * epoch_num)`.
# - Scheduled decay: `learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))`.
# - `decay_rate` and `time_interval` are hyperparameters, usually tuned after the initial
#   learning rate; decay is rarely the first thing to tune.
