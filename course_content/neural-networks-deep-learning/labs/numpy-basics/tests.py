"""Tests for the NumPy basics lab (course 1, week 2)."""

import numpy as np

from course_content.labkit import Mistake, Test


def _sig(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------- hidden inputs
def random_matrix(rng):
    shape = (int(rng.integers(2, 6)), int(rng.integers(3, 7)))
    return {"x": rng.standard_normal(shape) * 3}


def random_tensor3(rng):
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 4)))
    return {"x": rng.standard_normal(shape) * 2}


def random_image(rng):
    shape = (int(rng.integers(2, 6)), int(rng.integers(3, 7)), 3)
    return {"image": rng.uniform(0, 1, size=shape)}


def random_rows(rng):
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 6))
    return {"x": rng.standard_normal((n, d)) * rng.uniform(0.5, 10)}


def random_scores(rng):
    m, n = int(rng.integers(2, 6)), int(rng.integers(3, 8))
    return {"x": rng.standard_normal((m, n)) * 2}


def random_large_scores(rng):
    m, n = int(rng.integers(2, 4)), int(rng.integers(3, 6))
    return {"x": rng.standard_normal((m, n)) * 3 + rng.uniform(720, 900)}


def random_labels(rng):
    m = int(rng.integers(5, 20))
    return {"yhat": rng.uniform(0, 1, m), "y": rng.integers(0, 2, m).astype(float)}


def _is_column(output, inputs):
    shape = np.shape(output)
    if len(shape) != 2 or shape[1] != 1:
        return f"image2vector must return a column vector of shape (n, 1); got shape {shape}"
    return None


def _rows_sum_to_one(output, inputs):
    out = np.asarray(output, dtype=float)
    if not np.all(np.isfinite(out)):
        return "softmax returned inf or nan: subtract each row's maximum before np.exp"
    if not np.allclose(out.sum(axis=1), 1.0):
        return "each row of softmax(x) must sum to 1 (normalize along axis=1)"
    return None


YHAT = np.array([0.9, 0.2, 0.1, 0.4, 0.9])
Y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])

TESTS = [
    # sigmoid
    Test("sigmoid of a vector", call="sigmoid", inputs={"x": np.array([1.0, 2.0, 3.0])},
         expected=np.array([0.7310585786, 0.8807970780, 0.9525741268]), public=True),
    Test("sigmoid of 0 is 0.5", call="sigmoid", inputs={"x": 0.0}, expected=0.5, public=True),
    Test("sigmoid of a matrix with negative entries", call="sigmoid",
         inputs={"x": np.array([[-2.0, 0.5], [4.0, -0.1]])},
         expected=np.array([[0.1192029220, 0.6224593312], [0.9820137900, 0.4750208125]]),
         public=True),
    Test("sigmoid on random matrices", call="sigmoid", inputs=random_matrix),
    Test("sigmoid on a 3-d array", call="sigmoid", inputs=random_tensor3),
    # sigmoid_derivative
    Test("sigmoid_derivative of a vector", call="sigmoid_derivative",
         inputs={"x": np.array([1.0, 2.0, 3.0])},
         expected=np.array([0.1966119332, 0.1049935854, 0.0451766597]), public=True),
    Test("sigmoid_derivative peaks at 0.25 for x = 0", call="sigmoid_derivative",
         inputs={"x": 0.0}, expected=0.25, public=True),
    Test("sigmoid_derivative on random matrices", call="sigmoid_derivative", inputs=random_matrix),
    # image2vector
    Test("image2vector on a 2x2x3 image", call="image2vector",
         inputs={"image": np.arange(12, dtype=float).reshape(2, 2, 3) / 10},
         expected=np.array([[0.0], [0.1], [0.2], [0.3], [0.4], [0.5],
                            [0.6], [0.7], [0.8], [0.9], [1.0], [1.1]]),
         public=True, check=_is_column),
    Test("image2vector on random images", call="image2vector", inputs=random_image,
         check=_is_column),
    # normalize_rows
    Test("normalize_rows on a 2x3 matrix", call="normalize_rows",
         inputs={"x": np.array([[0.0, 3.0, 4.0], [1.0, 6.0, 4.0]])},
         expected=np.array([[0.0, 0.6, 0.8], [0.1373605639, 0.8241633837, 0.5494422558]]),
         public=True),
    Test("normalize_rows on random matrices", call="normalize_rows", inputs=random_rows),
    # softmax
    Test("softmax of two rows", call="softmax",
         inputs={"x": np.array([[9.0, 2.0, 5.0, 0.0, 0.0], [7.0, 5.0, 0.0, 0.0, 0.0]])},
         expected=np.array([
             [9.8089766491e-01, 8.9446289069e-04, 1.7965767417e-02, 1.2105238866e-04, 1.2105238866e-04],
             [8.7867985589e-01, 1.1891638717e-01, 8.0125231408e-04, 8.0125231408e-04, 8.0125231408e-04],
         ]),
         public=True, check=_rows_sum_to_one),
    Test("softmax is stable for large scores", call="softmax",
         inputs={"x": np.array([[1000.0, 1001.0, 1002.0], [-3.0, 0.0, 3.0]])},
         expected=np.array([[0.0900305732, 0.2447284711, 0.6652409558],
                            [0.0023556331, 0.0473141552, 0.9503302117]]),
         public=True, check=_rows_sum_to_one),
    Test("softmax on random scores", call="softmax", inputs=random_scores, check=_rows_sum_to_one),
    Test("softmax on random large scores", call="softmax", inputs=random_large_scores,
         check=_rows_sum_to_one),
    # L1 / L2
    Test("L1 loss of the example", call="L1", inputs={"yhat": YHAT, "y": Y}, expected=1.1, public=True),
    Test("L1 loss on random labels", call="L1", inputs=random_labels),
    Test("L2 loss of the example", call="L2", inputs={"yhat": YHAT, "y": Y}, expected=0.43, public=True),
    Test("L2 loss on random labels", call="L2", inputs=random_labels),
]


