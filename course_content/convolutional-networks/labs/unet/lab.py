# %% [markdown]
# # Image Segmentation with a U-Net
#
# Welcome! Classification says *what* is in an image; detection draws boxes around objects;
# **semantic segmentation** goes one step further and labels **every pixel**. Here you will
# build a small U-Net in PyTorch and train it to segment synthetic images containing squares
# and discs: each pixel must be classified as `0 = background`, `1 = square` or `2 = disc`.
#
# **By the end of this assignment you will be able to:**
#
# - build the U-Net's double-convolution block;
# - build an encoder (contracting) block that returns both a pooled output and a skip connection;
# - build a decoder (expanding) block with a transposed convolution and skip concatenation;
# - assemble the full U-Net and count its parameters;
# - write a pixel-wise cross-entropy loss, train the network and predict masks.
#
# Everything is tiny (16x16 images, a few thousand parameters) so it trains on a CPU in seconds.
#
# **Important for grading:** PyTorch initializes a layer's weights from the global random
# generator *when the layer is created*. The grader seeds that generator before each test, so
# create the layers **exactly in the order given in each exercise** (and no other layers), or
# your network will start from different weights than the reference.
#
# ## Table of contents
# 1. The data
# 2. Double convolution (Exercise 1 - `ConvBlock`)
# 3. Encoder block (Exercise 2 - `EncoderBlock`)
# 4. Decoder block (Exercise 3 - `DecoderBlock`)
# 5. The U-Net (Exercise 4 - `UNet`)
# 6. Pixel-wise loss (Exercise 5 - `pixel_cross_entropy`)
# 7. Training and prediction (Exercise 6 - `train_unet`, Exercise 7 - `predict_masks`)

# %%
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# %% [markdown]
# ## 1. The data
#
# `make_shapes(n)` draws `n` grayscale images of shape `(1, 16, 16)` with one square and one disc
# each (same brightness, so the network has to tell them apart by **shape**), plus a little
# noise. The masks have shape `(16, 16)` and hold the class of every pixel. PyTorch's layout for
# images is `(N, C, H, W)`: batch, channels, height, width.

