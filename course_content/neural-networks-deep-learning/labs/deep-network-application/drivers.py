"""Drivers for the deep-network application lab."""

import numpy as np


def _accuracy(parameters, X, Y):
    """Accuracy (in %) of a ReLU / sigmoid network, computed independently of the learner."""
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        Z = parameters["W" + str(l)] @ A + parameters["b" + str(l)]
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return float(np.mean((A > 0.5) == Y) * 100)


def train_on_cats(ns, model, layers_dims, num_iterations, learning_rate):
    """Train the learner's two_layer_model or L_layer_model on the notebook's images."""
    train_x_orig, train_y, test_x_orig, test_y, _ = ns["load_data"]()
    train_x = train_x_orig.reshape(train_x_orig.shape[0], -1).T / 255.0
    test_x = test_x_orig.reshape(test_x_orig.shape[0], -1).T / 255.0
    fn = ns["two_layer_model"] if model == "two_layer" else ns["L_layer_model"]
    parameters, costs = fn(train_x, train_y, layers_dims, learning_rate=learning_rate,
                           num_iterations=num_iterations, print_cost=False)
    return {"costs": [float(c) for c in costs],
            "train_accuracy": _accuracy(parameters, train_x, train_y),
            "test_accuracy": _accuracy(parameters, test_x, test_y)}
