# %% [markdown]
# # Optimization methods
#
# Until now you have trained with (batch) gradient descent: every step looks at the whole
# training set. This lab implements the faster methods from the lectures:
#
# - **mini-batch gradient descent**, which takes a step after each small, shuffled batch;
# - **momentum**, which follows an exponentially weighted average of the gradients;
# - **Adam**, which combines momentum with RMSprop's per-parameter scaling and corrects
#   the bias of both averages.
#
# **After this lab you will be able to**
# - split a data set into shuffled mini-batches, including the last, smaller one,
# - implement the momentum and Adam updates, bias correction included,
# - compare the optimizers on the same network and data.
#
# Notation: parameters live in a dictionary with keys `"W1"`, `"b1"`, ..., `"WL"`, `"bL"` and
# gradients in one with keys `"dW1"`, `"db1"`, ...; `L = len(parameters) // 2`. `X` has shape
# `(n_x, m)` and `Y` shape `(1, m)`. Anything random uses the global `np.random` generator,
# which the grader seeds before each test; do not call `np.random.seed` in your code.

# %%
import math

import numpy as np

# %% [markdown]
# ## 1. Gradient descent
#
# For every layer `l = 1, ..., L`:
#
# `W[l] = W[l] - learning_rate * dW[l]`
# `b[l] = b[l] - learning_rate * db[l]`
#
# ### Exercise 1: `update_parameters_with_gd`

# %%
def update_parameters_with_gd(parameters, grads, learning_rate):
    """
    parameters -- dict "W1", "b1", ...;  grads -- dict "dW1", "db1", ...

    Returns parameters -- the updated dict
    """
    L = len(parameters) // 2
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
        ### END SOLUTION
    return parameters

# %% [markdown]
# With `m` examples there are three flavours of the same update:
#
# - **batch** gradient descent: one step per pass over all `m` examples (accurate but slow
#   steps);
# - **stochastic** gradient descent: a step after every single example (fast but noisy, and
#   it loses the speed of vectorization);
# - **mini-batch** gradient descent: a step after every batch of, say, 64 examples, the
#   usual choice in practice.
#
# ## 2. Mini-batches
#
# Building mini-batches takes two steps.
#
# 1. **Shuffle**: draw one permutation with `permutation = np.random.permutation(m)` and apply
#    it to the columns of both `X` and `Y` (`X[:, permutation]`), so that each example stays
#    with its label.
# 2. **Partition** the shuffled columns into batches of `mini_batch_size`. There are
#    `num_complete = math.floor(m / mini_batch_size)` full batches, the `k`-th holding columns
#    `k * mini_batch_size` to `(k + 1) * mini_batch_size`. If `m` is not a multiple of the
#    size, the remaining `m - num_complete * mini_batch_size` columns form one last, smaller
#    batch.
#
# For example, with `m = 148` and `mini_batch_size = 64` you get batches of 64, 64 and 20
# examples. Batch sizes are usually powers of two (64, 128, 256, 512) and chosen so a batch
# fits in memory.
#
# ### Exercise 2: `random_mini_batches`
#
# Return a list of `(mini_batch_X, mini_batch_Y)` tuples in order.

# %%
def random_mini_batches(X, Y, mini_batch_size=64):
    """
    X -- inputs (n_x, m);  Y -- labels (1, m);  mini_batch_size -- examples per batch

    Returns mini_batches -- list of (mini_batch_X, mini_batch_Y)
    """
    m = X.shape[1]
    mini_batches = []
    ### BEGIN SOLUTION
    permutation = np.random.permutation(m)
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))

    num_complete = math.floor(m / mini_batch_size)
    for k in range(num_complete):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))

    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    ### END SOLUTION
    return mini_batches

# %% [markdown]
# ## 3. Momentum
#
# Mini-batch gradients are noisy, so the path towards the minimum oscillates. Momentum
# smooths it with an exponentially weighted average of past gradients, the "velocity" `v`:
#
# `v_dW[l] = beta * v_dW[l] + (1 - beta) * dW[l]`
# `W[l] = W[l] - learning_rate * v_dW[l]`
#
# and the same for `b`. Oscillating components average out while the consistent direction
# adds up. `beta = 0.9` (an average over roughly the last 10 gradients) is the usual default.
#
# ### Exercise 3: `initialize_velocity`
#
# Create `v` with keys `"dW1"`, `"db1"`, ..., each an array of zeros with the shape of the
# corresponding parameter (`np.zeros_like` is handy).

