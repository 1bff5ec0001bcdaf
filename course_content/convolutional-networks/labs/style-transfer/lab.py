# %% [markdown]
# # Neural Style Transfer
#
# Welcome! Neural style transfer (Gatys et al., 2015) generates an image **G** that has the
# **content** of one image **C** and the **style** of another image **S**. Nothing is trained:
# a fixed convolutional network is used as a *feature extractor*, and it is the **pixels of G**
# that are optimized, by gradient descent on a cost that compares G's activations with C's and
# S's.
#
# **By the end of this assignment you will be able to:**
#
# - compute the content cost from one layer's activations;
# - compute a Gram matrix and the style cost of one layer;
# - combine several layers into a weighted style cost, and content and style into a total cost;
# - optimize the pixels of a generated image with those costs.
#
# Real style transfer uses a large pretrained network (VGG-19). To stay small and offline, we use
# a **tiny fixed network with seeded random weights** and 16x16 images. Random convolutional
# features already capture local colour and texture statistics, which is enough to see every
# part of the algorithm work.
#
# Layout: PyTorch activations are `(1, n_C, n_H, n_W)` (batch, channels, height, width).
# Write every cost with torch operations so that gradients can flow back to the image.
#
# ## Table of contents
# 1. The feature extractor and the images
# 2. Content cost (Exercise 1 - `compute_content_cost`)
# 3. Gram matrix (Exercise 2 - `gram_matrix`)
# 4. Style cost of one layer (Exercise 3 - `compute_layer_style_cost`)
# 5. Style cost of several layers (Exercise 4 - `compute_style_cost`)
# 6. Total cost (Exercise 5 - `total_cost`)
# 7. Generating an image (Exercise 6 - `generate_image`)

# %%
import numpy as np
import torch
import torch.nn.functional as F

# %% [markdown]
# ## 1. The feature extractor and the images
#
# `get_activations(image)` runs a 4-layer network (3x3 convolutions with ReLUs, and a 2x2 average
# pooling after the second layer) and returns a dict of activations:
#
# | layer | shape for a `(1, 3, 16, 16)` image |
# |---|---|
# | `"relu1"` | `(1, 8, 16, 16)` |
# | `"relu2"` | `(1, 8, 16, 16)` |
# | `"relu3"` | `(1, 16, 8, 8)` |
# | `"relu4"` | `(1, 16, 8, 8)` |
#
# Its weights come from a private `torch.Generator` seeded with 0, so they never change and do
# not disturb the global random generator. The content image is a bright disc on a gradient;
# the style image is a pattern of coloured diagonal stripes.

