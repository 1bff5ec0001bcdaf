"""Tests for the planar-classifier lab (course 1, week 3)."""

import numpy as np

from course_content.labkit import Mistake, Test


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------ fixed example
P0 = {"W1": np.array([[0.1, -0.2], [0.3, 0.05], [-0.15, 0.25]]),
      "b1": np.array([[0.01], [-0.02], [0.0]]),
      "W2": np.array([[0.4, -0.3, 0.2]]),
      "b2": np.array([[0.05]])}
X0 = np.array([[1.0, -0.5, 2.0, 0.3], [0.5, 1.5, -1.0, -0.7]])
Y0 = np.array([[1, 0, 1, 0]])


def _forward(X, p, hidden=np.tanh):
    Z1 = p["W1"] @ X + p["b1"]
    A1 = hidden(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = _sig(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


C0 = _forward(X0, P0)[1]
G0 = {"dW1": np.array([[0.02, -0.01], [0.005, 0.03], [-0.02, 0.01]]),
      "db1": np.array([[0.001], [-0.002], [0.003]]),
      "dW2": np.array([[-0.05, 0.04, 0.01]]),
      "db2": np.array([[0.02]])}


# ------------------------------------------------------------ hidden inputs
def _params(rng, n_x, n_h, n_y=1, scale=0.5):
    return {"W1": rng.standard_normal((n_h, n_x)) * scale, "b1": rng.standard_normal((n_h, 1)) * 0.1,
            "W2": rng.standard_normal((n_y, n_h)) * scale, "b2": rng.standard_normal((n_y, 1)) * 0.1}


def _sizes(rng):
    return int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.integers(5, 15))


def random_layer_sizes(rng):
    n_x, n_y, m = int(rng.integers(2, 9)), int(rng.integers(1, 4)), int(rng.integers(3, 12))
    return {"X": rng.standard_normal((n_x, m)), "Y": rng.integers(0, 2, (n_y, m))}


def random_init(rng):
    return {"n_x": int(rng.integers(2, 8)), "n_h": int(rng.integers(2, 8)), "n_y": int(rng.integers(1, 3))}


def random_forward(rng):
    n_x, n_h, m = _sizes(rng)
    return {"X": rng.standard_normal((n_x, m)), "parameters": _params(rng, n_x, n_h)}


def random_cost(rng):
    m = int(rng.integers(3, 20))
    return {"A2": rng.uniform(0.02, 0.98, (1, m)), "Y": rng.integers(0, 2, (1, m))}


def random_backward(rng):
    n_x, n_h, m = _sizes(rng)
    X = rng.standard_normal((n_x, m))
    p = _params(rng, n_x, n_h)
    return {"parameters": p, "cache": _forward(X, p)[1], "X": X, "Y": rng.integers(0, 2, (1, m))}


def random_update(rng):
    n_x, n_h, _ = _sizes(rng)
    p = _params(rng, n_x, n_h)
    g = {"d" + k: v * 0.1 for k, v in _params(rng, n_x, n_h).items()}
    return {"parameters": p, "grads": g, "learning_rate": float(rng.uniform(0.01, 2.0))}


def random_nn_model(rng):
    n_x, m = int(rng.integers(2, 4)), int(rng.integers(20, 40))
    X = rng.standard_normal((n_x, m))
    Y = (np.sum(X ** 2, axis=0, keepdims=True) > n_x).astype(int)   # a circle: not linear
    return {"X": X, "Y": Y, "n_h": int(rng.integers(2, 6)), "num_iterations": 1001,
            "learning_rate": float(rng.uniform(0.3, 1.5)), "print_cost": False}


def random_predict(rng):
    n_x, n_h, m = _sizes(rng)
    return {"parameters": _params(rng, n_x, n_h, scale=1.5), "X": rng.standard_normal((n_x, m))}


def _binary(output, inputs):
    out = np.asarray(output)
    if out.ndim != 2 or out.shape[0] != 1:
        return f"predictions must have shape (1, m); got {out.shape}"
    if not np.all((out == 0) | (out == 1)):
        return "predictions must be 0 or 1: threshold A2 at 0.5"
    return None


TESTS = [
    # layer_sizes
    Test("layer_sizes of a (5, 3) input and (2, 3) labels", call="layer_sizes",
         inputs={"X": np.zeros((5, 3)), "Y": np.zeros((2, 3))}, expected=(5, 4, 2), public=True),
    Test("layer_sizes on random shapes", call="layer_sizes", inputs=random_layer_sizes),
    # initialize_parameters
    Test("initialize_parameters(2, 4, 1) after seed 2", call="initialize_parameters",
         inputs={"n_x": 2, "n_h": 4, "n_y": 1}, seed=2, public=True,
         expected={"W1": np.array([[-0.00416757847405, -0.000562668272263],
                                   [-0.0213619609567, 0.016402708084],
                                   [-0.0179343558519, -0.00841747365656],
                                   [0.00502881417158, -0.0124528808661]]),
                   "b1": np.array([[0.0], [0.0], [0.0], [0.0]]),
                   "W2": np.array([[-0.0105795221886, -0.00909007614927, 0.00551454044546,
                                    0.0229220801281]]),
                   "b2": np.array([[0.0]])}),
    Test("initialize_parameters with random sizes", call="initialize_parameters", inputs=random_init,
         seed=7),
    # forward_propagation
    Test("forward_propagation on the 3-unit example", call="forward_propagation",
         inputs={"X": X0, "parameters": P0}, public=True,
         expected=(np.array([[0.490060416331, 0.507950183409, 0.489919041979, 0.516851869819]]),
                   {"Z1": np.array([[0.01, -0.34, 0.41, 0.18], [0.305, -0.095, 0.53, 0.035],
                                    [-0.025, 0.45, -0.55, -0.22]]),
                    "A1": np.array([[0.00999966668, -0.327477394809, 0.388472680216, 0.178080868117],
                                    [0.295881604161, -0.0947152362862, 0.485381090605, 0.0349857153328],
                                    [-0.0249947929684, 0.42189900525, -0.50052021119, -0.216518061493]]),
                    "Z2": np.array([[-0.0397635731701, 0.0318034140124, -0.0403292973332,
                                     0.0674330203485]]),
                    "A2": np.array([[0.490060416331, 0.507950183409, 0.489919041979,
                                     0.516851869819]])})),
    Test("forward_propagation on random networks", call="forward_propagation", inputs=random_forward),
    # compute_cost
    Test("compute_cost of three predictions", call="compute_cost",
         inputs={"A2": np.array([[0.6, 0.3, 0.9]]), "Y": np.array([[1, 0, 1]])},
         expected=0.3242870277875165, public=True),
    Test("compute_cost on random predictions", call="compute_cost", inputs=random_cost),
    # backward_propagation
    Test("backward_propagation on the 3-unit example", call="backward_propagation",
         inputs={"parameters": P0, "cache": C0, "X": X0, "Y": Y0}, public=True,
         expected={"dW1": np.array([[-0.145269695096, 0.0508052393958],
                                    [0.100645832733, -0.0413247675691],
                                    [-0.0667596378927, 0.0204476484576]]),
                   "db1": np.array([[0.00109452125211], [-0.0123305722921], [0.000912062893747]]),
                   "dW2": np.array([[-0.0693881289607, -0.10712339575, 0.0926118938293]]),
                   "db2": np.array([[0.00119537788428]])}),
    Test("backward_propagation on random networks", call="backward_propagation",
         inputs=random_backward),
    # update_parameters
    Test("update_parameters with learning rate 0.5", call="update_parameters",
         inputs={"parameters": P0, "grads": G0, "learning_rate": 0.5}, public=True,
         expected={"W1": np.array([[0.09, -0.195], [0.2975, 0.035], [-0.14, 0.245]]),
                   "b1": np.array([[0.0095], [-0.019], [-0.0015]]),
                   "W2": np.array([[0.425, -0.32, 0.195]]),
                   "b2": np.array([[0.04]])}),
    Test("update_parameters on random networks", call="update_parameters", inputs=random_update),
    # nn_model
    Test("nn_model with 2 hidden units on four points (seed 1)", call="nn_model",
         inputs={"X": X0, "Y": Y0, "n_h": 2, "num_iterations": 2001, "learning_rate": 1.2,
                 "print_cost": False}, seed=1, public=True,
         expected=({"W1": np.array([[2.57974015146, 0.860116739841], [-2.54592711866, -0.846266246099]]),
                    "b1": np.array([[-1.49567789716], [1.4736215407]]),
                    "W2": np.array([[4.66726754632, -4.56579007693]]),
                    "b2": np.array([[-0.304608566428]])},
                   [0.693073883901, 0.000453583639721, 0.000221478985412]),
         rtol=1e-4, atol=1e-8),
    Test("nn_model on the flower data: 4 hidden units, 2001 iterations (seed 3)",
         call="train_flower", inputs={"n_h": 4, "num_iterations": 2001, "learning_rate": 1.2},
         seed=3, public=True, points=2, rtol=1e-4,
         expected={"costs": [0.693167719952705, 0.2171821258812184, 0.2063787833367803],
                   "accuracy": 92.75}),
    Test("nn_model on random circular data", call="nn_model", inputs=random_nn_model, seed=4,
         rtol=1e-4, atol=1e-7),
    Test("nn_model on the flower data: 2 hidden units", call="train_flower",
         inputs={"n_h": 2, "num_iterations": 1001, "learning_rate": 1.2}, seed=1, rtol=1e-4),
    # predict
    Test("predict on the four example points", call="predict",
         inputs={"parameters": {"W1": np.array([[1.0, -2.0], [0.5, 1.5], [-1.0, 1.0]]),
                                "b1": np.array([[0.0], [0.1], [-0.2]]),
                                "W2": np.array([[1.5, -2.0, 1.0]]), "b2": np.array([[0.3]])},
                 "X": X0},
         expected=np.array([[0.0, 0.0, 1.0, 1.0]]), public=True, check=_binary),
    Test("predict on random networks", call="predict", inputs=random_predict, check=_binary),
]


# ------------------------------------------------------------ known mistakes
def _init_variant(n_x, n_h, n_y, scale=0.01, transpose_w2=False):
    W1 = np.random.randn(n_h, n_x) * scale
    W2 = np.random.randn(n_h, n_y) * scale if transpose_w2 else np.random.randn(n_y, n_h) * scale
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def _cost_variant(A2, Y, sign=-1.0, divide=True, only_positive=False):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) if only_positive else Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    return float(sign * np.sum(logprobs) / (m if divide else 1))


