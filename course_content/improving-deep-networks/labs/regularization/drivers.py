"""Helpers for tests that need more than one call into the notebook."""
import numpy as np


def dropout_forward_summary(ns, X, parameters, keep_prob):
    """Run the learner's dropout forward pass; keep the output and the two masks."""
    A3, cache = ns["forward_propagation_with_dropout"](X, parameters, keep_prob)
    return {"A3": A3, "D1": np.asarray(cache[1], dtype=float), "D2": np.asarray(cache[6], dtype=float)}


def dropout_forward_backward(ns, X, Y, parameters, keep_prob):
    """One forward pass with dropout followed by the matching backward pass."""
    A3, cache = ns["forward_propagation_with_dropout"](X, parameters, keep_prob)
    return ns["backward_propagation_with_dropout"](X, Y, cache, keep_prob)


def train_and_report(ns, X, Y, learning_rate, num_iterations, lambd, keep_prob):
    """Train with the learner's `model`; report the recorded costs and the training accuracy."""
    parameters, costs = ns["model"](X, Y, learning_rate=learning_rate,
                                    num_iterations=num_iterations, lambd=lambd,
                                    keep_prob=keep_prob)
    return {"costs": np.asarray(costs, dtype=float),
            "train_accuracy": ns["predict_accuracy"](X, Y, parameters)}
