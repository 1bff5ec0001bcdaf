import numpy as np

from course_content.labkit import Mistake, Test


# ----------------------------------------------------------------------------- inputs
def make_parameters(rng, dims):
    p = {}
    for l in range(1, len(dims)):
        p["W" + str(l)] = rng.standard_normal((dims[l], dims[l - 1]))
        p["b" + str(l)] = rng.standard_normal((dims[l], 1))
    return p


def _relu(z):
    return np.maximum(0, z)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def plain_cache(X, p):
    Z1 = p["W1"] @ X + p["b1"]
    A1 = _relu(Z1)
    Z2 = p["W2"] @ A1 + p["b2"]
    A2 = _relu(Z2)
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = _sigmoid(Z3)
    return (Z1, A1, p["W1"], p["b1"], Z2, A2, p["W2"], p["b2"], Z3, A3, p["W3"], p["b3"])


def dropout_cache(X, p, keep_prob, rng):
    Z1 = p["W1"] @ X + p["b1"]
    D1 = (rng.random(Z1.shape) < keep_prob).astype(int)
    A1 = _relu(Z1) * D1 / keep_prob
    Z2 = p["W2"] @ A1 + p["b2"]
    D2 = (rng.random(Z2.shape) < keep_prob).astype(int)
    A2 = _relu(Z2) * D2 / keep_prob
    Z3 = p["W3"] @ A2 + p["b3"]
    A3 = _sigmoid(Z3)
    return (Z1, D1, A1, p["W1"], p["b1"], Z2, D2, A2, p["W2"], p["b2"], Z3, A3, p["W3"], p["b3"])


def make_wavy_data(m, rng, flip=0.12):
    X = rng.uniform(-1.0, 1.0, (2, m))
    Y = (X[1] > 0.5 * np.sin(3.0 * X[0])).astype(float)
    flipped = rng.random(m) < flip
    return X, np.where(flipped, 1.0 - Y, Y).reshape(1, m)


def random_dims(rng, n_layers=3):
    return [int(n) for n in rng.integers(1, 6, size=n_layers + 1)]


_P = make_parameters(np.random.default_rng(9), [3, 2, 3, 1])
_X = np.random.default_rng(1).standard_normal((3, 5))
_Y = np.array([[1.0, 0.0, 1.0, 0.0, 0.0]])
_CACHE = plain_cache(_X, _P)
_DCACHE = dropout_cache(_X, _P, 0.8, np.random.default_rng(2))


def cost_inputs(rng):
    dims = random_dims(rng, int(rng.integers(2, 5)))
    dims[-1] = 1
    m = int(rng.integers(3, 9))
    return {"A3": rng.uniform(0.05, 0.95, (1, m)), "Y": (rng.random((1, m)) < 0.5).astype(float),
            "parameters": make_parameters(rng, dims), "lambd": float(rng.uniform(0.1, 2.0))}


def l2_backward_inputs(rng):
    dims = random_dims(rng)
    dims[-1] = 1
    m = int(rng.integers(3, 9))
    X = rng.standard_normal((dims[0], m))
    p = make_parameters(rng, dims)
    return {"X": X, "Y": (rng.random((1, m)) < 0.5).astype(float), "cache": plain_cache(X, p),
            "lambd": float(rng.uniform(0.1, 2.0))}


def dropout_forward_inputs(rng):
    dims = random_dims(rng)
    dims[-1] = 1
    return {"X": rng.standard_normal((dims[0], int(rng.integers(3, 9)))),
            "parameters": make_parameters(rng, dims), "keep_prob": float(rng.uniform(0.5, 0.9))}


def dropout_backward_inputs(rng):
    dims = random_dims(rng)
    dims[-1] = 1
    m = int(rng.integers(3, 9))
    X = rng.standard_normal((dims[0], m))
    keep_prob = float(rng.uniform(0.5, 0.9))
    return {"X": X, "Y": (rng.random((1, m)) < 0.5).astype(float),
            "cache": dropout_cache(X, make_parameters(rng, dims), keep_prob, rng),
            "keep_prob": keep_prob}


def dropout_round_trip_inputs(rng):
    inputs = dropout_forward_inputs(rng)
    m = inputs["X"].shape[1]
    inputs["Y"] = (rng.random((1, m)) < 0.5).astype(float)
    return inputs


def training_inputs(lambd, keep_prob):
    def inputs(rng):
        X, Y = make_wavy_data(int(rng.integers(30, 60)), rng)
        return {"X": X, "Y": Y, "learning_rate": 0.3, "num_iterations": 200, "lambd": lambd,
                "keep_prob": keep_prob}
    return inputs


_TRAIN_X, _TRAIN_Y = make_wavy_data(100, np.random.default_rng(2))

