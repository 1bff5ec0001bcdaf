# %% [markdown]
# # Building a Recurrent Neural Network, Step by Step
#
# In this lab you implement the forward and backward passes of a recurrent neural
# network (RNN) and the forward pass of a Long Short-Term Memory (LSTM) network in
# plain NumPy. Frameworks do this for you; writing it once by hand is the best way to
# understand what a recurrent layer actually stores and why it is hard to train.
#
# **Notation**
#
# - Superscript `<t>` is the time step: `x<t>` is the input at step `t`.
# - Subscript `i` is the example within a mini-batch of `m` examples.
# - `n_x` is the input size, `n_a` the number of hidden units, `n_y` the output size,
#   `T_x` the number of time steps.
#
# Shapes follow one convention throughout: the **batch is the second axis** and
# **time is the last axis**. A whole input sequence is an array `x` of shape
# `(n_x, m, T_x)`; the slice at step `t` is `x[:, :, t]` of shape `(n_x, m)`.
#
# **What you will write**
#
# 1. `rnn_cell_forward`: one step of a basic RNN.
# 2. `rnn_forward`: the basic RNN unrolled over `T_x` steps.
# 3. `lstm_cell_forward`: one step of an LSTM.
# 4. `lstm_forward`: the LSTM unrolled over `T_x` steps.
# 5. `rnn_cell_backward`: gradients of one RNN step.
# 6. `rnn_backward`: backpropagation through time for the whole sequence.
#
# Every forward function returns a `cache` of the values the backward pass needs. Get
# the caches right and the backward pass is mostly bookkeeping.

# %%
import numpy as np


def sigmoid(x):
    """Logistic sigmoid, element-wise."""
    return 1 / (1 + np.exp(-x))


def softmax(x):
    """Softmax over axis 0 (the class axis); each column of x is one example."""
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)


# %% [markdown]
# ## 1. The basic RNN cell
#
# A recurrent cell takes the current input `x<t>` and the previous hidden state
# `a<t-1>` and produces the next hidden state and a prediction:
#
# ```
# a<t>      = tanh(Waa @ a<t-1> + Wax @ x<t> + ba)
# y_hat<t>  = softmax(Wya @ a<t> + by)
# ```
#
# The same parameters are used at every time step; that is what makes it *recurrent*.
#
# | name    | shape        |
# |---------|--------------|
# | `xt`    | `(n_x, m)`   |
# | `a_prev`| `(n_a, m)`   |
# | `Wax`   | `(n_a, n_x)` |
# | `Waa`   | `(n_a, n_a)` |
# | `Wya`   | `(n_y, n_a)` |
# | `ba`    | `(n_a, 1)`   |
# | `by`    | `(n_y, 1)`   |
#
# **Exercise 1: `rnn_cell_forward`.** Compute `a_next` with `np.tanh`, then `yt_pred`
# with the `softmax` helper above. Store `cache = (a_next, a_prev, xt, parameters)`.
# Note the prediction uses the **new** hidden state `a_next`, not `a_prev`.

# %%
def rnn_cell_forward(xt, a_prev, parameters):
    """One forward step of a basic RNN cell.

    Arguments:
    xt -- input at time step t, shape (n_x, m)
    a_prev -- hidden state at time step t-1, shape (n_a, m)
    parameters -- dict with Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a),
                  ba (n_a, 1), by (n_y, 1)

    Returns:
    a_next -- next hidden state, shape (n_a, m)
    yt_pred -- prediction at time step t, shape (n_y, m)
    cache -- (a_next, a_prev, xt, parameters), needed by the backward pass
    """
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]
    Wya = parameters["Wya"]
    ba = parameters["ba"]
    by = parameters["by"]

    ### BEGIN SOLUTION
    a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)
    yt_pred = softmax(Wya @ a_next + by)
    ### END SOLUTION

    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache


# %% [markdown]
# ## 2. Forward propagation through time
#
# Unrolling the RNN means calling the cell `T_x` times, feeding each step's hidden
# state into the next step. The initial state `a0` is given.
#
# **Exercise 2: `rnn_forward`.**
#
# 1. Create `a` of shape `(n_a, m, T_x)` and `y_pred` of shape `(n_y, m, T_x)` filled
#    with zeros, and an empty list `caches`.
# 2. Set `a_next = a0`.
# 3. For `t` in `0 .. T_x-1`: call `rnn_cell_forward(x[:, :, t], a_next, parameters)`,
#    store the new state in `a[:, :, t]`, the prediction in `y_pred[:, :, t]`, and
#    append the cache.
#
# The function returns `caches = (list_of_caches, x)`.
#
# A classic bug is to pass `a0` to every step instead of the state you just computed:
# then each step forgets everything that came before.

