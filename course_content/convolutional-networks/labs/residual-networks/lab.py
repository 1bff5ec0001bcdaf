# %% [markdown]
# # Residual Networks
#
# Very deep plain networks are hard to train: as layers are added, the training error
# eventually goes *up*, because gradients vanish and because even learning the identity
# function through a stack of non-linear layers is hard. He et al. (2015) fixed this with
# **skip connections**: a block computes `a[l+2] = g(z[l+2] + a[l])`, so if its weights
# are driven to zero it simply passes its input through, and the gradient has a direct
# path back through the addition.
#
# In this lab you build, in PyTorch:
#
# 1. `IdentityBlock`: a bottleneck residual block whose shortcut is the identity;
# 2. `ConvolutionalBlock`: the block used when height/width or channels change, whose
#    shortcut is a 1x1 convolution;
# 3. `TinyResNet`: a small ResNet assembled from these blocks;
# 4. `predict`: inference with batch normalization in evaluation mode.
#
# **Conventions.** Tensors are NCHW: `(batch, channels, height, width)`. Every
# convolution here is followed by a `BatchNorm2d`, so the convolutions use `bias=False`:
# batch norm subtracts the per-channel mean, which cancels any constant bias, and adds
# its own learned shift `beta`. The grader seeds PyTorch before building your module and
# compares outputs with the reference, so **create the layers in the order given**: each
# `nn.Conv2d` draws its initial weights from the random generator when it is created.

# %%
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)   # the models here are tiny: one thread is faster than several

# %% [markdown]
# ## 1. The identity block
#
# The "bottleneck" identity block has three convolutions on its main path. A 1x1
# convolution first reduces the number of channels, the `f x f` convolution works on that
# cheaper volume, and a second 1x1 convolution restores the channel count so that the
# result can be added to the input:
#
# ```
# x ──► conv1 (1x1, F1) ─► bn1 ─► ReLU ─► conv2 (f x f, F2, "same") ─► bn2 ─► ReLU
#   │                                                                          │
#   │   ┌──────────────────────────────────────────────────────────────────────┘
#   │   └─► conv3 (1x1, F3) ─► bn3 ──► (+) ─► ReLU ─► out
#   └──────────────────────────────────► ┘
# ```
#
# Create, in this order:
#
# - `self.conv1 = nn.Conv2d(in_channels, F1, kernel_size=1, bias=False)`, `self.bn1 = nn.BatchNorm2d(F1)`
# - `self.conv2 = nn.Conv2d(F1, F2, kernel_size=f, padding=f // 2, bias=False)`, `self.bn2 = nn.BatchNorm2d(F2)`
# - `self.conv3 = nn.Conv2d(F2, F3, kernel_size=1, bias=False)`, `self.bn3 = nn.BatchNorm2d(F3)`
#
# (`padding=f // 2` keeps height and width unchanged for odd `f`.) In `forward`, the
# shortcut is added **after** `bn3` and **before** the final ReLU. The identity shortcut
# only works when the shapes match, so `F3` must equal `in_channels`.
#
# **Exercise.** Implement `IdentityBlock.__init__` and `IdentityBlock.forward`.

