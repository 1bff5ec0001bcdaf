"""Tests for the deep-network application lab (course 1, week 4)."""

import numpy as np

from course_content.labkit import Mistake, Test


# ------------------------------------------------------------ reference helpers (for mistakes)
def _sig(Z):
    return 1 / (1 + np.exp(-Z))


def _init(layer_dims, rule="sqrt_prev"):
    p = {}
    for l in range(1, len(layer_dims)):
        n_l, n_prev = int(layer_dims[l]), int(layer_dims[l - 1])
        W = np.random.randn(n_l, n_prev)
        W = {"sqrt_prev": W / np.sqrt(n_prev), "small": W * 0.01, "sqrt_cur": W / np.sqrt(n_l),
             "times_sqrt": W * np.sqrt(n_prev)}[rule]
        p["W" + str(l)] = W
        p["b" + str(l)] = np.zeros((n_l, 1))
    return p


def _forward(X, p):
    caches, A, L = [], X, len(p) // 2
    for l in range(1, L + 1):
        Z = p["W" + str(l)] @ A + p["b" + str(l)]
        caches.append((A, Z))
        A = _sig(Z) if l == L else np.maximum(0, Z)
    return A, caches


def _cost(AL, Y):
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1])


def _grads(AL, Y, caches, p, double_sigmoid=False):
    g, L = {}, len(caches)
    m = Y.shape[1]
    dZ = AL - Y
    if double_sigmoid:                       # fed A - Y into sigmoid_backward
        dZ = dZ * AL * (1 - AL)
    for l in reversed(range(1, L + 1)):
        A_prev, _ = caches[l - 1]
        g["dW" + str(l)] = dZ @ A_prev.T / m
        g["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            dZ = (p["W" + str(l)].T @ dZ) * (caches[l - 2][1] > 0)
    return g


def _train(X, Y, layers_dims, learning_rate, num_iterations, *, fixed_rate=None, stale=False,
           reinit=False, double_sigmoid=False):
    p = _init(layers_dims)
    p0 = p
    costs = []
    lr = learning_rate if fixed_rate is None else fixed_rate
    for i in range(num_iterations):
        if reinit:
            p = _init(layers_dims)
        AL, caches = _forward(X, p0 if stale else p)
        cost = _cost(AL, Y)
        g = _grads(AL, Y, caches, p0 if stale else p, double_sigmoid=double_sigmoid)
        p = {k: v - lr * g["d" + k] for k, v in p.items()}
        if i % 100 == 0:
            costs.append(cost)
    return p, costs


def _predict(X, parameters):
    return (_forward(X, parameters)[0] > 0.5).astype(float)


# ------------------------------------------------------------ fixed examples
_fx = np.random.default_rng(2024)
X_SMALL = np.round(_fx.standard_normal((4, 8)), 2)
Y_SMALL = np.array([[1, 0, 0, 1, 1, 0, 1, 0]])
P_PRED = {"W1": np.array([[0.8, -0.5, 0.3, 0.1], [-0.4, 0.9, -0.2, 0.6], [0.5, 0.5, -0.7, -0.3]]),
          "b1": np.array([[0.1], [-0.1], [0.05]]),
          "W2": np.array([[1.2, -0.9, 0.7]]), "b2": np.array([[-0.2]])}


# ------------------------------------------------------------ hidden inputs
def random_dims(rng):
    return {"layer_dims": [int(rng.integers(2, 9)) for _ in range(int(rng.integers(3, 6)))]}


def _problem(rng):
    n_x, m = int(rng.integers(3, 7)), int(rng.integers(10, 30))
    X = rng.standard_normal((n_x, m))
    Y = ((X[0] * X[1] > 0) | (X[2] > 1)).astype(int).reshape(1, m)   # not linearly separable
    return X, Y


def random_two_layer(rng):
    X, Y = _problem(rng)
    return {"X": X, "Y": Y, "layers_dims": [X.shape[0], int(rng.integers(2, 8)), 1],
            "learning_rate": float(rng.uniform(0.05, 0.3)), "num_iterations": 201, "print_cost": False}


def random_L_layer(rng):
    X, Y = _problem(rng)
    dims = [X.shape[0]] + [int(rng.integers(2, 7)) for _ in range(int(rng.integers(1, 4)))] + [1]
    return {"X": X, "Y": Y, "layers_dims": dims, "learning_rate": float(rng.uniform(0.05, 0.3)),
            "num_iterations": 201, "print_cost": False}


def _random_params(rng, n_x):
    dims = [n_x] + [int(rng.integers(2, 6)) for _ in range(int(rng.integers(1, 4)))] + [1]
    p = {}
    for l in range(1, len(dims)):
        p["W" + str(l)] = rng.standard_normal((dims[l], dims[l - 1]))
        p["b" + str(l)] = rng.standard_normal((dims[l], 1)) * 0.5
    return p


def random_predict(rng):
    n_x, m = int(rng.integers(2, 6)), int(rng.integers(5, 20))
    return {"X": rng.standard_normal((n_x, m)), "parameters": _random_params(rng, n_x)}


def random_mislabeled(rng):
    d = random_predict(rng)
    return {**d, "Y": rng.integers(0, 2, (1, d["X"].shape[1]))}


def _binary(output, inputs):
    out = np.asarray(output)
    if out.ndim != 2 or out.shape[0] != 1:
        return f"predictions must have shape (1, m); got {out.shape}"
    if not np.all((out == 0) | (out == 1)):
        return "predictions must be 0 or 1: threshold AL at 0.5"
    return None


def _index_array(output, inputs):
    out = np.asarray(output)
    if out.ndim != 1:
        return f"return a 1-D array of indices; got shape {out.shape}"
    return None


TESTS = [
    Test("initialize_parameters_deep([4, 2, 1]) after seed 1", call="initialize_parameters_deep",
         inputs={"layer_dims": [4, 2, 1]}, seed=1, public=True,
         expected={
             'W1': np.array([
                       [0.812172681832, -0.305878206825, -0.264085876132, -0.536484311078],
                       [0.432703814662, -1.15076934844, 0.872405882108, -0.380603450448],
                   ]),
             'b1': np.array([[0.0], [0.0]]),
             'W2': np.array([[0.225594708286, -0.176331483527]]),
             'b2': np.array([[0.0]]),
         }),
    Test("initialize_parameters_deep for random depths", call="initialize_parameters_deep",
         inputs=random_dims, seed=4),

    Test("two_layer_model on 8 points, (4, 3, 1), 201 iterations (seed 1)", call="two_layer_model",
         inputs={"X": X_SMALL, "Y": Y_SMALL, "layers_dims": [4, 3, 1], "learning_rate": 0.3,
                 "num_iterations": 201, "print_cost": False}, seed=1, public=True, rtol=1e-4,
         expected=(
             {
                 'W1': np.array([
                           [1.4836984129, -0.530496745874, -0.0285994377477, -0.663610115983],
                           [0.388477689637, -1.18608661375, 0.901041502628, -0.394284913585],
                           [-0.395639847452, -0.555582427817, 1.07669586482, -1.18498729438],
                       ]),
                 'b1': np.array([[-1.23265240217], [0.0318173561334], [0.350973340844]]),
                 'W2': np.array([[-1.78649322931, 0.404507403199, 1.39247655621]]),
                 'b2': np.array([[0.0254194687499]]),
             },
             [0.673180026033, 0.565221674417, 0.5067420027],
         )),
    Test("two_layer_model on the cat images, (192, 7, 1), 300 iterations (seed 1)",
         call="train_on_cats", inputs={"model": "two_layer", "layers_dims": [192, 7, 1],
                                       "num_iterations": 300, "learning_rate": 0.05},
         seed=1, public=True, points=2, rtol=1e-4,
         expected={
             'costs': [0.697076700425, 0.51090626134, 0.372014194798],
             'train_accuracy': 88.6666666667,
             'test_accuracy': 83.0,
         }),
    Test("two_layer_model on random data", call="two_layer_model", inputs=random_two_layer, seed=3,
         rtol=1e-4),

    Test("L_layer_model on 8 points, [4, 3, 2, 1], 201 iterations (seed 1)", call="L_layer_model",
         inputs={"X": X_SMALL, "Y": Y_SMALL, "layers_dims": [4, 3, 2, 1], "learning_rate": 0.3,
                 "num_iterations": 201, "print_cost": False}, seed=1, public=True, rtol=1e-4,
         expected=(
             {
                 'W1': np.array([
                           [0.812172681832, -0.305878206825, -0.264085876132, -0.536484311078],
                           [0.392103913659, -1.18319085212, 0.898693587794, -0.393163132053],
                           [-0.340683011006, -0.524127519054, 1.05492612905, -1.18480927589],
                       ]),
                 'b1': np.array([[0.0], [0.0292085618727], [0.35985795614]]),
                 'W2': np.array([
                           [-0.186147659529, 0.389903149124, 1.35172786557],
                           [-0.635022519263, -0.0995514720451, -0.506831793897],
                       ]),
                 'b2': np.array([[-0.0124769275575], [0.0]]),
                 'W3': np.array([[1.2269476311, 0.412112589797]]),
                 'b3': np.array([[-0.284233568768]]),
             },
             [0.692577958045, 0.601001234852, 0.598164348934],
         )),
    Test("L_layer_model on the cat images, [192, 20, 7, 5, 1], 300 iterations (seed 1)",
         call="train_on_cats", inputs={"model": "L_layer", "layers_dims": [192, 20, 7, 5, 1],
                                       "num_iterations": 300, "learning_rate": 0.05},
         seed=1, public=True, points=2, rtol=1e-4,
         expected={
             'costs': [0.813787097992, 0.526051982163, 0.473116970987],
             'train_accuracy': 88.0,
             'test_accuracy': 81.0,
         }),
    Test("L_layer_model on random data", call="L_layer_model", inputs=random_L_layer, seed=3,
         rtol=1e-4),

    Test("predict with a small 2-layer network", call="predict",
         inputs={"X": X_SMALL, "parameters": P_PRED}, public=True, check=_binary,
         expected=np.array([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]])),
    Test("predict with random networks", call="predict", inputs=random_predict, check=_binary),

    Test("mislabeled_indices with the small network", call="mislabeled_indices",
         inputs={"X": X_SMALL, "Y": Y_SMALL, "parameters": P_PRED}, public=True,
         check=_index_array, expected=np.array([1, 2, 3, 4])),
    Test("mislabeled_indices with random networks", call="mislabeled_indices",
         inputs=random_mislabeled, check=_index_array),
]


