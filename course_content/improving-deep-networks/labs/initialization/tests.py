import numpy as np

from course_content.labkit import Mistake, Test


def make_circles(m, noise, rng):
    """Same generator as the notebook: two noisy concentric circles."""
    radius = np.where(rng.random(m) < 0.5, 1.0, 0.5)
    angle = rng.uniform(0.0, 2.0 * np.pi, m)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)])
    X = X + noise * rng.standard_normal((2, m))
    Y = (radius < 0.75).astype(float).reshape(1, m)
    return X, Y


_TRAIN_X, _TRAIN_Y = make_circles(300, 0.08, np.random.default_rng(1))


def random_dims(rng):
    n_layers = int(rng.integers(2, 5))
    return {"layers_dims": [int(n) for n in rng.integers(1, 7, size=n_layers + 1)]}


def random_circles(initialization, iterations):
    def inputs(rng):
        X, Y = make_circles(int(rng.integers(40, 120)), 0.1, rng)
        return {"X": X, "Y": Y, "learning_rate": 0.1, "num_iterations": iterations,
                "initialization": initialization}
    return inputs


def _zeros_transposed(layers_dims):
    p = {}
    for l in range(1, len(layers_dims)):
        p["W" + str(l)] = np.zeros((layers_dims[l - 1], layers_dims[l]))
        p["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return p


def _zeros_flat_bias(layers_dims):
    p = {}
    for l in range(1, len(layers_dims)):
        p["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        p["b" + str(l)] = np.zeros(layers_dims[l])
    return p


def _scaled_init(scale_fn, transposed=False, draw=np.random.randn):
    def impl(layers_dims):
        p = {}
        for l in range(1, len(layers_dims)):
            shape = (layers_dims[l - 1], layers_dims[l]) if transposed else (layers_dims[l], layers_dims[l - 1])
            p["W" + str(l)] = draw(*shape) * scale_fn(layers_dims, l)
            p["b" + str(l)] = np.zeros((layers_dims[l], 1))
        return p
    return impl


W32_RANDOM = np.array([[17.64052346, 4.00157208, 9.78737984],
                       [22.40893199, 18.6755799, -9.7727788]])
W21_RANDOM = np.array([[9.50088418, -1.51357208]])

TESTS = [
    Test("zeros: shapes and values for [3, 2, 1]", call="initialize_parameters_zeros",
         inputs={"layers_dims": [3, 2, 1]}, public=True,
         expected={"W1": np.zeros((2, 3)), "b1": np.zeros((2, 1)),
                   "W2": np.zeros((1, 2)), "b2": np.zeros((1, 1))}),
    Test("zeros: random layer sizes", call="initialize_parameters_zeros", inputs=random_dims),
    Test("random: [3, 2, 1] with seed 0", call="initialize_parameters_random",
         inputs={"layers_dims": [3, 2, 1]}, public=True,
         expected={"W1": W32_RANDOM, "b1": np.zeros((2, 1)),
                   "W2": W21_RANDOM, "b2": np.zeros((1, 1))}),
    Test("random: random layer sizes", call="initialize_parameters_random", inputs=random_dims,
         seed=3),
    Test("He: [2, 4, 1] with seed 0", call="initialize_parameters_he",
         inputs={"layers_dims": [2, 4, 1]}, public=True,
         expected={"W1": np.array([[1.76405235, 0.40015721],
                                   [0.97873798, 2.2408932],
                                   [1.86755799, -0.97727788],
                                   [0.95008842, -0.15135721]]),
                   "b1": np.zeros((4, 1)),
                   "W2": np.array([[-0.07298675, 0.29033699, 0.10185419, 1.02832666]]),
                   "b2": np.zeros((1, 1))}),
    Test("He: random layer sizes", call="initialize_parameters_he", inputs=random_dims, seed=7),
    Test("model with zeros stays near log(2)", call="train_and_report",
         inputs={"X": _TRAIN_X[:, :60], "Y": _TRAIN_Y[:, :60], "learning_rate": 0.1,
                 "num_iterations": 300, "initialization": "zeros"},
         public=True,
         expected={"costs": np.array([0.69314718, 0.68429136, 0.68423218]),
                   "train_accuracy": 0.56666667}),
    Test("model with He initialization learns the circles", call="train_and_report",
         inputs={"X": _TRAIN_X, "Y": _TRAIN_Y, "learning_rate": 0.1, "num_iterations": 1000,
                 "initialization": "he"},
         public=True,
         expected={"costs": np.array([0.70321883, 0.6667629, 0.64500589, 0.59189305,
                                      0.41415671, 0.22926448, 0.13083862, 0.08337309,
                                      0.06086627, 0.045142]),
                   "train_accuracy": 0.99333333}),
    Test("model with large random weights", call="model",
         inputs=random_circles("random", 300), seed=2),
    Test("model with He initialization", call="model", inputs=random_circles("he", 400), seed=5),
]

MISTAKES = [
    Mistake(call="initialize_parameters_zeros", name="transposed weight shape",
            impl=_zeros_transposed,
            hint="W[l] maps the n_{l-1} activations of the previous layer to n_l units, so its "
                 "shape is (layers_dims[l], layers_dims[l-1]), not the other way round."),
    Mistake(call="initialize_parameters_zeros", name="bias as a flat vector",
            impl=_zeros_flat_bias,
            hint="Biases are column vectors of shape (n_l, 1) so that W @ A + b broadcasts over "
                 "the examples: use np.zeros((layers_dims[l], 1))."),
    Mistake(call="initialize_parameters_random", name="forgot the factor 10",
            impl=_scaled_init(lambda d, l: 1.0),
            hint="This exercise deliberately uses large weights: multiply np.random.randn(...) by 10."),
    Mistake(call="initialize_parameters_random", name="uniform instead of normal",
            impl=_scaled_init(lambda d, l: 10.0, draw=np.random.rand),
            hint="np.random.rand draws uniformly from [0, 1), so every weight is positive. Use "
                 "np.random.randn, which samples a standard normal distribution."),
    Mistake(call="initialize_parameters_random", name="transposed weight shape",
            impl=_scaled_init(lambda d, l: 10.0, transposed=True),
            hint="Call np.random.randn(layers_dims[l], layers_dims[l-1]): rows are the units of "
                 "layer l, columns the units of layer l-1."),
    Mistake(call="initialize_parameters_he", name="Xavier scale sqrt(1/n)",
            impl=_scaled_init(lambda d, l: np.sqrt(1.0 / d[l - 1])),
            hint="sqrt(1 / n_{l-1}) is Xavier initialization. He initialization for ReLU layers "
                 "doubles the variance: multiply by np.sqrt(2 / layers_dims[l-1])."),
    Mistake(call="initialize_parameters_he", name="scaled by the wrong layer size",
            impl=_scaled_init(lambda d, l: np.sqrt(2.0 / d[l])),
            hint="The variance depends on the number of inputs of the layer (its fan-in), "
                 "layers_dims[l-1], not on the number of units layers_dims[l]."),
    Mistake(call="initialize_parameters_he", name="variance instead of standard deviation",
            impl=_scaled_init(lambda d, l: 2.0 / d[l - 1]),
            hint="randn has standard deviation 1; to get variance 2/n multiply by the standard "
                 "deviation np.sqrt(2 / n), not by 2/n itself."),
]
