import numpy as np

from course_content.labkit import Mistake, Test


# ----------------------------------------------------------------------------- a private copy of the network
def _forward(X, Y, p):
    m = X.shape[1]
    A1 = np.maximum(0, p["W1"] @ X + p["b1"])
    A2 = np.maximum(0, p["W2"] @ A1 + p["b2"])
    A3 = 1.0 / (1.0 + np.exp(-(p["W3"] @ A2 + p["b3"])))
    return float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m), (A1, A2, A3)


def _backward(X, Y, p, bug=None):
    m = X.shape[1]
    _, (A1, A2, A3) = _forward(X, Y, p)
    dZ3 = A3 - Y
    dZ2 = (p["W3"].T @ dZ3) * (A2 > 0)
    dZ1 = (p["W2"].T @ dZ2) * (A1 > 0)
    g = {"dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m,
         "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m,
         "dW3": dZ3 @ A2.T / m, "db3": dZ3.sum(axis=1, keepdims=True) / m}
    if bug is not None:
        key, factor = bug
        g[key] = g[key] * factor
    return g


def _to_vector(d, prefix=""):
    L = len(d) // 2
    return np.concatenate([d[prefix + name + str(l)].reshape(-1, 1)
                           for l in range(1, L + 1) for name in ("W", "b")], axis=0)


def _to_dict(theta, dims):
    p, start = {}, 0
    for l in range(1, len(dims)):
        r, c = dims[l], dims[l - 1]
        p["W" + str(l)] = theta[start:start + r * c].reshape(r, c)
        start += r * c
        p["b" + str(l)] = theta[start:start + r].reshape(r, 1)
        start += r
    return p


def _dims(p):
    L = len(p) // 2
    return [p["W1"].shape[1]] + [p["W" + str(l)].shape[0] for l in range(1, L + 1)]


def make_parameters(rng, dims, scale=1.0):
    p = {}
    for l in range(1, len(dims)):
        p["W" + str(l)] = scale * rng.standard_normal((dims[l], dims[l - 1]))
        p["b" + str(l)] = scale * rng.standard_normal((dims[l], 1))
    return p


# ----------------------------------------------------------------------------- inputs
_rng = np.random.default_rng(3)
X_CHECK = _rng.standard_normal((4, 3))
Y_CHECK = np.array([[1.0, 1.0, 0.0]])
P_CHECK = make_parameters(_rng, [4, 5, 3, 1])
P_SMALL = {"W1": np.array([[1.0, 2.0], [3.0, 4.0]]), "b1": np.array([[5.0], [6.0]]),
           "W2": np.array([[7.0, 8.0]]), "b2": np.array([[9.0]])}


def random_scalars(rng):
    return {"x": float(rng.uniform(-5, 5)), "theta": float(rng.uniform(-5, 5))}


def random_parameters(rng):
    dims = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 5)) + 1)]
    return {"parameters": make_parameters(rng, dims)}


def random_vector(rng):
    dims = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(2, 5)) + 1)]
    n = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    return {"theta": rng.standard_normal((n, 1)), "layer_dims": dims}


def random_round_trip(rng):
    inputs = random_parameters(rng)
    return {"parameters": inputs["parameters"], "layer_dims": _dims(inputs["parameters"])}