# %%
def make_shapes(n, size=16, seed=0):
    """Images (n, 1, size, size) float32 and masks (n, size, size) int64."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    yy, xx = np.mgrid[0:size, 0:size]
    for k in range(n):
        side = rng.integers(4, 7)
        r0, c0 = rng.integers(0, size - side, size=2)
        square = (yy >= r0) & (yy < r0 + side) & (xx >= c0) & (xx < c0 + side)
        radius = rng.uniform(2.5, 3.5)
        cy, cx = rng.uniform(radius, size - radius, size=2)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
        masks[k][square] = 1
        masks[k][disc] = 2
        images[k, 0][square | disc] = 1.0
    images += rng.normal(0, 0.15, size=images.shape).astype(np.float32)
    return images, masks


train_images, train_masks = make_shapes(48, seed=1)
test_images, test_masks = make_shapes(16, seed=2)
print("images:", train_images.shape, "masks:", train_masks.shape,
      "pixel class counts:", np.bincount(train_masks.ravel(), minlength=3))

# %% [markdown]
# ## 2. Double convolution
#
# Every stage of a U-Net applies two 3x3 convolutions, each followed by a ReLU. With
# `padding=1` a 3x3 convolution keeps the height and width unchanged (the original U-Net used no
# padding and cropped the skip connections instead; padding keeps the shapes simple).
#
# ### Exercise 1 - ConvBlock
#
# In `__init__`, create **in this order**:
#
# 1. `self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)`
# 2. `self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)`
#
# In `forward`, return `relu(conv2(relu(conv1(x))))`. Shapes: `(N, in, H, W) -> (N, out, H, W)`.

# %%
class ConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        ### END SOLUTION
        return x


# %% [markdown]
# ## 3. Encoder block
#
# The **contracting path** halves the resolution at each stage while increasing the number of
# channels, so deeper layers see a wider context. Each encoder block returns two things:
#
# - `skip`: the output of its `ConvBlock`, at full resolution, saved for the decoder;
# - `next`: `skip` downsampled by 2x2 max pooling (`F.max_pool2d(skip, 2)`), fed to the next block.
#   The deepest block (the **bottleneck**) is built with `pool=False` and returns `skip` for both.
#
# ### Exercise 2 - EncoderBlock
#
# In `__init__` create only `self.conv = ConvBlock(in_channels, out_channels)` and store
# `self.pool = pool`. `forward(x)` returns the tuple `(next, skip)`.
# Shapes: `(N, in, H, W) -> ((N, out, H/2, W/2), (N, out, H, W))`.

# %%
class EncoderBlock(nn.Module):
    def __init__(self, in_channels, out_channels, pool=True):
        super().__init__()
        ### BEGIN SOLUTION
        self.conv = ConvBlock(in_channels, out_channels)
        self.pool = pool
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        skip = self.conv(x)
        next_x = F.max_pool2d(skip, 2) if self.pool else skip
        ### END SOLUTION
        return next_x, skip


# %% [markdown]
# ## 4. Decoder block
#
# The **expanding path** upsamples back to the input resolution. Upsampling alone would produce
# blurry, imprecise boundaries, because the fine spatial detail was lost by pooling. The
# **skip connection** brings back the encoder's full-resolution features: the decoder
# concatenates them with its upsampled features along the channel axis, and a `ConvBlock` mixes
# the two.
#
# ### Exercise 3 - DecoderBlock
#
# In `__init__`, create **in this order**:
#
# 1. `self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)`: a
#    learned upsampling that doubles H and W;
# 2. `self.conv = ConvBlock(out_channels + skip_channels, out_channels)`.
#
# In `forward(x, skip)`: upsample `x`, then `torch.cat([upsampled, skip], dim=1)` (**upsampled
# first, then skip**), then `self.conv`.
# Shapes: `x (N, in, H, W)`, `skip (N, skip_channels, 2H, 2W) -> (N, out, 2H, 2W)`.

# %%
class DecoderBlock(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__()
        ### BEGIN SOLUTION
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        self.conv = ConvBlock(out_channels + skip_channels, out_channels)
        ### END SOLUTION

    def forward(self, x, skip):
        ### BEGIN SOLUTION
        x = self.up(x)
        x = torch.cat([x, skip], dim=1)
        x = self.conv(x)
        ### END SOLUTION
        return x


# %% [markdown]
# ## 5. The U-Net
#
# With `b = base`, our U-Net has two pooling stages:
#
# | layer | created as | output shape for a `(N, 1, 16, 16)` input, `b = 8` |
# |---|---|---|
# | `enc1` | `EncoderBlock(in_channels, b)` | next `(N, 8, 8, 8)`, skip `s1 (N, 8, 16, 16)` |
# | `enc2` | `EncoderBlock(b, 2b)` | next `(N, 16, 4, 4)`, skip `s2 (N, 16, 8, 8)` |
# | `bottleneck` | `EncoderBlock(2b, 4b, pool=False)` | `(N, 32, 4, 4)` (use the first output) |
# | `dec2` | `DecoderBlock(4b, 2b, 2b)` | `dec2(bottleneck_out, s2)`: `(N, 16, 8, 8)` |
# | `dec1` | `DecoderBlock(2b, b, b)` | `dec1(dec2_out, s1)`: `(N, 8, 16, 16)` |
# | `head` | `nn.Conv2d(b, n_classes, kernel_size=1)` | `(N, n_classes, 16, 16)` |
#
# Create the six layers **in the order of the table**. `forward` returns the head's output:
# raw, unnormalized **logits**, one score per class per pixel (no softmax: the loss does that).
# The input height and width must be divisible by 4.

# %%
class UNet(nn.Module):
    def __init__(self, in_channels=1, n_classes=3, base=8):
        super().__init__()
        ### BEGIN SOLUTION
        self.enc1 = EncoderBlock(in_channels, base)
        self.enc2 = EncoderBlock(base, 2 * base)
        self.bottleneck = EncoderBlock(2 * base, 4 * base, pool=False)
        self.dec2 = DecoderBlock(4 * base, 2 * base, 2 * base)
        self.dec1 = DecoderBlock(2 * base, base, base)
        self.head = nn.Conv2d(base, n_classes, kernel_size=1)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x1, s1 = self.enc1(x)
        x2, s2 = self.enc2(x1)
        b, _ = self.bottleneck(x2)
        d2 = self.dec2(b, s2)
        d1 = self.dec1(d2, s1)
        logits = self.head(d1)
        ### END SOLUTION
        return logits


# %% [markdown]
# ## 6. Pixel-wise loss
#
# Segmentation is classification at every pixel, so the loss is the softmax cross-entropy of
# each pixel, averaged over all `N * H * W` pixels:
#
# `L = -(1 / (N H W)) * sum_{n,h,w} log softmax(logits[n, :, h, w])[mask[n, h, w]]`
#
# ### Exercise 5 - pixel_cross_entropy
#
# Implement it without `F.cross_entropy`:
#
# 1. `log_probs = torch.log_softmax(logits, dim=1)`: the class axis is **dim 1** in `(N, C, H, W)`;
# 2. pick each pixel's true-class log-probability with
#    `log_probs.gather(1, masks.unsqueeze(1))`, shape `(N, 1, H, W)`;
# 3. return minus the **mean** (a 0-d tensor, so that `.backward()` works).
#
# **Expected:** all-zero logits with 3 classes give `log(3) ≈ 1.0986` whatever the mask.

# %%
def pixel_cross_entropy(logits, masks):
    """
    Mean softmax cross-entropy over all pixels.

    Arguments:
    logits -- float tensor (N, C, H, W)
    masks -- int64 tensor (N, H, W) with values in 0..C-1

    Returns:
    loss -- 0-d float tensor
    """
    ### BEGIN SOLUTION
    log_probs = torch.log_softmax(logits, dim=1)
    picked = log_probs.gather(1, masks.long().unsqueeze(1))
    loss = -picked.mean()
    ### END SOLUTION
    return loss


# %% [markdown]
# ## 7. Training and prediction
#
# The cell below defines `SimpleAdam`, a ten-line version of the Adam update you implemented in
# Course 2 (`m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`, bias correction, then
# `p -= lr * m_hat / (sqrt(v_hat) + eps)`), with the same `zero_grad()` / `step()` interface as
# `torch.optim.Adam`. We use it instead of `torch.optim` only because it starts instantly, which
# keeps the grader fast.

# %%
class SimpleAdam:
    """Minimal Adam optimizer with the torch.optim interface (zero_grad, step)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params = [p for p in params]
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            m_hat = m / (1 - self.b1 ** self.t)
            v_hat = v / (1 - self.b2 ** self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))


