"""Tests for the deep-network step-by-step lab (course 1, week 4)."""

import numpy as np

from course_content.labkit import Mistake, Test


# ------------------------------------------------------------ reference helpers (for mistakes)
def _sig(Z):
    return 1 / (1 + np.exp(-Z))


def _act(Z, activation):
    return _sig(Z) if activation == "sigmoid" else np.maximum(0, Z)


def _act_backward(dA, Z, activation):
    if activation == "sigmoid":
        s = _sig(Z)
        return dA * s * (1 - s)
    return dA * (Z > 0)


def _forward(X, parameters, hidden="relu", output="sigmoid", keep_last_cache=True):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        cache = ((A, W, b), Z)
        A = _act(Z, output if l == L else hidden)
        if l < L or keep_last_cache:
            caches.append(cache)
    return A, caches


def _linear_backward(dZ, cache, divide=True, db_axis=1, transpose_w=True):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    k = m if divide else 1
    dW = dZ @ A_prev.T / k
    db = np.sum(dZ, axis=db_axis, keepdims=True) / k
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def _backward(AL, Y, caches, dal_sign=1.0, last="sigmoid", hidden="relu", dz_is_da=False,
              dA_divided=False):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dA = dal_sign * -(Y / AL - (1 - Y) / (1 - AL))
    for l in reversed(range(1, L + 1)):
        linear_cache, Z = caches[l - 1]
        activation = last if l == L else hidden
        dZ = dA if dz_is_da else _act_backward(dA, Z, activation)
        dA_prev, dW, db = _linear_backward(dZ, linear_cache)
        if dA_divided:
            dA_prev = dA_prev / linear_cache[0].shape[1]
        grads["dA" + str(l - 1)], grads["dW" + str(l)], grads["db" + str(l)] = dA_prev, dW, db
        dA = dA_prev
    return grads


# ------------------------------------------------------------ fixed examples
A_EX = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]])
W_EX = np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]])
B_EX = np.array([[0.1], [-0.2]])
Z_EX = W_EX @ A_EX + B_EX

X_EX = np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2], [-0.7, 0.1, 0.4]])
Y_EX = np.array([[1, 0, 1]])
P_EX = {"W1": np.array([[0.5, -0.2, 0.1], [-0.3, 0.4, 0.6]]), "b1": np.array([[0.05], [-0.1]]),
        "W2": np.array([[0.7, -0.5]]), "b2": np.array([[0.2]])}
P3_EX = {"W1": np.array([[0.5, -0.2, 0.1], [-0.3, 0.4, 0.6], [0.2, 0.2, -0.4]]),
         "b1": np.array([[0.05], [-0.1], [0.0]]),
         "W2": np.array([[0.7, -0.5, 0.3], [0.1, 0.6, -0.2]]), "b2": np.array([[0.1], [0.0]]),
         "W3": np.array([[0.8, -1.1]]), "b3": np.array([[-0.2]])}
AL_EX, CACHES_EX = _forward(X_EX, P3_EX)
G_EX = {"dW1": np.array([[0.1, -0.2, 0.05], [0.0, 0.3, -0.1]]), "db1": np.array([[0.02], [-0.04]]),
        "dW2": np.array([[-0.5, 0.25]]), "db2": np.array([[0.1]])}


# ------------------------------------------------------------ hidden inputs
def _dims(rng, depth=None):
    depth = depth or int(rng.integers(2, 5))
    return [int(rng.integers(2, 7)) for _ in range(depth + 1)][:-1] + [1]


def _params(rng, dims, scale=0.6):
    p = {}
    for l in range(1, len(dims)):
        p["W" + str(l)] = rng.standard_normal((dims[l], dims[l - 1])) * scale
        p["b" + str(l)] = rng.standard_normal((dims[l], 1)) * 0.1
    return p


def random_layer_dims(rng):
    return {"layer_dims": [int(rng.integers(2, 8)) for _ in range(int(rng.integers(3, 6)))]}