# %%
class IdentityBlock(nn.Module):
    def __init__(self, in_channels, f, filters):
        """in_channels: channels of the input; f: size of the middle filter;
        filters: [F1, F2, F3], channels of the three convolutions (F3 == in_channels)."""
        super().__init__()
        F1, F2, F3 = filters
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, F1, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(F1)
        self.conv2 = nn.Conv2d(F1, F2, kernel_size=f, padding=f // 2, bias=False)
        self.bn2 = nn.BatchNorm2d(F2)
        self.conv3 = nn.Conv2d(F2, F3, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(F3)
        ### END SOLUTION

    def forward(self, x):
        shortcut = x
        ### BEGIN SOLUTION
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = F.relu(out + shortcut)
        ### END SOLUTION
        return out


# %% [markdown]
# **Why the identity is easy to learn.** `BatchNorm2d` computes `gamma * x_hat + beta`.
# If `bn3`'s `gamma` and `beta` are zero the main path contributes nothing and the block
# outputs `ReLU(x)`, which for the non-negative activations coming out of a previous
# block is exactly `x`. Adding such a block cannot make the network worse, which is why
# deeper ResNets keep improving where plain networks degrade. (Some implementations
# even initialize the last `gamma` of every block to zero for this reason.) One of the
# tests checks this property on your block.
#
# ## 2. The convolutional block
#
# When a stage changes the number of channels or halves height and width, `x` cannot be
# added to the main path's output directly. The convolutional block puts a 1x1
# convolution with stride `s` (plus batch norm) on the shortcut to project `x` to the
# right shape:
#
# ```
# main:      conv1 (1x1, F1, stride s) ─► bn1 ─► ReLU ─► conv2 (f x f, F2, "same") ─► bn2 ─► ReLU
#            ─► conv3 (1x1, F3) ─► bn3
# shortcut:  shortcut_conv (1x1, F3, stride s) ─► shortcut_bn
# out = ReLU(main + shortcut)
# ```
#
# As in the original ResNet-50, the stride sits on the **first** 1x1 convolution of the
# main path. Create, in this order: `conv1, bn1, conv2, bn2, conv3, bn3, shortcut_conv,
# shortcut_bn` (all convolutions `bias=False`). There is **no** ReLU on the shortcut.
#
# **Exercise.** Implement `ConvolutionalBlock`.

# %%
class ConvolutionalBlock(nn.Module):
    def __init__(self, in_channels, f, filters, s=2):
        """Like IdentityBlock, but the first 1x1 convolution and the shortcut use stride s and
        the shortcut is a 1x1 convolution to F3 channels followed by batch norm."""
        super().__init__()
        F1, F2, F3 = filters
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, F1, kernel_size=1, stride=s, bias=False)
        self.bn1 = nn.BatchNorm2d(F1)
        self.conv2 = nn.Conv2d(F1, F2, kernel_size=f, padding=f // 2, bias=False)
        self.bn2 = nn.BatchNorm2d(F2)
        self.conv3 = nn.Conv2d(F2, F3, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(F3)
        self.shortcut_conv = nn.Conv2d(in_channels, F3, kernel_size=1, stride=s, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(F3)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = self.shortcut_bn(self.shortcut_conv(x))
        out = F.relu(out + shortcut)
        ### END SOLUTION
        return out


# %% [markdown]
# ## 3. A tiny ResNet
#
# Now assemble a small ResNet for 16x16 RGB images. The shapes below are for one image:
#
# | attribute | layers | output |
# |-----------|--------|--------|
# | `self.stem` | `nn.Sequential(nn.Conv2d(in_channels, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())` | 8 x 16 x 16 |
# | `self.stage1` | `nn.Sequential(ConvolutionalBlock(8, 3, [4, 4, 16], s=1), IdentityBlock(16, 3, [4, 4, 16]))` | 16 x 16 x 16 |
# | `self.stage2` | `nn.Sequential(ConvolutionalBlock(16, 3, [8, 8, 32], s=2), IdentityBlock(32, 3, [8, 8, 32]))` | 32 x 8 x 8 |
# | `self.pool` | `nn.AdaptiveAvgPool2d(1)` | 32 x 1 x 1 |
# | `self.fc` | `nn.Linear(32, num_classes)` | num_classes |
#
# Stage 1 uses a convolutional block with `s=1` only to change the channel count from 8
# to 16; stage 2 halves height and width and doubles the channels, the usual ResNet
# pattern. Global average pooling replaces a large flatten + dense layer. In `forward`,
# flatten the pooled volume (`torch.flatten(x, 1)`) before `self.fc`; return logits.
# The model has 3915 parameters.
#
# **Exercise.** Implement `TinyResNet`, creating the attributes in the order of the table.

# %%
class TinyResNet(nn.Module):
    def __init__(self, num_classes=3, in_channels=3):
        super().__init__()
        ### BEGIN SOLUTION
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(),
        )
        self.stage1 = nn.Sequential(
            ConvolutionalBlock(8, 3, [4, 4, 16], s=1),
            IdentityBlock(16, 3, [4, 4, 16]),
        )
        self.stage2 = nn.Sequential(
            ConvolutionalBlock(16, 3, [8, 8, 32], s=2),
            IdentityBlock(32, 3, [8, 8, 32]),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, num_classes)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = self.stem(x)
        x = self.stage1(x)
        x = self.stage2(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        logits = self.fc(x)
        ### END SOLUTION
        return logits


# %% [markdown]
# ## 4. Prediction: batch norm in evaluation mode
#
# During training `BatchNorm2d` normalizes with the mean and variance **of the current
# mini-batch** and updates running averages of them. At test time you may predict on a
# single image, where batch statistics are meaningless, so the layer must use the running
# averages instead. `model.eval()` switches every batch-norm (and dropout) layer to that
# behaviour; `model.train()` switches back. Forgetting `model.eval()` is one of the most
# common bugs in PyTorch code: predictions then depend on which other images happen to
# be in the batch.
#
# **Exercise.** Implement `predict(model, X)`: put the model in evaluation mode, compute
# the logits without building a graph (`with torch.no_grad():`), and return the softmax
# probabilities `(m, n_classes)` and the predicted labels `(m,)` (int64, the argmax).

# %%
def predict(model, X):
    """Returns (probs, labels) for the batch X using the model in evaluation mode."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        logits = model(X)
        probs = torch.softmax(logits, dim=1)
    labels = probs.argmax(dim=1)
    ### END SOLUTION
    return probs, labels


# %% [markdown]
# ## 5. Train it
#
# `run_experiment()` trains your `TinyResNet` for a few epochs on generated 16x16 RGB
# images of three shapes (filled square, frame, plus) in random colours, then evaluates
# it with `predict`. It takes a few seconds; expect a training accuracy well above 80%.
# Compare the test accuracy from `predict` with the accuracy you get from calling the
# model in training mode on a batch of 4 test images at a time: the difference is
# batch norm's batch statistics at work.

# %%
def make_colored_shapes(m, seed=0, size=16, noise=0.1):
    rng = np.random.RandomState(seed)
    X = np.zeros((m, 3, size, size), dtype=np.float32)
    Y = rng.randint(0, 3, size=m).astype(np.int64)
    for i in range(m):
        s = rng.randint(5, 10)
        r0, c0 = rng.randint(0, size - s + 1), rng.randint(0, size - s + 1)
        mask = np.zeros((size, size), dtype=np.float32)
        if Y[i] == 0:
            mask[r0:r0 + s, c0:c0 + s] = 1.0
        elif Y[i] == 1:
            mask[r0:r0 + s, c0:c0 + s] = 1.0
            mask[r0 + 1:r0 + s - 1, c0 + 1:c0 + s - 1] = 0.0
        else:
            mask[r0 + s // 2, c0:c0 + s] = 1.0
            mask[r0:r0 + s, c0 + s // 2] = 1.0
        color = rng.uniform(0.3, 1.0, size=3).astype(np.float32)
        X[i] = color[:, None, None] * mask[None]
    X += noise * rng.randn(*X.shape).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(Y)


def run_experiment(num_epochs=6, batch_size=32, lr=0.01, seed=0):
    torch.manual_seed(seed)
    X_train, Y_train = make_colored_shapes(256, seed=1)
    X_test, Y_test = make_colored_shapes(96, seed=2)
    model = TinyResNet(num_classes=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(num_epochs):
        model.train()
        perm = torch.randperm(X_train.shape[0])
        for start in range(0, X_train.shape[0], batch_size):
            idx = perm[start:start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(X_train[idx]), Y_train[idx])
            loss.backward()
            optimizer.step()
        _, train_pred = predict(model, X_train)
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}, "
              f"train accuracy {(train_pred == Y_train).float().mean().item():.3f}")
    _, test_pred = predict(model, X_test)
    test_acc = (test_pred == Y_test).float().mean().item()
    model.train()
    with torch.no_grad():
        train_mode_pred = torch.cat([model(X_test[i:i + 4]).argmax(dim=1) for i in range(0, 96, 4)])
    print(f"test accuracy with predict (eval mode): {test_acc:.3f}")
    print(f"test accuracy in train mode, batches of 4: "
          f"{(train_mode_pred == Y_test).float().mean().item():.3f}")
    return test_acc

# %% [markdown]
# **What you learned.** A residual block adds its input to the output of its main path
# just before the last ReLU; when the shapes differ, a strided 1x1 convolution projects the
# shortcut. Because each block can fall back to (almost) the identity, stacking more of
# them does not hurt training. And batch norm behaves differently in training and
# evaluation: always call `model.eval()` before predicting.