# %% [markdown]
# ### Exercise 6 - train_unet
#
# 1. create `model = UNet(1, 3, base)` **first** (so its weights come from the seeded generator);
# 2. create `optimizer = SimpleAdam(model.parameters(), lr=lr)`;
# 3. for `steps` iterations, on the **whole** batch: forward, `pixel_cross_entropy`,
#    `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`, and append `loss.item()`
#    (the loss *before* the step) to a list;
# 4. return `(model, losses)`.
#
# ### Exercise 7 - predict_masks
#
# Turn logits into a predicted mask: the class with the highest logit at each pixel,
# `argmax` over the **class** axis. Input `(N, C, H, W)`, output int64 `(N, H, W)`.
#
# After both pass, try in a scratch cell:
#
# ```python
# torch.manual_seed(0)
# model, losses = train_unet(torch.tensor(train_images), torch.tensor(train_masks), steps=100, lr=0.01, base=8)
# with torch.no_grad():
#     pred = predict_masks(model(torch.tensor(test_images)))
# print(losses[0], losses[-1], (pred.numpy() == test_masks).mean())
# ```
#
# It takes a few seconds. The training loss falls from about 1.1 to below 0.1, and about 93% of
# the pixels of the 16 unseen test images are classified correctly (predicting "background"
# everywhere would score about 75%). Compare `pred[0]` with `test_masks[0]`: most remaining
# mistakes sit on the borders of the shapes, and the gap between the training loss and test
# accuracy says that 48 training images are not many: a variance problem that more data or
# augmentation would address.

# %%
def train_unet(images, masks, steps, lr, base=4):
    """
    Full-batch Adam training of a fresh UNet(1, 3, base).

    Returns:
    model -- the trained UNet
    losses -- list of `steps` Python floats
    """
    ### BEGIN SOLUTION
    model = UNet(1, 3, base)
    optimizer = SimpleAdam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = pixel_cross_entropy(model(images), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    ### END SOLUTION
    return model, losses


def predict_masks(logits):
    """Class index of the largest logit at every pixel: (N, C, H, W) -> (N, H, W) int64."""
    ### BEGIN SOLUTION
    pred = torch.argmax(logits, dim=1)
    ### END SOLUTION
    return pred


# %% [markdown]
# ## Congratulations!
#
# You have built a U-Net from its three ingredients:
#
# - **encoder blocks** that trade resolution for context,
# - a **bottleneck**, and
# - **decoder blocks** whose transposed convolutions restore resolution while **skip
#   connections** restore the fine detail that pooling threw away,
#
# and trained it with a per-pixel cross-entropy. The same structure, with more stages and
# channels, segments roads for self-driving cars and tumours in medical scans.
