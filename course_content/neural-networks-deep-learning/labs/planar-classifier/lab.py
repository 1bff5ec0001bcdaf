# %% [markdown]
# # Planar data classification with one hidden layer
#
# Logistic regression can only draw a straight line through the input space. In this lab
# you build your first real neural network, with one hidden layer of `tanh` units, and
# watch it learn a decision boundary no line can: the petals of a "flower".
#
# You will implement, in order:
#
# 1. `layer_sizes(X, Y)`
# 2. `initialize_parameters(n_x, n_h, n_y)`
# 3. `forward_propagation(X, parameters)`
# 4. `compute_cost(A2, Y)`
# 5. `backward_propagation(parameters, cache, X, Y)`
# 6. `update_parameters(parameters, grads, learning_rate)`
# 7. `nn_model(X, Y, n_h, ...)`: the training loop
# 8. `predict(parameters, X)`
#
# Everything is vectorized over the `m` examples, which are stored as **columns**.
# Public tests check each function on small worked examples; hidden tests use other sizes.

# %%
import numpy as np

# %% [markdown]
# ## 1. The flower data set
#
# `load_planar_dataset` draws `m` points in the plane along a four-petal rose curve
# `r = 4 sin(4t)` (in polar coordinates), with noise. The points of the first half-turn
# of the curve are red (`y = 0`), those of the second half-turn are blue (`y = 1`), so
# the two classes alternate petal by petal.
#
# * `X` has shape `(2, m)`: the coordinates of one point per column.
# * `Y` has shape `(1, m)`: the labels.
#
# A logistic-regression classifier trained on this data reaches only about 50% accuracy:
# no straight line separates interleaved petals.

