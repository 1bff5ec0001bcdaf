"""Drivers for the style-transfer lab: convert inputs to float32 tensors and report costs as floats."""
import numpy as np
import torch


def _f(x):
    return torch.as_tensor(np.asarray(x), dtype=torch.float32)


def _scalar(v):
    return float(v.detach()) if torch.is_tensor(v) else float(v)


def content_cost(ns, a_C, a_G):
    return _scalar(ns["compute_content_cost"](_f(a_C), _f(a_G)))


def gram(ns, A):
    return ns["gram_matrix"](_f(A))


def layer_style_cost(ns, a_S, a_G):
    return _scalar(ns["compute_layer_style_cost"](_f(a_S), _f(a_G)))


def style_cost(ns, style_acts, gen_acts, layer_weights):
    return _scalar(ns["compute_style_cost"]([_f(a) for a in style_acts], [_f(a) for a in gen_acts],
                                            [float(w) for w in layer_weights]))


def style_cost_gradient(ns, a_S, a_G):
    """Gradient of the one-layer style cost with respect to a_G (checks that autograd flows)."""
    g = _f(a_G).requires_grad_(True)
    ns["compute_layer_style_cost"](_f(a_S), g).backward()
    return g.grad


def generate(ns, content, style, steps, lr):
    G, costs = ns["generate_image"](_f(content), _f(style), steps, lr)
    return {"costs": np.array([float(c) for c in costs]), "image": torch.as_tensor(G).detach()}


def generate_summary(ns, content, style, steps, lr):
    """The costs of each step, and the sum and sum of squares of the generated image's pixels."""
    G, costs = ns["generate_image"](_f(content), _f(style), steps, lr)
    G = torch.as_tensor(G).detach().double()
    return {"costs": np.array([float(c) for c in costs]),
            "pixel_sum": float(G.sum()), "pixel_sq_sum": float((G ** 2).sum())}
