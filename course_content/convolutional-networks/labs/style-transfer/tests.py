import numpy as np
import torch
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

# ---------- copies of the lab's fixed extractor and images (must match lab.py) ----------

_g = torch.Generator().manual_seed(0)
_EXTRACTOR = [(torch.randn(o, i, 3, 3, generator=_g) * (2.0 / (9 * i)) ** 0.5, 0.05 * torch.randn(o, generator=_g))
              for o, i in [(8, 3), (8, 8), (16, 8), (16, 16)]]
_LAYERS = ["relu1", "relu2", "relu3", "relu4"]
_STYLE_LAYERS = [("relu1", 0.2), ("relu2", 0.2), ("relu3", 0.3), ("relu4", 0.3)]


def _acts(image):
    acts, x = {}, image
    for k, (w, b) in enumerate(_EXTRACTOR):
        x = F.relu(F.conv2d(x, w, b, padding=1))
        acts[_LAYERS[k]] = x
        if k == 1:
            x = F.avg_pool2d(x, 2)
    return acts


def content_image(size=16):
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    img = np.stack([0.2 + 0.5 * xx, 0.3 + 0.4 * yy, 0.6 - 0.3 * xx], axis=0)
    disc = (yy - 0.45) ** 2 + (xx - 0.55) ** 2 < 0.08
    img[:, disc] = np.array([0.95, 0.85, 0.2])[:, None]
    return img[None].astype(np.float32)


def style_image(size=16):
    yy, xx = np.mgrid[0:size, 0:size]
    palette = np.array([[0.9, 0.2, 0.1], [0.1, 0.3, 0.8], [0.95, 0.9, 0.3]])
    return palette[((xx + yy) // 2) % 3].transpose(2, 0, 1)[None].astype(np.float32)


# ---------- random inputs ----------

def _act(rng, c, h, w):
    return np.maximum(rng.standard_normal((1, c, h, w)), 0.0)


def random_pair(rng):
    c, h, w = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(3, 7))
    return {"a_C": _act(rng, c, h, w), "a_G": _act(rng, c, h, w)}


def random_gram(rng):
    return {"A": rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(3, 10))))}


def random_style_pair(rng):
    c, h, w = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(3, 7))
    return {"a_S": _act(rng, c, h, w), "a_G": _act(rng, c, h, w)}


def random_layers(rng):
    shapes = [(int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(2, 5))) for _ in range(3)]
    return {"style_acts": [_act(rng, *s) for s in shapes], "gen_acts": [_act(rng, *s) for s in shapes],
            "layer_weights": [float(w) for w in rng.dirichlet(np.ones(3))]}


def random_images(rng):
    size = int(rng.choice([8, 12]))
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    c = np.stack([xx, yy, 1 - xx], axis=0) * rng.uniform(0.3, 1.0, size=(3, 1, 1))
    s = rng.random((3, size, size))
    return {"content": c[None].astype(np.float32), "style": s[None].astype(np.float32), "steps": 4, "lr": 0.03}


TWO_CHANNELS = np.array([[[[1.0, 0.0]], [[0.0, 1.0]]]])  # (1, 2, 1, 2): unrolled, the 2x2 identity

