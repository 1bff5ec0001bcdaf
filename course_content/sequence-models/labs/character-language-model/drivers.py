"""Drivers for the character-level language model lab.

The tests pass the alphabet as a string of letters; the index of "\\n" is always 0 and
letter k of the string gets index k + 1 (as in the notebook's char_to_ix)."""

import numpy as np


def _char_to_ix(letters):
    return {ch: i for i, ch in enumerate(["\n"] + list(letters))}


def _example(name, c2i):
    X = [None] + [c2i[ch] for ch in name]
    return X, X[1:] + [c2i["\n"]]


def build_example_outputs(ns, name, letters):
    X, Y = ns["build_example"](name, _char_to_ix(letters))
    # None (the "no character yet" input) is reported as -1
    return {"X": np.array([-1 if v is None else int(v) for v in X]),
            "Y": np.array([int(v) for v in Y])}


def sample_outputs(ns, parameters, letters, max_length=50, n_samples=1):
    """n_samples > 1 draws several names in a row and concatenates them."""
    indices = []
    for _ in range(n_samples):
        indices += [int(i) for i in ns["sample"](parameters, _char_to_ix(letters), max_length)]
    return np.array(indices)


def optimize_outputs(ns, name, letters, parameters, learning_rate, max_value=5):
    X, Y = _example(name, _char_to_ix(letters))
    n_a = parameters["Waa"].shape[0]
    loss, gradients, a_last, new_parameters = ns["optimize"](
        X, Y, np.zeros((n_a, 1)), parameters, learning_rate, max_value)
    return {"loss": float(loss), "gradients": gradients, "a_last": a_last,
            "parameters": new_parameters}


def model_outputs(ns, names, letters, num_iterations, n_a, learning_rate):
    parameters, losses = ns["model"](list(names), _char_to_ix(letters),
                                     num_iterations, n_a, learning_rate)
    return {"losses": np.asarray(losses), "by": parameters["by"],
            "Wya_norm": float(np.linalg.norm(parameters["Wya"]))}