def random_linear(rng):
    n_prev, n, m = int(rng.integers(2, 7)), int(rng.integers(1, 6)), int(rng.integers(2, 9))
    return {"A": rng.standard_normal((n_prev, m)), "W": rng.standard_normal((n, n_prev)),
            "b": rng.standard_normal((n, 1))}


def _random_linear_activation(rng, activation):
    d = random_linear(rng)
    return {"A_prev": d["A"], "W": d["W"], "b": d["b"], "activation": activation}


def random_linear_activation_relu(rng):
    return _random_linear_activation(rng, "relu")


def random_linear_activation_sigmoid(rng):
    return _random_linear_activation(rng, "sigmoid")


def random_model_forward(rng):
    dims = _dims(rng)
    return {"X": rng.standard_normal((dims[0], int(rng.integers(3, 9)))), "parameters": _params(rng, dims)}


def random_cost(rng):
    m = int(rng.integers(3, 15))
    return {"AL": rng.uniform(0.03, 0.97, (1, m)), "Y": rng.integers(0, 2, (1, m))}


def random_linear_backward(rng):
    d = random_linear(rng)
    n, m = d["W"].shape[0], d["A"].shape[1]
    return {"dZ": rng.standard_normal((n, m)), "cache": (d["A"], d["W"], d["b"])}


def _random_lab(rng, activation):
    d = random_linear(rng)
    Z = d["W"] @ d["A"] + d["b"]
    return {"dA": rng.standard_normal(Z.shape), "cache": ((d["A"], d["W"], d["b"]), Z),
            "activation": activation}


def random_lab_relu(rng):
    return _random_lab(rng, "relu")


def random_lab_sigmoid(rng):
    return _random_lab(rng, "sigmoid")


def random_model_backward(rng):
    dims = _dims(rng, depth=int(rng.integers(2, 5)))
    m = int(rng.integers(3, 9))
    X = rng.standard_normal((dims[0], m))
    AL, caches = _forward(X, _params(rng, dims))
    return {"AL": AL, "Y": rng.integers(0, 2, (1, m)), "caches": caches}


def random_update(rng):
    dims = _dims(rng)
    p = _params(rng, dims)
    g = {"d" + k: v for k, v in _params(rng, dims, scale=0.1).items()}
    return {"params": p, "grads": g, "learning_rate": float(rng.uniform(0.01, 1.0))}


def random_training(rng):
    dims = [int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(2, 4)), 1]
    m = int(rng.integers(8, 16))
    X = rng.standard_normal((dims[0], m))
    return {"X": X, "Y": (X[:1] > 0).astype(int), "layer_dims": dims, "num_iterations": 20,
            "learning_rate": 0.5}


