# %% [markdown]
# # Initialization
#
# Training a deep network starts from a guess for every weight. That guess matters more
# than it looks: a bad starting point can leave every hidden unit computing the same thing,
# saturate the output unit, or make gradients vanish and explode. A good one lets gradient
# descent converge quickly to a low training error.
#
# In this lab you will train the same 3-layer network three times, changing only how the
# weights are initialized:
#
# 1. **Zeros**: every weight and bias starts at 0.
# 2. **Large random**: weights drawn from a standard normal and multiplied by 10.
# 3. **He initialization**: weights drawn from a standard normal and scaled by
#    `sqrt(2 / n_prev)`, the scheme recommended for ReLU layers (He et al., 2015).
#
# **After this lab you will be able to**
# - explain why zero initialization fails to break symmetry,
# - see how very large weights saturate the sigmoid output and slow learning,
# - implement He initialization for an L-layer network.
#
# Notation: `layers_dims = [n_0, n_1, ..., n_L]` lists the layer sizes, `n_0` being the
# number of input features. Layer `l` has weights `W[l]` of shape `(n_l, n_{l-1})` and
# biases `b[l]` of shape `(n_l, 1)`, stored in a dictionary under the keys `"W1"`, `"b1"`, ...

# %%
import numpy as np

# %% [markdown]
# ## 1. The data set
#
# The points below lie on two noisy concentric circles in the plane: the outer ring
# (radius 1) is labelled 0 and the inner ring (radius 0.5) is labelled 1. No straight line
# separates them, so the network has to learn a curved decision boundary.
#
# `X` has shape `(2, m)` (one column per example) and `Y` has shape `(1, m)`.

# %%
def make_circles(m, noise, rng):
    """Two noisy concentric circles. Returns X of shape (2, m) and labels Y of shape (1, m)."""
    radius = np.where(rng.random(m) < 0.5, 1.0, 0.5)
    angle = rng.uniform(0.0, 2.0 * np.pi, m)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)])
    X = X + noise * rng.standard_normal((2, m))
    Y = (radius < 0.75).astype(float).reshape(1, m)
    return X, Y


_data_rng = np.random.default_rng(1)
train_X, train_Y = make_circles(300, 0.08, _data_rng)
test_X, test_Y = make_circles(100, 0.08, _data_rng)
print("train_X:", train_X.shape, "train_Y:", train_Y.shape, "positives:", int(train_Y.sum()))

# %% [markdown]
# ## 2. The model (provided)
#
# The network is `LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID`. Its forward pass,
# cross-entropy cost, backward pass and parameter update are written for you so that you can
# concentrate on initialization. Read them: you will call them from `model` in Exercise 4.

# %%
def sigmoid(z):
    """Logistic function, safe for large |z|."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def forward_propagation(X, parameters):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID. Returns A3 and a cache."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache


def compute_loss(A3, Y):
    """Mean binary cross-entropy. A3 is clipped so that log(0) never occurs."""
    m = Y.shape[1]
    A = np.clip(A3, 1e-12, 1 - 1e-12)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


def backward_propagation(X, Y, cache):
    """Gradients of the cost with respect to every parameter."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (A2 > 0)
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


def update_parameters(parameters, grads, learning_rate):
    """One step of gradient descent, for every layer."""
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def predict_accuracy(X, Y, parameters):
    """Fraction of examples whose thresholded prediction (A3 > 0.5) equals the label."""
    A3, _ = forward_propagation(X, parameters)
    return float(np.mean((A3 > 0.5) == Y))

# %% [markdown]
# ## 3. Zero initialization
#
# There are two kinds of parameters: the weight matrices `W[1], ..., W[L]` and the bias
# vectors `b[1], ..., b[L]`.
#
# ### Exercise 1: `initialize_parameters_zeros`
#
# Return a dictionary in which every `W[l]` is `np.zeros((n_l, n_{l-1}))` and every `b[l]`
# is `np.zeros((n_l, 1))`, for `l = 1, ..., L` where `L = len(layers_dims) - 1`.
#
# Example: `layers_dims = [3, 2, 1]` gives `W1` of shape `(2, 3)`, `b1` of shape `(2, 1)`,
# `W2` of shape `(1, 2)` and `b2` of shape `(1, 1)`.

# %%
def initialize_parameters_zeros(layers_dims):
    """
    layers_dims -- list of layer sizes [n_0, n_1, ..., n_L]

    Returns parameters -- dict with "W1", "b1", ..., "WL", "bL" all filled with zeros
    """
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        ### BEGIN SOLUTION
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
        ### END SOLUTION
    return parameters

# %% [markdown]
# **Why this fails.** With all weights equal to zero, every unit of a hidden layer
# computes the same activation, `relu(0) = 0`, and receives the same gradient. The units stay
# identical after every update, so the network is no more expressive than a single unit.
# Here it cannot even move: with `relu(0) = 0` the gradient reaching every weight is exactly
# zero, and only the output bias `b3` changes, drifting towards the fraction of positive
# examples. The cost stays near `log(2) = 0.693` and the model predicts the same class for
# every point. This is the symmetry that random initialization must break. (Biases may start
# at zero: once `W` is random, the symmetry is already broken.)
#
# ## 4. Large random initialization
#
# ### Exercise 2: `initialize_parameters_random`
#
# Draw each `W[l]` with `np.random.randn(n_l, n_{l-1}) * 10` and set each `b[l]` to zeros.
# Create the layers in order `l = 1, 2, ..., L` and call `np.random.randn` once per layer, so
# that your random numbers match the grader's (it seeds `np.random` before calling you; do
# not call `np.random.seed` yourself).

