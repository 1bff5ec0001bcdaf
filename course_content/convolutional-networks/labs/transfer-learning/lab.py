# %% [markdown]
# # Transfer Learning with a Small CNN
#
# A network trained on one task learns features (edge and orientation detectors in the
# first layers, combinations of them above) that are useful for related tasks. Transfer
# learning reuses them: take a network trained on a large **source** task, keep its
# feature extractor, replace its output layer, and train on the small **target** task.
# With little target data you freeze the reused layers and train only the new head;
# with more data you can also unfreeze the last layers and fine-tune them.
#
# Real projects start from weights trained on ImageNet. Here everything must run offline
# in a second, so you pretrain a small base network yourself on a generated source task:
#
# - **Source task (A)**, 4 classes, plenty of data: a single bar that is horizontal (0),
#   vertical (1), diagonal `\` (2) or diagonal `/` (3).
# - **Target task (B)**, 2 classes, only 12 labelled images: a plus sign `+` (0) or a
#   cross `x` (1). A plus is made of a horizontal and a vertical bar, a cross of the two
#   diagonals: exactly the orientations the base network learned to detect.
#
# You will write:
#
# 1. `freeze_parameters`: stop gradient updates of a module's parameters;
# 2. `replace_head`: swap the output layer for a new one with a different number of classes;
# 3. `count_trainable_parameters`: how many numbers the optimizer will actually update;
# 4. `build_transfer_model`: copy the base, freeze its features, new head, and
#    optionally unfreeze the last convolution;
# 5. `fine_tune`: the training loop on the target data, updating trainable parameters only.

# %%
import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)   # the models here are tiny: one thread is faster than several


def _draw_line(img, r0, c0, dr, dc, length):
    for t in range(length):
        img[r0 + t * dr, c0 + t * dc] = 1.0


def make_bars(m, seed=0, size=16, noise=0.2):
    """Source task: one bar per image; label 0 horizontal, 1 vertical, 2 diagonal \\, 3 diagonal /."""
    rng = np.random.RandomState(seed)
    X = np.zeros((m, size, size), dtype=np.float32)
    Y = rng.randint(0, 4, size=m).astype(np.int64)
    for i in range(m):
        L = rng.randint(6, 11)
        a, b = rng.randint(0, size - L + 1), rng.randint(0, size)
        if Y[i] == 0:
            _draw_line(X[i], b, a, 0, 1, L)
        elif Y[i] == 1:
            _draw_line(X[i], a, b, 1, 0, L)
        else:
            r0, c0 = rng.randint(0, size - L + 1), rng.randint(0, size - L + 1)
            if Y[i] == 2:
                _draw_line(X[i], r0, c0, 1, 1, L)
            else:
                _draw_line(X[i], r0, c0 + L - 1, 1, -1, L)
    X += noise * rng.randn(m, size, size).astype(np.float32)
    return torch.from_numpy(X).unsqueeze(1), torch.from_numpy(Y)


def make_crosses(m, seed=0, size=16, noise=0.2):
    """Target task: label 0 a plus sign, 1 an x-shaped cross, of random size and position."""
    rng = np.random.RandomState(seed)
    X = np.zeros((m, size, size), dtype=np.float32)
    Y = rng.randint(0, 2, size=m).astype(np.int64)
    for i in range(m):
        L = 2 * rng.randint(3, 6) + 1                       # odd length 7..11
        r0, c0 = rng.randint(0, size - L + 1), rng.randint(0, size - L + 1)
        h = L // 2
        if Y[i] == 0:
            _draw_line(X[i], r0 + h, c0, 0, 1, L)
            _draw_line(X[i], r0, c0 + h, 1, 0, L)
        else:
            _draw_line(X[i], r0, c0, 1, 1, L)
            _draw_line(X[i], r0, c0 + L - 1, 1, -1, L)
    X += noise * rng.randn(m, size, size).astype(np.float32)
    return torch.from_numpy(X).unsqueeze(1), torch.from_numpy(Y)


