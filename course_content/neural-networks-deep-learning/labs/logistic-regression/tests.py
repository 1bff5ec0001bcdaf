"""Tests for the logistic-regression lab (course 1, week 2)."""

import numpy as np

from course_content.labkit import Mistake, Test


def _sig(z):
    return 1 / (1 + np.exp(-z))


# ------------------------------------------------------------ small fixed inputs
W0 = np.array([[0.5], [-1.0]])
B0 = 0.2
X0 = np.array([[1.0, -2.0, 0.5], [2.0, 1.0, -1.5]])
Y0 = np.array([[0, 1, 1]])


# ------------------------------------------------------------ hidden inputs
def random_images(rng):
    m, p = int(rng.integers(2, 7)), int(rng.integers(2, 5))
    return {"images": rng.integers(0, 256, size=(m, p, p, 3)).astype(float)}


def random_z(rng):
    return {"z": rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(2, 6)))) * 3}


def random_dim(rng):
    return {"dim": int(rng.integers(2, 30))}


def _problem(rng, n_x=None, m=None):
    n_x = n_x or int(rng.integers(2, 7))
    m = m or int(rng.integers(5, 25))
    X = rng.standard_normal((n_x, m))
    true_w = rng.standard_normal((n_x, 1))
    Y = ((true_w.T @ X + 0.5 * rng.standard_normal((1, m))) > 0).astype(int)
    return X, Y


def random_propagate(rng):
    X, Y = _problem(rng)
    return {"w": rng.standard_normal((X.shape[0], 1)) * 0.5, "b": float(rng.standard_normal()),
            "X": X, "Y": Y}


def random_optimize(rng):
    X, Y = _problem(rng)
    return {"w": rng.standard_normal((X.shape[0], 1)) * 0.1, "b": float(rng.standard_normal() * 0.1),
            "X": X, "Y": Y, "num_iterations": 250, "learning_rate": float(rng.uniform(0.01, 0.2)),
            "print_cost": False}


def random_predict(rng):
    n_x = int(rng.integers(2, 6))
    return {"w": rng.standard_normal((n_x, 1)), "b": float(rng.standard_normal()),
            "X": rng.standard_normal((n_x, int(rng.integers(4, 15))))}


def random_model(rng):
    n_x = int(rng.integers(3, 8))
    X, Y = _problem(rng, n_x=n_x, m=int(rng.integers(20, 40)))
    Xt, Yt = _problem(rng, n_x=n_x, m=int(rng.integers(5, 12)))
    return {"X_train": X, "Y_train": Y, "X_test": Xt, "Y_test": Yt,
            "num_iterations": 301, "learning_rate": float(rng.uniform(0.05, 0.3)),
            "print_cost": False}


def _binary(output, inputs):
    out = np.asarray(output)
    if out.ndim != 2 or out.shape[0] != 1:
        return f"predictions must have shape (1, m); got {out.shape}"
    if not np.all((out == 0) | (out == 1)):
        return "predictions must be 0 or 1, not probabilities: threshold A at 0.5"
    return None