# %%
def _make_extractor(seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = [(8, 3), (8, 8), (16, 8), (16, 16)]
    return [(torch.randn(o, i, 3, 3, generator=g) * (2.0 / (9 * i)) ** 0.5, 0.05 * torch.randn(o, generator=g))
            for o, i in shapes]


EXTRACTOR = _make_extractor()
LAYERS = ["relu1", "relu2", "relu3", "relu4"]


def get_activations(image):
    """Activations of the fixed network for an image of shape (1, 3, H, W), H and W even."""
    acts, x = {}, image
    for k, (w, b) in enumerate(EXTRACTOR):
        x = F.relu(F.conv2d(x, w, b, padding=1))
        acts[LAYERS[k]] = x
        if k == 1:
            x = F.avg_pool2d(x, 2)
    return acts


def make_content_image(size=16):
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    img = np.stack([0.2 + 0.5 * xx, 0.3 + 0.4 * yy, 0.6 - 0.3 * xx], axis=0)
    disc = (yy - 0.45) ** 2 + (xx - 0.55) ** 2 < 0.08
    img[:, disc] = np.array([0.95, 0.85, 0.2])[:, None]
    return torch.tensor(img[None], dtype=torch.float32)


def make_style_image(size=16):
    yy, xx = np.mgrid[0:size, 0:size]
    stripe = ((xx + yy) // 2) % 3
    palette = np.array([[0.9, 0.2, 0.1], [0.1, 0.3, 0.8], [0.95, 0.9, 0.3]])
    img = palette[stripe].transpose(2, 0, 1)
    return torch.tensor(img[None], dtype=torch.float32)


content_image = make_content_image()
style_image = make_style_image()
print({name: tuple(a.shape) for name, a in get_activations(content_image).items()})

# %% [markdown]
# ## 2. Content cost
#
# Shallow layers detect edges and simple textures; deeper layers respond to larger structures.
# To make G keep C's content, we pick one layer (here `"relu3"`) and ask that G's activations
# there match C's:
#
# `J_content(C, G) = 1 / (4 n_H n_W n_C) * sum (a_C - a_G)^2`
#
# where the sum runs over all `n_C x n_H x n_W` entries.
#
# ### Exercise 1 - compute_content_cost
#
# Read `n_C, n_H, n_W` from `a_G.shape` (the batch size is 1) and return a 0-d tensor.
#
# **Expected:** `a_C = ones(1, 1, 2, 2)`, `a_G = zeros(1, 1, 2, 2)` give `4 / 16 = 0.25`.

# %%
def compute_content_cost(a_C, a_G):
    """
    Arguments:
    a_C, a_G -- tensors of shape (1, n_C, n_H, n_W)

    Returns:
    J_content -- 0-d tensor
    """
    ### BEGIN SOLUTION
    _, n_C, n_H, n_W = a_G.shape
    J_content = torch.sum((a_C - a_G) ** 2) / (4 * n_H * n_W * n_C)
    ### END SOLUTION
    return J_content


# %% [markdown]
# ## 3. Gram matrix
#
# Style is captured by **which features occur together**, regardless of where. Unroll a layer's
# activations into a matrix `A` of shape `(n_C, n_H * n_W)`: row `k` lists channel `k`'s response
# at every position. The **Gram matrix** `G_gram = A A^T`, of shape `(n_C, n_C)`, holds in entry
# `(k, k')` the correlation between channels `k` and `k'` summed over positions: large if the two
# features tend to fire in the same places. Its diagonal says how active each feature is overall.
#
# ### Exercise 2 - gram_matrix
#
# **Expected:** `A = [[1, 2, 3], [4, 5, 6]]` gives `[[14, 32], [32, 77]]`.

# %%
def gram_matrix(A):
    """
    Arguments:
    A -- tensor of shape (n_C, n_H * n_W)

    Returns:
    GA -- tensor of shape (n_C, n_C)
    """
    ### BEGIN SOLUTION
    GA = A @ A.T
    ### END SOLUTION
    return GA


# %% [markdown]
# ## 4. Style cost of one layer
#
# `J_style_layer(S, G) = 1 / (4 n_C^2 (n_H n_W)^2) * sum_{k, k'} (G_S[k, k'] - G_G[k, k'])^2`
#
# with `G_S` and `G_G` the Gram matrices of the style image's and the generated image's
# activations at that layer.
#
# ### Exercise 3 - compute_layer_style_cost
#
# 1. read `n_C, n_H, n_W` from `a_G.shape`;
# 2. unroll both activations to `(n_C, n_H * n_W)`. With channels first this is simply
#    `a[0].reshape(n_C, n_H * n_W)`. (Careful: `a[0].reshape(n_H * n_W, n_C).T` has the right
#    shape but scrambles the channels. Draw a 2x2x2 example if you are not convinced.);
# 3. compute both Gram matrices with `gram_matrix` and return the cost as a 0-d tensor.

# %%
def compute_layer_style_cost(a_S, a_G):
    """
    Arguments:
    a_S, a_G -- tensors of shape (1, n_C, n_H, n_W)

    Returns:
    J_style_layer -- 0-d tensor
    """
    ### BEGIN SOLUTION
    _, n_C, n_H, n_W = a_G.shape
    A_S = a_S[0].reshape(n_C, n_H * n_W)
    A_G = a_G[0].reshape(n_C, n_H * n_W)
    GS = gram_matrix(A_S)
    GG = gram_matrix(A_G)
    J_style_layer = torch.sum((GS - GG) ** 2) / (4 * n_C ** 2 * (n_H * n_W) ** 2)
    ### END SOLUTION
    return J_style_layer


# %% [markdown]
# ## 5. Style cost of several layers
#
# Matching Gram matrices at shallow layers reproduces fine textures; at deeper layers, larger
# patterns. Combining several layers with weights `lambda_l` gives a richer style:
#
# `J_style(S, G) = sum_l lambda_l * J_style_layer_l(S, G)`
#
# ### Exercise 4 - compute_style_cost
#
# `style_acts` and `gen_acts` are **lists** of activations (one per chosen layer, same order) and
# `layer_weights` a list of floats. Return a 0-d tensor.

# %%
STYLE_LAYERS = [("relu1", 0.2), ("relu2", 0.2), ("relu3", 0.3), ("relu4", 0.3)]


def compute_style_cost(style_acts, gen_acts, layer_weights):
    """
    Arguments:
    style_acts, gen_acts -- lists of tensors (1, n_C, n_H, n_W), one per layer
    layer_weights -- list of floats, one per layer

    Returns:
    J_style -- 0-d tensor
    """
    ### BEGIN SOLUTION
    J_style = torch.zeros(())
    for a_S, a_G, weight in zip(style_acts, gen_acts, layer_weights):
        J_style = J_style + weight * compute_layer_style_cost(a_S, a_G)
    ### END SOLUTION
    return J_style


# %% [markdown]
# ## 6. Total cost
#
# `J(G) = alpha * J_content(C, G) + beta * J_style(S, G)`
#
# `alpha` and `beta` set the trade-off: a larger `beta / alpha` gives a more stylized result.
#
# ### Exercise 5 - total_cost
#
# **Expected:** `total_cost(2.0, 0.5, alpha=10, beta=40)` is `40.0`.

# %%
def total_cost(J_content, J_style, alpha=10, beta=40):
    """alpha * J_content + beta * J_style (works for floats and for 0-d tensors)."""
    ### BEGIN SOLUTION
    J = alpha * J_content + beta * J_style
    ### END SOLUTION
    return J


# %% [markdown]
# ## 7. Generating an image
#
# The optimization loop:
#
# 1. compute the **targets** once, without gradients: `a_C = get_activations(content)["relu3"]`,
#    and the style image's activations at the layers of `STYLE_LAYERS` (call `.detach()` on them);
# 2. initialize `G = (content + 0.2 * (torch.rand_like(content) - 0.5)).clamp(0, 1)`: the content
#    image with some noise, which converges faster than pure noise. Use `torch.rand_like`
#    exactly once, here (the grader seeds the generator), then call `G.requires_grad_(True)`;
# 3. create `optimizer = SimpleAdam([G], lr=lr)` (given below: the Adam update of Course 2 with
#    the `torch.optim` interface);
# 4. for `steps` iterations: get G's activations, compute `J_content` at `"relu3"`, `J_style` over
#    `STYLE_LAYERS`, and `J = total_cost(J_content, J_style, alpha, beta)`; `optimizer.zero_grad()`,
#    `J.backward()`, `optimizer.step()`; then keep pixels valid with
#    `with torch.no_grad(): G.clamp_(0, 1)`; append `J.item()` to a list;
# 5. return `(G.detach(), costs)`.
#
# Try it in a scratch cell after the tests pass:
#
# ```python
# torch.manual_seed(0)
# G, costs = generate_image(content_image, style_image, steps=200, lr=0.02)
# print(costs[0], costs[-1])
# ```
#
# The total cost falls to about half of its initial value. With 16x16 pixels there is not much
# to look at, but the numbers tell the story: at `"relu1"`, `compute_layer_style_cost` between the
# style image and G is about ten times smaller than between the style image and the content
# image, while G's `"relu3"` activations stay close to the content's (a content cost near 0.001).

# %%
class SimpleAdam:
    """Minimal Adam optimizer with the torch.optim interface (zero_grad, step)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
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


def generate_image(content, style, steps, lr, alpha=10, beta=40):
    """
    Optimize the pixels of a generated image.

    Arguments:
    content, style -- tensors of shape (1, 3, H, W) with values in [0, 1]
    steps -- number of optimization steps
    lr -- learning rate

    Returns:
    G -- tensor (1, 3, H, W), the generated image
    costs -- list of `steps` Python floats, the total cost before each step
    """
    ### BEGIN SOLUTION
    a_C = get_activations(content)["relu3"].detach()
    style_all = get_activations(style)
    style_acts = [style_all[name].detach() for name, _ in STYLE_LAYERS]
    weights = [w for _, w in STYLE_LAYERS]
    G = (content + 0.2 * (torch.rand_like(content) - 0.5)).clamp(0, 1)
    G.requires_grad_(True)
    optimizer = SimpleAdam([G], lr=lr)
    costs = []
    for _ in range(steps):
        acts = get_activations(G)
        J_content = compute_content_cost(a_C, acts["relu3"])
        J_style = compute_style_cost(style_acts, [acts[name] for name, _ in STYLE_LAYERS], weights)
        J = total_cost(J_content, J_style, alpha, beta)
        optimizer.zero_grad()
        J.backward()
        optimizer.step()
        with torch.no_grad():
            G.clamp_(0, 1)
        costs.append(J.item())
    G = G.detach()
    ### END SOLUTION
    return G, costs


# %% [markdown]
# ## Congratulations!
#
# - The **content cost** compares activations directly at one layer.
# - The **style cost** compares **Gram matrices**: feature correlations, with the spatial layout
#   thrown away, at several layers.
# - Style transfer optimizes the **input pixels**, with the network's weights frozen: the same
#   backpropagation as training, applied to a different set of variables.