TESTS = [
    # Exercise 1
    Test("content cost of ones against zeros", call="content_cost",
         inputs={"a_C": np.ones((1, 1, 2, 2)), "a_G": np.zeros((1, 1, 2, 2))}, expected=0.25, public=True),
    Test("content cost with three channels", call="content_cost",
         inputs={"a_C": np.arange(12.0).reshape(1, 3, 2, 2), "a_G": np.arange(12.0).reshape(1, 3, 2, 2) + 0.5},
         expected=12 * 0.25 / (4 * 2 * 2 * 3), public=True),
    Test("content cost, random activations", call="content_cost", inputs=random_pair, rtol=1e-4),
    # Exercise 2
    Test("Gram matrix of a 2x3 matrix", call="gram",
         inputs={"A": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])},
         expected=np.array([[14.0, 32.0], [32.0, 77.0]]), public=True),
    Test("Gram matrix, random matrix", call="gram", inputs=random_gram, rtol=1e-4, atol=1e-5),
    # Exercise 3
    Test("layer style cost against zeros", call="layer_style_cost",
         inputs={"a_S": TWO_CHANNELS, "a_G": np.zeros((1, 2, 1, 2))}, expected=2 / 64, public=True),
    Test("layer style cost detects a channel mix-up", call="layer_style_cost",
         inputs={"a_S": np.array([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]]]),
                 "a_G": np.array([[[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]]])},
         expected=(26 ** 2 + 2 * 1 ** 2 + 6 ** 2) / (4 * 2 ** 2 * 4 ** 2), public=True),
    Test("layer style cost, random activations", call="layer_style_cost", inputs=random_style_pair, rtol=1e-4),
    Test("layer style cost is differentiable", call="style_cost_gradient", inputs=random_style_pair,
         rtol=1e-4, atol=1e-6),
    # Exercise 4
    Test("weighted style cost of two layers", call="style_cost",
         inputs={"style_acts": [TWO_CHANNELS, np.ones((1, 1, 2, 2))],
                 "gen_acts": [np.zeros((1, 2, 1, 2)), np.zeros((1, 1, 2, 2))], "layer_weights": [0.5, 0.25]},
         expected=0.5 * 2 / 64 + 0.25 * 16 / 64, public=True),
    Test("weighted style cost, random layers", call="style_cost", inputs=random_layers, rtol=1e-4),
    # Exercise 5
    Test("total cost with the default weights", call="total_cost",
         inputs={"J_content": 2.0, "J_style": 0.5, "alpha": 10, "beta": 40}, expected=40.0, public=True),
    Test("total cost with other weights", call="total_cost",
         inputs={"J_content": 0.3, "J_style": 1.5, "alpha": 1, "beta": 1000}, expected=1500.3, public=True),
    Test("total cost, random values", call="total_cost",
         inputs=lambda rng: {"J_content": float(rng.random()), "J_style": float(rng.random()),
                             "alpha": float(rng.uniform(1, 20)), "beta": float(rng.uniform(10, 100))}),
    # Exercise 6
    Test("five steps of style transfer", call="generate_summary",
         inputs={"content": content_image(), "style": style_image(), "steps": 5, "lr": 0.02},
         expected={"costs": np.array([0.063196704, 0.054053452, 0.048069905, 0.044412903, 0.042791985]),
                   "pixel_sum": 402.3172, "pixel_sq_sum": 243.62523},
         public=True, rtol=1e-4, atol=1e-6),
    Test("five steps of style transfer: the generated image", call="generate",
         inputs={"content": content_image(), "style": style_image(), "steps": 5, "lr": 0.02},
         public=True, rtol=1e-4, atol=1e-6),
    Test("style transfer on random images", call="generate", inputs=random_images, rtol=1e-4, atol=1e-6),
]


# ---------- known mistakes ----------

def _cc(a_C, a_G, mode="ok"):
    _, n_C, n_H, n_W = a_G.shape
    s = torch.sum((a_C - a_G) ** 2)
    if mode == "no_norm":
        return s
    if mode == "no_four":
        return s / (n_H * n_W * n_C)
    return s / (4 * n_H * n_W * n_C)


def _lsc(a_S, a_G, mode="ok"):
    _, n_C, n_H, n_W = a_G.shape
    if mode == "scrambled":
        A_S, A_G = a_S[0].reshape(n_H * n_W, n_C).T, a_G[0].reshape(n_H * n_W, n_C).T
    else:
        A_S, A_G = a_S[0].reshape(n_C, n_H * n_W), a_G[0].reshape(n_C, n_H * n_W)
    s = torch.sum((A_S @ A_S.T - A_G @ A_G.T) ** 2)
    if mode == "unsquared_norm":
        return s / (4 * n_C * n_H * n_W)
    return s / (4 * n_C ** 2 * (n_H * n_W) ** 2)


def _sc(style_acts, gen_acts, layer_weights, mode="ok"):
    J = torch.zeros(())
    for a_S, a_G, w in zip(style_acts, gen_acts, layer_weights):
        term = _lsc(a_S, a_G) if mode == "unweighted" else w * _lsc(a_S, a_G)
        J = term if mode == "overwrite" else J + term
    return J


class _Adam:
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
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.sub_(self.lr * (m / (1 - self.b1 ** self.t)) / ((v / (1 - self.b2 ** self.t)).sqrt() + self.eps))