def random_network(bug):
    def inputs(rng):
        dims = [int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(2, 5)), 1]
        m = int(rng.integers(2, 6))
        X = rng.standard_normal((dims[0], m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        p = make_parameters(rng, dims, scale=0.8)
        return {"parameters": p, "gradients": _backward(X, Y, p, bug), "X": X, "Y": Y}
    return inputs


def _is_tiny(out, inputs):
    if not out < 1e-7:
        return f"the difference for a correct backward pass should be below 1e-7, got {out}"
    return None


def _is_large(out, inputs):
    if not out > 1e-3:
        return f"the difference for a buggy backward pass should be above 1e-3, got {out}"
    return None


# ----------------------------------------------------------------------------- tests
TESTS = [
    Test("J = theta * x for x = 2, theta = 4", call="forward_propagation",
         inputs={"x": 2.0, "theta": 4.0}, public=True, expected=8.0),
    Test("forward, random x and theta", call="forward_propagation", inputs=random_scalars),
    Test("dJ/dtheta for x = 2, theta = 4", call="backward_propagation",
         inputs={"x": 2.0, "theta": 4.0}, public=True, expected=2.0),
    Test("backward, random x and theta", call="backward_propagation", inputs=random_scalars),
    Test("1-D check passes for a correct derivative", call="gradient_check",
         inputs={"x": 2.0, "theta": 4.0, "epsilon": 1e-7}, public=True, expected=0.0,
         atol=1e-7, check=_is_tiny),
    Test("1-D check, random x and theta", call="gradient_check", inputs=random_scalars,
         atol=1e-7, check=_is_tiny),
    Test("dictionary_to_vector on a 2-layer network", call="dictionary_to_vector",
         inputs={"parameters": P_SMALL}, public=True,
         expected=np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0], [9.0]])),
    Test("dictionary_to_vector, random depth and sizes", call="dictionary_to_vector",
         inputs=random_parameters),
    Test("vector_to_dictionary on a 2-layer network", call="vector_to_dictionary",
         inputs={"theta": np.arange(1.0, 10.0).reshape(9, 1), "layer_dims": [2, 2, 1]},
         public=True, expected=P_SMALL),
    Test("vector_to_dictionary, random depth and sizes", call="vector_to_dictionary",
         inputs=random_vector),
    Test("vector_to_dictionary undoes dictionary_to_vector", call="round_trip",
         inputs=random_round_trip),
    Test("gradient_check_n accepts the correct backward pass", call="check_backward_pass",
         inputs={"X": X_CHECK, "Y": Y_CHECK, "parameters": P_CHECK, "which": "correct"},
         public=True, expected=0.0, atol=1e-7, check=_is_tiny),
    Test("gradient_check_n flags the colleague's backward pass", call="check_backward_pass",
         inputs={"X": X_CHECK, "Y": Y_CHECK, "parameters": P_CHECK, "which": "colleague"},
         public=True, expected=0.37619617, check=_is_large),
    Test("gradient_check_n, correct gradients, random network", call="gradient_check_n",
         inputs=random_network(None), atol=1e-7, check=_is_tiny),
    Test("gradient_check_n, dW2 doubled", call="gradient_check_n",
         inputs=random_network(("dW2", 2.0)), check=_is_large),
    Test("gradient_check_n, db3 with the wrong sign", call="gradient_check_n",
         inputs=random_network(("db3", -1.0)), check=_is_large),
]


# ----------------------------------------------------------------------------- mistakes
def _relative(grad, approx):
    return float(np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx)))


def _check_n(variant):
    def impl(parameters, gradients, X, Y, epsilon=1e-7):
        theta = _to_vector(parameters)
        grad = _to_vector(gradients, prefix="d")
        dims = _dims(parameters)
        approx = np.zeros_like(theta)
        for i in range(theta.shape[0]):
            if variant == "no copy":
                plus = theta
                plus[i] += epsilon
                j_plus, _ = _forward(X, Y, _to_dict(plus, dims))
                minus = theta
                minus[i] -= epsilon
                j_minus, _ = _forward(X, Y, _to_dict(minus, dims))
                approx[i] = (j_plus - j_minus) / (2 * epsilon)
                continue
            plus = np.copy(theta)
            plus[i] += epsilon
            j_plus, _ = _forward(X, Y, _to_dict(plus, dims))
            minus = np.copy(theta)
            minus[i] -= epsilon
            j_minus, _ = _forward(X, Y, _to_dict(minus, dims))
            approx[i] = (j_plus - j_minus) / (epsilon if variant == "epsilon" else 2 * epsilon)
        if variant == "numerator only":
            return float(np.linalg.norm(grad - approx))
        if variant == "denominator norm of grad":
            return float(np.linalg.norm(grad - approx) / np.linalg.norm(grad))
        return _relative(grad, approx)
    return impl


