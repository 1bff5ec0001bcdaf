"""Drivers for the deep-network step-by-step lab."""


def train_steps(ns, X, Y, layer_dims, num_iterations, learning_rate):
    """Run the full training loop with the learner's building blocks.

    Returns the costs of every iteration and the final parameters.
    """
    parameters = ns["initialize_parameters_deep"](layer_dims)
    costs = []
    for _ in range(num_iterations):
        AL, caches = ns["L_model_forward"](X, parameters)
        costs.append(float(ns["compute_cost"](AL, Y)))
        grads = ns["L_model_backward"](AL, Y, caches)
        parameters = ns["update_parameters"](parameters, grads, learning_rate)
    return {"costs": costs, "parameters": parameters}