# %%
def initialize_velocity(parameters):
    """
    Returns v -- dict "dW1", "db1", ..., zeros shaped like the parameters
    """
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
        ### END SOLUTION
    return v

# %% [markdown]
# ### Exercise 4: `update_parameters_with_momentum`
#
# For every layer, first update the velocity, then the parameters, with the formulas above.
# Return both the parameters and the velocity.

# %%
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """
    v -- velocity dict "dW1", "db1", ...;  beta -- momentum hyperparameter

    Returns parameters, v -- both updated
    """
    L = len(parameters) // 2
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        v["dW" + str(l)] = beta * v["dW" + str(l)] + (1 - beta) * grads["dW" + str(l)]
        v["db" + str(l)] = beta * v["db" + str(l)] + (1 - beta) * grads["db" + str(l)]
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * v["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * v["db" + str(l)]
        ### END SOLUTION
    return parameters, v

# %% [markdown]
# ## 4. Adam
#
# Adam keeps two exponentially weighted averages per parameter: `v` of the gradients (as in
# momentum, with `beta1`) and `s` of the squared gradients (as in RMSprop, with `beta2`).
# Both start at zero, so early on they are biased towards zero; dividing by `1 - beta^t`,
# where `t` counts the updates taken so far (starting at 1), removes that bias. For each
# layer `l`:
#
# ```
# v_dW = beta1 * v_dW + (1 - beta1) * dW
# v_corrected_dW = v_dW / (1 - beta1 ** t)
# s_dW = beta2 * s_dW + (1 - beta2) * dW ** 2
# s_corrected_dW = s_dW / (1 - beta2 ** t)
# W = W - learning_rate * v_corrected_dW / (np.sqrt(s_corrected_dW) + epsilon)
# ```
#
# and the same for `b`. `epsilon` (about `1e-8`) only prevents a division by zero.
# Recommended defaults: `beta1 = 0.9`, `beta2 = 0.999`; the learning rate still needs tuning.
#
# ### Exercise 5: `initialize_adam`
#
# Return `v` and `s`, two dictionaries shaped like the velocity of Exercise 3 (keys `"dW1"`,
# `"db1"`, ..., zeros).

# %%
def initialize_adam(parameters):
    """
    Returns v, s -- dicts "dW1", "db1", ..., zeros shaped like the parameters
    """
    L = len(parameters) // 2
    v = {}
    s = {}
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
        s["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        s["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
        ### END SOLUTION
    return v, s

# %% [markdown]
# ### Exercise 6: `update_parameters_with_adam`
#
# Implement one Adam step for every layer. Also return the bias-corrected averages, so that
# you (and the grader) can inspect them.

# %%
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    """
    v, s -- moving averages of the gradients and of the squared gradients
    t -- number of Adam steps taken, counting this one (1 for the first step)

    Returns parameters, v, s, v_corrected, s_corrected
    """
    L = len(parameters) // 2
    v_corrected = {}
    s_corrected = {}
    for l in range(1, L + 1):
        for name in ("W", "b"):
            key = "d" + name + str(l)
            ### BEGIN SOLUTION
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - beta1 ** t)
            s[key] = beta2 * s[key] + (1 - beta2) * np.square(grads[key])
            s_corrected[key] = s[key] / (1 - beta2 ** t)
            parameters[name + str(l)] = (parameters[name + str(l)] - learning_rate
                                         * v_corrected[key] / (np.sqrt(s_corrected[key]) + epsilon))
            ### END SOLUTION
    return parameters, v, s, v_corrected, s_corrected

# %% [markdown]
# ## 5. Comparing the optimizers
#
# The data set is two interleaving half-moons in the plane, with some noise. The model
# (provided below) is a 3-layer network `[2, 5, 2, 1]` with ReLU hidden units and a sigmoid
# output, trained for `num_epochs` passes over the data with mini-batches of 64. It calls your
# functions: read it to see where `t` is incremented.

# %%
def make_moons(m, noise, rng):
    """Two interleaving half circles. X (2, m), Y (1, m)."""
    upper = rng.random(m) < 0.5
    angle = rng.uniform(0.0, np.pi, m)
    x1 = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    x2 = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.stack([x1, x2]) + noise * rng.standard_normal((2, m))
    Y = upper.astype(float).reshape(1, m)
    return X, Y


_data_rng = np.random.default_rng(4)
train_X, train_Y = make_moons(300, 0.2, _data_rng)


def relu(z):
    return np.maximum(0, z)


def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def initialize_parameters(layers_dims):
    """He initialization."""
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = (np.random.randn(layers_dims[l], layers_dims[l - 1])
                                    * np.sqrt(2.0 / layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    A = X
    L = len(parameters) // 2
    caches = []
    for l in range(1, L + 1):
        Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
        caches.append((A, Z))
        A = sigmoid(Z) if l == L else relu(Z)
    return A, caches


def compute_cost(AL, Y):
    """Mean cross-entropy over the examples of Y."""
    A = np.clip(AL, 1e-12, 1 - 1e-12)
    return float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def backward_propagation(AL, Y, caches, parameters):
    m = Y.shape[1]
    L = len(caches)
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, Z = caches[l - 1]
        grads["dW" + str(l)] = dZ @ A_prev.T / m
        grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            dA_prev = parameters["W" + str(l)].T @ dZ
            dZ = dA_prev * (caches[l - 2][1] > 0)
    return grads


def predict_accuracy(X, Y, parameters):
    AL, _ = forward_propagation(X, parameters)
    return float(np.mean((AL > 0.5) == Y))


def model(X, Y, layers_dims, optimizer, learning_rate=0.0007, mini_batch_size=64,
          beta=0.9, beta1=0.9, beta2=0.999, epsilon=1e-8, num_epochs=1000):
    """
    optimizer -- "gd", "momentum" or "adam"

    Returns parameters and costs (the average mini-batch cost of every epoch)
    """
    costs = []
    t = 0
    m = X.shape[1]
    parameters = initialize_parameters(layers_dims)
    if optimizer == "momentum":
        v = initialize_velocity(parameters)
    elif optimizer == "adam":
        v, s = initialize_adam(parameters)

    for epoch in range(num_epochs):
        total_cost = 0.0
        for mini_batch_X, mini_batch_Y in random_mini_batches(X, Y, mini_batch_size):
            AL, caches = forward_propagation(mini_batch_X, parameters)
            total_cost += compute_cost(AL, mini_batch_Y) * mini_batch_X.shape[1]
            grads = backward_propagation(AL, mini_batch_Y, caches, parameters)
            if optimizer == "gd":
                parameters = update_parameters_with_gd(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = update_parameters_with_momentum(parameters, grads, v, beta,
                                                                learning_rate)
            elif optimizer == "adam":
                t = t + 1
                parameters, v, s, _, _ = update_parameters_with_adam(
                    parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon)
            else:
                raise ValueError("unknown optimizer: " + str(optimizer))
        costs.append(total_cost / m)
    return parameters, costs

# %% [markdown]
# In a new cell, train the same network with each optimizer (a few seconds each) and compare:
#
# ```python
# for optimizer in ["gd", "momentum", "adam"]:
#     np.random.seed(1)
#     parameters, costs = model(train_X, train_Y, [2, 5, 2, 1], optimizer, num_epochs=1000)
#     print(optimizer, costs[0], costs[-1], predict_accuracy(train_X, train_Y, parameters))
# ```
#
# With this small learning rate (`0.0007`) and 1000 epochs, plain mini-batch gradient
# descent and momentum move slowly: the cost goes from about 0.57 to about 0.47 and the
# training accuracy is around 75%. Momentum usually helps, but with a learning rate this
# small and a problem this simple its gain is negligible. Adam, whose step size adapts to
# each parameter, brings the cost down to about 0.11 and fits about 96% of the training
# points with the very same learning rate.
#
# **Remember**
# - Shuffle every epoch, keep each example with its label, and keep the last partial batch.
# - Momentum: `v = beta v + (1 - beta) dW`, then `W -= learning_rate * v`.
# - Adam: momentum plus RMSprop, with bias correction `1 / (1 - beta^t)`, `t` counting steps
#   from 1.
