# %% [markdown]
# # Convolutional Neural Networks: Step by Step
#
# In this lab you implement the two building blocks of a convolutional network,
# the **convolution layer** and the **pooling layer**, in plain numpy, forward *and*
# backward. Frameworks do all of this for you, but writing it once by hand is the best
# way to understand what `nn.Conv2d` and `nn.MaxPool2d` really compute.
#
# You will write:
#
# 1. `zero_pad`: pad a batch of images with zeros around height and width.
# 2. `conv_single_step`: apply one filter to one slice of the input.
# 3. `conv_forward`: the full forward pass of a convolution layer.
# 4. `pool_forward`: max pooling and average pooling.
# 5. `conv_backward`: gradients of a convolution layer.
# 6. `create_mask_from_window`, `distribute_value` and `pool_backward`: gradients of
#    a pooling layer.
#
# **Notation.** Activations are stored "channels last", as in the lectures:
# `A_prev` has shape `(m, n_H_prev, n_W_prev, n_C_prev)`: `m` examples, each an image of
# height `n_H_prev`, width `n_W_prev` and `n_C_prev` channels. A convolution layer with
# `n_C` filters of size `f x f` has weights `W` of shape `(f, f, n_C_prev, n_C)` and
# biases `b` of shape `(1, 1, 1, n_C)`.
#
# Use only numpy. Loops over examples, output positions and channels are fine here:
# clarity matters more than speed in this lab.

# %%
import numpy as np

# %% [markdown]
# ## 1. Zero padding
#
# Padding adds a border of zeros around each image. It lets you keep the height and
# width of the volume unchanged through a convolution ("same" convolution) and it lets
# the pixels at the border take part in as many windows as the ones in the middle.
#
# **Exercise.** Implement `zero_pad(X, pad)`: pad **only** the height and width axes of
# `X` (shape `(m, n_H, n_W, n_C)`) with `pad` zeros on each side. The result has shape
# `(m, n_H + 2*pad, n_W + 2*pad, n_C)`. Use `np.pad` with a `pad_width` that has one
# `(before, after)` pair per axis, and `mode="constant", constant_values=0`.

# %%
def zero_pad(X, pad):
    """Pad the height and width of every image of X with `pad` zeros on each side.

    X -- array of shape (m, n_H, n_W, n_C)
    pad -- integer, amount of padding on each side of height and width
    Returns X_pad of shape (m, n_H + 2*pad, n_W + 2*pad, n_C).
    """
    ### BEGIN SOLUTION
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)),
                   mode="constant", constant_values=0)
    ### END SOLUTION
    return X_pad


# %% [markdown]
# ## 2. A single step of convolution
#
# One step of convolution takes a slice of the input with the same shape as one filter,
# `(f, f, n_C_prev)`, multiplies it element-wise with the filter, sums **all** the
# products and adds the filter's bias:
#
# `Z = sum(a_slice_prev * W) + b`
#
# **Exercise.** Implement `conv_single_step`. `W` has shape `(f, f, n_C_prev)` and `b`
# shape `(1, 1, 1)`. Return a Python `float`: turn the bias into a scalar with
# `float(np.squeeze(b))`, otherwise broadcasting makes the result a `(1, 1, 1)` array.

# %%
def conv_single_step(a_slice_prev, W, b):
    """Apply one filter (W, b) to one slice of the previous activation.

    a_slice_prev -- array of shape (f, f, n_C_prev)
    W -- array of shape (f, f, n_C_prev)
    b -- array of shape (1, 1, 1)
    Returns Z, a Python float.
    """
    ### BEGIN SOLUTION
    s = np.multiply(a_slice_prev, W)
    Z = float(np.sum(s)) + float(np.squeeze(b))
    ### END SOLUTION
    return Z


