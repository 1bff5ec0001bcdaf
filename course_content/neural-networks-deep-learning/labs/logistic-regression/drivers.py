"""Drivers for the logistic-regression lab: multi-step checks built on the notebook."""

import numpy as np


def train_on_cats(ns, num_iterations, learning_rate):
    """Train the learner's `model` on the notebook's synthetic cat data set.

    The flattening is done here (not with the learner's `preprocess`) so that this test
    checks `model` alone. Returns a small summary that is easy to compare.
    """
    train_x_orig, train_y, test_x_orig, test_y, _ = ns["load_dataset"]()
    train_x = train_x_orig.reshape(train_x_orig.shape[0], -1).T / 255.0
    test_x = test_x_orig.reshape(test_x_orig.shape[0], -1).T / 255.0
    d = ns["model"](train_x, train_y, test_x, test_y,
                    num_iterations=num_iterations, learning_rate=learning_rate, print_cost=False)
    return {
        "costs": [float(c) for c in d["costs"]],
        "train_accuracy": float(100 - np.mean(np.abs(d["Y_prediction_train"] - train_y)) * 100),
        "test_accuracy": float(100 - np.mean(np.abs(d["Y_prediction_test"] - test_y)) * 100),
        "b": float(d["b"]),
    }