# %%
def load_planar_dataset(m=400, petals=4, noise=0.2, seed=1):
    """Generate the two-class flower data set (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    n = m // 2
    X = np.zeros((2, 2 * n))
    Y = np.zeros((1, 2 * n), dtype=int)
    for j in range(2):
        t = np.linspace(j * np.pi, (j + 1) * np.pi, n) + rng.normal(0, noise, n)
        r = 4 * np.sin(petals * t) + rng.normal(0, noise, n)
        X[:, j * n:(j + 1) * n] = np.vstack([r * np.sin(t), r * np.cos(t)])
        Y[0, j * n:(j + 1) * n] = j
    return X, Y


X, Y = load_planar_dataset()
print("X shape:", X.shape, " Y shape:", Y.shape, " m =", X.shape[1])
print("first three points:\n", X[:, :3].round(3), "labels", Y[0, :3])

# %% [markdown]
# ## 2. The model
#
# For one example `x^(i)` (a column of `X`):
#
#     z[1] = W[1] x + b[1]          a[1] = tanh(z[1])        (hidden layer, n_h units)
#     z[2] = W[2] a[1] + b[2]       a[2] = sigmoid(z[2])     (output unit)
#     prediction = 1 if a[2] > 0.5 else 0
#
# and the cost over all examples is the cross-entropy
#
#     J = -(1/m) * sum_i ( y^(i) log(a[2](i)) + (1 - y^(i)) log(1 - a[2](i)) )
#
# The usual recipe: (1) define the structure (input size, hidden units, ...),
# (2) initialize the parameters, (3) loop: forward propagation, cost, backward
# propagation, gradient-descent update.
#
# **Exercise 1.** `layer_sizes(X, Y)` returns `(n_x, n_h, n_y)`: the size of the input
# layer (number of features, from `X`), of the hidden layer (set it to 4) and of the
# output layer (from `Y`). Remember that examples are columns.

# %%
def layer_sizes(X, Y):
    """
    Arguments:
    X -- input data of shape (n_x, m)
    Y -- labels of shape (n_y, m)

    Returns:
    n_x -- size of the input layer
    n_h -- size of the hidden layer (4)
    n_y -- size of the output layer
    """
    ### BEGIN SOLUTION
    n_x = X.shape[0]
    n_h = 4
    n_y = Y.shape[0]
    ### END SOLUTION
    return (n_x, n_h, n_y)


# %%
def sigmoid(z):
    """The logistic function (given)."""
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# **Exercise 2.** `initialize_parameters(n_x, n_h, n_y)`.
#
# * Weights: small random values, `np.random.randn(rows, cols) * 0.01`. Draw `W1` first,
#   then `W2` (the tests seed NumPy's global generator, so the order matters).
# * Biases: zeros, `np.zeros((rows, 1))`.
#
# Shapes: `W1 (n_h, n_x)`, `b1 (n_h, 1)`, `W2 (n_y, n_h)`, `b2 (n_y, 1)`.
#
# The weights must not all be zero: every hidden unit would then compute the same
# function and receive the same gradient, forever (the symmetry problem). They are kept
# small so that `tanh` starts in its steep middle region rather than its flat tails.
#
# Check: after `np.random.seed(2)`, `initialize_parameters(2, 4, 1)["W2"]` is about
# `[[-0.01057952, -0.00909008, 0.00551454, 0.02292208]]`.

# %%
def initialize_parameters(n_x, n_h, n_y):
    """
    Returns:
    parameters -- dict with W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)
    """
    ### BEGIN SOLUTION
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    ### END SOLUTION
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# %% [markdown]
# ## 3. Forward propagation
#
# Vectorized over all examples:
#
#     Z1 = W1 X + b1        A1 = tanh(Z1)          shapes (n_h, m)
#     Z2 = W2 A1 + b2       A2 = sigmoid(Z2)       shapes (n_y, m)
#
# `np.dot(W1, X)` is a matrix product; `+ b1` broadcasts the bias column across the `m`
# columns; `np.tanh` is element-wise.
#
# **Exercise 3.** Implement `forward_propagation`. Return `A2` and a `cache` dict with
# `"Z1"`, `"A1"`, `"Z2"`, `"A2"`: backpropagation needs these values.

# %%
def forward_propagation(X, parameters):
    """
    Arguments:
    X -- input data of shape (n_x, m)
    parameters -- dict with W1, b1, W2, b2

    Returns:
    A2 -- sigmoid output of the second activation, shape (1, m)
    cache -- dict with "Z1", "A1", "Z2" and "A2"
    """
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    ### BEGIN SOLUTION
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    ### END SOLUTION
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


# %% [markdown]
# ## 4. The cost
#
#     J = -(1/m) * sum( Y * log(A2) + (1 - Y) * log(1 - A2) )
#
# `Y * np.log(A2)` multiplies element-wise; `np.sum` adds everything up.
#
# **Exercise 4.** Implement `compute_cost(A2, Y)` and return the cost as a Python float.
#
# Check: for `A2 = [[0.6, 0.3, 0.9]]` and `Y = [[1, 0, 1]]` the cost is `0.3242870277875165`.

# %%
def compute_cost(A2, Y):
    """
    Arguments:
    A2 -- output probabilities of shape (1, m)
    Y -- labels of shape (1, m)

    Returns:
    cost -- cross-entropy cost (a float)
    """
    m = Y.shape[1]
    ### BEGIN SOLUTION
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    cost = -np.sum(logprobs) / m
    ### END SOLUTION
    return float(np.squeeze(cost))


# %% [markdown]
# ## 5. Backward propagation
#
# The six equations of backpropagation for this network (vectorized, `*` is
# element-wise):
#
#     dZ2 = A2 - Y
#     dW2 = (1/m) dZ2 A1^T
#     db2 = (1/m) np.sum(dZ2, axis=1, keepdims=True)
#     dZ1 = W2^T dZ2 * g'(Z1)
#     dW1 = (1/m) dZ1 X^T
#     db1 = (1/m) np.sum(dZ1, axis=1, keepdims=True)
#
# For `g = tanh`, `g'(z) = 1 - tanh(z)^2 = 1 - A1^2`, so use the cached `A1`:
# `dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))`.
#
# Shape check: every gradient has the shape of its parameter (`dW1` like `W1`, ...).
# `axis=1` sums over the examples; `keepdims=True` keeps `db1` a column of shape `(n_h, 1)`.
#
# **Exercise 5.** Implement `backward_propagation`. Return the dict
# `{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}`.

# %%
def backward_propagation(parameters, cache, X, Y):
    """
    Arguments:
    parameters -- dict with W1, b1, W2, b2
    cache -- dict with Z1, A1, Z2, A2 from forward_propagation
    X -- input data of shape (n_x, m)
    Y -- labels of shape (1, m)

    Returns:
    grads -- dict with the gradients dW1, db1, dW2, db2
    """
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    ### BEGIN SOLUTION
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    ### END SOLUTION
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# %% [markdown]
# ## 6. The update rule
#
# Gradient descent, for every parameter `theta` in `W1, b1, W2, b2`:
#
#     theta = theta - learning_rate * dtheta
#
# **Exercise 6.** Implement `update_parameters` and return a **new** dict (write
# `W1 = W1 - learning_rate * dW1`; do not modify the arrays of `parameters` in place).
# The default learning rate 1.2 is large, but this small, well-conditioned problem
# tolerates it; the next course explains how to choose it.

# %%
def update_parameters(parameters, grads, learning_rate=1.2):
    """
    Returns:
    parameters -- dict with the updated W1, b1, W2, b2
    """
    ### BEGIN SOLUTION
    W1 = parameters["W1"] - learning_rate * grads["dW1"]
    b1 = parameters["b1"] - learning_rate * grads["db1"]
    W2 = parameters["W2"] - learning_rate * grads["dW2"]
    b2 = parameters["b2"] - learning_rate * grads["db2"]
    ### END SOLUTION
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# %% [markdown]
# ## 7. Putting it together: `nn_model`
#
# **Exercise 7.** Build the network from the functions above:
#
# 1. `n_x` and `n_y` come from `layer_sizes(X, Y)`; `n_h` is the argument (it overrides
#    the 4 that `layer_sizes` proposes).
# 2. `parameters = initialize_parameters(n_x, n_h, n_y)` (call it once, before the loop,
#    and do not reseed NumPy yourself).
# 3. Repeat `num_iterations` times: forward propagation, cost, backward propagation,
#    update with `learning_rate`.
#
# Return the trained parameters and the list `costs` of the costs recorded at every
# iteration `i` with `i % 1000 == 0`.

# %%
def nn_model(X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False):
    """
    Arguments:
    X -- data of shape (n_x, m)
    Y -- labels of shape (n_y, m)
    n_h -- size of the hidden layer
    num_iterations -- number of gradient-descent iterations
    learning_rate -- step size
    print_cost -- if True, print the cost every 1000 iterations

    Returns:
    parameters -- the learned parameters (dict)
    costs -- costs recorded every 1000 iterations
    """
    costs = []
    ### BEGIN SOLUTION
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 1000 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:.6f}")
    ### END SOLUTION
    return parameters, costs


# %% [markdown]
# ## 8. Predictions
#
# **Exercise 8.** `predict(parameters, X)` runs forward propagation and thresholds the
# output probability at 0.5: `(A2 > 0.5).astype(float)`, shape `(1, m)`.

# %%
def predict(parameters, X):
    """
    Returns:
    predictions -- numpy array of shape (1, m) with 0.0 (red) / 1.0 (blue)
    """
    ### BEGIN SOLUTION
    A2, cache = forward_propagation(X, parameters)
    predictions = (A2 > 0.5).astype(float)
    ### END SOLUTION
    return predictions


# %% [markdown]
# ## 9. Train it
#
# When your public tests pass, run in a new cell:
#
#     np.random.seed(2)
#     parameters, costs = nn_model(X, Y, n_h=4, num_iterations=5000, print_cost=True)
#     predictions = predict(parameters, X)
#     print("accuracy:", float(np.mean(predictions == Y)) * 100, "%")
#
# Four tanh units reach about 93% accuracy, where logistic regression stayed near 50%:
# the hidden layer has learned a non-linear boundary around the petals.
#
# ## 10. Tuning the hidden-layer size
#
# Retrain with `n_h` in `[1, 2, 3, 4, 5, 20, 50]`. Typically:
#
# * 1 or 2 hidden units cannot represent the petals and stay near 70%;
# * 4 or 5 units capture them well;
# * larger layers fit the training points even better, and would start fitting the
#   noise (overfitting) if we had fewer points. Regularization, in the next course,
#   lets you use large models without overfitting.
#
# Also try `noise=0.4` or `petals=2` in `load_planar_dataset`, and learning rates 0.1 and
# 5.0: watch how the costs behave.
