# %% [markdown]
# # Building a deep neural network, step by step
#
# Last week's network had one hidden layer and its backward pass was written out by hand.
# This week you build a network with **any number of layers** out of small, reusable
# pieces: a forward function and a backward function per layer, which exchange values
# through **caches**. Next, in the application lab, you will use these pieces to classify
# images.
#
# Notation: superscript `[l]` is the layer (`W[l]`, `A[l]`), `L` is the number of layers
# (not counting the input), `m` the number of examples (columns), and `n[l]` the number of
# units in layer `l` (`n[0]` is the input size).
#
# The plan:
#
# 1. `initialize_parameters_deep(layer_dims)`
# 2. Forward: `linear_forward`, then `linear_activation_forward` (LINEAR -> RELU or
#    SIGMOID), then `L_model_forward` ([LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID)
# 3. `compute_cost`
# 4. Backward: `linear_backward`, `linear_activation_backward`, `L_model_backward`
# 5. `update_parameters`
#
# Public tests give worked examples for each function; hidden tests use other layer sizes.

# %%
import numpy as np

# %% [markdown]
# ## 0. Given: activation functions and their backward steps
#
# Each activation returns its output **and** a cache holding `Z`; each backward function
# takes `dA` and that cache and returns `dZ = dA * g'(Z)`. Read them: you will call them.

# %%
def sigmoid(Z):
    """Sigmoid activation. Returns A and the cache Z."""
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    """ReLU activation. Returns A and the cache Z."""
    A = np.maximum(0, Z)
    return A, Z


def relu_backward(dA, cache):
    """Backward step of a ReLU unit: dZ = dA where Z > 0, else 0."""
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    """Backward step of a sigmoid unit: dZ = dA * s * (1 - s)."""
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


# %% [markdown]
# ## 1. Initialization
#
# `layer_dims` lists the sizes of all layers, input included: `[n[0], n[1], ..., n[L]]`,
# so the network has `L = len(layer_dims) - 1` layers. For `l = 1, ..., L`:
#
#     W[l] = np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01     shape (n[l], n[l-1])
#     b[l] = np.zeros((layer_dims[l], 1))                              shape (n[l], 1)
#
# stored under the keys `"W1", "b1", ..., "WL", "bL"`. Draw `W1`, then `W2`, ... in order.
#
# Shape check for an input of 12288 features and `m` examples: with `layer_dims =
# [12288, 5, 4, 1]`, `W1` is `(5, 12288)`, `A[1]` is `(5, m)`, `W2` is `(4, 5)`, `W3` is
# `(1, 4)` and the output `A[3]` is `(1, m)`.
#
# Check: after `np.random.seed(3)`, `initialize_parameters_deep([4, 3, 1])["W2"]` is about
# `[[0.00881318, 0.01709573, 0.00050034]]`.

# %%
def initialize_parameters_deep(layer_dims):
    """
    Arguments:
    layer_dims -- list with the size of each layer, input layer first

    Returns:
    parameters -- dict with "W1", "b1", ..., "WL", "bL"
    """
    parameters = {}
    L = len(layer_dims) - 1
    for l in range(1, L + 1):
        ### BEGIN SOLUTION
        parameters["W" + str(l)] = np.random.randn(int(layer_dims[l]), int(layer_dims[l - 1])) * 0.01
        parameters["b" + str(l)] = np.zeros((int(layer_dims[l]), 1))
        ### END SOLUTION
    return parameters


# %% [markdown]
# ## 2. Forward propagation
#
# ### 2.1 The linear part
#
#     Z[l] = W[l] A[l-1] + b[l]
#
# **Exercise 2.** Implement `linear_forward(A, W, b)`: return `Z` and the cache
# `(A, W, b)`, a tuple the backward pass will need.

