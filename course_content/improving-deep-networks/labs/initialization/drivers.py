"""Helpers for tests that need more than one call into the notebook."""
import numpy as np


def train_and_report(ns, X, Y, learning_rate, num_iterations, initialization):
    """Train with the learner's `model` and summarise: recorded costs and training accuracy."""
    parameters, costs = ns["model"](X, Y, learning_rate=learning_rate,
                                    num_iterations=num_iterations,
                                    initialization=initialization)
    accuracy = ns["predict_accuracy"](X, Y, parameters)
    return {"costs": np.asarray(costs, dtype=float), "train_accuracy": float(accuracy)}