# %%
def rnn_forward(x, a0, parameters):
    """Forward pass of a basic RNN over a whole sequence.

    Arguments:
    x -- inputs for every time step, shape (n_x, m, T_x)
    a0 -- initial hidden state, shape (n_a, m)
    parameters -- dict as in rnn_cell_forward

    Returns:
    a -- hidden states for every time step, shape (n_a, m, T_x)
    y_pred -- predictions for every time step, shape (n_y, m, T_x)
    caches -- (list of the T_x cell caches, x)
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape

    ### BEGIN SOLUTION
    caches = []
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    ### END SOLUTION

    caches = (caches, x)
    return a, y_pred, caches


# %% [markdown]
# ## 3. The LSTM cell
#
# A basic RNN struggles to carry information across many steps: the gradient through a
# long chain of `tanh` units vanishes. The LSTM adds a **memory cell** `c<t>` that is
# updated additively and protected by three gates, each a sigmoid in `(0, 1)`.
#
# Stack the previous hidden state on top of the input:
# `concat = [a<t-1>; x<t>]`, shape `(n_a + n_x, m)` (hidden state **first**). Then
#
# ```
# forget gate     ft   = sigmoid(Wf @ concat + bf)
# update gate     it   = sigmoid(Wi @ concat + bi)
# candidate       cct  = tanh(Wc @ concat + bc)
# new cell        c<t> = ft * c<t-1> + it * cct
# output gate     ot   = sigmoid(Wo @ concat + bo)
# new hidden      a<t> = ot * tanh(c<t>)
# prediction      y_hat<t> = softmax(Wy @ a<t> + by)
# ```
#
# `*` is element-wise. The forget gate decides how much of the old memory to keep; the
# update gate decides how much of the candidate to write. Each gate weight (`Wf`, `Wi`,
# `Wc`, `Wo`) has shape `(n_a, n_a + n_x)` and each gate bias shape `(n_a, 1)`; `Wy` is
# `(n_y, n_a)` and `by` is `(n_y, 1)`.
#
# **Exercise 3: `lstm_cell_forward`.** Build `concat` with `np.concatenate(...,
# axis=0)` and compute the seven quantities above. The cache order is fixed for you.

# %%
def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One forward step of an LSTM cell.

    Arguments:
    xt -- input at time step t, shape (n_x, m)
    a_prev -- hidden state at t-1, shape (n_a, m)
    c_prev -- memory cell at t-1, shape (n_a, m)
    parameters -- dict with Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by

    Returns:
    a_next -- next hidden state, shape (n_a, m)
    c_next -- next memory cell, shape (n_a, m)
    yt_pred -- prediction at time step t, shape (n_y, m)
    cache -- (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    """
    Wf, bf = parameters["Wf"], parameters["bf"]
    Wi, bi = parameters["Wi"], parameters["bi"]
    Wc, bc = parameters["Wc"], parameters["bc"]
    Wo, bo = parameters["Wo"], parameters["bo"]
    Wy, by = parameters["Wy"], parameters["by"]

    ### BEGIN SOLUTION
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(Wf @ concat + bf)
    it = sigmoid(Wi @ concat + bi)
    cct = np.tanh(Wc @ concat + bc)
    c_next = ft * c_prev + it * cct
    ot = sigmoid(Wo @ concat + bo)
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(Wy @ a_next + by)
    ### END SOLUTION

    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


# %% [markdown]
# ## 4. Forward pass of the LSTM
#
# **Exercise 4: `lstm_forward`.** Same loop as `rnn_forward`, with one more piece of
# state. Initialise the memory cell `c_next` to zeros of shape `(n_a, m)` and
# `a_next = a0`; at each step call `lstm_cell_forward`, then store `a_next`, `c_next`
# and `yt_pred` in `a[:, :, t]`, `c[:, :, t]` and `y[:, :, t]`. Both the hidden state
# **and** the memory cell must be carried from one step to the next.

# %%
def lstm_forward(x, a0, parameters):
    """Forward pass of an LSTM over a whole sequence.

    Arguments:
    x -- inputs, shape (n_x, m, T_x)
    a0 -- initial hidden state, shape (n_a, m)
    parameters -- dict as in lstm_cell_forward

    Returns:
    a -- hidden states, shape (n_a, m, T_x)
    y -- predictions, shape (n_y, m, T_x)
    c -- memory cells, shape (n_a, m, T_x)
    caches -- (list of the T_x cell caches, x)
    """
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape

    ### BEGIN SOLUTION
    caches = []
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_next = a0
    c_next = np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t] = a_next
        c[:, :, t] = c_next
        y[:, :, t] = yt
        caches.append(cache)
    ### END SOLUTION

    caches = (caches, x)
    return a, y, c, caches


