"""Helpers for tests that need more than one call into the notebook."""


def check_backward_pass(ns, X, Y, parameters, which):
    """Run the learner's gradient_check_n on the provided ("correct") or the colleague's backward pass."""
    cost, cache = ns["forward_propagation_n"](X, Y, parameters)
    backward = ns["backward_propagation_n" if which == "correct" else "backward_propagation_n_colleague"]
    gradients = backward(X, Y, cache)
    return ns["gradient_check_n"](parameters, gradients, X, Y)


def round_trip(ns, parameters, layer_dims):
    """dictionary_to_vector followed by vector_to_dictionary must give the parameters back."""
    theta = ns["dictionary_to_vector"](parameters)
    return ns["vector_to_dictionary"](theta, layer_dims)
