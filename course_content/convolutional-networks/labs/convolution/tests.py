"""Tests and known mistakes for the convolution step-by-step lab."""

import numpy as np

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- fixed public inputs

X_PAD = np.arange(8.0).reshape(1, 2, 2, 2)

A_STEP = np.arange(12.0).reshape(2, 2, 3) / 10
W_STEP = (np.arange(12.0).reshape(2, 2, 3) % 4) - 1.5
B_STEP = np.array([[[0.25]]])

A_CONV = (np.arange(64.0) % 7 - 3).reshape(2, 4, 4, 2)
W_CONV = (np.arange(36.0) % 5 - 2).reshape(3, 3, 2, 2)
B_CONV = np.array([-1.0, 1.0]).reshape(1, 1, 1, 2)

A_POOL = (np.arange(32.0) * 5 % 11).reshape(1, 4, 4, 2)

A_BACK = (np.arange(18.0) % 5 - 2).reshape(1, 3, 3, 2)
W_BACK = np.array([1.0, -1.0, 2.0, 0.0, 0.5, 1.0, -2.0, 1.0]).reshape(2, 2, 2, 1)
B_BACK = np.array([0.5]).reshape(1, 1, 1, 1)
DZ_BACK = (np.arange(16.0) % 3 - 1).reshape(1, 4, 4, 1)

A_PB = np.array([[1.0, 5.0, 2.0, 0.0],
                 [3.0, 4.0, 8.0, 1.0],
                 [0.0, 2.0, 6.0, 7.0],
                 [9.0, 1.0, 3.0, 2.0]]).reshape(1, 4, 4, 1)
DA_PB = np.array([[1.0, -1.0, 2.0],
                  [0.5, 3.0, -2.0],
                  [1.0, 1.0, 1.0]]).reshape(1, 3, 3, 1)


# ---------------------------------------------------------------- random (hidden) inputs

def random_pad(rng):
    return {"X": rng.standard_normal((3, 4, 5, 2)), "pad": 2}


def random_step(rng):
    return {"a_slice_prev": rng.standard_normal((3, 3, 4)),
            "W": rng.standard_normal((3, 3, 4)),
            "b": rng.standard_normal((1, 1, 1))}


def random_conv(stride, pad, f):
    def make(rng):
        return {"A_prev": rng.standard_normal((2, 6, 5, 3)),
                "W": rng.standard_normal((f, f, 3, 4)),
                "b": rng.standard_normal((1, 1, 1, 4)),
                "hparameters": {"stride": stride, "pad": pad}}
    return make


def random_pool(f, stride, mode):
    def make(rng):
        return {"A_prev": rng.standard_normal((2, 7, 6, 3)),
                "hparameters": {"f": f, "stride": stride}, "mode": mode}
    return make


def random_conv_back(stride, pad, f):
    def make(rng):
        A = rng.standard_normal((2, 5, 6, 3))
        W = rng.standard_normal((f, f, 3, 2))
        b = rng.standard_normal((1, 1, 1, 2))
        n_H = (5 + 2 * pad - f) // stride + 1
        n_W = (6 + 2 * pad - f) // stride + 1
        dZ = rng.standard_normal((2, n_H, n_W, 2))
        return {"dZ": dZ, "cache": (A, W, b, {"stride": stride, "pad": pad})}
    return make


def random_window(rng):
    return {"x": rng.standard_normal((3, 3))}


def random_distribute(rng):
    return {"dz": float(rng.standard_normal()), "shape": (3, 2)}


def random_pool_back(f, stride, mode):
    def make(rng):
        A = rng.standard_normal((2, 6, 5, 2))
        n_H = (6 - f) // stride + 1
        n_W = (5 - f) // stride + 1
        return {"dA": rng.standard_normal((2, n_H, n_W, 2)),
                "cache": (A, {"f": f, "stride": stride}), "mode": mode}
    return make


