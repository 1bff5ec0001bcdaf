# %% [markdown]
# # Deep neural network for image classification: application
#
# You now have every building block of a deep network. In this lab you assemble them into
# two complete models and train both on the same image-classification task:
#
# * a **2-layer** network: LINEAR -> RELU -> LINEAR -> SIGMOID
# * an **L-layer** network: [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID
#
# You will implement:
#
# 1. `initialize_parameters_deep(layer_dims)`, this time with scaled initialization
# 2. `two_layer_model(...)`
# 3. `L_layer_model(...)`
# 4. `predict(X, parameters)`
# 5. `mislabeled_indices(X, Y, parameters)`
#
# The forward and backward building blocks from the previous lab are given below,
# already completed. Public tests train your models for a few hundred iterations on
# small problems; hidden tests use other layer sizes and data.

# %%
import numpy as np

# %% [markdown]
# ## 1. The data set
#
# As in week 2, the images are generated so that the lab runs offline: `num_px x num_px`
# colour pictures (3 channels, intensities 0..255). The task is harder this time. A
# "cat" is a **warm-coloured** face **with two ears**. Non-cats are warm faces without
# ears (oranges), cool-coloured faces with ears (owls) and cool faces without ears.
# Neither colour nor shape alone decides the class: the model must combine them, which a
# single linear unit can only approximate.