TESTS = [
    # preprocess
    Test("preprocess two 2x2 images", call="preprocess",
         inputs={"images": np.arange(24.0).reshape(2, 2, 2, 3) * 10},
         expected=np.array([[0.0, 0.4705882353], [0.0392156863, 0.5098039216],
                            [0.0784313725, 0.5490196078], [0.1176470588, 0.5882352941],
                            [0.1568627451, 0.6274509804], [0.1960784314, 0.6666666667],
                            [0.2352941176, 0.7058823529], [0.2745098039, 0.7450980392],
                            [0.3137254902, 0.7843137255], [0.3529411765, 0.8235294118],
                            [0.3921568627, 0.8627450980], [0.4313725490, 0.9019607843]]),
         public=True),
    Test("preprocess random image batches", call="preprocess", inputs=random_images),
    # sigmoid
    Test("sigmoid of [0, 2]", call="sigmoid", inputs={"z": np.array([0.0, 2.0])},
         expected=np.array([0.5, 0.8807970780]), public=True),
    Test("sigmoid on random arrays", call="sigmoid", inputs=random_z),
    # initialize_with_zeros
    Test("initialize_with_zeros(2)", call="initialize_with_zeros", inputs={"dim": 2},
         expected=(np.array([[0.0], [0.0]]), 0.0), public=True),
    Test("initialize_with_zeros of random size", call="initialize_with_zeros", inputs=random_dim),
    # propagate
    Test("propagate on the example", call="propagate",
         inputs={"w": W0, "b": B0, "X": X0, "Y": Y0},
         expected=({"dw": np.array([[0.6227287360], [-0.0809962880]]), "db": -0.2561790921098291},
                   0.7756690464773114),
         public=True),
    Test("propagate on random data", call="propagate", inputs=random_propagate),
    # optimize
    Test("optimize: 200 steps on the example", call="optimize",
         inputs={"w": W0, "b": B0, "X": X0, "Y": Y0, "num_iterations": 200,
                 "learning_rate": 0.1, "print_cost": False},
         expected=({"w": np.array([[-1.7459623991], [-1.6998050811]]), "b": 1.3682381850808776},
                   {"dw": np.array([[0.0271499692], [0.0241781818]]), "db": -0.021340900309861573},
                   [0.7756690464773114, 0.07036373952286035]),
         public=True),
    Test("optimize on random data", call="optimize", inputs=random_optimize),
    # predict
    Test("predict on four examples", call="predict",
         inputs={"w": np.array([[0.3], [-0.8]]), "b": 0.1,
                 "X": np.array([[1.0, 2.0, -1.0, 0.4], [0.2, 1.0, -0.2, 0.0]])},
         expected=np.array([[1.0, 0.0, 0.0, 1.0]]), public=True, check=_binary),
    Test("predict on random data", call="predict", inputs=random_predict, check=_binary),
    # model
    Test("model on the tiny example", call="model",
         inputs={"X_train": X0, "Y_train": Y0, "X_test": np.array([[1.0, -1.0], [0.0, 2.0]]),
                 "Y_test": np.array([[1, 0]]), "num_iterations": 101, "learning_rate": 0.1,
                 "print_cost": False},
         expected={"costs": [0.6931471805599453, 0.07923004589810402],
                   "Y_prediction_test": np.array([[0.0, 0.0]]),
                   "Y_prediction_train": np.array([[0.0, 1.0, 1.0]]),
                   "w": np.array([[-1.3997829432], [-1.3153323795]]),
                   "b": 0.9234289755891456, "learning_rate": 0.1, "num_iterations": 101},
         public=True),
    Test("model trained on the cat images (1000 steps, rate 0.01)", call="train_on_cats",
         inputs={"num_iterations": 1000, "learning_rate": 0.01},
         expected={"costs": [0.6931471805599453, 0.6361589743982015, 0.5927569492929055,
                             0.5567939690520671, 0.5256498299839208, 0.4980576252040385,
                             0.47331203470045785, 0.4509576950325173, 0.4306627527211436,
                             0.41216513047738107],
                   "train_accuracy": 93.125, "test_accuracy": 84.0, "b": -0.08743755087379765},
         public=True, points=2),
    Test("model on random data", call="model", inputs=random_model),
    Test("model trained on the cat images (300 steps, rate 0.1)", call="train_on_cats",
         inputs={"num_iterations": 300, "learning_rate": 0.1}),
]


# ------------------------------------------------------------ known mistakes
def _propagate_variant(w, b, X, Y, *, sign=1.0, divide_dw=True, divide_db=True, cost_sign=-1.0,
                       dz_sign=1.0):
    m = X.shape[1]
    A = _sig(w.T @ X + b)
    cost = cost_sign * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dZ = dz_sign * (A - Y)
    dw = X @ dZ.T / (m if divide_dw else 1)
    db = np.sum(dZ) / (m if divide_db else 1)
    return {"dw": dw, "db": float(db)}, float(cost)


def _optimize_variant(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False, *,
                      ascent=False, every=100):
    costs = []
    dw, db = np.zeros_like(w), 0.0
    step = learning_rate * (-1 if ascent else 1)
    for i in range(num_iterations):
        grads, cost = _propagate_variant(w, b, X, Y)
        dw, db = grads["dw"], grads["db"]
        w = w - step * dw
        b = b - step * db
        if i % every == 0:
            costs.append(cost)
    return {"w": w, "b": float(b)}, {"dw": dw, "db": float(db)}, costs


def _model_fixed_hparams(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5,
                         print_cost=False):
    w = np.zeros((X_train.shape[0], 1))
    params, _, costs = _optimize_variant(w, 0.0, X_train, Y_train)   # optimize's defaults
    w, b = params["w"], params["b"]
    return {"costs": costs,
            "Y_prediction_test": (_sig(w.T @ X_test + b) > 0.5).astype(float),
            "Y_prediction_train": (_sig(w.T @ X_train + b) > 0.5).astype(float),
            "w": w, "b": b, "learning_rate": learning_rate, "num_iterations": num_iterations}


