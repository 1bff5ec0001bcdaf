import math

import numpy as np

from course_content.labkit import Mistake, Test


# ----------------------------------------------------------------------------- inputs
def make_dicts(rng, dims, positive=False):
    """Parameters and gradients (keys W1.. and dW1..) for a network with layer sizes dims."""
    p, g = {}, {}
    for l in range(1, len(dims)):
        for name, shape in (("W", (dims[l], dims[l - 1])), ("b", (dims[l], 1))):
            p[name + str(l)] = np.round(rng.standard_normal(shape), 2)
            g["d" + name + str(l)] = np.round(rng.standard_normal(shape), 2)
            if positive:
                g["d" + name + str(l)] = np.abs(g["d" + name + str(l)])
    return p, g


def random_dims(rng):
    return [int(n) for n in rng.integers(1, 6, size=int(rng.integers(2, 5)) + 1)]


def make_moons(m, noise, rng):
    upper = rng.random(m) < 0.5
    angle = rng.uniform(0.0, np.pi, m)
    x1 = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    x2 = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    X = np.stack([x1, x2]) + noise * rng.standard_normal((2, m))
    return X, upper.astype(float).reshape(1, m)


_P2, _G2 = make_dicts(np.random.default_rng(1), [3, 2, 1])
_V2 = {"dW1": np.array([[0.1, -0.2, 0.3], [0.0, 0.5, -0.1]]), "db1": np.array([[0.2], [-0.3]]),
       "dW2": np.array([[0.4, -0.4]]), "db2": np.array([[0.05]])}
_P1 = {"W1": np.array([[0.5, -1.0], [2.0, 0.3]]), "b1": np.array([[0.1], [-0.2]])}
_G1 = {"dW1": np.array([[0.2, -0.4], [1.5, 0.01]]), "db1": np.array([[-0.3], [0.05]])}
_V1 = {"dW1": np.array([[0.1, -0.1], [0.2, 0.0]]), "db1": np.array([[0.0], [0.02]])}
_S1 = {"dW1": np.array([[0.01, 0.02], [0.3, 0.001]]), "db1": np.array([[0.005], [0.0]])}
_MOONS_X, _MOONS_Y = make_moons(300, 0.2, np.random.default_rng(4))


def gd_inputs(rng):
    p, g = make_dicts(rng, random_dims(rng))
    return {"parameters": p, "grads": g, "learning_rate": float(rng.uniform(0.001, 0.5))}


def batches_inputs(rng):
    m = int(rng.integers(5, 60))
    n_x = int(rng.integers(1, 4))
    return {"X": rng.standard_normal((n_x, m)), "Y": (rng.random((1, m)) < 0.5).astype(float),
            "mini_batch_size": int(rng.choice([2, 4, 8, 16]))}


def batches_exact_inputs(rng):
    size = int(rng.choice([2, 4, 8]))
    m = size * int(rng.integers(2, 6))
    return {"X": rng.standard_normal((2, m)), "Y": (rng.random((1, m)) < 0.5).astype(float),
            "mini_batch_size": size}


def params_inputs(rng):
    return {"parameters": make_dicts(rng, random_dims(rng))[0]}


def momentum_inputs(rng):
    p, g = make_dicts(rng, random_dims(rng))
    v = {k: rng.standard_normal(a.shape) for k, a in g.items()}
    return {"parameters": p, "grads": g, "v": v, "beta": float(rng.uniform(0.5, 0.99)),
            "learning_rate": float(rng.uniform(0.001, 0.2))}


def adam_inputs(rng):
    p, g = make_dicts(rng, random_dims(rng))
    v = {k: rng.standard_normal(a.shape) for k, a in g.items()}
    s = {k: rng.random(a.shape) for k, a in g.items()}
    return {"parameters": p, "grads": g, "v": v, "s": s, "t": int(rng.integers(1, 20)),
            "learning_rate": float(rng.uniform(0.001, 0.1)), "beta1": 0.9, "beta2": 0.999,
            "epsilon": 1e-8}


def sequence_inputs(kind):
    def inputs(rng):
        dims = random_dims(rng)
        p, _ = make_dicts(rng, dims)
        seq = [make_dicts(rng, dims)[1] for _ in range(int(rng.integers(2, 5)))]
        out = {"parameters": p, "grads_sequence": seq, "learning_rate": 0.05}
        if kind == "momentum":
            out["beta"] = 0.9
        return out
    return inputs


def training_inputs(optimizer, learning_rate):
    def inputs(rng):
        X, Y = make_moons(int(rng.integers(50, 130)), 0.2, rng)
        return {"X": X, "Y": Y, "optimizer": optimizer, "learning_rate": learning_rate,
                "num_epochs": 15, "mini_batch_size": int(rng.choice([16, 32]))}
    return inputs