def _generate(content, style, steps, lr, alpha=10, beta=40, mode="ok"):
    a_C = _acts(content)["relu3"].detach()
    sa = _acts(style)
    style_acts = [sa[n].detach() for n, _ in _STYLE_LAYERS]
    weights = [w for _, w in _STYLE_LAYERS]
    noise = torch.rand_like(content)
    G = noise.clone() if mode == "pure_noise" else (content + 0.2 * (noise - 0.5)).clamp(0, 1)
    G.requires_grad_(True)
    opt = _Adam([G], lr=lr)
    costs = []
    for _ in range(steps):
        acts = _acts(G)
        J = alpha * _cc(a_C, acts["relu3"]) + beta * _sc(style_acts, [acts[n] for n, _ in _STYLE_LAYERS], weights)
        if mode != "no_zero_grad":
            opt.zero_grad()
        J.backward()
        opt.step()
        if mode != "no_clamp":
            with torch.no_grad():
                G.clamp_(0, 1)
        costs.append(J.item())
    return G.detach(), costs


MISTAKES = [
    Mistake(call="compute_content_cost", name="no normalization", impl=lambda a_C, a_G: _cc(a_C, a_G, "no_norm"),
            hint="Divide the sum of squared differences by 4 * n_H * n_W * n_C."),
    Mistake(call="compute_content_cost", name="forgot the 4", impl=lambda a_C, a_G: _cc(a_C, a_G, "no_four"),
            hint="The normalization is 1 / (4 n_H n_W n_C): you left out the factor 4."),
    Mistake(call="gram_matrix", name="A^T A instead of A A^T", impl=lambda A: A.T @ A,
            hint="The Gram matrix correlates channels: with A of shape (n_C, n_H*n_W) it is A @ A.T, of shape "
                 "(n_C, n_C). A.T @ A compares positions instead."),
    Mistake(call="gram_matrix", name="element-wise square", impl=lambda A: A * A,
            hint="Use a matrix product (A @ A.T), not the element-wise product A * A."),
    Mistake(call="compute_layer_style_cost", name="channels scrambled by the unroll",
            impl=lambda a_S, a_G: _lsc(a_S, a_G, "scrambled"),
            hint="With activations (1, n_C, n_H, n_W), unroll with a[0].reshape(n_C, n_H * n_W). Reshaping to "
                 "(n_H * n_W, n_C) and transposing gives the right shape but mixes values from different channels."),
    Mistake(call="compute_layer_style_cost", name="normalization not squared",
            impl=lambda a_S, a_G: _lsc(a_S, a_G, "unsquared_norm"),
            hint="The layer style cost divides by 4 * n_C**2 * (n_H * n_W)**2: both factors are squared, because "
                 "each Gram entry is a sum over n_H * n_W products."),
    Mistake(call="compute_style_cost", name="ignored the layer weights",
            impl=lambda style_acts, gen_acts, layer_weights: _sc(style_acts, gen_acts, layer_weights, "unweighted"),
            hint="Multiply each layer's cost by its weight lambda_l before adding it."),
    Mistake(call="compute_style_cost", name="overwrote instead of accumulating",
            impl=lambda style_acts, gen_acts, layer_weights: _sc(style_acts, gen_acts, layer_weights, "overwrite"),
            hint="Only the last layer's cost survived: add each weighted layer cost to a running total "
                 "(J_style = J_style + weight * cost)."),
    Mistake(call="total_cost", name="alpha and beta swapped",
            impl=lambda J_content, J_style, alpha=10, beta=40: beta * J_content + alpha * J_style,
            hint="alpha weighs the content cost and beta the style cost: J = alpha * J_content + beta * J_style."),
    Mistake(call="generate_image", name="no clamping", impl=lambda content, style, steps, lr, alpha=10, beta=40:
            _generate(content, style, steps, lr, alpha, beta, "no_clamp"),
            hint="After each optimizer step, clamp the pixels to [0, 1] inside torch.no_grad() (G.clamp_(0, 1))."),
    Mistake(call="generate_image", name="started from pure noise", impl=lambda content, style, steps, lr, alpha=10, beta=40:
            _generate(content, style, steps, lr, alpha, beta, "pure_noise"),
            hint="Initialize G as the content image plus noise: (content + 0.2 * (torch.rand_like(content) - 0.5)).clamp(0, 1)."),
    Mistake(call="generate_image", name="forgot zero_grad", impl=lambda content, style, steps, lr, alpha=10, beta=40:
            _generate(content, style, steps, lr, alpha, beta, "no_zero_grad"),
            hint="Call optimizer.zero_grad() before J.backward() at every step; otherwise G.grad accumulates the "
                 "gradients of all previous steps."),
]