# %%
def load_data(m_train=300, m_test=100, num_px=8, noise=15.0, seed=3):
    """Generate the cat / non-cat images (deterministic for a given seed)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:num_px, 0:num_px]
    warm = np.array([1.0, 0.55, -0.45])
    cool = np.array([-0.35, 0.3, 1.0])

    def make(m):
        y = np.arange(m) % 2
        rng.shuffle(y)
        images = np.empty((m, num_px, num_px, 3))
        for i in range(m):
            img = rng.uniform(50, 160, size=3) + rng.normal(0, noise, size=(num_px, num_px, 3))
            cy = (num_px - 1) / 2 + 0.5 + rng.uniform(-1, 1)
            cx = (num_px - 1) / 2 + rng.uniform(-1.2, 1.2)
            r = rng.uniform(1.5, 2.3)
            if y[i] == 1:
                colour, ears = warm, True
            else:
                colour, ears = [(warm, False), (cool, True), (cool, False)][rng.integers(3)]
            strength = rng.uniform(40, 80)
            img[(rows - cy) ** 2 + (cols - cx) ** 2 <= r ** 2] += strength * colour
            if ears:
                for dx in (-1, 1):
                    ear = (np.abs(cols - (cx + dx * 0.8 * r)) <= 0.7) & (rows >= cy - r - 1.6) & (rows <= cy - r + 0.3)
                    img[ear] += strength * colour
            images[i] = img
        return np.clip(np.round(images), 0, 255), y.reshape(1, m)

    train_x_orig, train_y = make(m_train)
    test_x_orig, test_y = make(m_test)
    return train_x_orig, train_y, test_x_orig, test_y, np.array(["non-cat", "cat"])


train_x_orig, train_y, test_x_orig, test_y, classes = load_data()

# Flatten each image into a column and scale to [0, 1] (as in the week 2 lab).
train_x = train_x_orig.reshape(train_x_orig.shape[0], -1).T / 255.0
test_x = test_x_orig.reshape(test_x_orig.shape[0], -1).T / 255.0
print("train_x:", train_x.shape, " train_y:", train_y.shape, " cats in train:", int(train_y.sum()))
print("test_x: ", test_x.shape, " test_y: ", test_y.shape)

# %% [markdown]
# ## 2. Given: the building blocks from the previous lab
#
# Read the signatures; you will call these functions.
#
# * `linear_activation_forward(A_prev, W, b, activation)` returns `A, cache`
# * `linear_activation_backward(dA, cache, activation)` returns `dA_prev, dW, db`
# * `L_model_forward(X, parameters)` returns `AL, caches`
# * `compute_cost(AL, Y)` returns the cross-entropy cost (a float)
# * `L_model_backward(AL, Y, caches)` returns `grads`
# * `update_parameters(parameters, grads, learning_rate)` returns the new parameters

# %%
def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(0, Z), Z


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    A, activation_cache = sigmoid(Z) if activation == "sigmoid" else relu(Z)
    return A, ((A_prev, W, b), activation_cache)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return float(np.squeeze(cost))


def linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), activation_cache = cache
    dZ = sigmoid_backward(dA, activation_cache) if activation == "sigmoid" else relu_backward(dA, activation_cache)
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for l in reversed(range(1, L + 1)):
        activation = "sigmoid" if l == L else "relu"
        dA, grads["dW" + str(l)], grads["db" + str(l)] = linear_activation_backward(dA, caches[l - 1], activation)
        grads["dA" + str(l - 1)] = dA
    return grads


def update_parameters(parameters, grads, learning_rate):
    parameters = dict(parameters)
    for l in range(1, len(parameters) // 2 + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


# %% [markdown]
# ## 3. Scaled initialization
#
# Last lab initialized every weight as `randn * 0.01`. With 192 inputs and several
# layers that is a poor choice: each layer multiplies the signal by small weights, so
# activations (and gradients) shrink layer after layer and a deep network barely learns.
# A better scale depends on the number of inputs to the layer: with
#
#     W[l] = np.random.randn(layer_dims[l], layer_dims[l-1]) / np.sqrt(layer_dims[l-1])
#
# each unit's pre-activation `z` has roughly the same variance as its inputs, whatever
# the layer width. (Course 2 studies this, and the ReLU-specific variant with
# `sqrt(2 / n[l-1])`, in detail.) Biases start at zero.
#
# **Exercise 1.** Implement `initialize_parameters_deep(layer_dims)` with this scaling.
# Draw `W1`, then `W2`, ... in order.
#
# Check: after `np.random.seed(1)`, `initialize_parameters_deep([4, 2, 1])["W2"]` is about
# `[[0.22559471, -0.17633148]]`.

# %%
def initialize_parameters_deep(layer_dims):
    """
    Arguments:
    layer_dims -- list with the size of each layer, input layer first

    Returns:
    parameters -- dict with "W1", "b1", ..., "WL", "bL";
                  W[l] has shape (layer_dims[l], layer_dims[l-1]), b[l] (layer_dims[l], 1)
    """
    parameters = {}
    L = len(layer_dims) - 1
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        n_l, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        parameters["W" + str(l)] = np.random.randn(n_l, n_prev) / np.sqrt(n_prev)
        parameters["b" + str(l)] = np.zeros((n_l, 1))
        ### END SOLUTION
    return parameters


# %% [markdown]
# ## 4. The 2-layer network
#
# Write the training loop with the layer-level blocks, so that every step is visible:
#
#     parameters = initialize_parameters_deep([n_x, n_h, n_y])
#     repeat num_iterations times:
#         A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
#         A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")
#         cost = compute_cost(A2, Y)
#         dA2 = -(Y / A2 - (1 - Y) / (1 - A2))
#         dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
#         dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
#         parameters = update_parameters(parameters, {"dW1": dW1, ...}, learning_rate)
#
# Read `W1, b1, W2, b2` from `parameters` at the start of each iteration (they change).
#
# **Exercise 2.** Implement `two_layer_model`. Record the cost in `costs` at every
# iteration `i` with `i % 100 == 0`. Return `(parameters, costs)`.

# %%
def two_layer_model(X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False):
    """
    Arguments:
    X -- input data of shape (n_x, m)
    Y -- labels of shape (1, m)
    layers_dims -- (n_x, n_h, n_y)
    learning_rate -- step size of gradient descent
    num_iterations -- number of iterations
    print_cost -- print the cost every 100 iterations

    Returns:
    parameters -- dict with W1, b1, W2, b2
    costs -- list of the costs recorded every 100 iterations
    """
    costs = []
    n_x, n_h, n_y = layers_dims
    ### BEGIN SOLUTION
    parameters = initialize_parameters_deep([n_x, n_h, n_y])
    for i in range(num_iterations):
        W1, b1 = parameters["W1"], parameters["b1"]
        W2, b2 = parameters["W2"], parameters["b2"]
        A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
        A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")
        cost = compute_cost(A2, Y)
        dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
        dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:.6f}")
    ### END SOLUTION
    return parameters, costs


# %% [markdown]
# ## 5. The L-layer network
#
# The same loop, with the model-level blocks:
#
#     parameters = initialize_parameters_deep(layers_dims)
#     repeat num_iterations times:
#         AL, caches = L_model_forward(X, parameters)
#         cost = compute_cost(AL, Y)
#         grads = L_model_backward(AL, Y, caches)
#         parameters = update_parameters(parameters, grads, learning_rate)
#
# **Exercise 3.** Implement `L_layer_model`, recording the cost every 100 iterations
# (`i % 100 == 0`). Return `(parameters, costs)`.

# %%
def L_layer_model(X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False):
    """
    Arguments:
    X -- input data of shape (n_x, m)
    Y -- labels of shape (1, m)
    layers_dims -- list [n_x, n_1, ..., n_L] of layer sizes
    learning_rate, num_iterations, print_cost -- as in two_layer_model

    Returns:
    parameters -- the learned parameters
    costs -- list of the costs recorded every 100 iterations
    """
    costs = []
    ### BEGIN SOLUTION
    parameters = initialize_parameters_deep(layers_dims)
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:.6f}")
    ### END SOLUTION
    return parameters, costs


# %% [markdown]
# ## 6. Predictions and error analysis
#
# **Exercise 4.** `predict(X, parameters)` runs `L_model_forward` (it works for the
# 2-layer parameters too) and returns the float array `(AL > 0.5)` of shape `(1, m)`.
#
# **Exercise 5.** `mislabeled_indices(X, Y, parameters)` returns a 1-D integer array
# with the indices `i` (in increasing order) of the examples whose prediction differs
# from the label `Y[0, i]`. Use `predict` and `np.where` (or `np.nonzero`); note that
# `np.where` on a `(1, m)` array returns a tuple of two index arrays, rows then columns.
# Looking at the misclassified images is the first step of **error analysis** (course 3).

# %%
def predict(X, parameters):
    """
    Returns:
    p -- predictions (0.0 / 1.0) of shape (1, m)
    """
    ### BEGIN SOLUTION
    AL, _ = L_model_forward(X, parameters)
    p = (AL > 0.5).astype(float)
    ### END SOLUTION
    return p


# %%
def mislabeled_indices(X, Y, parameters):
    """
    Returns:
    idx -- 1-D numpy array of ints: the indices of the misclassified examples
    """
    ### BEGIN SOLUTION
    p = predict(X, parameters)
    idx = np.where(p[0] != Y[0])[0]
    ### END SOLUTION
    return idx.astype(int)


# %% [markdown]
# ## 7. Train and compare
#
# When the public tests pass, train both models (a few seconds each) in new cells:
#
#     np.random.seed(1)
#     params2, costs2 = two_layer_model(train_x, train_y, (192, 7, 1), num_iterations=2500,
#                                       print_cost=True)
#     np.random.seed(1)
#     paramsL, costsL = L_layer_model(train_x, train_y, [192, 20, 7, 5, 1],
#                                     num_iterations=2500, print_cost=True)
#     for name, p in (("2-layer", params2), ("4-layer", paramsL)):
#         print(name, "train", np.mean(predict(train_x, p) == train_y),
#               "test", np.mean(predict(test_x, p) == test_y))
#
# For comparison, logistic regression on these images reaches about 90% on the training
# set and 83% on the test set. Both networks should fit the training set (close to 100%)
# and reach roughly 85-90% on the test set. Notice that:
#
# * The hidden layers let the model combine colour **and** ears, which logistic regression
#   can only approximate.
# * A deeper network is not automatically better: with 300 small examples the 4-layer
#   network has more parameters than data can pin down, and the gap between training and
#   test accuracy (variance) is the bottleneck. More data, regularization and better
#   hyperparameters (course 2) address it.
# * Fully connected layers must learn "ears" separately at every position in the image.
#   Convolutional networks (course 4) share weights across positions and need far fewer
#   examples for this kind of task.
#
# Then run `mislabeled_indices(test_x, test_y, paramsL)` and inspect a few of the
# misclassified images: are they faint, small, or oranges with noise that looks like ears?