TESTS = [
    Test("initialize_parameters_deep([4, 3, 1]) after seed 3", call="initialize_parameters_deep",
         inputs={"layer_dims": [4, 3, 1]}, seed=3, public=True, expected={
             'W1': np.array([
                       [0.0178862847343, 0.00436509850512, 0.00096497468072, -0.0186349270336],
                       [-0.00277388202514, -0.00354758979269, -0.000827414814825,
                        -0.00627000676824],
                       [-0.000438181689759, -0.0047721803036, -0.0131386475336, 0.008846223805],
                   ]),
             'b1': np.array([[0.0], [0.0], [0.0]]),
             'W2': np.array([[0.00881318042208, 0.0170957306365, 0.000500336421769]]),
             'b2': np.array([[0.0]]),
         }),
    Test("initialize_parameters_deep for random depths", call="initialize_parameters_deep",
         inputs=random_layer_dims, seed=5),

    Test("linear_forward on the example", call="linear_forward",
         inputs={"A": A_EX, "W": W_EX, "b": B_EX}, public=True, expected=(
             np.array([[-0.15, -0.6], [-0.35, 1.9]]),
             (
                 np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]]),
                 np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]]),
                 np.array([[0.1], [-0.2]]),
             ),
         )),
    Test("linear_forward on random shapes", call="linear_forward", inputs=random_linear),

    Test("linear_activation_forward with relu", call="linear_activation_forward",
         inputs={"A_prev": A_EX, "W": W_EX, "b": B_EX, "activation": "relu"}, public=True,
         expected=(
             np.array([[0.0, 0.0], [0.0, 1.9]]),
             (
                 (
                     np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]]),
                     np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]]),
                     np.array([[0.1], [-0.2]]),
                 ),
                 np.array([[-0.15, -0.6], [-0.35, 1.9]]),
             ),
         )),
    Test("linear_activation_forward with sigmoid", call="linear_activation_forward",
         inputs={"A_prev": A_EX, "W": W_EX, "b": B_EX, "activation": "sigmoid"}, public=True,
         expected=(
             np.array([[0.462570154656, 0.354343693774], [0.413382421083, 0.869891525637]]),
             (
                 (
                     np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]]),
                     np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]]),
                     np.array([[0.1], [-0.2]]),
                 ),
                 np.array([[-0.15, -0.6], [-0.35, 1.9]]),
             ),
         )),
    Test("linear_activation_forward relu, random shapes", call="linear_activation_forward",
         inputs=random_linear_activation_relu),
    Test("linear_activation_forward sigmoid, random shapes", call="linear_activation_forward",
         inputs=random_linear_activation_sigmoid),

    Test("L_model_forward on a 2-layer example", call="L_model_forward",
         inputs={"X": X_EX, "parameters": P_EX}, public=True, expected=(
             np.array([[0.621048276381, 0.496250070311, 0.756023398335]]),
             [
                 (
                     (
                         np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2], [-0.7, 0.1, 0.4]]),
                         np.array([[0.5, -0.2, 0.1], [-0.3, 0.4, 0.6]]),
                         np.array([[0.05], [-0.1]]),
                     ),
                     np.array([[0.42, -0.35, 1.33], [-0.7, 0.43, -0.94]]),
                 ),
                 (
                     (
                         np.array([[0.42, 0.0, 1.33], [0.0, 0.43, 0.0]]),
                         np.array([[0.7, -0.5]]),
                         np.array([[0.2]]),
                     ),
                     np.array([[0.494, -0.015, 1.131]]),
                 ),
             ],
         )),
    Test("L_model_forward on random deep networks", call="L_model_forward",
         inputs=random_model_forward),

    Test("compute_cost of three predictions", call="compute_cost",
         inputs={"AL": np.array([[0.8, 0.9, 0.4]]), "Y": np.array([[1, 1, 0]])}, public=True,
         expected=0.2797765635793423),
    Test("compute_cost on random predictions", call="compute_cost", inputs=random_cost),

    Test("linear_backward on the example", call="linear_backward",
         inputs={"dZ": np.array([[0.3, -0.6], [1.2, 0.4]]), "cache": (A_EX, W_EX, B_EX)},
         public=True, expected=(
             np.array([[-0.3, -0.24], [0.57, 0.26], [0.24, -0.2]]),
             np.array([[0.75, -0.825, -0.15], [0.2, 0.9, -0.6]]),
             np.array([[-0.15], [0.8]]),
         )),
    Test("linear_backward on random shapes", call="linear_backward", inputs=random_linear_backward),

    Test("linear_activation_backward with relu", call="linear_activation_backward",
         inputs={"dA": np.array([[0.3, -0.6], [1.2, 0.4]]), "cache": ((A_EX, W_EX, B_EX), Z_EX),
                 "activation": "relu"}, public=True, expected=(
                     np.array([[0.0, -0.12], [0.0, 0.2], [0.0, 0.04]]),
                     np.array([[0.0, 0.0, 0.0], [-0.4, 0.6, 0.0]]),
                     np.array([[0.0], [0.2]]),
                 )),
    Test("linear_activation_backward with sigmoid", call="linear_activation_backward",
         inputs={"dA": np.array([[0.3, -0.6], [1.2, 0.4]]), "cache": ((A_EX, W_EX, B_EX), Z_EX),
                 "activation": "sigmoid"}, public=True, expected=(
                     np.array([
                         [-0.0723831218074, -0.0410357399662],
                         [0.138040466813, 0.0363631062798],
                         [0.058931568204, -0.0503810073391],
                     ]),
                     np.array([
                         [0.174560395276, -0.18726089091, -0.0372898510016],
                         [0.100226333309, 0.140657374064, -0.145498437014],
                     ]),
                     np.array([[-0.0313454211354], [0.168134488866]]),
                 )),
    Test("linear_activation_backward relu, random shapes", call="linear_activation_backward",
         inputs=random_lab_relu),
    Test("linear_activation_backward sigmoid, random shapes", call="linear_activation_backward",
         inputs=random_lab_sigmoid),

    Test("L_model_backward on a 3-layer example", call="L_model_backward",
         inputs={"AL": AL_EX, "Y": Y_EX, "caches": CACHES_EX}, public=True, expected={
             'dA2': np.array([
                        [-0.351283045925, 0.3059150532, -0.306085112714],
                        [0.483014188147, -0.42063319815, 0.420867029982],
                    ]),
             'dW3': np.array([[-0.212869635309, 0.0154137931341]]),
             'db3': np.array([[-0.146438793933]]),
             'dA1': np.array([
                        [-0.245898132147, -0.042063319815, -0.172172875902],
                        [0.175641522962, -0.25237991889, 0.405562774346],
                        [-0.105384913777, 0.0841266396299, -0.17599893981],
                    ]),
             'dW2': np.array([
                        [-0.184877359733, 0.0, -0.0632309482665],
                        [0.186584383292, -0.0602907584014, -0.002804221321],
                    ]),
             'db2': np.array([[-0.219122719546], [7.79439440084e-05]]),
             'dA0': np.array([
                        [-0.144026048829, 0.0925393035929, -0.121286225913],
                        [0.028102643674, -0.0841266396299, -0.000765212781785],
                        [0.0175641522962, -0.185078607186, 0.053182288334],
                    ]),
             'dW1': np.array([
                        [-0.196747961317, 0.0442793371459, 0.0344198473808],
                        [0.042063319815, -0.0673013117039, -0.00841266396299],
                        [-0.166482037738, 0.0822948551144, 0.00392750922767],
                    ]),
             'db1': np.array([[-0.139357002683], [-0.0841266396299], [-0.0657524046527]]),
         }),
    Test("L_model_backward on random deep networks", call="L_model_backward",
         inputs=random_model_backward),

    Test("update_parameters with learning rate 0.1", call="update_parameters",
         inputs={"params": P_EX, "grads": G_EX, "learning_rate": 0.1}, public=True,
         expected={
             'W1': np.array([[0.49, -0.18, 0.095], [-0.3, 0.37, 0.61]]),
             'b1': np.array([[0.048], [-0.096]]),
             'W2': np.array([[0.75, -0.525]]),
             'b2': np.array([[0.19]]),
         }),
    Test("update_parameters on random networks", call="update_parameters", inputs=random_update),

    Test("all together: 5 iterations of a [3, 4, 1] network (seed 1)", call="train_steps",
         inputs={"X": X_EX, "Y": Y_EX, "layer_dims": [3, 4, 1], "num_iterations": 5,
                 "learning_rate": 0.5}, seed=1, public=True, expected={
                     'costs': [
                                  0.693075804878,
                                  0.679930414304,
                                  0.669804380155,
                                  0.661938206166,
                                  0.655735421728,
                              ],
                     'parameters': {
                                       'W1': np.array([
                                                 [0.0222657400529, -0.00792279025992,
                                                  -0.00588540596572],
                                                 [-0.0134436687522, 0.00974497099738,
                                                  -0.0216169385298],
                                                 [0.043582121614, -0.015447584331,
                                                  0.000572304693931],
                                                 [-0.00903689775176, 0.0172179856528,
                                                  -0.0172211356343],
                                             ]),
                                       'b1': np.array([
                                                 [0.00401566861165],
                                                 [0.000294053464063],
                                                 [0.0174252725754],
                                                 [0.000656592026357],
                                             ]),
                                       'W2': np.array([
                                                 [0.019123707743, -0.00609532731963,
                                                  0.0473135393198, -0.0118490429644],
                                             ]),
                                       'b2': np.array([[0.324622502642]]),
                                   },
                 }),
    Test("all together on random data", call="train_steps", inputs=random_training, seed=2),
]