def _backward_variant(parameters, cache, X, Y, deriv="tanh", divide=True, db_axis=1):
    m = X.shape[1]
    W2, A1, A2 = parameters["W2"], cache["A1"], cache["A2"]
    k = m if divide else 1
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / k
    db2 = np.sum(dZ2, axis=db_axis, keepdims=True) / k
    gprime = {"tanh": 1 - A1 ** 2, "sigmoid": A1 * (1 - A1), "none": 1.0, "one-minus-A": 1 - A1}[deriv]
    dZ1 = (W2.T @ dZ2) * gprime
    dW1 = dZ1 @ X.T / k
    db1 = np.sum(dZ1, axis=db_axis, keepdims=True) / k
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def _update_variant(parameters, grads, learning_rate=1.2, sign=-1.0, fixed_rate=None):
    lr = learning_rate if fixed_rate is None else fixed_rate
    return {k: parameters[k] + sign * lr * grads["d" + k] for k in ("W1", "b1", "W2", "b2")}


def _nn_model_variant(X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False,
                      fixed_rate=None, use_n_h_4=False):
    n_x, n_y = X.shape[0], Y.shape[0]
    p = _init_variant(n_x, 4 if use_n_h_4 else n_h, n_y)
    costs = []
    for i in range(num_iterations):
        A2, cache = _forward(X, p)
        cost = _cost_variant(A2, Y)
        grads = _backward_variant(p, cache, X, Y)
        p = _update_variant(p, grads, learning_rate, fixed_rate=fixed_rate)
        if i % 1000 == 0:
            costs.append(cost)
    return p, costs


