# %% [markdown]
# # Python and NumPy basics for deep learning
#
# Almost every line of code in this specialization manipulates NumPy arrays. Before you
# build your first neural network, this lab makes sure you can write the small building
# blocks that keep coming back, and that you write them **vectorized**: one NumPy
# expression over a whole array instead of a Python loop over its entries.
#
# You will implement seven functions:
#
# 1. `sigmoid(x)`: the logistic function, element-wise on any array
# 2. `sigmoid_derivative(x)`: its gradient, written in terms of the sigmoid itself
# 3. `image2vector(image)`: unroll an image array into a column vector
# 4. `normalize_rows(x)`: scale every row of a matrix to unit length
# 5. `softmax(x)`: turn every row of scores into a probability distribution
# 6. `L1(yhat, y)` and 7. `L2(yhat, y)`: two loss functions
#
# Write your code between `### START CODE HERE ###` and `### END CODE HERE ###` only.
# None of the functions needs a `for` loop. Each exercise has public tests (the examples
# quoted in its instructions) that you can run while you work; hidden tests then check the
# same function on other inputs and shapes, so do not hard-code sizes or values.

# %%
import math
import time

import numpy as np

# %% [markdown]
# ## 1. The sigmoid function
#
# The sigmoid (or logistic) function maps any real number into the interval (0, 1):
#
#     sigmoid(x) = 1 / (1 + exp(-x))
#
# The standard library's `math.exp` only accepts a single number, which is why deep
# learning code uses `np.exp`: given an array it returns the exponential of every entry.
# The next cell shows the difference.

# %%
print("math.exp(1)          =", math.exp(1))
x_demo = np.array([1.0, 2.0, 3.0])
print("np.exp([1, 2, 3])    =", np.exp(x_demo))
print("x_demo + 3           =", x_demo + 3, "(scalars broadcast over arrays)")

# %% [markdown]
# **Exercise 1.** Implement `sigmoid(x)` with `np.exp`. It must work when `x` is a Python
# number, a vector or a matrix of any shape, and return an array of the same shape.
#
# Expected: `sigmoid(np.array([1, 2, 3]))` is about `[0.73105858, 0.88079708, 0.95257413]`.

# %%
def sigmoid(x):
    """Compute the sigmoid of x.

    Arguments:
    x -- a scalar or numpy array of any size

    Returns:
    s -- sigmoid(x), same shape as x
    """
    ### BEGIN SOLUTION
    s = 1 / (1 + np.exp(-x))
    ### END SOLUTION
    return s


# %% [markdown]
# ## 2. The gradient of the sigmoid
#
# Backpropagation needs the derivative of every activation function. For the sigmoid it
# has a famously convenient form: if `s = sigmoid(x)` then
#
#     sigmoid'(x) = s * (1 - s)
#
# so once you have computed `s` in the forward pass, the gradient costs one multiply.
#
# **Exercise 2.** Implement `sigmoid_derivative(x)`: first compute `s = sigmoid(x)` with
# your function above, then return `s * (1 - s)`. Note the argument is `x`, not `s`.
#
# Expected: `sigmoid_derivative(np.array([1, 2, 3]))` is about
# `[0.19661193, 0.10499359, 0.04517666]`. The largest possible value is 0.25, at `x = 0`.

# %%
def sigmoid_derivative(x):
    """Compute the gradient of the sigmoid with respect to its input x.

    Arguments:
    x -- a scalar or numpy array

    Returns:
    ds -- the gradient sigmoid'(x), same shape as x
    """
    ### BEGIN SOLUTION
    s = sigmoid(x)
    ds = s * (1 - s)
    ### END SOLUTION
    return ds


# %% [markdown]
# ## 3. Reshaping arrays: `image2vector`
#
# Two attributes and one method do most of the shape work in NumPy:
#
# * `X.shape` is a tuple with the size of every dimension;
# * `X.size` is the total number of entries;
# * `X.reshape(a, b)` returns the same entries arranged in a new shape
#   (one dimension may be `-1`, meaning "whatever makes the total right").
#
# A colour image is stored as an array of shape `(length, height, 3)`: one 2-D grid of
# pixel intensities per colour channel. A neural network, however, expects every example
# as a **column vector** of shape `(length * height * 3, 1)`.
#
# **Exercise 3.** Implement `image2vector(image)` that returns the entries of `image` in
# NumPy's default (row-major) order as an array of shape `(length * height * depth, 1)`.
# Do not hard-code the sizes: read them from `image.shape`.
#
# Careful: `image.reshape(-1)` gives shape `(n,)`, a "rank-1 array" that is neither a row
# nor a column vector. Always ask for the 2-D shape you want.

# %%
def image2vector(image):
    """Unroll an image into a column vector.

    Arguments:
    image -- numpy array of shape (length, height, depth)

    Returns:
    v -- numpy array of shape (length * height * depth, 1)
    """
    ### BEGIN SOLUTION
    v = image.reshape(image.shape[0] * image.shape[1] * image.shape[2], 1)
    ### END SOLUTION
    return v


# %% [markdown]
# ## 4. Normalizing rows
#
# Gradient descent often converges faster on normalized data. One common normalization
# divides each row vector `x_i` of a matrix by its Euclidean norm
# `||x_i|| = sqrt(sum_j x_ij^2)`, so that every row has length 1. For
#
#     x = [[0, 3, 4],          ||x|| = [[5],            x / ||x|| = [[0,    0.6,  0.8 ],
#          [2, 6, 4]]                   [sqrt(56)]]                  [0.267, 0.802, 0.535]]
#
# `np.linalg.norm(x, axis=1, keepdims=True)` computes the row norms as a column of shape
# `(n, 1)`; dividing the `(n, d)` matrix by it **broadcasts** the column across every
# column of `x`. Without `keepdims=True` you get shape `(n,)`, which broadcasts along the
# wrong dimension (or fails).
#
# **Exercise 4.** Implement `normalize_rows(x)` and return the normalized matrix
# (do not modify `x` in place).