# ------------------------------------------------------------ known mistakes
def _init_variant(layer_dims, scale=0.01, swap=False):
    p = {}
    for l in range(1, len(layer_dims)):
        shape = (int(layer_dims[l - 1]), int(layer_dims[l])) if swap else (int(layer_dims[l]), int(layer_dims[l - 1]))
        p["W" + str(l)] = np.random.randn(*shape) * scale
        p["b" + str(l)] = np.zeros((int(layer_dims[l]), 1))
    return p


def _lab_variant(dA, cache, activation, swap=False, skip=False):
    linear_cache, Z = cache
    if skip:
        dZ = dA
    else:
        act = {"relu": "sigmoid", "sigmoid": "relu"}[activation] if swap else activation
        dZ = _act_backward(dA, Z, act)
    return _linear_backward(dZ, linear_cache)


def _update_variant(params, grads, learning_rate, sign=-1.0, skip_b=False):
    p = dict(params)
    for l in range(1, len(p) // 2 + 1):
        p["W" + str(l)] = p["W" + str(l)] + sign * learning_rate * grads["dW" + str(l)]
        if not skip_b:
            p["b" + str(l)] = p["b" + str(l)] + sign * learning_rate * grads["db" + str(l)]
    return p


def _laf_variant(A_prev, W, b, activation, swap=False, no_bias=False):
    Z = W @ A_prev + (0 if no_bias else b)
    act = {"relu": "sigmoid", "sigmoid": "relu"}[activation] if swap else activation
    return _act(Z, act), ((A_prev, W, b), Z)


MISTAKES = [
    Mistake(call="initialize_parameters_deep", name="forgot the 0.01 scaling",
            impl=lambda layer_dims: _init_variant(layer_dims, scale=1.0),
            hint="Multiply np.random.randn(...) by 0.01 to start with small weights."),
    Mistake(call="initialize_parameters_deep", name="W shapes transposed",
            impl=lambda layer_dims: _init_variant(layer_dims, swap=True),
            hint="W[l] has shape (layer_dims[l], layer_dims[l-1]): rows are the units of the "
                 "current layer, columns the units of the previous one."),
    Mistake(call="linear_forward", name="forgot the bias",
            impl=lambda A, W, b: (W @ A, (A, W, b)),
            hint="Z = np.dot(W, A) + b: the bias column is broadcast over the m examples."),
    Mistake(call="linear_activation_forward", name="activations swapped",
            impl=lambda A_prev, W, b, activation: _laf_variant(A_prev, W, b, activation, swap=True),
            hint="Check which function you call for which string: 'relu' -> relu(Z), "
                 "'sigmoid' -> sigmoid(Z)."),
    Mistake(call="linear_activation_forward", name="returned Z instead of A",
            impl=lambda A_prev, W, b, activation: (W @ A_prev + b, ((A_prev, W, b), W @ A_prev + b)),
            hint="You returned the linear output Z. Apply the activation: A, activation_cache = "
                 "relu(Z) or sigmoid(Z), and return A."),
    Mistake(call="L_model_forward", name="ReLU in the output layer",
            impl=lambda X, parameters: _forward(X, parameters, output="relu"),
            hint="Layers 1..L-1 use ReLU but the last layer L uses the sigmoid, so that AL is a "
                 "probability in (0, 1)."),
    Mistake(call="L_model_forward", name="sigmoid in every layer",
            impl=lambda X, parameters: _forward(X, parameters, hidden="sigmoid"),
            hint="The hidden layers use 'relu'; only the output layer uses 'sigmoid'."),
    Mistake(call="L_model_forward", name="did not append the last cache",
            impl=lambda X, parameters: _forward(X, parameters, keep_last_cache=False),
            hint="caches must hold one entry per layer, L in total: append the output layer's "
                 "cache too."),
    Mistake(call="compute_cost", name="forgot the minus sign",
            impl=lambda AL, Y: float(np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1]),
            hint="The cross-entropy is -(1/m) * sum(...): the logs are negative, the cost is not."),
    Mistake(call="compute_cost", name="forgot to divide by m",
            impl=lambda AL, Y: float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))),
            hint="Average over the m examples: divide the sum by m = Y.shape[1]."),
    Mistake(call="linear_backward", name="forgot to divide by m",
            impl=lambda dZ, cache: _linear_backward(dZ, cache, divide=False),
            hint="dW = (1/m) dZ A_prev^T and db = (1/m) sum(dZ, axis=1): both average over m."),
    Mistake(call="linear_backward", name="db summed over the wrong axis",
            impl=lambda dZ, cache: _linear_backward(dZ, cache, db_axis=0),
            hint="db sums over the examples, which are columns: axis=1, keepdims=True, giving "
                 "shape (n[l], 1)."),
    Mistake(call="linear_backward", name="divided dA_prev by m",
            impl=lambda dZ, cache: (lambda r: (r[0] / cache[0].shape[1], r[1], r[2]))(
                _linear_backward(dZ, cache)),
            hint="dA_prev = W^T dZ without 1/m: the averaging over examples happens only in dW "
                 "and db."),
    Mistake(call="linear_activation_backward", name="backward functions swapped",
            impl=lambda dA, cache, activation: _lab_variant(dA, cache, activation, swap=True),
            hint="For 'relu' call relu_backward, for 'sigmoid' call sigmoid_backward, each with "
                 "the activation cache (Z)."),
    Mistake(call="linear_activation_backward", name="skipped the activation's derivative",
            impl=lambda dA, cache, activation: _lab_variant(dA, cache, activation, skip=True),
            hint="dZ = dA * g'(Z): compute dZ with relu_backward / sigmoid_backward before "
                 "calling linear_backward."),
    Mistake(call="L_model_backward", name="dAL with the wrong sign",
            impl=lambda AL, Y, caches: _backward(AL, Y, caches, dal_sign=-1.0),
            hint="dAL = -(Y / AL - (1 - Y) / (1 - AL)); mind the leading minus sign."),
    Mistake(call="L_model_backward", name="relu for the output layer",
            impl=lambda AL, Y, caches: _backward(AL, Y, caches, last="relu"),
            hint="The output layer was computed with a sigmoid, so its backward step is "
                 "'sigmoid'; only layers L-1..1 use 'relu'."),
    Mistake(call="L_model_backward", name="sigmoid for every layer",
            impl=lambda AL, Y, caches: _backward(AL, Y, caches, hidden="sigmoid"),
            hint="Hidden layers used ReLU in the forward pass: go back through them with 'relu'."),
    Mistake(call="update_parameters", name="gradient ascent",
            impl=lambda params, grads, learning_rate: _update_variant(params, grads, learning_rate,
                                                                      sign=1.0),
            hint="Subtract: W = W - learning_rate * dW, b = b - learning_rate * db."),
    Mistake(call="update_parameters", name="did not update the biases",
            impl=lambda params, grads, learning_rate: _update_variant(params, grads, learning_rate,
                                                                      skip_b=True),
            hint="Update b[l] as well as W[l], for every layer l = 1..L."),
]
