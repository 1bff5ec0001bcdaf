import numpy as np
import torch
from torch import nn

from course_content.labkit import Mistake, Test

F32 = {"rtol": 1e-4, "atol": 1e-6}   # float32 results: allow for a different order of operations


# ----------------------------------------------------------------------------- inputs
def make_three_blobs(m_per_class, rng):
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])
    X = np.concatenate([rng.standard_normal((m_per_class, 2)) + c for c in centres])
    return X, np.repeat(np.arange(3), m_per_class)


_TRAIN_X, _TRAIN_Y = make_three_blobs(50, np.random.default_rng(6))
_SMALL_X = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 7.0], [7.0, 9.0]])


def matrix_inputs(rng):
    m, n = int(rng.integers(3, 12)), int(rng.integers(1, 6))
    scale = rng.uniform(0.5, 5.0, size=(1, n))
    return {"X": rng.standard_normal((m, n)) * scale + rng.uniform(-3, 3, size=(1, n))}


def distance_inputs(rng):
    d = int(rng.integers(1, 5))
    return {"A": rng.standard_normal((int(rng.integers(1, 7)), d)),
            "B": rng.standard_normal((int(rng.integers(1, 7)), d))}


def mse_inputs(rng):
    m, n = int(rng.integers(2, 10)), int(rng.integers(1, 5))
    return {"X": rng.standard_normal((m, n)), "y": rng.standard_normal(m),
            "w": rng.standard_normal(n)}


def logits_inputs(rng):
    return {"z": rng.standard_normal((int(rng.integers(1, 8)), int(rng.integers(2, 6)))) * 3}


def model_inputs(rng):
    n, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
    return {"n_features": n, "n_classes": c,
            "X": rng.standard_normal((int(rng.integers(1, 8)), n))}


def count_inputs(rng):
    return {"n_features": int(rng.integers(1, 20)), "n_classes": int(rng.integers(2, 10))}


def training_inputs(rng):
    n_classes = int(rng.integers(2, 5))
    n_features = int(rng.integers(2, 5))
    centres = rng.standard_normal((n_classes, n_features)) * 2.5
    y = rng.integers(0, n_classes, size=int(rng.integers(20, 60)))
    X = centres[y] + rng.standard_normal((y.size, n_features))
    return {"X": X, "y": y, "n_classes": n_classes, "learning_rate": float(rng.uniform(0.1, 0.8)),
            "num_epochs": int(rng.integers(5, 25))}


def _is_distribution(out, inputs):
    probs = np.asarray(out.detach() if isinstance(out, torch.Tensor) else out, dtype=float)
    if not np.all(np.isfinite(probs)):
        return "softmax returned inf or nan: subtract the row maximum before exponentiating"
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-5):
        return "each row of the softmax must sum to 1 (normalise over dim=1)"
    return None


def _standardized(out, inputs):
    X = np.asarray(out.detach() if isinstance(out, torch.Tensor) else out, dtype=float)
    if not np.allclose(X.mean(axis=0), 0.0, atol=1e-4):
        return "every column should have mean 0 after standardization"
    return None


