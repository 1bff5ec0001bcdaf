# %% [markdown]
# # Convolutional Neural Networks: Application
#
# In the previous lab you wrote convolution and pooling by hand. Now you let PyTorch do
# that work and build a small but complete convolutional classifier:
#
# 1. `to_tensors`: turn numpy images and labels into the tensors PyTorch expects.
# 2. `build_model`: a CONV -> RELU -> POOL -> CONV -> RELU -> POOL -> FLATTEN -> LINEAR
#    network written with `nn.Sequential`.
# 3. `compute_accuracy`: the fraction of correct predictions.
# 4. `train_step`: one step of mini-batch gradient descent.
# 5. `train_model`: the full training loop over shuffled mini-batches.
#
# **The data.** Instead of downloading a dataset we generate one: 16x16 grayscale images,
# each showing one shape of random size and position on a noisy background.
#
# | label | shape |
# |-------|-------|
# | 0 | filled square |
# | 1 | hollow square (a one-pixel frame) |
# | 2 | plus sign |
#
# A filled square and a frame of the same size share their outer edges: to tell them
# apart the network has to look at the inside, which is exactly what stacked
# convolutions with growing receptive fields can do.

# %%
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)   # the models here are tiny: one thread is faster than several

CLASSES = ["filled square", "frame", "plus"]


def make_shapes(m, seed=0, size=16, noise=0.15):
    """Generate m images (m, size, size) float32 in [0, 1] plus noise, and labels (m,) int64."""
    rng = np.random.RandomState(seed)
    X = np.zeros((m, size, size), dtype=np.float32)
    Y = rng.randint(0, 3, size=m).astype(np.int64)
    for i in range(m):
        s = rng.randint(5, 10)                       # side length, 5..9 pixels
        r0 = rng.randint(0, size - s + 1)
        c0 = rng.randint(0, size - s + 1)
        if Y[i] == 0:
            X[i, r0:r0 + s, c0:c0 + s] = 1.0
        elif Y[i] == 1:
            X[i, r0:r0 + s, c0:c0 + s] = 1.0
            X[i, r0 + 1:r0 + s - 1, c0 + 1:c0 + s - 1] = 0.0
        else:
            mid = s // 2
            X[i, r0 + mid, c0:c0 + s] = 1.0
            X[i, r0:r0 + s, c0 + mid] = 1.0
    X += noise * rng.randn(m, size, size).astype(np.float32)
    return X, Y


# %%
X_train_orig, Y_train_orig = make_shapes(240, seed=1)
X_test_orig, Y_test_orig = make_shapes(90, seed=2)
print("train images:", X_train_orig.shape, "labels:", Y_train_orig.shape)
print("test images: ", X_test_orig.shape)

# %% [markdown]
# ## 1. From numpy to tensors
#
# PyTorch convolutions expect images in **NCHW** layout: `(batch, channels, height,
# width)`. Our images are grayscale and stored as `(m, 16, 16)`, so they need a channel
# axis of size 1 at position 1, giving `(m, 1, 16, 16)`. This is the opposite convention
# to the previous lab, which stored channels last.
#
# The types matter too: `nn.Conv2d` weights are `float32`, and `F.cross_entropy` wants
# class indices as `int64` (`torch.long`), **not** one-hot vectors.
#
# **Exercise.** Implement `to_tensors(X, Y)`. Return `X_t` of dtype `torch.float32` and
# shape `(m, 1, H, W)`, and `Y_t` of dtype `torch.int64` and shape `(m,)`. Useful:
# `torch.tensor(...)` or `torch.from_numpy(...)`, `.float()`, `.long()`, `.unsqueeze(1)`.

# %%
def to_tensors(X, Y):
    """X: numpy (m, H, W); Y: numpy (m,). Returns (X_t float32 (m, 1, H, W), Y_t int64 (m,))."""
    ### BEGIN SOLUTION
    X_t = torch.tensor(X, dtype=torch.float32).unsqueeze(1)
    Y_t = torch.tensor(Y, dtype=torch.int64)
    ### END SOLUTION
    return X_t, Y_t


# %% [markdown]
# ## 2. The model
#
# Build this network with `nn.Sequential`, in exactly this order (the order matters: the
# grader seeds PyTorch's random generator, and each layer draws its initial weights from
# it as it is created):
#
# | # | layer | output shape for one image |
# |---|-------|----------------------------|
# | 1 | `nn.Conv2d(1, 8, kernel_size=3, padding=1)` | 8 x 16 x 16 |
# | 2 | `nn.ReLU()` | 8 x 16 x 16 |
# | 3 | `nn.MaxPool2d(2)` | 8 x 8 x 8 |
# | 4 | `nn.Conv2d(8, 16, kernel_size=3, padding=1)` | 16 x 8 x 8 |
# | 5 | `nn.ReLU()` | 16 x 8 x 8 |
# | 6 | `nn.MaxPool2d(2)` | 16 x 4 x 4 |
# | 7 | `nn.Flatten()` | 256 |
# | 8 | `nn.Linear(256, 3)` | 3 |
#
# `padding=1` with a 3x3 filter and stride 1 is a "same" convolution: `(16 + 2 - 3)/1 + 1
# = 16`. Each `MaxPool2d(2)` halves height and width. The last layer outputs 3 **logits**
# (unnormalized scores), one per class; there is no softmax in the model because
# `F.cross_entropy` applies log-softmax itself.
#
# Count the parameters before you run anything: the first convolution has
# `8 * (3*3*1) + 8 = 80`, the second `16 * (3*3*8) + 16 = 1168`, the linear layer
# `256 * 3 + 3 = 771`: 2019 in total. A fully connected layer from the 256 input pixels
# to 8*16*16 hidden units would need more than half a million.
#
# **Exercise.** Implement `build_model()`.