def _softmax_cols(x):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


MISTAKES = [
    Mistake(call="sigmoid", name="sign error in the exponent",
            impl=lambda x: 1 / (1 + np.exp(x)),
            hint="sigmoid(x) = 1 / (1 + exp(-x)). With exp(+x) you computed sigmoid(-x), "
                 "which decreases instead of increasing."),
    Mistake(call="sigmoid", name="exp(-x) without the 1 +",
            impl=lambda x: 1 / np.exp(-x),
            hint="The denominator is 1 + exp(-x); without the 1 the output is exp(x), "
                 "which is not bounded by 1."),
    Mistake(call="sigmoid_derivative", name="returned the sigmoid itself",
            impl=lambda x: _sig(x),
            hint="The gradient is s * (1 - s) where s = sigmoid(x); you returned s alone."),
    Mistake(call="sigmoid_derivative", name="applied s(1 - s) to x instead of s",
            impl=lambda x: x * (1 - x),
            hint="First compute s = sigmoid(x), then return s * (1 - s). The formula is in "
                 "terms of the sigmoid's output, not of its input x."),
    Mistake(call="image2vector", name="returned a rank-1 array",
            impl=lambda image: image.reshape(-1),
            hint="image.reshape(-1) has shape (n,), a rank-1 array. Ask for the column "
                 "shape explicitly: reshape(length * height * depth, 1)."),
    Mistake(call="image2vector", name="returned a row vector",
            impl=lambda image: image.reshape(1, -1),
            hint="The network expects one example per column: shape (n, 1), not (1, n)."),
    Mistake(call="image2vector", name="column-major (Fortran) order",
            impl=lambda image: image.reshape(-1, 1, order="F"),
            hint="The shape is right but the entries are in a different order. Use NumPy's "
                 "default row-major order: image.reshape(n, 1) without order='F' or transposes."),
    Mistake(call="normalize_rows", name="normalized columns instead of rows",
            impl=lambda x: x / np.linalg.norm(x, axis=0, keepdims=True),
            hint="axis=0 computes one norm per column. Rows are indexed along axis=1: use "
                 "np.linalg.norm(x, axis=1, keepdims=True)."),
    Mistake(call="normalize_rows", name="divided by the squared norm",
            impl=lambda x: x / np.sum(x ** 2, axis=1, keepdims=True),
            hint="The Euclidean norm is the square root of the sum of squares. You divided by "
                 "the sum of squares itself, so rows do not end up with length 1."),
    Mistake(call="normalize_rows", name="divided by the norm of the whole matrix",
            impl=lambda x: x / np.linalg.norm(x),
            hint="np.linalg.norm(x) without axis= gives one number for the whole matrix. "
                 "Each row needs its own norm: axis=1, keepdims=True."),
    Mistake(call="softmax", name="normalized over columns",
            impl=_softmax_cols,
            hint="Each row is one example: take the max and the sum along axis=1 "
                 "(with keepdims=True), not along axis=0."),
    Mistake(call="softmax", name="divided by the sum of the whole matrix",
            impl=lambda x: np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x))),
            hint="np.sum without axis= adds every entry of the matrix, so rows no longer sum "
                 "to 1 individually. Sum along axis=1 with keepdims=True."),
    Mistake(call="softmax", name="no max subtraction (overflow)",
            impl=lambda x: np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True),
            hint="np.exp overflows to inf above about 709, and inf / inf is nan. Subtract each "
                 "row's maximum (np.max(x, axis=1, keepdims=True)) before exponentiating."),
    Mistake(call="L1", name="forgot the absolute value",
            impl=lambda yhat, y: float(np.sum(y - yhat)),
            hint="Positive and negative errors cancel without np.abs: the L1 loss sums |y - yhat|."),
    Mistake(call="L1", name="mean instead of sum",
            impl=lambda yhat, y: float(np.mean(np.abs(y - yhat))),
            hint="This lab's L1 loss is the sum of the absolute errors, not their mean."),
    Mistake(call="L2", name="forgot to square",
            impl=lambda yhat, y: float(np.sum(np.abs(y - yhat))),
            hint="The L2 loss squares each error before summing: np.dot(y - yhat, y - yhat)."),
    Mistake(call="L2", name="took the square root (Euclidean norm)",
            impl=lambda yhat, y: float(np.linalg.norm(y - yhat)),
            hint="np.linalg.norm returns the square root of the sum of squares. The L2 loss "
                 "is the sum of squares itself, without the root."),
    Mistake(call="L2", name="mean instead of sum",
            impl=lambda yhat, y: float(np.mean((y - yhat) ** 2)),
            hint="This lab's L2 loss is the sum of the squared errors, not their mean."),
]