# ----------------------------------------------------------------------------- tests
TESTS = [
    Test("standardize a 4 x 2 matrix", call="standardize_columns", inputs={"X": _SMALL_X},
         public=True, check=_standardized, expected=np.array([[-1.34164071, -1.56892908], [-0.44721359, 0.0],
                             [0.44721359, 0.39223227], [1.34164071, 1.17669678]]), **F32),
    Test("standardize, random shapes and scales", call="standardize_columns",
         inputs=matrix_inputs, check=_standardized, **F32),
    Test("squared distances between 3 and 2 points", call="pairwise_squared_distances",
         inputs={"A": np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 4.0]]),
                 "B": np.array([[0.0, 0.0], [1.0, 0.0]])},
         public=True, expected=np.array([[0.0, 1.0], [2.0, 1.0], [25.0, 20.0]]), **F32),
    Test("squared distances, random shapes", call="pairwise_squared_distances",
         inputs=distance_inputs, **F32),
    Test("MSE and its gradient by autograd", call="mse_and_gradient",
         inputs={"X": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                 "y": np.array([1.0, 2.0, 3.0]), "w": np.array([0.5, -0.5])},
         public=True, expected=(6.91666667, np.array([-17.66666667, -22.66666667])), **F32),
    Test("MSE and gradient, random shapes", call="mse_and_gradient", inputs=mse_inputs, **F32),
    Test("softmax of small logits", call="softmax",
         inputs={"z": np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])},
         public=True, check=_is_distribution, expected=np.array([[0.09003057, 0.24472847, 0.66524096],
                             [0.33333333, 0.33333333, 0.33333333]]), **F32),
    Test("softmax of very large logits does not overflow", call="softmax",
         inputs={"z": np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])},
         public=True, check=_is_distribution, expected=np.array([[0.09003057, 0.24472847, 0.66524096], [0.0, 0.0, 1.0]]), **F32),
    Test("softmax, random shapes", call="softmax", inputs=logits_inputs,
         check=_is_distribution, **F32),
    Test("SoftmaxRegression registers a weight and a bias", call="model_parameter_count",
         inputs={"n_features": 4, "n_classes": 3}, public=True, expected=15),
    Test("SoftmaxRegression parameter count, random sizes", call="model_parameter_count",
         inputs=count_inputs),
    Test("SoftmaxRegression returns logits", call="model_logits",
         inputs={"n_features": 2, "n_classes": 3, "X": _SMALL_X}, public=True, expected=np.array([[0.7393418, -1.06209826, 0.04413502],
                             [2.24604535, -4.30760956, 0.25790805],
                             [2.61478019, -5.99195862, -0.09716652],
                             [3.36283827, -8.19669533, -0.26262522]]),
         **F32),
    Test("SoftmaxRegression logits, random sizes", call="model_logits", inputs=model_inputs,
         seed=5, **F32),
    Test("training on the three clouds", call="train_softmax_regression",
         inputs={"X": _TRAIN_X, "y": _TRAIN_Y, "n_classes": 3, "learning_rate": 0.5,
                 "num_epochs": 10},
         public=True, expected={"losses": np.array([0.87836456, 0.48952261, 0.36227527, 0.30665302, 0.27470574,
                                       0.25347117, 0.23809542, 0.22632301, 0.21694943,
                                       0.20926675]),
                   "accuracy": 0.95333333,
                   "weight": np.array([[-0.35546669, 1.1100446], [-1.14308858, -0.54902571],
                                       [0.63893521, -0.51246756]]),
                   "bias": np.array([0.01139378, 0.33346039, 0.13904178])}, **F32),
    Test("training, random data", call="train_softmax_regression", inputs=training_inputs,
         seed=3, **F32),
]


# ----------------------------------------------------------------------------- mistakes
def _standardize(dim=0, correction=0, center=True):
    def impl(X):
        X = torch.as_tensor(X, dtype=torch.float32)
        mean = X.mean(dim=dim, keepdim=True) if center else 0.0
        return (X - mean) / X.std(dim=dim, correction=correction, keepdim=True)
    return impl


def _distances(variant):
    def impl(A, B):
        A = torch.as_tensor(A, dtype=torch.float32)
        B = torch.as_tensor(B, dtype=torch.float32)
        D = ((A[:, None, :] - B[None, :, :]) ** 2).sum(dim=2)
        if variant == "sqrt":
            return torch.sqrt(D)
        return D.T
    return impl


def _mse(variant):
    def impl(X, y, w):
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32)
        w = torch.tensor(w, dtype=torch.float32, requires_grad=True)
        err = X @ w - y
        loss = (err ** 2).sum() if variant == "sum" else (err.abs()).mean()
        loss.backward()
        return loss.item(), w.grad
    return impl


