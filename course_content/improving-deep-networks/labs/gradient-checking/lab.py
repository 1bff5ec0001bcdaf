# %% [markdown]
# # Gradient checking
#
# Backpropagation code can be subtly wrong and still train: the cost goes down a little, the
# accuracy is a bit worse than it should be, and nothing crashes. Gradient checking catches
# these bugs by comparing the gradient computed by backpropagation with a numerical
# estimate obtained from the cost function alone.
#
# The estimate uses the **two-sided difference**
#
# `dJ/dtheta ~= (J(theta + epsilon) - J(theta - epsilon)) / (2 * epsilon)`
#
# whose error shrinks like `epsilon^2` (a one-sided difference is only accurate to order
# `epsilon`). The two gradients are compared with the **relative difference**
#
# `difference = ||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2)`
#
# With `epsilon = 1e-7`, a difference around `1e-7` or less means the gradients agree; around
# `1e-5` deserves a closer look; `1e-3` or more almost certainly means a bug.
#
# **After this lab you will be able to**
# - implement the two-sided numerical gradient for one parameter and for a whole network,
# - flatten a parameter dictionary into one vector and back,
# - use the relative difference to decide whether backpropagation is correct.

# %%
import numpy as np

# %% [markdown]
# ## 1. One-dimensional gradient checking
#
# Start with a function of one parameter, `J(theta) = theta * x`, where `x` is a fixed
# number. Its derivative is `dJ/dtheta = x`.
#
# ### Exercise 1: `forward_propagation`
#
# Return `J = theta * x`.

# %%
def forward_propagation(x, theta):
    """
    x -- a real-valued input;  theta -- the parameter

    Returns J -- the value of J(theta) = theta * x
    """
    ### BEGIN SOLUTION
    J = theta * x
    ### END SOLUTION
    return J

# %% [markdown]
# ### Exercise 2: `backward_propagation`
#
# Return the derivative of `J` with respect to `theta`, computed analytically.

# %%
def backward_propagation(x, theta):
    """
    Returns dtheta -- the derivative of J(theta) = theta * x with respect to theta
    """
    ### BEGIN SOLUTION
    dtheta = x
    ### END SOLUTION
    return dtheta

# %% [markdown]
# ### Exercise 3: `gradient_check`
#
# 1. `theta_plus = theta + epsilon`, `theta_minus = theta - epsilon`.
# 2. `J_plus = forward_propagation(x, theta_plus)`, `J_minus = forward_propagation(x, theta_minus)`.
# 3. `gradapprox = (J_plus - J_minus) / (2 * epsilon)`.
# 4. `grad = backward_propagation(x, theta)`.
# 5. `difference = ||grad - gradapprox|| / (||grad|| + ||gradapprox||)`, using
#    `np.linalg.norm` for the norms (for a number, the norm is its absolute value).
#
# Return `difference` as a float.

# %%
def gradient_check(x, theta, epsilon=1e-7):
    """
    Returns difference -- the relative difference between the analytic and numerical gradients
    """
    ### BEGIN SOLUTION
    theta_plus = theta + epsilon
    theta_minus = theta - epsilon
    J_plus = forward_propagation(x, theta_plus)
    J_minus = forward_propagation(x, theta_minus)
    gradapprox = (J_plus - J_minus) / (2 * epsilon)

    grad = backward_propagation(x, theta)

    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    difference = numerator / denominator
    ### END SOLUTION
    return float(difference)

# %% [markdown]
# For `x = 2, theta = 4` you should get a difference far below `1e-7`: the derivative is right.
# The difference is not exactly zero because `J(theta + epsilon) - J(theta - epsilon)`
# subtracts two nearly equal floating-point numbers.
#
# ## 2. N-dimensional gradient checking
#
# A real network has many parameter matrices. The method is the same, applied to one scalar
# parameter at a time: to do that conveniently, we line all parameters up in one long column
# vector `theta`, perturb its `i`-th entry, and rebuild the dictionary to run forward
# propagation.
#
# The network below is `LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID` with
# cross-entropy cost. `X` has shape `(n_x, m)`, `Y` shape `(1, m)`, and `W[l]` shape
# `(n_l, n_{l-1})`. The forward pass and a correct backward pass are provided.

# %%
def relu(z):
    return np.maximum(0, z)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward_propagation_n(X, Y, parameters):
    """Returns the cross-entropy cost of the 3-layer network and a cache for backprop."""
    m = X.shape[1]
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    cost = float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m)
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return cost, cache


def backward_propagation_n(X, Y, cache):
    """A correct backward pass for forward_propagation_n."""
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