# %%
def linear_forward(A, W, b):
    """
    Arguments:
    A -- activations from the previous layer (or the input), shape (n[l-1], m)
    W -- weights, shape (n[l], n[l-1])
    b -- biases, shape (n[l], 1)

    Returns:
    Z -- pre-activation, shape (n[l], m)
    cache -- the tuple (A, W, b)
    """
    ### BEGIN SOLUTION
    Z = np.dot(W, A) + b
    ### END SOLUTION
    cache = (A, W, b)
    return Z, cache


# %% [markdown]
# ### 2.2 Linear, then activation
#
#     A[l] = g(Z[l]) = g(W[l] A[l-1] + b[l])     with g = ReLU or sigmoid
#
# **Exercise 3.** Implement `linear_activation_forward(A_prev, W, b, activation)` where
# `activation` is the string `"relu"` or `"sigmoid"`. Use `linear_forward` and the given
# `relu` / `sigmoid`, which return `(A, activation_cache)`. Return `A` and the cache
# `(linear_cache, activation_cache)`.

# %%
def linear_activation_forward(A_prev, W, b, activation):
    """
    Returns:
    A -- the activation output, shape (n[l], m)
    cache -- the tuple (linear_cache, activation_cache)
    """
    ### BEGIN SOLUTION
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    else:
        raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION
    cache = (linear_cache, activation_cache)
    return A, cache


# %% [markdown]
# ### 2.3 The L-layer model
#
# The network is `[LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID`: ReLU in every hidden
# layer, one sigmoid unit at the output for binary classification.
#
# **Exercise 4.** Implement `L_model_forward(X, parameters)`. Since `parameters` holds a
# `W` and a `b` per layer, `L = len(parameters) // 2`. Loop over layers `1 .. L-1` with
# ReLU, then apply layer `L` with sigmoid. Append every layer's cache to the list
# `caches`, in order: `caches[l-1]` belongs to layer `l`, and there are `L` of them.

# %%
def L_model_forward(X, parameters):
    """
    Arguments:
    X -- data of shape (n[0], m)
    parameters -- output of initialize_parameters_deep

    Returns:
    AL -- output probabilities, shape (1, m)
    caches -- list of the L caches of linear_activation_forward
    """
    caches = []
    A = X
    L = len(parameters) // 2
    ### BEGIN SOLUTION
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)],
                                          "sigmoid")
    caches.append(cache)
    ### END SOLUTION
    return AL, caches


# %% [markdown]
# ## 3. The cost
#
#     J = -(1/m) * sum( Y log(AL) + (1 - Y) log(1 - AL) )
#
# **Exercise 5.** Implement `compute_cost(AL, Y)`; return a Python float.
#
# Check: `AL = [[0.8, 0.9, 0.4]]`, `Y = [[1, 1, 0]]` gives `0.2797765635793423`.

# %%
def compute_cost(AL, Y):
    """Cross-entropy cost (a float)."""
    m = Y.shape[1]
    ### BEGIN SOLUTION
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    ### END SOLUTION
    return float(np.squeeze(cost))


# %% [markdown]
# ## 4. Backward propagation
#
# Backpropagation runs the same blocks in reverse order. Each layer receives `dA[l]` and
# returns `dA[l-1]` (for the layer below) plus its own `dW[l]` and `db[l]`.
#
# ### 4.1 The linear part
#
# Given `dZ[l]` and the cache `(A_prev, W, b)` of `linear_forward`:
#
#     dW[l] = (1/m) dZ[l] A[l-1]^T
#     db[l] = (1/m) sum over examples of dZ[l]     (np.sum(..., axis=1, keepdims=True))
#     dA[l-1] = W[l]^T dZ[l]
#
# with `m = A_prev.shape[1]`. `dA[l-1]` is not divided by `m`: the averaging happens once,
# in each `dW` and `db`.
#
# **Exercise 6.** Implement `linear_backward(dZ, cache)`.

# %%
def linear_backward(dZ, cache):
    """
    Arguments:
    dZ -- gradient of the cost with respect to Z of this layer, shape (n[l], m)
    cache -- (A_prev, W, b) from linear_forward

    Returns:
    dA_prev -- shape (n[l-1], m)
    dW -- shape (n[l], n[l-1])
    db -- shape (n[l], 1)
    """
    A_prev, W, b = cache
    m = A_prev.shape[1]
    ### BEGIN SOLUTION
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    ### END SOLUTION
    return dA_prev, dW, db