def _softmax_dim0(z):
    z = torch.as_tensor(z, dtype=torch.float32)
    e = torch.exp(z - z.max(dim=0, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)


class _NoBias(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes, bias=False)

    def forward(self, X):
        return self.linear(X)


class _SoftmaxInForward(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, X):
        return torch.softmax(self.linear(X), dim=1)


def _train(model_class, zero_grad=True):
    """Self-contained training loop with a given model class (mistake variants)."""
    def impl(X, y, n_classes, learning_rate=0.5, num_epochs=50):
        X = torch.as_tensor(X, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.long)
        model = model_class(X.shape[1], n_classes)
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        loss_fn = nn.CrossEntropyLoss()
        losses = []
        for _ in range(num_epochs):
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
        bias = model.linear.bias
        return {"losses": np.array(losses), "accuracy": float(accuracy),
                "weight": model.linear.weight.detach().clone(),
                "bias": (bias.detach().clone() if bias is not None else torch.zeros(n_classes))}
    return impl


class _Reference(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.linear = nn.Linear(n_features, n_classes)

    def forward(self, X):
        return self.linear(X)


MISTAKES = [
    Mistake(call="standardize_columns", name="sample standard deviation",
            impl=_standardize(correction=1),
            hint="torch.std divides by m - 1 by default (Bessel's correction). Standardization "
                 "here uses the population standard deviation: pass correction=0."),
    Mistake(call="standardize_columns", name="standardized the rows",
            impl=_standardize(dim=1),
            hint="Rows are examples and columns are features: reduce over the examples with "
                 "dim=0 so each feature gets its own mean and standard deviation."),
    Mistake(call="standardize_columns", name="did not subtract the mean",
            impl=_standardize(center=False),
            hint="Center first: (X - mean) / std. Dividing by the standard deviation alone "
                 "only rescales the features."),
    Mistake(call="pairwise_squared_distances", name="took the square root",
            impl=_distances("sqrt"),
            hint="Return the squared distances: sum the squared differences and stop there, "
                 "without a square root."),
    Mistake(call="pairwise_squared_distances", name="result transposed",
            impl=_distances("transposed"),
            hint="D[i, j] compares row i of A with row j of B, so D has shape (m, k): put A's "
                 "new axis second, A[:, None, :], and B's first, B[None, :, :]."),
    Mistake(call="mse_and_gradient", name="sum instead of mean",
            impl=_mse("sum"),
            hint="The mean squared error averages over the m examples: use .mean(), not .sum(); "
                 "the gradient is then m times smaller."),
    Mistake(call="mse_and_gradient", name="mean absolute error",
            impl=_mse("abs"),
            hint="Square the errors, ((pred - y) ** 2).mean(); the absolute value gives the mean "
                 "absolute error, a different loss with a different gradient."),
    Mistake(call="softmax", name="normalised over the wrong dimension",
            impl=_softmax_dim0,
            hint="Each row holds the logits of one example: take the max and the sum over dim=1 "
                 "(with keepdim=True), so that every row sums to 1."),
    # The class SoftmaxRegression is exercised through train_softmax_regression, which builds it.
    Mistake(call="train_softmax_regression", name="linear layer without bias",
            impl=_train(_NoBias),
            hint="Keep nn.Linear's bias (the default bias=True) in SoftmaxRegression: softmax "
                 "regression has a weight matrix and a bias vector, n_classes * (n_features + 1) "
                 "parameters."),
    Mistake(call="train_softmax_regression", name="applied softmax in forward",
            impl=_train(_SoftmaxInForward),
            hint="SoftmaxRegression.forward should return raw logits. nn.CrossEntropyLoss applies "
                 "log-softmax itself; applying softmax first squashes the logits and slows "
                 "training."),
    Mistake(call="train_softmax_regression", name="forgot optimizer.zero_grad()",
            impl=_train(_Reference, zero_grad=False),
            hint="backward() adds to the .grad of every parameter. Call optimizer.zero_grad() at "
                 "the start of every iteration, otherwise each step uses the sum of all past "
                 "gradients."),
]