def backward_propagation_n_colleague(X, Y, cache):
    """A colleague's version of the backward pass. Is it right? Your gradient check will tell."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (A2 > 0)
    dW2 = dZ2 @ A1.T * 2 / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) * 4 / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


_data_rng = np.random.default_rng(3)
X_check = _data_rng.standard_normal((4, 3))
Y_check = np.array([[1.0, 1.0, 0.0]])
layer_dims_check = [4, 5, 3, 1]
parameters_check = {}
for _l in range(1, len(layer_dims_check)):
    parameters_check["W" + str(_l)] = _data_rng.standard_normal((layer_dims_check[_l], layer_dims_check[_l - 1]))
    parameters_check["b" + str(_l)] = _data_rng.standard_normal((layer_dims_check[_l], 1))

# %% [markdown]
# ### Exercise 4: `dictionary_to_vector`
#
# Stack all parameters into one column vector, in the order `W1, b1, W2, b2, ..., WL, bL`,
# each matrix flattened row by row (`W.reshape(-1, 1)`, NumPy's default C order). The number
# of layers is `L = len(parameters) // 2`; use `np.concatenate(..., axis=0)`.
#
# For `layer_dims = [4, 5, 3, 1]` the vector has `20 + 5 + 15 + 3 + 3 + 1 = 47` entries:
# shape `(47, 1)`.

# %%
def dictionary_to_vector(parameters):
    """
    parameters -- dict "W1", "b1", ..., "WL", "bL"

    Returns theta -- column vector of shape (total number of parameters, 1)
    """
    ### BEGIN SOLUTION
    L = len(parameters) // 2
    pieces = []
    for l in range(1, L + 1):
        pieces.append(parameters["W" + str(l)].reshape(-1, 1))
        pieces.append(parameters["b" + str(l)].reshape(-1, 1))
    theta = np.concatenate(pieces, axis=0)
    ### END SOLUTION
    return theta

# %% [markdown]
# ### Exercise 5: `vector_to_dictionary`
#
# The inverse operation. `layer_dims = [n_0, n_1, ..., n_L]` gives the shapes: `W[l]` is
# `(n_l, n_{l-1})` and `b[l]` is `(n_l, 1)`. Walk through `theta` with a running index,
# taking `n_l * n_{l-1}` entries for `W[l]` (reshape them to its shape) and then `n_l` entries
# for `b[l]`. `vector_to_dictionary(dictionary_to_vector(p), dims)` must give back `p`.

# %%
def vector_to_dictionary(theta, layer_dims):
    """
    theta -- column vector (n, 1);  layer_dims -- [n_0, n_1, ..., n_L]

    Returns parameters -- dict "W1", "b1", ..., "WL", "bL"
    """
    parameters = {}
    ### BEGIN SOLUTION
    start = 0
    for l in range(1, len(layer_dims)):
        rows, cols = layer_dims[l], layer_dims[l - 1]
        parameters["W" + str(l)] = theta[start:start + rows * cols].reshape(rows, cols)
        start += rows * cols
        parameters["b" + str(l)] = theta[start:start + rows].reshape(rows, 1)
        start += rows
    ### END SOLUTION
    return parameters

# %% [markdown]
# The gradients dictionary uses the keys `"dW1"`, `"db1"`, ...; this helper reuses your
# function to flatten it in the same order as the parameters.

# %%
def gradients_to_vector(gradients):
    """Flatten {"dW1", "db1", ...} in the same order as dictionary_to_vector."""
    return dictionary_to_vector({key[1:]: value for key, value in gradients.items()})


def layer_dims_of(parameters):
    """[n_0, n_1, ..., n_L] read from the weight shapes."""
    L = len(parameters) // 2
    return [parameters["W1"].shape[1]] + [parameters["W" + str(l)].shape[0] for l in range(1, L + 1)]

# %% [markdown]
# ### Exercise 6: `gradient_check_n`
#
# For each `i` in `range(num_parameters)`:
#
# 1. `theta_plus = np.copy(theta)`, then `theta_plus[i] += epsilon`, and
#    `J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, layer_dims))`.
# 2. The same with `theta_minus = np.copy(theta)` and `theta_minus[i] -= epsilon`.
# 3. `gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)`.
#
# The copies matter: `theta_plus = theta` would make both names point to the same array, and
# every perturbation would leak into the next evaluation. Finally compare `grad =
# gradients_to_vector(gradients)` with `gradapprox` using the relative difference, and
# return it as a float.

# %%
def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7):
    """
    parameters -- dict "W1", "b1", ..., "W3", "b3"
    gradients -- dict "dW1", "db1", ..., computed by a backward pass to be checked
    X, Y -- a few examples;  epsilon -- the perturbation

    Returns difference -- relative difference between gradients and the numerical gradient
    """
    theta = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients)
    layer_dims = layer_dims_of(parameters)
    num_parameters = theta.shape[0]
    J_plus = np.zeros((num_parameters, 1))
    J_minus = np.zeros((num_parameters, 1))
    gradapprox = np.zeros((num_parameters, 1))

    ### BEGIN SOLUTION
    for i in range(num_parameters):
        theta_plus = np.copy(theta)
        theta_plus[i] += epsilon
        J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_plus, layer_dims))

        theta_minus = np.copy(theta)
        theta_minus[i] -= epsilon
        J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(theta_minus, layer_dims))

        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)

    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    difference = numerator / denominator
    ### END SOLUTION
    return float(difference)

# %% [markdown]
# ## 3. Check two backward passes
#
# In a new cell, compare the provided backward pass with your colleague's:
#
# ```python
# cost, cache = forward_propagation_n(X_check, Y_check, parameters_check)
# print(gradient_check_n(parameters_check, backward_propagation_n(X_check, Y_check, cache),
#                        X_check, Y_check))
# print(gradient_check_n(parameters_check, backward_propagation_n_colleague(X_check, Y_check, cache),
#                        X_check, Y_check))
# ```
#
# The first difference is tiny (well below `1e-7`); the second is large. To find *where* the
# colleague's code is wrong, compare the two vectors block by block:
# `vector_to_dictionary(gradapprox, layer_dims)` gives a numerical gradient per parameter, and
# the blocks that disagree (here `dW2` and `db1`) point at the lines to read. Fix them by
# comparing with the formulas from the lectures: `dW[l] = dZ[l] A[l-1].T / m` and
# `db[l] = sum(dZ[l], axis=1) / m`.
#
# **In practice**
# - Gradient checking is slow (two forward passes per parameter): use it to debug, never
#   during training.
# - If you use regularization, include the penalty in `J` when you check.
# - It does not work with dropout: turn dropout off (`keep_prob = 1`), check, then turn it on.
# - Some bugs only show once weights have moved away from their small initial values: run a
#   check again after some training.