# %%
def normalize_rows(x):
    """Divide every row of x by its L2 norm.

    Arguments:
    x -- numpy matrix of shape (n, d)

    Returns:
    x_normalized -- numpy matrix of shape (n, d) whose rows have unit length
    """
    ### BEGIN SOLUTION
    x_norm = np.linalg.norm(x, ord=2, axis=1, keepdims=True)
    x_normalized = x / x_norm
    ### END SOLUTION
    return x_normalized


# %% [markdown]
# ## 5. Softmax
#
# Softmax turns a row of real-valued scores into probabilities: for a row `x` with `n`
# entries,
#
#     softmax(x)_j = exp(x_j) / sum_k exp(x_k)
#
# Every output is positive and each row sums to 1. Applied to a matrix of shape `(m, n)`,
# softmax works on each **row** independently (one example per row in this exercise).
#
# Exponentials overflow quickly: `np.exp(1000)` is `inf` and `inf / inf` is `nan`.
# Because softmax is unchanged when you subtract the same constant from every score of
# a row, the stable way to compute it subtracts each row's maximum first:
#
#     x_shifted = x - max over the row of x       (use keepdims=True)
#     softmax(x) = exp(x_shifted) / sum over the row of exp(x_shifted)
#
# **Exercise 5.** Implement a numerically stable, row-wise `softmax(x)`. Your function
# must return finite probabilities even for scores like `[1000, 1001, 1002]`.

# %%
def softmax(x):
    """Row-wise softmax of x.

    Arguments:
    x -- numpy matrix of shape (m, n)

    Returns:
    s -- numpy matrix of shape (m, n): softmax of each row of x
    """
    ### BEGIN SOLUTION
    x_shifted = x - np.max(x, axis=1, keepdims=True)
    x_exp = np.exp(x_shifted)
    x_sum = np.sum(x_exp, axis=1, keepdims=True)
    s = x_exp / x_sum
    ### END SOLUTION
    return s


# %% [markdown]
# ## 6. Vectorization pays off
#
# The cell below computes the same dot product with a Python loop and with `np.dot`.
# On arrays of realistic size the vectorized version is typically tens to hundreds of
# times faster, because NumPy hands the work to compiled code that uses SIMD
# instructions. (Timings vary between machines, so nothing here is graded.)

# %%
a_demo = np.random.default_rng(0).standard_normal(100_000)
b_demo = np.random.default_rng(1).standard_normal(100_000)
tic = time.perf_counter()
loop_dot = 0.0
for i in range(10_000):
    loop_dot += a_demo[i] * b_demo[i]
loop_ms = (time.perf_counter() - tic) * 1000 * 10
tic = time.perf_counter()
vec_dot = np.dot(a_demo, b_demo)
vec_ms = (time.perf_counter() - tic) * 1000
print(f"loop (extrapolated to 100k entries): {loop_ms:.1f} ms, np.dot: {vec_ms:.3f} ms")

# %% [markdown]
# ## 7. Loss functions
#
# A loss measures how far the predictions `yhat` are from the true labels `y`. Both
# arrays have shape `(m,)` here.
#
# The **L1 loss** sums the absolute errors:
#
#     L1(yhat, y) = sum_i |y_i - yhat_i|
#
# The **L2 loss** sums the squared errors. Squaring the differences and summing them is
# exactly a dot product of the error vector with itself:
#
#     L2(yhat, y) = sum_i (y_i - yhat_i)^2 = np.dot(y - yhat, y - yhat)
#
# **Exercises 6 and 7.** Implement `L1` and `L2`, each returning a single number (a sum,
# not a mean). For `yhat = [.9, .2, .1, .4, .9]` and `y = [1, 0, 0, 1, 1]` the expected
# values are `L1 = 1.1` and `L2 = 0.43`.

# %%
def L1(yhat, y):
    """L1 loss.

    Arguments:
    yhat -- vector of shape (m,): predicted labels
    y -- vector of shape (m,): true labels

    Returns:
    loss -- sum of absolute differences, a float
    """
    ### BEGIN SOLUTION
    loss = float(np.sum(np.abs(y - yhat)))
    ### END SOLUTION
    return loss


# %%
def L2(yhat, y):
    """L2 loss.

    Arguments:
    yhat -- vector of shape (m,): predicted labels
    y -- vector of shape (m,): true labels

    Returns:
    loss -- sum of squared differences, a float
    """
    ### BEGIN SOLUTION
    diff = y - yhat
    loss = float(np.dot(diff, diff))
    ### END SOLUTION
    return loss


# %% [markdown]
# ## What to remember
#
# * `np.exp`, `np.abs`, `np.log` and arithmetic operators act element-wise on whole arrays.
# * Know the shape of every array you create; prefer explicit 2-D shapes like `(n, 1)`
#   to rank-1 arrays like `(n,)`.
# * Use `axis=` and `keepdims=True` for reductions you will broadcast back.
# * Broadcasting stretches dimensions of size 1 so that arrays of different shapes combine.
# * A vectorized expression is shorter, easier to check and much faster than a loop.