# ----------------------------------------------------------------------------- tests
TESTS = [
    Test("L2 cost on a small network", call="compute_cost_with_regularization",
         inputs={"A3": np.array([[0.6, 0.3, 0.8, 0.2, 0.4]]), "Y": _Y, "parameters": _P,
                 "lambd": 0.1},
         public=True, expected=0.59926348),
    Test("L2 cost, random depth and lambd", call="compute_cost_with_regularization",
         inputs=cost_inputs),
    Test("L2 backward on a small network", call="backward_propagation_with_regularization",
         inputs={"X": _X, "Y": _Y, "cache": _CACHE, "lambd": 0.7}, public=True, expected={"dW1": np.array([[0.10859004, 0.05906913, -0.31437009],
                                  [0.62716284, 0.29796672, -0.36182198]]),
                  "db1": np.array([[0.11053706], [0.52726395]]),
                  "dW2": np.array([[0.16784465, -0.12073668],
                                  [-0.33788679, 0.07385143],
                                  [0.15201964, 0.7300052]]),
                  "db2": np.array([[0.30209182], [-0.14960869], [0.25599001]]),
                  "dW3": np.array([[0.3110215, 0.14145452, 0.71328575]]),
                  "db3": np.array([[0.3800031]])}),
    Test("L2 backward, random sizes", call="backward_propagation_with_regularization",
         inputs=l2_backward_inputs),
    Test("dropout forward: output and masks", call="dropout_forward_summary",
         inputs={"X": _X, "parameters": _P, "keep_prob": 0.7}, public=True, expected={"A3": np.array([[0.17217703, 0.73967425, 0.40170612, 0.40170612, 0.999913]]),
                  "D1": np.array([[1., 0., 1., 1., 1.],
                                 [1., 1., 0., 0., 1.]]),
                  "D2": np.array([[0., 1., 1., 0., 1.],
                                 [1., 1., 0., 0., 0.],
                                 [0., 0., 1., 0., 1.]])}),
    Test("dropout forward, random sizes", call="forward_propagation_with_dropout",
         inputs=dropout_forward_inputs, seed=4),
    Test("dropout backward on a small network", call="backward_propagation_with_dropout",
         inputs={"X": _X, "Y": _Y, "cache": _DCACHE, "keep_prob": 0.8}, public=True,
         expected={"dW1": np.array([[0.26605276, 0.08322153, -0.14372184],
                                  [0.97138402, 0.39991607, -0.63693384]]),
                  "db1": np.array([[0.28791786], [1.18038923]]),
                  "dW2": np.array([[0., 0.],
                                  [-0.08945588, -0.00700524],
                                  [0.27739324, 0.66961044]]),
                  "db2": np.array([[0.25718921], [-0.00815057], [0.37893857]]),
                  "dW3": np.array([[0.1526026, -0.33514315, 0.90871601]]),
                  "db3": np.array([[0.24098023]])}),
    Test("dropout backward, random sizes", call="backward_propagation_with_dropout",
         inputs=dropout_backward_inputs),
    Test("dropout forward then backward", call="dropout_forward_backward",
         inputs=dropout_round_trip_inputs, seed=9),
    Test("model with L2 regularization", call="train_and_report",
         inputs={"X": _TRAIN_X, "Y": _TRAIN_Y, "learning_rate": 0.3, "num_iterations": 300,
                 "lambd": 0.7, "keep_prob": 1.0},
         public=True, expected={"costs": np.array([1.08067624, 0.62534498, 0.53535584]),
                   "train_accuracy": 0.86}),
    Test("model with dropout", call="train_and_report",
         inputs={"X": _TRAIN_X, "Y": _TRAIN_Y, "learning_rate": 0.3, "num_iterations": 300,
                 "lambd": 0.0, "keep_prob": 0.8},
         public=True, expected={"costs": np.array([0.6865154, 0.36197826, 0.33987484]),
                   "train_accuracy": 0.87}),
    Test("model without regularization", call="train_and_report",
         inputs=training_inputs(0.0, 1.0), seed=1),
    Test("model with L2, random data", call="model", inputs=training_inputs(0.5, 1.0), seed=2),
    Test("model with dropout, random data", call="model", inputs=training_inputs(0.0, 0.75),
         seed=3),
]

# ----------------------------------------------------------------------------- mistakes
def _cross_entropy(A3, Y):
    A = np.clip(A3, 1e-12, 1 - 1e-12)
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / Y.shape[1])


def _l2_cost(scale, power=2, first_only=None):
    def impl(A3, Y, parameters, lambd):
        m = Y.shape[1]
        L = len(parameters) // 2
        layers = range(1, L + 1) if first_only is None else range(1, min(first_only, L) + 1)
        total = sum(np.sum(parameters["W" + str(l)] ** power) for l in layers)
        return _cross_entropy(A3, Y) + scale(lambd, m) * total
    return impl