# %% [markdown]
# ## 5. Backward pass of the basic RNN cell
#
# In a framework the backward pass is automatic. Here you derive it. Suppose the loss
# has already been differentiated with respect to the cell's output, giving
# `da_next = dL/da<t>` of shape `(n_a, m)`. Since `a<t> = tanh(z)` with
# `z = Wax @ x<t> + Waa @ a<t-1> + ba`, and `tanh'(z) = 1 - tanh(z)**2`:
#
# ```
# dz      = da_next * (1 - a_next**2)          # (n_a, m)
# dxt     = Wax.T @ dz                          # (n_x, m)
# dWax    = dz @ xt.T                           # (n_a, n_x)
# da_prev = Waa.T @ dz                          # (n_a, m)
# dWaa    = dz @ a_prev.T                       # (n_a, n_a)
# dba     = sum of dz over the batch axis       # (n_a, 1), keepdims=True
# ```
#
# Check every shape: a gradient always has the shape of the thing it is the gradient
# of. Use `a_next` from the cache (it already is `tanh(z)`); there is no need to
# recompute `z`.
#
# **Exercise 5: `rnn_cell_backward`.** Return a dict with keys `dxt`, `da_prev`,
# `dWax`, `dWaa`, `dba`.

# %%
def rnn_cell_backward(da_next, cache):
    """Backward pass of one basic RNN cell.

    Arguments:
    da_next -- gradient of the loss with respect to a_next, shape (n_a, m)
    cache -- the cache returned by rnn_cell_forward

    Returns:
    gradients -- dict with dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x),
                 dWaa (n_a, n_a), dba (n_a, 1)
    """
    (a_next, a_prev, xt, parameters) = cache
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]

    ### BEGIN SOLUTION
    dz = da_next * (1 - a_next ** 2)
    dxt = Wax.T @ dz
    dWax = dz @ xt.T
    da_prev = Waa.T @ dz
    dWaa = dz @ a_prev.T
    dba = np.sum(dz, axis=1, keepdims=True)
    ### END SOLUTION

    gradients = {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return gradients


# %% [markdown]
# ## 6. Backpropagation through time
#
# Now run the cell backward from the last step to the first. The input `da` of shape
# `(n_a, m, T_x)` holds, for every step, the gradient that flows into `a<t>` **from
# that step's own output** (for example from its prediction's loss). But `a<t>` also
# fed the next time step, so the total gradient reaching step `t` is
#
# ```
# da[:, :, t] + da_prevt        # da_prevt = gradient coming back from step t+1
# ```
#
# Parameters are shared across time, so their gradients are **summed** over steps.
#
# **Exercise 6: `rnn_backward`.**
#
# 1. Read `n_a, m, T_x` from `da.shape` and `n_x` from `x1.shape` (`x1` is the input
#    of the first step, taken from the first cache).
# 2. Initialise `dx (n_x, m, T_x)`, `dWax`, `dWaa`, `dba` and `da_prevt (n_a, m)` with
#    zeros.
# 3. Loop `t` from `T_x - 1` down to `0`: call `rnn_cell_backward` on
#    `da[:, :, t] + da_prevt` and `caches[t]`; store `dxt` in `dx[:, :, t]`, add the
#    parameter gradients into the running sums, and keep `da_prev` as the next
#    `da_prevt`.
# 4. `da0` is the last `da_prevt` (the gradient flowing into the initial state).

# %%
def rnn_backward(da, caches):
    """Backpropagation through time for a basic RNN.

    Arguments:
    da -- upstream gradients of every hidden state, shape (n_a, m, T_x)
    caches -- the caches returned by rnn_forward

    Returns:
    gradients -- dict with dx (n_x, m, T_x), da0 (n_a, m), dWax (n_a, n_x),
                 dWaa (n_a, n_a), dba (n_a, 1)
    """
    (caches, x) = caches
    (a1, a0, x1, parameters) = caches[0]
    n_a, m, T_x = da.shape
    n_x, m = x1.shape

    ### BEGIN SOLUTION
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        grads = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t] = grads["dxt"]
        dWax += grads["dWax"]
        dWaa += grads["dWaa"]
        dba += grads["dba"]
        da_prevt = grads["da_prev"]
    da0 = da_prevt
    ### END SOLUTION

    gradients = {"dx": dx, "da0": da0, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return gradients


# %% [markdown]
# ## What you built
#
# - A basic RNN cell and its unrolled forward pass, sharing one set of weights across
#   all time steps.
# - An LSTM cell whose memory `c<t>` is updated additively (`ft * c<t-1> + it * cct`):
#   when the forget gate stays near 1, information and gradient pass through many steps
#   almost unchanged, which is exactly what the basic RNN lacks.
# - Backpropagation through time: the gradient entering each step is the sum of what
#   its own output sends back and what the following step sends back, and the weight
#   gradients are summed over time.
#
# The LSTM backward pass follows the same pattern with more terms; frameworks such as
# PyTorch compute it for you, which is how you will train LSTMs in the next labs.