MISTAKES = [
    Mistake(call="layer_sizes", name="used the number of examples",
            impl=lambda X, Y: (X.shape[1], 4, Y.shape[1]),
            hint="Examples are columns, so the number of features is X.shape[0] (rows), and the "
                 "output size is Y.shape[0]. X.shape[1] is the number of examples m."),
    Mistake(call="initialize_parameters", name="forgot the 0.01 scaling",
            impl=lambda n_x, n_h, n_y: _init_variant(n_x, n_h, n_y, scale=1.0),
            hint="Multiply the random weights by 0.01. Large weights push tanh and sigmoid into "
                 "their flat regions, where gradients are tiny and learning is slow."),
    Mistake(call="initialize_parameters", name="zero weights",
            impl=lambda n_x, n_h, n_y: _init_variant(n_x, n_h, n_y, scale=0.0),
            hint="With all-zero weights every hidden unit computes the same thing and gets the "
                 "same gradient, so they never differ. Use np.random.randn(...) * 0.01."),
    Mistake(call="initialize_parameters", name="W2 with transposed shape",
            impl=lambda n_x, n_h, n_y: _init_variant(n_x, n_h, n_y, transpose_w2=True),
            hint="W[l] has shape (units in layer l, units in layer l-1): W2 is (n_y, n_h)."),
    Mistake(call="forward_propagation", name="sigmoid in the hidden layer",
            impl=lambda X, parameters: _forward(X, parameters, hidden=_sig),
            hint="The hidden layer uses tanh (np.tanh); only the output unit uses the sigmoid."),
    Mistake(call="forward_propagation", name="forgot the biases",
            impl=lambda X, parameters: _forward(X, {**parameters, "b1": 0 * parameters["b1"],
                                                    "b2": 0 * parameters["b2"]}),
            hint="Each layer computes Z = W A_prev + b: add b1 and b2 (broadcasting handles the "
                 "shapes)."),
    Mistake(call="compute_cost", name="forgot the minus sign",
            impl=lambda A2, Y: _cost_variant(A2, Y, sign=1.0),
            hint="Logs of probabilities are negative; the cross-entropy has a leading minus so "
                 "the cost is positive."),
    Mistake(call="compute_cost", name="forgot to divide by m",
            impl=lambda A2, Y: _cost_variant(A2, Y, divide=False),
            hint="The cost is the average loss over the m examples: divide the sum by m."),
    Mistake(call="compute_cost", name="dropped the (1 - Y) log(1 - A2) term",
            impl=lambda A2, Y: _cost_variant(A2, Y, only_positive=True),
            hint="The loss has two terms: Y log(A2) for positive examples and (1 - Y) log(1 - A2) "
                 "for negative ones."),
    Mistake(call="backward_propagation", name="sigmoid derivative for the tanh layer",
            impl=lambda parameters, cache, X, Y: _backward_variant(parameters, cache, X, Y,
                                                                   deriv="sigmoid"),
            hint="The hidden layer is tanh, whose derivative is 1 - A1^2 (np.power(A1, 2)), "
                 "not A1 * (1 - A1)."),
    Mistake(call="backward_propagation", name="1 - A1 instead of 1 - A1^2",
            impl=lambda parameters, cache, X, Y: _backward_variant(parameters, cache, X, Y,
                                                                   deriv="one-minus-A"),
            hint="tanh'(z) = 1 - tanh(z)^2: square A1 before subtracting it from 1."),
    Mistake(call="backward_propagation", name="forgot g'(Z1)",
            impl=lambda parameters, cache, X, Y: _backward_variant(parameters, cache, X, Y,
                                                                   deriv="none"),
            hint="dZ1 = W2^T dZ2 multiplied element-wise by the derivative of tanh, (1 - A1^2)."),
    Mistake(call="backward_propagation", name="forgot to divide by m",
            impl=lambda parameters, cache, X, Y: _backward_variant(parameters, cache, X, Y,
                                                                   divide=False),
            hint="dW1, db1, dW2 and db2 average over the m examples: divide each by m."),
    Mistake(call="update_parameters", name="gradient ascent",
            impl=lambda parameters, grads, learning_rate=1.2: _update_variant(parameters, grads,
                                                                              learning_rate, sign=1.0),
            hint="Move against the gradient: theta = theta - learning_rate * dtheta."),
    Mistake(call="update_parameters", name="ignored the learning_rate argument",
            impl=lambda parameters, grads, learning_rate=1.2: _update_variant(parameters, grads,
                                                                              fixed_rate=1.2),
            hint="Use the learning_rate passed in, not a hard-coded 1.2."),
    Mistake(call="nn_model", name="used 4 hidden units instead of n_h",
            impl=lambda X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False:
                _nn_model_variant(X, Y, n_h, num_iterations, learning_rate, use_n_h_4=True),
            hint="layer_sizes proposes n_h = 4, but nn_model must use its n_h argument when it "
                 "initializes the parameters."),
    Mistake(call="nn_model", name="ignored the learning_rate argument",
            impl=lambda X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False:
                _nn_model_variant(X, Y, n_h, num_iterations, learning_rate, fixed_rate=1.2),
            hint="Pass learning_rate on to update_parameters; otherwise its default 1.2 is used."),
    Mistake(call="predict", name="returned a boolean array",
            impl=lambda parameters, X: _forward(X, parameters)[0] > 0.5,
            hint="A2 > 0.5 is an array of True/False. Convert it to 0.0/1.0 with .astype(float)."),
    Mistake(call="predict", name="returned probabilities",
            impl=lambda parameters, X: _forward(X, parameters)[0],
            hint="predict returns labels: threshold A2 with (A2 > 0.5).astype(float)."),
    Mistake(call="predict", name="thresholded Z2 instead of A2",
            impl=lambda parameters, X: (_forward(X, parameters)[1]["Z2"] > 0.5).astype(float),
            hint="Compare the probability A2 (after the sigmoid) with 0.5, not Z2."),
]