# %% [markdown]
# ### 4.2 Activation, then linear
#
#     dZ[l] = dA[l] * g'(Z[l])
#
# which is exactly what the given `relu_backward(dA, activation_cache)` and
# `sigmoid_backward(dA, activation_cache)` compute.
#
# **Exercise 7.** Implement `linear_activation_backward(dA, cache, activation)`: unpack
# `linear_cache, activation_cache = cache`, compute `dZ` with the right backward
# function, then call `linear_backward`.

# %%
def linear_activation_backward(dA, cache, activation):
    """
    Returns:
    dA_prev, dW, db -- as in linear_backward
    """
    linear_cache, activation_cache = cache
    ### BEGIN SOLUTION
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    else:
        raise ValueError(f"unknown activation {activation!r}")
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    ### END SOLUTION
    return dA_prev, dW, db


# %% [markdown]
# ### 4.3 The L-layer backward pass
#
# Start from the derivative of the cost with respect to the output:
#
#     dAL = -(Y / AL - (1 - Y) / (1 - AL))
#
# then go down: layer `L` with `"sigmoid"`, layers `L-1, ..., 1` with `"relu"`, feeding
# each layer's `dA_prev` to the layer below. (Combining `dAL` with `sigmoid_backward`
# gives back the familiar `dZ[L] = AL - Y`.)
#
# **Exercise 8.** Implement `L_model_backward(AL, Y, caches)`. Store the results as
#
#     grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)]
#
# for `l = L, ..., 1`, i.e. layer `l` stores the gradient of the activation that *feeds*
# it, `dA[l-1]`; the last one stored is `"dA0"`, the gradient with respect to the input.

# %%
def L_model_backward(AL, Y, caches):
    """
    Arguments:
    AL -- output of L_model_forward, shape (1, m)
    Y -- labels, shape (1, m)
    caches -- list of caches from L_model_forward

    Returns:
    grads -- dict with "dA0".."dA{L-1}", "dW1".."dWL", "db1".."dbL"
    """
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    ### BEGIN SOLUTION
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA_prev, dW, db = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev
    grads["dW" + str(L)] = dW
    grads["db" + str(L)] = db
    for l in reversed(range(1, L)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l)], caches[l - 1], "relu")
        grads["dA" + str(l - 1)] = dA_prev
        grads["dW" + str(l)] = dW
        grads["db" + str(l)] = db
    ### END SOLUTION
    return grads


# %% [markdown]
# ## 5. Update the parameters
#
#     W[l] = W[l] - learning_rate * dW[l]
#     b[l] = b[l] - learning_rate * db[l]          for l = 1, ..., L
#
# **Exercise 9.** Implement `update_parameters`. Work on a copy (`params = dict(params)`
# is already done for you) and never modify the caller's arrays in place (write
# `x = x - ...`, not `x -= ...`).

# %%
def update_parameters(params, grads, learning_rate):
    """
    Returns:
    parameters -- dict with the updated "W1", "b1", ..., "WL", "bL"
    """
    parameters = dict(params)
    L = len(parameters) // 2
    ### BEGIN SOLUTION
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    ### END SOLUTION
    return parameters


# %% [markdown]
# ## Congratulations
#
# You now have every function needed to train a deep network:
#
#     parameters = initialize_parameters_deep(layer_dims)
#     for i in range(num_iterations):
#         AL, caches = L_model_forward(X, parameters)
#         cost = compute_cost(AL, Y)
#         grads = L_model_backward(AL, Y, caches)
#         parameters = update_parameters(parameters, grads, learning_rate)
#
# A last public test runs exactly this loop for a few iterations on a tiny problem. In the
# next lab you use it to classify images with a 2-layer and a 4-layer network.