MISTAKES = [
    Mistake(call="preprocess", name="reshape(-1, m) scrambles the images",
            impl=lambda images: images.reshape(-1, images.shape[0]) / 255.0,
            hint="The shape is right but each column mixes pixels of several images. Flatten "
                 "every image first and then transpose: images.reshape(images.shape[0], -1).T."),
    Mistake(call="preprocess", name="forgot the transpose",
            impl=lambda images: images.reshape(images.shape[0], -1) / 255.0,
            hint="reshape(m, -1) puts one image per row. The network expects one image per "
                 "column, shape (num_px * num_px * 3, m): add .T."),
    Mistake(call="preprocess", name="forgot to scale by 255",
            impl=lambda images: images.reshape(images.shape[0], -1).T,
            hint="The flattening is right; now standardize by dividing by 255 so that pixel "
                 "values lie in [0, 1]."),
    Mistake(call="sigmoid", name="sign error in the exponent",
            impl=lambda z: 1 / (1 + np.exp(z)),
            hint="sigmoid(z) = 1 / (1 + exp(-z)): check the sign inside np.exp."),
    Mistake(call="initialize_with_zeros", name="rank-1 weight vector",
            impl=lambda dim: (np.zeros(dim), 0.0),
            hint="np.zeros(dim) has shape (dim,). w must be a column vector: np.zeros((dim, 1))."),
    Mistake(call="initialize_with_zeros", name="integer bias",
            impl=lambda dim: (np.zeros((dim, 1)), 0),
            hint="Return the bias as the float 0.0, not the integer 0."),
    Mistake(call="initialize_with_zeros", name="row weight vector",
            impl=lambda dim: (np.zeros((1, dim)), 0.0),
            hint="w holds one weight per feature as a column: shape (dim, 1), not (1, dim)."),
    Mistake(call="propagate", name="cost without the minus sign",
            impl=lambda w, b, X, Y: _propagate_variant(w, b, X, Y, cost_sign=1.0),
            hint="log(A) is negative for A in (0, 1), so the cross-entropy needs a leading minus "
                 "sign: cost = -(1/m) * sum(Y log A + (1 - Y) log(1 - A)). A cost must be >= 0."),
    Mistake(call="propagate", name="dw not divided by m",
            impl=lambda w, b, X, Y: _propagate_variant(w, b, X, Y, divide_dw=False),
            hint="The cost is an average over m examples, so its gradient is too: "
                 "dw = (1/m) * X dZ^T."),
    Mistake(call="propagate", name="db not divided by m",
            impl=lambda w, b, X, Y: _propagate_variant(w, b, X, Y, divide_db=False),
            hint="db is the average of dZ over the examples: np.sum(dZ) / m."),
    Mistake(call="propagate", name="dZ = Y - A",
            impl=lambda w, b, X, Y: _propagate_variant(w, b, X, Y, dz_sign=-1.0),
            hint="Your gradients point the wrong way. For the cross-entropy cost, "
                 "dJ/dZ = A - Y (not Y - A)."),
    Mistake(call="optimize", name="gradient ascent",
            impl=lambda w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False:
                _optimize_variant(w, b, X, Y, num_iterations, learning_rate, ascent=True),
            hint="Gradient descent moves against the gradient: w = w - learning_rate * dw "
                 "(and the same for b). With + the cost goes up."),
    Mistake(call="optimize", name="recorded the cost at every iteration",
            impl=lambda w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False:
                _optimize_variant(w, b, X, Y, num_iterations, learning_rate, every=1),
            hint="Record the cost only when i % 100 == 0 (iterations 0, 100, 200, ...)."),
    Mistake(call="predict", name="thresholded Z instead of A",
            impl=lambda w, b, X: ((w.T @ X + b) > 0.5).astype(float),
            hint="Compare the probability A = sigmoid(w^T X + b) with 0.5, not the linear "
                 "output Z (equivalently, Z > 0)."),
    Mistake(call="predict", name="forgot the bias",
            impl=lambda w, b, X: (_sig(w.T @ X) > 0.5).astype(float),
            hint="The prediction uses the same A as training: sigmoid(w^T X + b). Don't drop b."),
    Mistake(call="predict", name="returned a boolean array",
            impl=lambda w, b, X: _sig(w.T @ X + b) > 0.5,
            hint="A > 0.5 is an array of True/False. Convert it to 0.0/1.0 with .astype(float)."),
    Mistake(call="predict", name="returned probabilities",
            impl=lambda w, b, X: _sig(w.T @ X + b),
            hint="predict returns hard labels: convert A to 0/1 with (A > 0.5).astype(float)."),
    Mistake(call="model", name="ignored num_iterations and learning_rate",
            impl=_model_fixed_hparams,
            hint="Pass num_iterations and learning_rate through to optimize; otherwise it "
                 "silently uses its own default values."),
]
