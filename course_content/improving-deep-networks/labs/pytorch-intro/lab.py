# %% [markdown]
# # Introduction to PyTorch
#
# So far you have written forward and backward passes by hand in NumPy. Deep-learning
# frameworks do two things for you: they run tensor operations efficiently (on a CPU or a
# GPU), and they compute gradients automatically from the forward computation. This lab is
# a tour of PyTorch, from tensors to a trained softmax classifier.
#
# **After this lab you will be able to**
# - create tensors, use broadcasting and choose the axis of a reduction,
# - get gradients from autograd with `requires_grad` and `backward()`,
# - write a model as an `nn.Module`,
# - train it with a loss function and an optimizer in the standard loop
#   `zero_grad -> forward -> loss -> backward -> step`.
#
# The grader calls `torch.manual_seed` (and `np.random.seed`) before each test; do not seed
# inside your functions. Inputs arrive as NumPy arrays: convert them with
# `torch.as_tensor(x, dtype=torch.float32)` (or `dtype=torch.long` for class labels).
# Everything here is tiny and runs on the CPU.

# %%
import numpy as np
import torch
from torch import nn

# The tensors in this lab are tiny: one CPU thread is faster than several.
torch.set_num_threads(1)

# %% [markdown]
# ## 1. Tensors and broadcasting
#
# A `torch.Tensor` is PyTorch's n-dimensional array: it has a `shape`, a `dtype`
# (`torch.float32` by default for real numbers) and a device. Most NumPy habits carry over:
# `X.mean(dim=0)` reduces over rows (like `axis=0`), `X @ W` multiplies matrices, and
# element-wise operations broadcast: dimensions of size 1 are stretched to match.
#
# In PyTorch code the **first** dimension is usually the example index: a batch of `m`
# examples with `n` features is an `(m, n)` tensor. (The NumPy labs used `(n, m)`.)
#
# ### Exercise 1: `standardize_columns`
#
# Convert `X` (shape `(m, n)`) to a float32 tensor and standardize every **column**
# (feature): subtract its mean and divide by its standard deviation, both computed over the
# examples (`dim=0`, with `keepdim=True` so they broadcast). Use the population standard
# deviation, `X.std(dim=0, correction=0, keepdim=True)`: by default `torch.std` divides by
# `m - 1`.

# %%
def standardize_columns(X):
    """
    X -- array of shape (m, n)

    Returns a float32 tensor of shape (m, n) whose columns have mean 0 and standard deviation 1
    """
    X = torch.as_tensor(X, dtype=torch.float32)
    ### BEGIN SOLUTION
    mean = X.mean(dim=0, keepdim=True)
    std = X.std(dim=0, correction=0, keepdim=True)
    X_std = (X - mean) / std
    ### END SOLUTION
    return X_std

# %% [markdown]
# ### Exercise 2: `pairwise_squared_distances`
#
# Given `A` of shape `(m, d)` and `B` of shape `(k, d)`, return the `(m, k)` tensor `D` with
# `D[i, j] = sum over features of (A[i] - B[j]) ** 2`, without any Python loop. Insert axes
# so that the difference broadcasts to `(m, k, d)`: `A[:, None, :] - B[None, :, :]`, then
# square and sum over the last dimension.

# %%
def pairwise_squared_distances(A, B):
    """
    A -- array (m, d);  B -- array (k, d)

    Returns D -- float32 tensor (m, k) of squared Euclidean distances
    """
    A = torch.as_tensor(A, dtype=torch.float32)
    B = torch.as_tensor(B, dtype=torch.float32)
    ### BEGIN SOLUTION
    diff = A[:, None, :] - B[None, :, :]
    D = (diff ** 2).sum(dim=2)
    ### END SOLUTION
    return D

# %% [markdown]
# ## 2. Autograd
#
# Create a tensor with `requires_grad=True` and PyTorch records every operation applied to
# it. Calling `.backward()` on a scalar result runs backpropagation through that record and
# stores `d(result)/d(tensor)` in the tensor's `.grad`. You never write the backward pass.
#
# ### Exercise 3: `mse_and_gradient`
#
# For a linear model `pred = X @ w` with `X` of shape `(m, n)`, `w` of shape `(n,)` and targets
# `y` of shape `(m,)`, compute the mean squared error `loss = mean((pred - y) ** 2)` and its
# gradient with respect to `w` using autograd:
#
# 1. `w = torch.tensor(w, dtype=torch.float32, requires_grad=True)`;
# 2. compute `loss`;
# 3. `loss.backward()`;
# 4. return `loss.item()` (a Python float) and `w.grad`.
#
# Check yourself: the analytic gradient is `(2 / m) * X.T @ (pred - y)`.

# %%
def mse_and_gradient(X, y, w):
    """
    X -- array (m, n);  y -- array (m,);  w -- array (n,)

    Returns loss (float) and grad (float32 tensor of shape (n,))
    """
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    ### BEGIN SOLUTION
    w = torch.tensor(w, dtype=torch.float32, requires_grad=True)
    pred = X @ w
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    grad = w.grad
    ### END SOLUTION
    return loss.item(), grad

# %% [markdown]
# ## 3. Softmax
#
# Softmax regression generalises logistic regression to `C` classes. For one example with
# logits `z` (a vector of `C` numbers), `softmax(z)_c = exp(z_c) / sum_j exp(z_j)`: positive
# numbers that sum to 1. Subtracting `max_j z_j` from every logit first changes nothing
# mathematically (the factor `exp(-max)` cancels) but keeps `exp` from overflowing when the
# logits are large.
#
# ### Exercise 4: `softmax`
#
# `z` has shape `(m, C)`: one row of logits per example. Return the row-wise softmax, computed
# stably. Use `z.max(dim=1, keepdim=True).values`, `torch.exp` and a sum over `dim=1`.