# %%
def build_model():
    """Return the nn.Sequential CNN described above."""
    ### BEGIN SOLUTION
    model = nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 3),
    )
    ### END SOLUTION
    return model


# %% [markdown]
# ## 3. Accuracy
#
# The predicted class is the index of the largest logit, `logits.argmax(dim=1)`. No
# softmax is needed: softmax is monotonic, so it never changes which entry is largest.
#
# **Exercise.** Implement `compute_accuracy(logits, Y)`: `logits` is a float tensor of
# shape `(m, n_classes)`, `Y` an int64 tensor of shape `(m,)`. Return the fraction of
# examples whose prediction equals the label as a Python `float` (use `.item()`).

# %%
def compute_accuracy(logits, Y):
    """Fraction of rows of logits whose argmax equals Y, as a Python float."""
    ### BEGIN SOLUTION
    predictions = logits.argmax(dim=1)
    accuracy = (predictions == Y).float().mean().item()
    ### END SOLUTION
    return accuracy


# %% [markdown]
# ## 4. One training step
#
# A PyTorch training step always has the same five moves:
#
# 1. `optimizer.zero_grad()`: gradients **accumulate** in `.grad` across calls to
#    `backward()`, so clear the previous step's;
# 2. forward pass: `logits = model(X)`;
# 3. cost: `loss = F.cross_entropy(logits, Y)`, the mean over the batch of
#    `-log softmax(logits)[y]`; pass the raw logits;
# 4. backward pass: `loss.backward()` fills `p.grad` for every parameter;
# 5. update: `optimizer.step()`.
#
# **Exercise.** Implement `train_step(model, optimizer, X, Y)` and return the loss of
# this batch (computed before the update) as a Python float.

# %%
def train_step(model, optimizer, X, Y):
    """One optimization step on the batch (X, Y); returns the batch loss as a float."""
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    logits = model(X)
    loss = F.cross_entropy(logits, Y)
    loss.backward()
    optimizer.step()
    ### END SOLUTION
    return loss.item()


# %% [markdown]
# ## 5. The training loop
#
# Put the pieces together with mini-batch Adam:
#
# - `model = build_model()`, then `optimizer = torch.optim.Adam(model.parameters(), lr=lr)`
#   (build the model **first**: the grader's seed then gives the same initial weights as
#   the reference);
# - for each epoch draw a fresh shuffle `perm = torch.randperm(m)` and walk through it in
#   slices `perm[start:start + batch_size]` for `start = 0, batch_size, 2*batch_size, ...`
#   (the last mini-batch may be smaller);
# - call `train_step` on each mini-batch;
# - record the epoch's cost: the **example-weighted** mean of the batch losses,
#   `sum(loss_b * size_b) / m`, which equals the mean loss over all `m` examples.
#
# **Exercise.** Implement `train_model`. Return the trained model and the list of epoch
# costs (Python floats).

# %%
def train_model(X, Y, num_epochs=10, batch_size=32, lr=0.01):
    """X: float32 tensor (m, 1, H, W); Y: int64 tensor (m,). Returns (model, costs)."""
    ### BEGIN SOLUTION
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    m = X.shape[0]
    costs = []
    for epoch in range(num_epochs):
        perm = torch.randperm(m)
        epoch_cost = 0.0
        for start in range(0, m, batch_size):
            idx = perm[start:start + batch_size]
            loss = train_step(model, optimizer, X[idx], Y[idx])
            epoch_cost += loss * len(idx)
        costs.append(epoch_cost / m)
    ### END SOLUTION
    return model, costs


# %% [markdown]
# ## 6. Train and evaluate
#
# When every function is written, call `run_experiment()`. With the default settings it
# trains for 12 epochs (about a second) and prints the cost curve and the accuracy on the
# training and test images: close to 99% on the training set and above 90% on the test
# set. Try fewer epochs, a larger
# learning rate, or removing the second CONV/RELU/POOL group, and compare.

# %%
def run_experiment(num_epochs=12, batch_size=32, lr=0.01, seed=0):
    torch.manual_seed(seed)
    X_train, Y_train = to_tensors(X_train_orig, Y_train_orig)
    X_test, Y_test = to_tensors(X_test_orig, Y_test_orig)
    model, costs = train_model(X_train, Y_train, num_epochs, batch_size, lr)
    with torch.no_grad():
        train_acc = compute_accuracy(model(X_train), Y_train)
        test_acc = compute_accuracy(model(X_test), Y_test)
    print("costs:", " ".join(f"{c:.3f}" for c in costs))
    print(f"train accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")
    return train_acc, test_acc

# %% [markdown]
# **What you learned.** A CNN in PyTorch is a stack of modules whose shapes you can
# work out by hand; `nn.Conv2d` shares a few thousand weights across all positions,
# which is why it learns shapes from a couple of hundred images. The training step
# (zero_grad, forward, loss on logits, backward, step) is the same for every model you
# will train in this course.