TESTS = [
    # zero_pad
    Test("zero_pad pads height and width only", call="zero_pad",
         inputs={"X": X_PAD, "pad": 1}, public=True,
         expected=np.stack([np.array([[0, 0, 0, 0], [0, 0, 2, 0], [0, 4, 6, 0], [0, 0, 0, 0]], float),
                            np.array([[0, 0, 0, 0], [0, 1, 3, 0], [0, 5, 7, 0], [0, 0, 0, 0]], float)],
                           axis=-1)[None]),
    Test("zero_pad on a random batch with pad=2", call="zero_pad", inputs=random_pad),

    # conv_single_step
    Test("conv_single_step on a 2x2x3 slice", call="conv_single_step",
         inputs={"a_slice_prev": A_STEP, "W": W_STEP, "b": B_STEP}, public=True, expected=1.75),
    Test("conv_single_step on a random 3x3x4 slice", call="conv_single_step", inputs=random_step),

    # conv_forward
    Test("conv_forward with stride 2 and pad 1", call="conv_forward",
         inputs={"A_prev": A_CONV, "W": W_CONV, "b": B_CONV, "hparameters": {"stride": 2, "pad": 1}},
         public=True,
         expected=(np.array([[[[4.0, -7.0], [-15.0, 0.0]], [[-3.0, 0.0], [5.0, -23.0]]],
                             [[[-14.0, 1.0], [-7.0, 10.0]], [[0.0, -17.0], [-16.0, 18.0]]]]),
                   (A_CONV, W_CONV, B_CONV, {"stride": 2, "pad": 1}))),
    Test("conv_forward with stride 1 and no padding", call="conv_forward",
         inputs={"A_prev": A_CONV, "W": W_CONV, "b": B_CONV, "hparameters": {"stride": 1, "pad": 0}},
         public=True,
         expected=(np.array([[[[-16.0, 18.0], [26.0, 21.0]], [[-16.0, 2.0], [5.0, -23.0]]],
                             [[[26.0, -25.0], [-16.0, -1.0]], [[-16.0, 15.0], [-16.0, 18.0]]]]),
                   (A_CONV, W_CONV, B_CONV, {"stride": 1, "pad": 0}))),
    Test("conv_forward, random input, f=3 stride 2 pad 1", call="conv_forward",
         inputs=random_conv(2, 1, 3)),
    Test("conv_forward, random input, f=2 stride 1 pad 2", call="conv_forward",
         inputs=random_conv(1, 2, 2)),

    # pool_forward
    Test("max pooling 2x2 stride 2", call="pool_forward",
         inputs={"A_prev": A_POOL, "hparameters": {"f": 2, "stride": 2}, "mode": "max"}, public=True,
         expected=(np.array([[[[10.0, 5.0], [9.0, 10.0]], [[10.0, 8.0], [8.0, 6.0]]]]),
                   (A_POOL, {"f": 2, "stride": 2}))),
    Test("average pooling 2x2 stride 2", call="pool_forward",
         inputs={"A_prev": A_POOL, "hparameters": {"f": 2, "stride": 2}, "mode": "average"}, public=True,
         expected=(np.array([[[[5.75, 2.5], [6.5, 6.0]], [[6.0, 5.5], [4.0, 3.5]]]]),
                   (A_POOL, {"f": 2, "stride": 2}))),
    Test("max pooling 3x3 stride 1, random input", call="pool_forward", inputs=random_pool(3, 1, "max")),
    Test("average pooling 3x3 stride 2, random input", call="pool_forward",
         inputs=random_pool(3, 2, "average")),

    # conv_backward
    Test("conv_backward with stride 1 and pad 1", call="conv_backward",
         inputs={"dZ": DZ_BACK, "cache": (A_BACK, W_BACK, B_BACK, {"stride": 1, "pad": 1})},
         public=True,
         expected=(np.array([[[[3.0, -2.0], [1.5, 2.0], [-4.5, 0.0]],
                              [[1.5, 2.0], [-4.5, 0.0], [3.0, -2.0]],
                              [[-4.5, 0.0], [3.0, -2.0], [1.5, 2.0]]]]),
                   np.array([[[[0.0], [-5.0]], [[-5.0], [0.0]]], [[[-5.0], [0.0]], [[5.0], [5.0]]]]),
                   np.array([[[[-1.0]]]]))),
    Test("conv_backward, random input, f=3 stride 1 pad 1", call="conv_backward",
         inputs=random_conv_back(1, 1, 3)),
    Test("conv_backward, random input, f=2 stride 2 pad 0", call="conv_backward",
         inputs=random_conv_back(2, 0, 2)),

    # create_mask_from_window
    Test("mask of a 2x2 window", call="create_mask_from_window",
         inputs={"x": np.array([[1.0, 3.0], [4.0, 2.0]])}, public=True,
         expected=np.array([[False, False], [True, False]])),
    Test("mask of a random 3x3 window", call="create_mask_from_window", inputs=random_window),

    # distribute_value
    Test("distribute 2.0 over a 2x2 window", call="distribute_value",
         inputs={"dz": 2.0, "shape": (2, 2)}, public=True, expected=np.full((2, 2), 0.5)),
    Test("distribute a random value over a 3x2 window", call="distribute_value",
         inputs=random_distribute),

    # pool_backward
    Test("max pool backward, overlapping 2x2 windows", call="pool_backward",
         inputs={"dA": DA_PB, "cache": (A_PB, {"f": 2, "stride": 1}), "mode": "max"}, public=True,
         expected=np.array([[0.0, 1.0, 0.0, 0.0],
                            [0.0, 0.5, 2.0, 0.0],
                            [0.0, 0.0, 1.0, 1.0],
                            [1.0, 0.0, 0.0, 0.0]]).reshape(1, 4, 4, 1)),
    Test("average pool backward, overlapping 2x2 windows", call="pool_backward",
         inputs={"dA": DA_PB, "cache": (A_PB, {"f": 2, "stride": 1}), "mode": "average"}, public=True,
         expected=np.array([[0.25, 0.0, 0.25, 0.5],
                            [0.375, 0.875, 0.5, 0.0],
                            [0.375, 1.375, 0.75, -0.25],
                            [0.25, 0.5, 0.5, 0.25]]).reshape(1, 4, 4, 1)),
    Test("max pool backward, random input, f=3 stride 1", call="pool_backward",
         inputs=random_pool_back(3, 1, "max")),
    Test("average pool backward, random input, f=2 stride 2", call="pool_backward",
         inputs=random_pool_back(2, 2, "average")),
    Test("average pool backward, random input, f=3 stride 1", call="pool_backward",
         inputs=random_pool_back(3, 1, "average")),
]