# %%
def softmax(z):
    """
    z -- array (m, C) of logits

    Returns float32 tensor (m, C) whose rows are probability distributions
    """
    z = torch.as_tensor(z, dtype=torch.float32)
    ### BEGIN SOLUTION
    shifted = z - z.max(dim=1, keepdim=True).values
    exps = torch.exp(shifted)
    probs = exps / exps.sum(dim=1, keepdim=True)
    ### END SOLUTION
    return probs

# %% [markdown]
# ## 4. A model as an `nn.Module`
#
# Models are classes deriving from `nn.Module`. Layers created in `__init__` and assigned to
# attributes are registered automatically: `model.parameters()` finds their weights, and
# the optimizer updates them. `forward` describes the computation; call the model as
# `model(X)`, never `model.forward(X)`.
#
# ### Exercise 5: `SoftmaxRegression`
#
# In `__init__`, create one layer `self.linear = nn.Linear(n_features, n_classes)` (it holds a
# weight matrix `(n_classes, n_features)` and a bias `(n_classes,)`). In `forward`, return the
# **logits** `self.linear(X)`, without applying softmax: `nn.CrossEntropyLoss` applies
# log-softmax itself, which is faster and numerically safer.

# %%
class SoftmaxRegression(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        ### BEGIN SOLUTION
        self.linear = nn.Linear(n_features, n_classes)
        ### END SOLUTION

    def forward(self, X):
        ### BEGIN SOLUTION
        logits = self.linear(X)
        ### END SOLUTION
        return logits

# %% [markdown]
# ## 5. The training loop
#
# The data: three Gaussian clouds in the plane, 50 points each, labelled 0, 1 and 2.

# %%
def make_three_blobs(m_per_class, rng):
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    X = np.concatenate([rng.standard_normal((m_per_class, 2)) + c for c in centres])
    y = np.repeat(np.arange(3), m_per_class)
    return X, y


_data_rng = np.random.default_rng(6)
train_X, train_y = make_three_blobs(50, _data_rng)
print("train_X:", train_X.shape, "train_y:", train_y.shape, "classes:", np.bincount(train_y))

# %% [markdown]
# ### Exercise 6: `train_softmax_regression`
#
# 1. Convert `X` to a float32 tensor and `y` to a `torch.long` tensor (class indices).
# 2. Create, **in this order** (creating the model draws its initial weights from the
#    seeded generator): `model = SoftmaxRegression(n_features, n_classes)`,
#    `optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)` and
#    `loss_fn = nn.CrossEntropyLoss()`.
# 3. For each of `num_epochs` epochs (full batch: all examples at once):
#    `optimizer.zero_grad()`, `logits = model(X)`, `loss = loss_fn(logits, y)`,
#    `loss.backward()`, `optimizer.step()`, and append `loss.item()` to `losses`.
# 4. After training, compute the accuracy without tracking gradients
#    (`with torch.no_grad():`): the fraction of examples whose `argmax` over the logits
#    (`dim=1`) equals the label.
#
# `zero_grad` matters: `backward()` *adds* to `.grad`, so without it every step would use the
# sum of all past gradients. With large data you would loop over mini-batches from a
# `torch.utils.data.DataLoader` inside each epoch; the four steps stay the same.

# %%
def train_softmax_regression(X, y, n_classes, learning_rate=0.5, num_epochs=50):
    """
    X -- array (m, n_features);  y -- integer labels (m,)

    Returns a dict with "losses" (array, one loss per epoch, before that epoch's step),
    "accuracy" (float, after training) and "weight", "bias" (the trained parameters)
    """
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    losses = []
    ### BEGIN SOLUTION
    model = SoftmaxRegression(X.shape[1], n_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        optimizer.zero_grad()
        logits = model(X)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
    ### END SOLUTION
    return {"losses": np.array(losses), "accuracy": float(accuracy),
            "weight": model.linear.weight.detach().clone(),
            "bias": model.linear.bias.detach().clone()}

# %% [markdown]
# In a new cell, try:
#
# ```python
# torch.manual_seed(0)
# result = train_softmax_regression(train_X, train_y, 3, learning_rate=0.5, num_epochs=50)
# print(result["losses"][[0, 9, 49]], result["accuracy"])
# ```
#
# The first loss depends on the random initial weights (about 0.88 with seed 0; a model that
# gave every class the same probability would score `log(3) = 1.10`). It falls to about 0.21
# after 10 epochs and 0.14 after 50, and about 96% of the points are classified correctly:
# the clouds overlap a little, so a linear model cannot get them all. Swap `torch.optim.SGD` for `torch.optim.Adam(model.parameters(), lr=0.05)` and compare:
# only one line changes, which is the point of a framework.
#
# **Remember**
# - Tensors broadcast like NumPy arrays; mind `dim` and `keepdim` in reductions.
# - Autograd fills `.grad` when you call `backward()` on a scalar; gradients accumulate
#   until you zero them.
# - A model is an `nn.Module`: layers in `__init__`, computation in `forward`, and it returns
#   logits when the loss is `nn.CrossEntropyLoss`.
# - The loop is always `zero_grad -> forward -> loss -> backward -> step`.