def _d2v_all_w_first(parameters):
    L = len(parameters) // 2
    return np.concatenate([parameters["W" + str(l)].reshape(-1, 1) for l in range(1, L + 1)]
                          + [parameters["b" + str(l)].reshape(-1, 1) for l in range(1, L + 1)])


def _d2v_column_major(parameters):
    L = len(parameters) // 2
    return np.concatenate([parameters[n + str(l)].reshape(-1, 1, order="F")
                           for l in range(1, L + 1) for n in ("W", "b")])


def _v2d_transposed(theta, layer_dims):
    p, start = {}, 0
    for l in range(1, len(layer_dims)):
        r, c = layer_dims[l], layer_dims[l - 1]
        p["W" + str(l)] = theta[start:start + r * c].reshape(c, r).T
        start += r * c
        p["b" + str(l)] = theta[start:start + r].reshape(r, 1)
        start += r
    return p


MISTAKES = [
    Mistake(call="forward_propagation", name="returned theta + x",
            impl=lambda x, theta: theta + x,
            hint="The function in this section is a product: J(theta) = theta * x."),
    Mistake(call="backward_propagation", name="returned theta",
            impl=lambda x, theta: theta,
            hint="Differentiate theta * x with respect to theta: the result is x, the factor "
                 "that multiplies theta."),
    Mistake(call="gradient_check", name="divided by epsilon instead of 2 * epsilon",
            impl=lambda x, theta, epsilon=1e-7: _relative(np.array(x), np.array(
                (theta + epsilon) * x - (theta - epsilon) * x) / epsilon),
            hint="The two-sided difference spans from theta - epsilon to theta + epsilon, a "
                 "distance of 2 * epsilon: divide by 2 * epsilon."),
    Mistake(call="dictionary_to_vector", name="all weights first, then all biases",
            impl=_d2v_all_w_first,
            hint="The order is W1, b1, W2, b2, ...: append each layer's bias right after its "
                 "weights, so that vector_to_dictionary can walk through the layers one by one."),
    Mistake(call="dictionary_to_vector", name="flattened column by column",
            impl=_d2v_column_major,
            hint="Flatten each matrix row by row with W.reshape(-1, 1) (C order); order='F' or "
                 "flattening W.T gives a different order."),
    Mistake(call="dictionary_to_vector", name="1-D vector instead of a column",
            impl=lambda parameters: _to_vector(parameters).ravel(),
            hint="theta must be a column vector of shape (n, 1): reshape every piece with "
                 "reshape(-1, 1) and concatenate along axis 0."),
    Mistake(call="vector_to_dictionary", name="reshaped W transposed",
            impl=_v2d_transposed,
            hint="W[l] has shape (layer_dims[l], layer_dims[l-1]); reshape the slice directly to "
                 "that shape, rows first, to undo reshape(-1, 1)."),
    Mistake(call="gradient_check_n", name="theta_plus = theta without a copy",
            impl=_check_n("no copy"),
            hint="theta_plus = theta does not copy the array: the +epsilon then leaks into "
                 "theta_minus and into every later parameter. Use np.copy(theta)."),
    Mistake(call="gradient_check_n", name="divided by epsilon instead of 2 * epsilon",
            impl=_check_n("epsilon"),
            hint="The two-sided difference spans 2 * epsilon: "
                 "gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)."),
    Mistake(call="gradient_check_n", name="forgot the denominator",
            impl=_check_n("numerator only"),
            hint="Return the relative difference: divide ||grad - gradapprox|| by "
                 "||grad|| + ||gradapprox|| so that the result does not depend on the scale."),
    Mistake(call="gradient_check_n", name="divided by ||grad|| only",
            impl=_check_n("denominator norm of grad"),
            hint="The denominator is the sum of both norms: "
                 "np.linalg.norm(grad) + np.linalg.norm(gradapprox)."),
]