# %% [markdown]
# ## 3. Convolution forward pass
#
# A convolution layer slides each of its `n_C` filters over every example. With filter
# size `f`, stride `s` and padding `p`, the output has
#
# `n_H = floor((n_H_prev + 2p - f) / s) + 1`  and  `n_W = floor((n_W_prev + 2p - f) / s) + 1`
#
# and `n_C` channels. For output position `(h, w)` the window of the **padded** input
# starts at `vert_start = h * s`, `horiz_start = w * s` and ends (exclusive) `f` further:
#
# ```
# a_slice_prev = a_prev_pad[vert_start:vert_start + f, horiz_start:horiz_start + f, :]
# Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
# ```
#
# **Exercise.** Implement `conv_forward`. Read `stride` and `pad` from the dictionary
# `hparameters`, pad `A_prev` with your `zero_pad`, loop over examples `i`, output rows
# `h`, output columns `w` and filters `c`, and use `conv_single_step`. Return `Z` and
# `cache = (A_prev, W, b, hparameters)`, which the backward pass needs. No activation is
# applied here: in a network the ReLU comes as a separate step after `Z`.

# %%
def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer.

    A_prev -- array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- array of shape (f, f, n_C_prev, n_C)
    b -- array of shape (1, 1, 1, n_C)
    hparameters -- dict with keys "stride" and "pad"
    Returns Z of shape (m, n_H, n_W, n_C) and cache = (A_prev, W, b, hparameters).
    """
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    ### END SOLUTION
    cache = (A_prev, W, b, hparameters)
    return Z, cache


# %% [markdown]
# ## 4. Pooling forward pass
#
# A pooling layer shrinks height and width and has **no parameters** to learn, only the
# hyperparameters `f` (window size) and `stride`. It acts on each channel separately,
# so the number of channels is unchanged:
#
# `n_H = floor((n_H_prev - f) / stride) + 1`, `n_W = floor((n_W_prev - f) / stride) + 1`,
# `n_C = n_C_prev`.
#
# - **max pooling** keeps the largest value of each `f x f` window;
# - **average pooling** keeps the mean of each window.
#
# **Exercise.** Implement `pool_forward`. There is no padding. For position `(h, w)` and
# channel `c`, the window is `A_prev[i, h*stride : h*stride+f, w*stride : w*stride+f, c]`.
# Return `A` and `cache = (A_prev, hparameters)`.

# %%
def pool_forward(A_prev, hparameters, mode="max"):
    """Forward pass of a pooling layer.

    A_prev -- array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    hparameters -- dict with keys "f" and "stride"
    mode -- "max" or "average"
    Returns A of shape (m, n_H, n_W, n_C_prev) and cache = (A_prev, hparameters).
    """
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
    ### END SOLUTION
    cache = (A_prev, hparameters)
    return A, cache


# %% [markdown]
# ## 5. Convolution backward pass
#
# Given `dZ = dJ/dZ` (same shape as `Z`), the backward pass returns the gradients with
# respect to the layer's input and parameters. Every output value `Z[i, h, w, c]` was
# computed from one window of the padded input and the whole filter `c`, so each one
# sends gradient back to exactly those numbers:
#
# ```
# da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
# dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
# db[:, :, :, c] += dZ[i, h, w, c]
# ```
#
# Windows overlap when `stride < f`, so you must **accumulate** with `+=`. Work on the
# padded input (`A_prev_pad`, `dA_prev_pad`) and at the end strip the padding from each
# example: `dA_prev[i] = da_prev_pad[pad:-pad, pad:-pad, :]` when `pad > 0` (careful:
# `pad:-pad` is empty when `pad == 0`, so slice with explicit end indices instead).
#
# **Exercise.** Implement `conv_backward`. Return `dA_prev`, `dW`, `db` with the shapes
# of `A_prev`, `W` and `b`.

# %%
def conv_backward(dZ, cache):
    """Backward pass of a convolution layer.

    dZ -- gradient of the cost with respect to Z, shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters) as returned by conv_forward
    Returns dA_prev (shape of A_prev), dW (shape of W), db (shape of b).
    """
    ### BEGIN SOLUTION
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        dA_prev[i] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    ### END SOLUTION
    return dA_prev, dW, db


# %% [markdown]
# ## 6. Pooling backward pass
#
# Pooling has no parameters, but the gradient still has to flow through it to the
# layers below.
#
# ### 6.1 Max pooling: the mask
#
# In a max-pooling window only the largest entry influenced the output, so only that
# entry receives the gradient. Build a **mask** that is `True` exactly where the window
# reaches its maximum:
#
# ```
# x = [[1, 3],          mask = [[False, False],
#      [4, 2]]                  [ True, False]]
# ```
#
# During backpropagation the incoming gradient is multiplied by this mask, so the 4
# receives all of it and the other three entries receive zero.
#
# **Exercise.** Implement `create_mask_from_window(x)`: return a boolean array with the
# shape of `x`, `True` where `x` equals `np.max(x)`.

# %%
def create_mask_from_window(x):
    """Boolean mask of the position(s) of the maximum of x.

    x -- array of shape (f, f)
    Returns mask, boolean array of shape (f, f).
    """
    ### BEGIN SOLUTION
    mask = (x == np.max(x))
    ### END SOLUTION
    return mask


# %% [markdown]
# ### 6.2 Average pooling: distributing the gradient
#
# In average pooling every entry of an `n_H x n_W` window contributed equally,
# `1 / (n_H * n_W)` each, to the output. The gradient `dz` of that output is therefore
# spread evenly: each entry receives `dz / (n_H * n_W)`.
#
# **Exercise.** Implement `distribute_value(dz, shape)`: return an array of shape
# `shape = (n_H, n_W)` where every entry equals `dz / (n_H * n_W)`.

# %%
def distribute_value(dz, shape):
    """Spread the scalar gradient dz evenly over a window of the given shape.

    dz -- scalar
    shape -- (n_H, n_W)
    Returns a, array of shape (n_H, n_W).
    """
    ### BEGIN SOLUTION
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    a = np.ones((n_H, n_W)) * average
    ### END SOLUTION
    return a


# %% [markdown]
# ### 6.3 Pooling backward
#
# Loop over examples, output positions and channels as in the forward pass. For output
# position `(h, w)` and channel `c`, take the window of `A_prev` it came from and add to
# the matching window of `dA_prev`:
#
# - **max**: `mask * dA[i, h, w, c]`, with `mask = create_mask_from_window(window)`;
# - **average**: `distribute_value(dA[i, h, w, c], (f, f))`.
#
# Again use `+=`: with `stride < f` windows overlap and an input position can receive
# gradient from several outputs.
#
# **Exercise.** Implement `pool_backward`.

# %%
def pool_backward(dA, cache, mode="max"):
    """Backward pass of a pooling layer.

    dA -- gradient of the cost with respect to the pooling output, shape (m, n_H, n_W, n_C)
    cache -- (A_prev, hparameters) as returned by pool_forward
    mode -- "max" or "average"
    Returns dA_prev with the shape of A_prev.
    """
    ### BEGIN SOLUTION
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    ### END SOLUTION
    return dA_prev


# %% [markdown]
# ## 7. Sanity check: the gradients are right
#
# A numerical check on one weight of the convolution: the cost `J = sum(Z * G)` for a
# fixed random `G` has `dJ/dZ = G`, so `conv_backward(G, cache)` must agree with the
# centered difference `(J(W + eps) - J(W - eps)) / (2 eps)`.

# %%
def numerical_check_one_weight(eps=1e-6):
    np.random.seed(3)
    A = np.random.randn(1, 4, 4, 2)
    W = np.random.randn(3, 3, 2, 2)
    b = np.random.randn(1, 1, 1, 2)
    hp = {"stride": 1, "pad": 1}
    Z, cache = conv_forward(A, W, b, hp)
    G = np.random.randn(*Z.shape)
    _, dW, _ = conv_backward(G, cache)
    W_plus, W_minus = W.copy(), W.copy()
    W_plus[1, 2, 0, 1] += eps
    W_minus[1, 2, 0, 1] -= eps
    J_plus = np.sum(conv_forward(A, W_plus, b, hp)[0] * G)
    J_minus = np.sum(conv_forward(A, W_minus, b, hp)[0] * G)
    return dW[1, 2, 0, 1], (J_plus - J_minus) / (2 * eps)


# %% [markdown]
# Run `numerical_check_one_weight()` once you have written `conv_backward`: the two
# numbers it returns should agree to about 6 significant digits.
#
# **What you learned.** A convolution is a sliding dot product that shares one small
# set of weights across every position; its backward pass sends each output's gradient
# back to the window that produced it and sums contributions from overlapping windows.
# Pooling has no weights: max pooling routes the gradient to the winning entry, average
# pooling splits it evenly.