def _mini_batch_check(out, inputs):
    X, size = inputs["X"], inputs["mini_batch_size"]
    m = X.shape[1]
    expected_sizes = [size] * (m // size) + ([m % size] if m % size else [])
    sizes = [np.asarray(batch[0]).shape[1] for batch in out]
    if sizes != expected_sizes:
        return f"expected mini-batch sizes {expected_sizes}, got {sizes}"
    return None


# ----------------------------------------------------------------------------- tests
TESTS = [
    Test("gradient descent step on a 2-layer network", call="update_parameters_with_gd",
         inputs={"parameters": _P2, "grads": _G2, "learning_rate": 0.1}, public=True,
         expected={"W1": np.array([[0.404, 0.762, 0.294], [-1.329, 0.907, 0.395]]),
                   "b1": np.array([[-0.692], [-0.22]]),
                   "W2": np.array([[0.118, -0.264]]), "b2": np.array([[0.038]])}),
    Test("gradient descent, random sizes", call="update_parameters_with_gd", inputs=gd_inputs),
    Test("mini-batches of 4 from 10 examples", call="random_mini_batches",
         inputs={"X": np.arange(20.0).reshape(2, 10), "Y": np.array([[1.0, 0, 1, 0, 1, 1, 0, 0, 1, 0]]),
                 "mini_batch_size": 4},
         public=True, expected=[(np.array([[2.0, 8.0, 4.0, 9.0], [12.0, 18.0, 14.0, 19.0]]), np.array([[1.0, 1.0, 1.0, 0.0]])),
                   (np.array([[1.0, 6.0, 7.0, 3.0], [11.0, 16.0, 17.0, 13.0]]), np.array([[0.0, 0.0, 0.0, 0.0]])),
                   (np.array([[0.0, 5.0], [10.0, 15.0]]), np.array([[1.0, 1.0]]))], check=_mini_batch_check),
    Test("mini-batches, random m and size", call="random_mini_batches", inputs=batches_inputs,
         seed=3, check=_mini_batch_check),
    Test("mini-batches when m is a multiple of the size", call="random_mini_batches",
         inputs=batches_exact_inputs, seed=5, check=_mini_batch_check),
    Test("velocity for a 2-layer network", call="initialize_velocity",
         inputs={"parameters": _P2}, public=True,
         expected={"dW1": np.zeros((2, 3)), "db1": np.zeros((2, 1)),
                   "dW2": np.zeros((1, 2)), "db2": np.zeros((1, 1))}),
    Test("velocity, random sizes", call="initialize_velocity", inputs=params_inputs),
    Test("momentum step on a 2-layer network", call="update_parameters_with_momentum",
         inputs={"parameters": _P2, "grads": _G2, "v": _V2, "beta": 0.9, "learning_rate": 0.1},
         public=True, expected=({"W1": np.array([[0.3464, 0.8322, 0.2994], [-1.3029, 0.8647, 0.4535]]),
                    "b1": np.array([[-0.7532], [-0.139]]),
                    "W2": np.array([[0.0118, -0.2514]]), "b2": np.array([[0.0083]])},
                   {"dW1": np.array([[0.036, -0.122, 0.306], [0.029, 0.453, -0.035]]),
                    "db1": np.array([[0.132], [-0.21]]),
                    "dW2": np.array([[0.282, -0.386]]), "db2": np.array([[0.017]])})),
    Test("momentum step, random sizes", call="update_parameters_with_momentum",
         inputs=momentum_inputs),
    Test("three momentum steps from zero velocity", call="momentum_steps",
         inputs=sequence_inputs("momentum")),
    Test("Adam state for a 1-layer network", call="initialize_adam",
         inputs={"parameters": _P1}, public=True,
         expected=[{"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))},
                   {"dW1": np.zeros((2, 2)), "db1": np.zeros((2, 1))}]),
    Test("Adam state, random sizes", call="initialize_adam", inputs=params_inputs),
    Test("Adam step t = 2 on a 1-layer network", call="update_parameters_with_adam",
         inputs={"parameters": _P1, "grads": _G1, "v": _V1, "s": _S1, "t": 2,
                 "learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
         public=True, expected=({"W1": np.array([[0.49741539, -0.99784441], [1.99858681, 0.29992555]]),
                    "b1": np.array([[0.10098998], [-0.23423028]])},
                   {"dW1": np.array([[0.11, -0.13], [0.33, 0.001]]),
                    "db1": np.array([[-0.03], [0.023]])},
                   {"dW1": np.array([[0.01003, 0.02014], [0.30195, 0.0009991]]),
                    "db1": np.array([[5.085e-03], [2.5e-06]])},
                   {"dW1": np.array([[0.57894737, -0.68421053], [1.73684211, 0.00526316]]),
                    "db1": np.array([[-0.15789474], [0.12105263]])},
                   {"dW1": np.array([[5.01750875, 10.07503752], [151.05052526, 0.4997999]]),
                    "db1": np.array([[2.54377189], [1.25062531e-03]])})),
    Test("Adam step, random sizes and t", call="update_parameters_with_adam", inputs=adam_inputs),
    Test("several Adam steps from zero state", call="adam_steps", inputs=sequence_inputs("adam")),
    Test("training with Adam on the moons", call="train_and_report",
         inputs={"X": _MOONS_X, "Y": _MOONS_Y, "optimizer": "adam", "learning_rate": 0.01,
                 "num_epochs": 20, "mini_batch_size": 64},
         public=True, seed=1, expected={"costs": np.array([0.55790688, 0.53336565, 0.51587383, 0.50069165, 0.48757738,
                                      0.47701841, 0.4673773, 0.45793155, 0.44884974, 0.44041403,
                                      0.43354145, 0.42572485, 0.42019046, 0.41383726, 0.4087374,
                                      0.40348623, 0.39718414, 0.39086279, 0.38450875, 0.37775436]),
                   "train_accuracy": 0.85666667}),
    Test("training with momentum on the moons", call="train_and_report",
         inputs={"X": _MOONS_X, "Y": _MOONS_Y, "optimizer": "momentum", "learning_rate": 0.1,
                 "num_epochs": 20, "mini_batch_size": 64},
         public=True, seed=1, expected={"costs": np.array([0.56786887, 0.56024109, 0.54833399, 0.53485381, 0.52096268,
                                      0.50841246, 0.49619167, 0.48450275, 0.47409247, 0.4644256,
                                      0.45712666, 0.44997366, 0.44481958, 0.43983819, 0.43542473,
                                      0.43125751, 0.42723375, 0.42402341, 0.42081771, 0.41805771]),
                   "train_accuracy": 0.80333333}),
    Test("training with gradient descent, random data", call="train_and_report",
         inputs=training_inputs("gd", 0.1), seed=2),
    Test("training with Adam, random data", call="train_and_report",
         inputs=training_inputs("adam", 0.01), seed=3),
]


# ----------------------------------------------------------------------------- mistakes
def _layers(parameters):
    return range(1, len(parameters) // 2 + 1)


def _gd(sign):
    def impl(parameters, grads, learning_rate):
        for l in _layers(parameters):
            for n in ("W", "b"):
                parameters[n + str(l)] = parameters[n + str(l)] + sign * learning_rate * grads["d" + n + str(l)]
        return parameters
    return impl


def _batches(variant):
    def impl(X, Y, mini_batch_size=64):
        m = X.shape[1]
        if variant == "no shuffle":
            perm_x = perm_y = np.arange(m)
        elif variant == "two permutations":
            perm_x = np.random.permutation(m)
            perm_y = np.random.permutation(m)
        else:
            perm_x = perm_y = np.random.permutation(m)
        SX, SY = X[:, perm_x], Y[:, perm_y].reshape(1, m)
        n = math.floor(m / mini_batch_size)
        out = [(SX[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                SY[:, k * mini_batch_size:(k + 1) * mini_batch_size]) for k in range(n)]
        if m % mini_batch_size != 0:
            if variant == "dropped last":
                return out
            if variant == "last full size":
                out.append((SX[:, -mini_batch_size:], SY[:, -mini_batch_size:]))
            else:
                out.append((SX[:, n * mini_batch_size:], SY[:, n * mini_batch_size:]))
        return out
    return impl


def _velocity_keys_like_parameters(parameters):
    return {k: np.zeros_like(a) for k, a in parameters.items()}


def _momentum(variant):
    def impl(parameters, grads, v, beta, learning_rate):
        for l in _layers(parameters):
            for n in ("W", "b"):
                k = "d" + n + str(l)
                if variant == "no 1-beta":
                    v[k] = beta * v[k] + grads[k]
                else:
                    v[k] = beta * v[k] + (1 - beta) * grads[k]
                step = grads[k] if variant == "stepped with grads" else v[k]
                parameters[n + str(l)] = parameters[n + str(l)] - learning_rate * step
        return parameters, v
    return impl


def _adam(variant):
    def impl(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
             epsilon=1e-8):
        vc, sc = {}, {}
        for l in _layers(parameters):
            for n in ("W", "b"):
                k = "d" + n + str(l)
                g = grads[k]
                v[k] = beta1 * v[k] + (1 - beta1) * g
                s[k] = beta2 * s[k] + (1 - beta2) * (np.abs(g) if variant == "abs" else g ** 2)
                if variant == "no correction":
                    vc[k], sc[k] = v[k], s[k]
                elif variant == "beta not beta^t":
                    vc[k], sc[k] = v[k] / (1 - beta1), s[k] / (1 - beta2)
                else:
                    vc[k], sc[k] = v[k] / (1 - beta1 ** t), s[k] / (1 - beta2 ** t)
                if variant == "epsilon inside sqrt":
                    step = vc[k] / np.sqrt(sc[k] + epsilon)
                elif variant == "no sqrt":
                    step = vc[k] / (sc[k] + epsilon)
                else:
                    step = vc[k] / (np.sqrt(sc[k]) + epsilon)
                parameters[n + str(l)] = parameters[n + str(l)] - learning_rate * step
        return parameters, v, s, vc, sc
    return impl


MISTAKES = [
    Mistake(call="update_parameters_with_gd", name="moved up the gradient",
            impl=_gd(+1.0),
            hint="Gradient descent moves against the gradient: W = W - learning_rate * dW."),
    Mistake(call="random_mini_batches", name="no shuffling",
            impl=_batches("no shuffle"),
            hint="Shuffle first: permutation = np.random.permutation(m), then index the columns "
                 "of X and Y with it. Without shuffling every epoch sees the same batches."),
    Mistake(call="random_mini_batches", name="different permutations for X and Y",
            impl=_batches("two permutations"),
            hint="Draw the permutation once and use it for both X and Y; two calls to "
                 "np.random.permutation separate the examples from their labels."),
    Mistake(call="random_mini_batches", name="dropped the last partial batch",
            impl=_batches("dropped last"),
            hint="When m is not a multiple of mini_batch_size, the leftover "
                 "m - num_complete * mini_batch_size examples form one last, smaller batch."),
    Mistake(call="random_mini_batches", name="last batch padded to full size",
            impl=_batches("last full size"),
            hint="The last batch starts right after the complete ones: "
                 "shuffled_X[:, num_complete * mini_batch_size:]. Taking the last "
                 "mini_batch_size columns repeats examples of the previous batch."),
    Mistake(call="initialize_velocity", name="keys named like the parameters",
            impl=_velocity_keys_like_parameters,
            hint="The velocity dictionary uses the gradient keys: \"dW1\", \"db1\", ... so that "
                 "v[\"dW1\"] pairs with grads[\"dW1\"]."),
    Mistake(call="initialize_adam", name="v and s share keys with the parameters",
            impl=lambda parameters: (_velocity_keys_like_parameters(parameters),
                                     _velocity_keys_like_parameters(parameters)),
            hint="Both v and s use the gradient keys \"dW1\", \"db1\", ..."),
    Mistake(call="update_parameters_with_momentum", name="forgot the (1 - beta) factor",
            impl=_momentum("no 1-beta"),
            hint="The velocity is an exponentially weighted average: "
                 "v = beta * v + (1 - beta) * dW."),
    Mistake(call="update_parameters_with_momentum", name="stepped with the gradient",
            impl=_momentum("stepped with grads"),
            hint="Momentum updates the parameters with the velocity, W = W - learning_rate * v, "
                 "not with the raw gradient."),
    Mistake(call="update_parameters_with_adam", name="no bias correction",
            impl=_adam("no correction"),
            hint="Divide v by (1 - beta1 ** t) and s by (1 - beta2 ** t) before the update: the "
                 "averages start at zero and are too small during the first steps."),
    Mistake(call="update_parameters_with_adam", name="corrected with beta instead of beta ** t",
            impl=_adam("beta not beta^t"),
            hint="The bias correction depends on the step count: 1 - beta1 ** t and "
                 "1 - beta2 ** t."),
    Mistake(call="update_parameters_with_adam", name="epsilon inside the square root",
            impl=_adam("epsilon inside sqrt"),
            hint="epsilon is added after the square root: "
                 "v_corrected / (np.sqrt(s_corrected) + epsilon)."),
    Mistake(call="update_parameters_with_adam", name="forgot the square root",
            impl=_adam("no sqrt"),
            hint="s estimates the mean squared gradient; divide by its square root "
                 "np.sqrt(s_corrected) so that the step has the scale of the learning rate."),
    Mistake(call="update_parameters_with_adam", name="s averages |dW| instead of dW ** 2",
            impl=_adam("abs"),
            hint="s is the RMSprop average of the squared gradients: "
                 "s = beta2 * s + (1 - beta2) * np.square(dW)."),
]