# %%
def initialize_parameters_random(layers_dims):
    """
    layers_dims -- list of layer sizes [n_0, n_1, ..., n_L]

    Returns parameters -- dict with W[l] ~ N(0, 1) * 10 of shape (n_l, n_{l-1}) and b[l] = 0
    """
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        ### BEGIN SOLUTION
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
        ### END SOLUTION
    return parameters

# %% [markdown]
# **What to expect.** With weights of size ~10, `Z3` is in the hundreds, so the sigmoid
# outputs are 0 or 1 to machine precision. Every confidently wrong example contributes a huge
# loss (the first cost is above 10), and the gradients of a saturated sigmoid are tiny, so
# training spends many iterations just pulling the weights back to a reasonable range. In
# deeper networks large weights also make activations explode layer after layer.
#
# ## 5. He initialization
#
# For a layer with `n_{l-1}` inputs, `Z = W a + b` is a sum of `n_{l-1}` terms. To keep the
# variance of `Z` roughly constant from layer to layer, the variance of each weight should be
# inversely proportional to `n_{l-1}`. For ReLU units, which zero half of their inputs, He et al.
# recommend `Var(W) = 2 / n_{l-1}`:
#
# `W[l] = np.random.randn(n_l, n_{l-1}) * np.sqrt(2 / n_{l-1})`
#
# (Xavier initialization uses `sqrt(1 / n_{l-1})` and suits tanh units.)
#
# ### Exercise 3: `initialize_parameters_he`
#
# Implement He initialization: one `np.random.randn` call per layer, in order, biases zero.

# %%
def initialize_parameters_he(layers_dims):
    """
    layers_dims -- list of layer sizes [n_0, n_1, ..., n_L]

    Returns parameters -- dict with W[l] ~ N(0, 1) * sqrt(2 / n_{l-1}) and b[l] = 0
    """
    parameters = {}
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        scale = np.sqrt(2.0 / layers_dims[l - 1])
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
        ### END SOLUTION
    return parameters

# %% [markdown]
# ## 6. Putting it together
#
# ### Exercise 4: `model`
#
# Complete the training loop. First choose the initializer from the `initialization` string
# (`"zeros"`, `"random"` or `"he"`; raise a `ValueError` for anything else). Then, for each of
# `num_iterations` iterations:
#
# 1. `A3, cache = forward_propagation(X, parameters)`
# 2. `cost = compute_loss(A3, Y)`
# 3. `grads = backward_propagation(X, Y, cache)`
# 4. `parameters = update_parameters(parameters, grads, learning_rate)`
#
# and append `cost` to `costs` every 100 iterations (when `i % 100 == 0`). The network
# has layer sizes `[n_x, 10, 5, 1]`.

# %%
def model(X, Y, learning_rate=0.1, num_iterations=1500, initialization="he"):
    """
    Trains LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID with full-batch gradient descent.

    X -- inputs, shape (n_x, m);  Y -- labels, shape (1, m)
    initialization -- "zeros", "random" or "he"

    Returns parameters (dict) and costs (list, one cost every 100 iterations)
    """
    costs = []
    layers_dims = [X.shape[0], 10, 5, 1]
    ### BEGIN SOLUTION
    if initialization == "zeros":
        parameters = initialize_parameters_zeros(layers_dims)
    elif initialization == "random":
        parameters = initialize_parameters_random(layers_dims)
    elif initialization == "he":
        parameters = initialize_parameters_he(layers_dims)
    else:
        raise ValueError("unknown initialization: " + str(initialization))

    for i in range(num_iterations):
        A3, cache = forward_propagation(X, parameters)
        cost = compute_loss(A3, Y)
        grads = backward_propagation(X, Y, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
    ### END SOLUTION
    return parameters, costs

# %% [markdown]
# ## 7. Compare
#
# Run, in a new cell, for each of `"zeros"`, `"random"` and `"he"`:
#
# ```python
# np.random.seed(0)
# parameters, costs = model(train_X, train_Y, initialization="he")
# print(costs[::3], predict_accuracy(train_X, train_Y, parameters),
#       predict_accuracy(test_X, test_Y, parameters))
# ```
#
# With 1500 iterations at learning rate 0.1 you should see roughly:
#
# | initialization | first cost | last recorded cost | train accuracy |
# |---|---|---|---|
# | zeros  | 0.693 | 0.693 | about 50% (one class everywhere) |
# | random (x10) | about 12 | about 0.47 | about 68% |
# | He | about 0.70 | about 0.02 | above 99% |
#
# **Takeaways**
# - Different initializations lead to very different results from the same model, data and
#   optimizer.
# - Random initialization is needed to break symmetry; zeros never learn.
# - Weights that are too large saturate the output and slow learning down.
# - He initialization, `sqrt(2 / n_{l-1})`, works well with ReLU activations.