def _l2_backward(reg_scale):
    def impl(X, Y, cache, lambd):
        m = X.shape[1]
        (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
        r = reg_scale(lambd, m)
        dZ3 = A3 - Y
        dA2 = W3.T @ dZ3
        dZ2 = dA2 * (A2 > 0)
        dA1 = W2.T @ dZ2
        dZ1 = dA1 * (A1 > 0)
        return {"dW1": dZ1 @ X.T / m + r * W1, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
                "dW2": dZ2 @ A1.T / m + r * W2, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
                "dW3": dZ3 @ A2.T / m + r * W3, "db3": np.sum(dZ3, axis=1, keepdims=True) / m}
    return impl


def _dropout_forward(mask_fn, scale=True, draw=np.random.rand):
    def impl(X, parameters, keep_prob=0.5):
        W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        Z1 = W1 @ X + b1
        D1 = mask_fn(draw(*Z1.shape), keep_prob)
        A1 = _relu(Z1) * D1 / (keep_prob if scale else 1.0)
        Z2 = W2 @ A1 + b2
        D2 = mask_fn(draw(*Z2.shape), keep_prob)
        A2 = _relu(Z2) * D2 / (keep_prob if scale else 1.0)
        Z3 = W3 @ A2 + b3
        A3 = _sigmoid(Z3)
        return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)
    return impl


def _dropout_backward(use_masks=True, scale=True):
    def impl(X, Y, cache, keep_prob):
        m = X.shape[1]
        (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
        k = keep_prob if scale else 1.0
        dZ3 = A3 - Y
        dA2 = W3.T @ dZ3
        if use_masks:
            dA2 = dA2 * D2 / k
        dZ2 = dA2 * (A2 > 0)
        dA1 = W2.T @ dZ2
        if use_masks:
            dA1 = dA1 * D1 / k
        dZ1 = dA1 * (A1 > 0)
        return {"dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
                "dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
                "dW3": dZ3 @ A2.T / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m}
    return impl


MISTAKES = [
    Mistake(call="compute_cost_with_regularization", name="forgot to divide by m",
            impl=_l2_cost(lambda lambd, m: lambd / 2),
            hint="The penalty is (lambd / (2 * m)) * sum of squares: divide by the number of "
                 "examples m = Y.shape[1] as well as by 2."),
    Mistake(call="compute_cost_with_regularization", name="forgot the 1/2",
            impl=_l2_cost(lambda lambd, m: lambd / m),
            hint="The penalty is lambd / (2 * m) times the sum of squares. The 1/2 is there so "
                 "that the gradient comes out as (lambd / m) * W."),
    Mistake(call="compute_cost_with_regularization", name="sum of weights instead of squares",
            impl=_l2_cost(lambda lambd, m: lambd / (2 * m), power=1),
            hint="The Frobenius norm squares every entry: use np.sum(np.square(W)), not np.sum(W)."),
    Mistake(call="compute_cost_with_regularization", name="penalised only the first two layers",
            impl=_l2_cost(lambda lambd, m: lambd / (2 * m), first_only=2),
            hint="Every weight matrix W1, ..., WL is penalised, including the output layer's. "
                 "Loop over l = 1 .. len(parameters) // 2."),
    Mistake(call="backward_propagation_with_regularization", name="no regularization term",
            impl=_l2_backward(lambda lambd, m: 0.0),
            hint="Each dW needs the extra term (lambd / m) * W, the derivative of the L2 penalty."),
    Mistake(call="backward_propagation_with_regularization", name="forgot to divide by m",
            impl=_l2_backward(lambda lambd, m: lambd),
            hint="The derivative of (lambd / (2m)) * ||W||^2 is (lambd / m) * W: don't forget "
                 "the division by m."),
    Mistake(call="backward_propagation_with_regularization", name="kept the 1/2",
            impl=_l2_backward(lambda lambd, m: lambd / (2 * m)),
            hint="Differentiating W**2 gives 2W, which cancels the 1/2: the term is "
                 "(lambd / m) * W, not (lambd / (2m)) * W."),
    Mistake(call="forward_propagation_with_dropout", name="did not divide by keep_prob",
            impl=_dropout_forward(lambda r, k: (r < k).astype(int), scale=False),
            hint="Inverted dropout divides the surviving activations by keep_prob so that their "
                 "expected value does not change: A1 = A1 / keep_prob after the mask."),
    Mistake(call="forward_propagation_with_dropout", name="mask kept units with probability 1 - keep_prob",
            impl=_dropout_forward(lambda r, k: (r > k).astype(int)),
            hint="A unit is kept when its uniform draw is below keep_prob: D = (D < keep_prob)."),
    Mistake(call="forward_propagation_with_dropout", name="normal instead of uniform draws",
            impl=_dropout_forward(lambda r, k: (r < k).astype(int), draw=np.random.randn),
            hint="Use np.random.rand (uniform on [0, 1)) so that P(D < keep_prob) = keep_prob; "
                 "np.random.randn draws from a normal distribution."),
    Mistake(call="backward_propagation_with_dropout", name="did not divide by keep_prob",
            impl=_dropout_backward(scale=False),
            hint="The forward pass divided the kept activations by keep_prob, so their gradients "
                 "must be divided by keep_prob too."),
    Mistake(call="backward_propagation_with_dropout", name="ignored the masks",
            impl=_dropout_backward(use_masks=False),
            hint="Units that were shut down in the forward pass must get zero gradient: multiply "
                 "dA2 by D2 and dA1 by D1 before dividing by keep_prob."),
]