def _two(X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False, **kw):
    return _train(X, Y, layers_dims, learning_rate, num_iterations, **kw)


MISTAKES = [
    Mistake(call="initialize_parameters_deep", name="kept the 0.01 scaling",
            impl=lambda layer_dims: _init(layer_dims, "small"),
            hint="This lab scales by the number of inputs of the layer: divide randn(...) by "
                 "np.sqrt(layer_dims[l-1]) instead of multiplying by 0.01."),
    Mistake(call="initialize_parameters_deep", name="divided by sqrt of the current layer size",
            impl=lambda layer_dims: _init(layer_dims, "sqrt_cur"),
            hint="The scale depends on the fan-in, the number of inputs of layer l: "
                 "np.sqrt(layer_dims[l-1]), not np.sqrt(layer_dims[l])."),
    Mistake(call="initialize_parameters_deep", name="multiplied by sqrt instead of dividing",
            impl=lambda layer_dims: _init(layer_dims, "times_sqrt"),
            hint="Divide by np.sqrt(layer_dims[l-1]): wider layers need smaller weights."),
    Mistake(call="two_layer_model", name="passed A2 - Y to the sigmoid backward step",
            impl=lambda X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False:
                _two(X, Y, layers_dims, learning_rate, num_iterations, double_sigmoid=True),
            hint="linear_activation_backward(..., 'sigmoid') multiplies by the sigmoid's "
                 "derivative itself, so feed it dA2 = -(Y/A2 - (1-Y)/(1-A2)). A2 - Y is already "
                 "dZ2; applying the sigmoid derivative to it counts that derivative twice."),
    Mistake(call="two_layer_model", name="always used the initial weights",
            impl=lambda X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False:
                _two(X, Y, layers_dims, learning_rate, num_iterations, stale=True),
            hint="Read W1, b1, W2, b2 from parameters at the start of every iteration: after "
                 "update_parameters the old variables still hold the initial values."),
    Mistake(call="two_layer_model", name="ignored the learning_rate argument",
            impl=lambda X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False:
                _two(X, Y, layers_dims, learning_rate, num_iterations, fixed_rate=0.05),
            hint="Pass learning_rate to update_parameters instead of a fixed value."),
    Mistake(call="L_layer_model", name="re-initialized the parameters inside the loop",
            impl=lambda X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False:
                _two(X, Y, layers_dims, learning_rate, num_iterations, reinit=True),
            hint="Call initialize_parameters_deep once, before the loop; inside the loop the "
                 "parameters must carry over from one iteration to the next."),
    Mistake(call="L_layer_model", name="ignored the learning_rate argument",
            impl=lambda X, Y, layers_dims, learning_rate=0.05, num_iterations=2500, print_cost=False:
                _two(X, Y, layers_dims, learning_rate, num_iterations, fixed_rate=0.05),
            hint="Pass learning_rate to update_parameters instead of a fixed value."),
    Mistake(call="predict", name="returned a boolean array",
            impl=lambda X, parameters: _forward(X, parameters)[0] > 0.5,
            hint="AL > 0.5 is an array of True/False. Convert it to 0.0/1.0 with .astype(float)."),
    Mistake(call="predict", name="returned probabilities",
            impl=lambda X, parameters: _forward(X, parameters)[0],
            hint="Threshold the probabilities: (AL > 0.5).astype(float)."),
    Mistake(call="mislabeled_indices", name="row indices from np.where on 2-D arrays",
            impl=lambda X, Y, parameters: np.where(_predict(X, parameters) != Y)[0].astype(int),
            hint="On (1, m) arrays np.where returns (row indices, column indices); the rows are "
                 "all 0. Take the column indices, or compare the 1-D rows p[0] and Y[0]."),
    Mistake(call="mislabeled_indices", name="indices of the correct predictions",
            impl=lambda X, Y, parameters: np.where(_predict(X, parameters)[0] == Y[0])[0].astype(int),
            hint="You returned the examples the model gets right; select those where the "
                 "prediction differs from the label (!=)."),
    Mistake(call="mislabeled_indices", name="returned a 0/1 mask",
            impl=lambda X, Y, parameters: (_predict(X, parameters)[0] != Y[0]).astype(int),
            hint="Return the positions of the errors (np.where(...)), not a 0/1 mask of length m."),
]