X_source, Y_source = make_bars(400, seed=1)
X_target, Y_target = make_crosses(12, seed=5)
X_target_test, Y_target_test = make_crosses(200, seed=3)
print("source:", tuple(X_source.shape), " target train:", tuple(X_target.shape),
      " target test:", tuple(X_target_test.shape))

# %% [markdown]
# ## The base network
#
# `BaseNet` separates a **feature extractor** `self.features` from a **classifier head**
# `self.head`. Keeping them as two attributes is what makes transfer learning easy: the
# head is the only part that depends on the number of classes.
#
# | part | layers | parameters |
# |------|--------|-----------:|
# | `features[0]` | `Conv2d(1, 8, 3, padding=1)` | 80 |
# | `features[1..2]` | `ReLU`, `MaxPool2d(2)` | 0 |
# | `features[3]` | `Conv2d(8, 16, 3, padding=1)` | 1168 |
# | `features[4..6]` | `ReLU`, `MaxPool2d(2)`, `Flatten` | 0 |
# | `head` | `Linear(256, num_classes)` | 257 x num_classes |
#
# `pretrain_base` trains it on the source task with Adam. It is given, not graded.

# %%
class BaseNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.head(self.features(x))


def pretrain_base(num_epochs=6, batch_size=32, lr=0.01, seed=0):
    """Train a BaseNet on the source task (bars); returns the trained model."""
    torch.manual_seed(seed)
    model = BaseNet(num_classes=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    m = X_source.shape[0]
    for _ in range(num_epochs):
        perm = torch.randperm(m)
        for start in range(0, m, batch_size):
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            F.cross_entropy(model(X_source[idx]), Y_source[idx]).backward()
            optimizer.step()
    return model


def accuracy(model, X, Y):
    with torch.no_grad():
        return (model(X).argmax(dim=1) == Y).float().mean().item()


# %% [markdown]
# ## 1. Freezing parameters
#
# Every parameter tensor has a flag `requires_grad`. When it is `False`, autograd computes
# no gradient for it, `p.grad` stays `None`, and optimizers skip it: the parameter is
# frozen. (Note that `module.eval()` does **not** freeze anything: it only switches layers
# like dropout and batch norm to their inference behaviour.)
#
# **Exercise.** Implement `freeze_parameters(module)`: set `requires_grad = False` on
# **every** parameter of `module` (weights and biases: `module.parameters()` yields them
# all, recursively) and return the module.

# %%
def freeze_parameters(module):
    """Freeze all parameters of module; return the module."""
    ### BEGIN SOLUTION
    for p in module.parameters():
        p.requires_grad = False
    ### END SOLUTION
    return module


# %% [markdown]
# ## 2. Replacing the head
#
# The pretrained head maps 256 features to the 4 source classes; the target task has
# `num_classes` classes. Replace it with a freshly initialized `nn.Linear` that has the
# same number of inputs as the old head (read it from `model.head.in_features` rather than
# hard-coding 256) and `num_classes` outputs. A newly created layer is trainable
# (`requires_grad=True`) by default.
#
# **Exercise.** Implement `replace_head(model, num_classes)`: assign the new layer to
# `model.head` and return the model.

# %%
def replace_head(model, num_classes):
    """Replace model.head by a new nn.Linear(model.head.in_features, num_classes)."""
    ### BEGIN SOLUTION
    in_features = model.head.in_features
    model.head = nn.Linear(in_features, num_classes)
    ### END SOLUTION
    return model


# %% [markdown]
# ## 3. Counting trainable parameters
#
# A quick check that freezing worked is to count the parameters the optimizer will
# update: the sum of `p.numel()` over the parameters with `p.requires_grad`. For a
# `BaseNet` with frozen features and a 2-class head this is `256 * 2 + 2 = 514`, against
# 1762 for the whole network.
#
# **Exercise.** Implement `count_trainable_parameters(model)`, returning a Python `int`.

# %%
def count_trainable_parameters(model):
    """Number of scalar parameters of model with requires_grad=True."""
    ### BEGIN SOLUTION
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    ### END SOLUTION
    return int(n)


# %% [markdown]
# ## 4. Building the transfer model
#
# Put the pieces together. Three details matter:
#
# - **Copy first.** `copy.deepcopy(base)` gives an independent network; freezing or
#   replacing layers of the copy must leave the pretrained `base` untouched, so you can
#   build several variants from it.
# - **Freeze, then replace.** Freeze `model.features`, then call `replace_head`: the new
#   head is created after the freeze, so it stays trainable.
# - **How much to fine-tune.** With very little target data, train the head only. With
#   more data, also unfreeze the last convolution, `model.features[3]`, by setting
#   `requires_grad = True` on its parameters (when `train_last_conv` is `True`).
#
# **Exercise.** Implement `build_transfer_model(base, num_classes, train_last_conv=False)`
# using your `freeze_parameters` and `replace_head`.

# %%
def build_transfer_model(base, num_classes, train_last_conv=False):
    """A copy of base with frozen features (except features[3] if train_last_conv) and a new head."""
    ### BEGIN SOLUTION
    model = copy.deepcopy(base)
    freeze_parameters(model.features)
    if train_last_conv:
        for p in model.features[3].parameters():
            p.requires_grad = True
    replace_head(model, num_classes)
    ### END SOLUTION
    return model


# %% [markdown]
# ## 5. Fine-tuning
#
# Fine-tune with full-batch Adam (the target set is tiny, so every step uses all of it):
#
# - give the optimizer only the trainable parameters:
#   `torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)`;
# - repeat `num_steps` times: `zero_grad`, forward, `F.cross_entropy`, `backward`, `step`;
# - record each step's loss (computed before that step's update) as a Python float.
#
# **Exercise.** Implement `fine_tune(model, X, Y, num_steps, lr)` and return the list of
# losses.

# %%
def fine_tune(model, X, Y, num_steps=30, lr=0.01):
    """Full-batch Adam on the trainable parameters of model; returns the list of losses."""
    ### BEGIN SOLUTION
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    ### END SOLUTION
    return losses


# %% [markdown]
# ## 6. Does transfer help?
#
# `run_experiment()` pretrains the base on the bars, then trains three models on the same
# 12 target images for the same number of steps: the transfer model with only its head
# trainable, the transfer model with the last convolution unfrozen too, and a `BaseNet`
# trained from scratch. It prints the trainable-parameter counts and the accuracy on 200
# held-out target images. It takes a couple of seconds. With 12 examples every model fits
# its training set, but the one trained from scratch generalizes far worse than the ones
# that start from the pretrained orientation detectors.

# %%
def run_experiment(num_steps=60, lr=0.01):
    base = pretrain_base()
    print(f"base accuracy on the source task: {accuracy(base, X_source, Y_source):.3f}")
    torch.manual_seed(1)
    head_only = build_transfer_model(base, 2)
    last_conv = build_transfer_model(base, 2, train_last_conv=True)
    scratch = BaseNet(num_classes=2)
    for name, model in [("head only", head_only), ("head + last conv", last_conv),
                        ("from scratch", scratch)]:
        losses = fine_tune(model, X_target, Y_target, num_steps, lr)
        print(f"{name:17s} trainable {count_trainable_parameters(model):5d}  "
              f"final loss {losses[-1]:.3f}  "
              f"target test accuracy {accuracy(model, X_target_test, Y_target_test):.3f}")

# %% [markdown]
# **What you learned.** Transfer learning is mostly bookkeeping: copy the pretrained
# network, set `requires_grad = False` on the layers you keep, swap the head for one with
# the right number of outputs, and let the optimizer see only the trainable parameters.
# How many layers to unfreeze depends on how much target data you have.
