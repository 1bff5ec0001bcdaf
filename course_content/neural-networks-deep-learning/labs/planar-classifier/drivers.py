"""Drivers for the planar-classifier lab."""

import numpy as np


def train_flower(ns, n_h, num_iterations, learning_rate):
    """Train the learner's nn_model on the notebook's flower data; summarize the result.

    Accuracy is computed here from the returned parameters (tanh hidden layer, sigmoid
    output), so this test depends on nn_model alone, not on the learner's predict.
    """
    X, Y = ns["load_planar_dataset"]()
    parameters, costs = ns["nn_model"](X, Y, n_h, num_iterations=num_iterations,
                                       learning_rate=learning_rate, print_cost=False)
    A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
    A2 = 1 / (1 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
    accuracy = float(np.mean((A2 > 0.5) == Y) * 100)
    return {"costs": [float(c) for c in costs], "accuracy": accuracy}
