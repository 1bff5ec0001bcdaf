"""Helpers for tests that need more than one call into the notebook."""
import numpy as np


def train_and_report(ns, X, Y, optimizer, learning_rate, num_epochs, mini_batch_size):
    """Train the notebook's model with the learner's functions; report costs and accuracy."""
    parameters, costs = ns["model"](X, Y, [X.shape[0], 5, 2, 1], optimizer,
                                    learning_rate=learning_rate, num_epochs=num_epochs,
                                    mini_batch_size=mini_batch_size)
    return {"costs": np.asarray(costs, dtype=float),
            "train_accuracy": ns["predict_accuracy"](X, Y, parameters)}


def momentum_steps(ns, parameters, grads_sequence, beta, learning_rate):
    """initialize_velocity, then one momentum step per gradient dict in grads_sequence."""
    v = ns["initialize_velocity"](parameters)
    for grads in grads_sequence:
        parameters, v = ns["update_parameters_with_momentum"](parameters, grads, v, beta,
                                                               learning_rate)
    return parameters, v


def adam_steps(ns, parameters, grads_sequence, learning_rate):
    """initialize_adam, then one Adam step (t = 1, 2, ...) per gradient dict in grads_sequence."""
    v, s = ns["initialize_adam"](parameters)
    for t, grads in enumerate(grads_sequence, start=1):
        parameters, v, s, _, _ = ns["update_parameters_with_adam"](parameters, grads, v, s, t,
                                                                   learning_rate)
    return parameters, v, s