# ---------------------------------------------------------------- known mistakes

def _pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def _conv_variant(A_prev, W, b, hparameters, use_stride=True, use_pad=True, flip=False):
    stride = hparameters["stride"]
    pad = hparameters["pad"] if use_pad else 0
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Wk = W[::-1, ::-1] if flip else W
    Ap = _pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C))
    step = stride if use_stride else 1
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                sl = Ap[i, h * step:h * step + f, w * step:w * step + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(sl * Wk[:, :, :, c]) + float(b[0, 0, 0, c])
    return Z, (A_prev, W, b, hparameters)


def _pool_variant(A_prev, hparameters, mode="max", use_stride=True, across_channels=False,
                  ignore_mode=False):
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    step = stride if use_stride else 1
    A = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    win = A_prev[i, h * step:h * step + f, w * step:w * step + f, :]
                    win = win if across_channels else win[:, :, c]
                    A[i, h, w, c] = np.max(win) if (mode == "max" or ignore_mode) else np.mean(win)
    return A, (A_prev, hparameters)


def _conv_back_variant(dZ, cache, accumulate=True, crop_from_start=False):
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f = W.shape[0]
    _, n_H, n_W, n_C = dZ.shape
    dA_prev, dW, db = np.zeros(A_prev.shape), np.zeros(W.shape), np.zeros(b.shape)
    Ap = _pad(A_prev, pad)
    dAp = _pad(dA_prev, pad)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                vs, hs = h * stride, w * stride
                for c in range(n_C):
                    if accumulate:
                        dAp[i, vs:vs + f, hs:hs + f, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    else:
                        dAp[i, vs:vs + f, hs:hs + f, :] = W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += Ap[i, vs:vs + f, hs:hs + f, :] * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        if crop_from_start:
            dA_prev[i] = dAp[i, :n_H_prev, :n_W_prev, :]
        else:
            dA_prev[i] = dAp[i, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


def _pool_back_variant(dA, cache, mode="max", accumulate=True, mask_only=False, no_split=False):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    out = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                vs, hs = h * stride, w * stride
                for c in range(n_C):
                    if mode == "max":
                        win = A_prev[i, vs:vs + f, hs:hs + f, c]
                        mask = win == np.max(win)
                        g = mask * 1.0 if mask_only else mask * dA[i, h, w, c]
                    else:
                        g = np.full((f, f), dA[i, h, w, c] if no_split else dA[i, h, w, c] / (f * f))
                    if accumulate:
                        out[i, vs:vs + f, hs:hs + f, c] += g
                    else:
                        out[i, vs:vs + f, hs:hs + f, c] = g
    return out


MISTAKES = [
    Mistake(call="zero_pad", name="padded every axis",
            impl=lambda X, pad: np.pad(X, pad),
            hint="np.pad(X, pad) pads all four axes, including the batch and channel axes. "
                 "Give one (before, after) pair per axis: ((0, 0), (pad, pad), (pad, pad), (0, 0))."),
    Mistake(call="zero_pad", name="padded only after the image",
            impl=lambda X, pad: np.pad(X, ((0, 0), (0, 2 * pad), (0, 2 * pad), (0, 0))),
            hint="The shape is right but the zeros are all on the bottom/right. Padding is symmetric: "
                 "`pad` zeros before and `pad` zeros after, i.e. (pad, pad) for height and width."),

    Mistake(call="conv_single_step", name="forgot the bias",
            impl=lambda a_slice_prev, W, b: float(np.sum(a_slice_prev * W)),
            hint="Z = sum(a_slice_prev * W) + b: the filter's bias is added once after the sum."),
    Mistake(call="conv_single_step", name="added the bias to every product",
            impl=lambda a_slice_prev, W, b: float(np.sum(a_slice_prev * W + b)),
            hint="The bias was broadcast to every element before summing, so it was counted "
                 "f*f*n_C_prev times. Sum the products first, then add b once."),

    Mistake(call="conv_forward", name="forgot the stride",
            impl=lambda A_prev, W, b, hparameters: _conv_variant(A_prev, W, b, hparameters,
                                                                 use_stride=False),
            hint="The window for output (h, w) starts at (h * stride, w * stride), not at (h, w). "
                 "Only the output size uses the stride in your code; the slicing must too."),
    Mistake(call="conv_forward", name="ignored the padding",
            impl=lambda A_prev, W, b, hparameters: _conv_variant(A_prev, W, b, hparameters,
                                                                 use_pad=False),
            hint="Pad A_prev with zero_pad(A_prev, pad) and use pad in the output size "
                 "n_H = (n_H_prev + 2*pad - f) // stride + 1."),
    Mistake(call="conv_forward", name="flipped the filter",
            impl=lambda A_prev, W, b, hparameters: _conv_variant(A_prev, W, b, hparameters, flip=True),
            hint="In deep learning 'convolution' is a cross-correlation: the filter is applied as is, "
                 "without flipping it. Multiply the slice by W[:, :, :, c] directly."),

    Mistake(call="pool_forward", name="pooled over all channels at once",
            impl=lambda A_prev, hparameters, mode="max": _pool_variant(A_prev, hparameters, mode,
                                                                       across_channels=True),
            hint="Pooling acts on each channel separately: take the window "
                 "A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] with the channel index c."),
    Mistake(call="pool_forward", name="forgot the stride",
            impl=lambda A_prev, hparameters, mode="max": _pool_variant(A_prev, hparameters, mode,
                                                                       use_stride=False),
            hint="The window for output (h, w) starts at (h * stride, w * stride)."),
    Mistake(call="pool_forward", name="always took the max",
            impl=lambda A_prev, hparameters, mode="max": _pool_variant(A_prev, hparameters, mode,
                                                                       ignore_mode=True),
            hint="With mode='average' each output is np.mean of the window, not its maximum."),

    Mistake(call="conv_backward", name="overwrote instead of accumulating dA_prev",
            impl=lambda dZ, cache: _conv_back_variant(dZ, cache, accumulate=False),
            hint="Windows overlap (and every filter writes to the same window), so each position of "
                 "dA_prev_pad collects gradient from several outputs: use += , not =."),
    Mistake(call="conv_backward", name="cropped the padding from the wrong side",
            impl=lambda dZ, cache: _conv_back_variant(dZ, cache, crop_from_start=True),
            hint="Remove the padding from both sides: dA_prev[i] = "
                 "da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]."),

    Mistake(call="create_mask_from_window", name="max along one axis",
            impl=lambda x: x == np.max(x, axis=0),
            hint="np.max(x, axis=0) gives the maximum of each column, so every column gets a True. "
                 "Compare x with the maximum of the whole window, np.max(x)."),
    Mistake(call="create_mask_from_window", name="returned the values, not a mask",
            impl=lambda x: x * (x == np.max(x)),
            hint="Return the boolean array x == np.max(x) itself; the multiplication by the gradient "
                 "happens later, in pool_backward."),

    Mistake(call="distribute_value", name="did not divide",
            impl=lambda dz, shape: np.ones(tuple(shape)) * dz,
            hint="Each of the n_H * n_W entries contributed 1/(n_H * n_W) of the average, so each "
                 "receives dz / (n_H * n_W), not the whole dz."),
    Mistake(call="distribute_value", name="divided by n_H only",
            impl=lambda dz, shape: np.ones(tuple(shape)) * dz / shape[0],
            hint="Divide by the number of entries in the window, n_H * n_W."),

    Mistake(call="pool_backward", name="overwrote instead of accumulating",
            impl=lambda dA, cache, mode="max": _pool_back_variant(dA, cache, mode, accumulate=False),
            hint="When stride < f the windows overlap and one input receives gradient from several "
                 "outputs: add into dA_prev with +=."),
    Mistake(call="pool_backward", name="max mode forgot to multiply by dA",
            impl=lambda dA, cache, mode="max": _pool_back_variant(dA, cache, mode, mask_only=True),
            hint="The mask only says where the gradient goes; the amount is dA[i, h, w, c]. "
                 "Add mask * dA[i, h, w, c]."),
    Mistake(call="pool_backward", name="average mode did not split the gradient",
            impl=lambda dA, cache, mode="max": _pool_back_variant(dA, cache, mode, no_split=True),
            hint="Use distribute_value(dA[i, h, w, c], (f, f)): each entry of the window gets "
                 "dA / (f*f)."),
]
