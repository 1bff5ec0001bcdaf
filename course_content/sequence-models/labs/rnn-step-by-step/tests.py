import numpy as np

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------


def _rnn_params(rng, n_x, n_a, n_y):
    # std 0.5 keeps tanh away from saturation so derivative mistakes stay visible
    return {
        "Wax": 0.5 * rng.standard_normal((n_a, n_x)),
        "Waa": 0.5 * rng.standard_normal((n_a, n_a)),
        "Wya": 0.5 * rng.standard_normal((n_y, n_a)),
        "ba": 0.5 * rng.standard_normal((n_a, 1)),
        "by": 0.5 * rng.standard_normal((n_y, 1)),
    }


def _lstm_params(rng, n_x, n_a, n_y):
    p = {}
    for g in "fico":
        p["W" + g] = 0.5 * rng.standard_normal((n_a, n_a + n_x))
        p["b" + g] = 0.5 * rng.standard_normal((n_a, 1))
    p["Wy"] = 0.5 * rng.standard_normal((n_y, n_a))
    p["by"] = 0.5 * rng.standard_normal((n_y, 1))
    return p


def _rnn_cell_inputs(rng, n_x=3, n_a=5, n_y=2, m=4):
    return {"xt": rng.standard_normal((n_x, m)), "a_prev": rng.standard_normal((n_a, m)),
            "parameters": _rnn_params(rng, n_x, n_a, n_y)}


def _rnn_seq_inputs(rng, n_x=3, n_a=5, n_y=2, m=4, T_x=6):
    return {"x": rng.standard_normal((n_x, m, T_x)), "a0": rng.standard_normal((n_a, m)),
            "parameters": _rnn_params(rng, n_x, n_a, n_y)}


def _lstm_cell_inputs(rng, n_x=3, n_a=5, n_y=2, m=4):
    return {"xt": rng.standard_normal((n_x, m)), "a_prev": rng.standard_normal((n_a, m)),
            "c_prev": rng.standard_normal((n_a, m)),
            "parameters": _lstm_params(rng, n_x, n_a, n_y)}


def _lstm_seq_inputs(rng, n_x=3, n_a=5, n_y=2, m=4, T_x=6):
    return {"x": rng.standard_normal((n_x, m, T_x)), "a0": rng.standard_normal((n_a, m)),
            "parameters": _lstm_params(rng, n_x, n_a, n_y)}


def _rnn_cell_back_inputs(rng, n_x=3, n_a=5, n_y=2, m=4):
    d = _rnn_cell_inputs(rng, n_x, n_a, n_y, m)
    d["da_next"] = rng.standard_normal((n_a, m))
    return d


def _rnn_back_inputs(rng, n_x=3, n_a=5, n_y=2, m=4, T_x=6):
    d = _rnn_seq_inputs(rng, n_x, n_a, n_y, m, T_x)
    d["da"] = rng.standard_normal((n_a, m, T_x))
    return d


def _small(builder, seed, **sizes):
    return builder(np.random.default_rng(seed), **sizes)


PUB_RNN_CELL = _small(_rnn_cell_inputs, 1, n_x=3, n_a=2, n_y=2, m=2)
PUB_RNN_SEQ = _small(_rnn_seq_inputs, 2, n_x=2, n_a=2, n_y=2, m=2, T_x=3)
PUB_LSTM_CELL = _small(_lstm_cell_inputs, 3, n_x=2, n_a=2, n_y=2, m=2)
PUB_LSTM_SEQ = _small(_lstm_seq_inputs, 4, n_x=2, n_a=2, n_y=2, m=1, T_x=3)
PUB_RNN_CELL_BACK = _small(_rnn_cell_back_inputs, 5, n_x=2, n_a=2, n_y=2, m=2)
PUB_RNN_BACK = _small(_rnn_back_inputs, 6, n_x=2, n_a=2, n_y=2, m=1, T_x=3)


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _columns_sum_to_one(key):
    def check(output, inputs):
        y = np.asarray(output[key])
        if not np.allclose(y.sum(axis=0), 1.0, atol=1e-6):
            return f"every column of {key} must sum to 1 (softmax over axis 0)"
        return None
    return check


def _numeric_grad_check(output, inputs):
    """Compares dWax to a finite-difference estimate of L = sum(da * a)."""
    x, a0, p, da = inputs["x"], inputs["a0"], inputs["parameters"], inputs["da"]

    def loss(Wax):
        a_prev, total = a0, 0.0
        for t in range(x.shape[2]):
            a_prev = np.tanh(p["Waa"] @ a_prev + Wax @ x[:, :, t] + p["ba"])
            total += np.sum(da[:, :, t] * a_prev)
        return total

    W = np.array(p["Wax"], dtype=float)
    num = np.zeros_like(W)
    eps = 1e-6
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            Wp, Wm = W.copy(), W.copy()
            Wp[i, j] += eps
            Wm[i, j] -= eps
            num[i, j] = (loss(Wp) - loss(Wm)) / (2 * eps)
    got = np.asarray(output["dWax"])
    if got.shape != num.shape or not np.allclose(got, num, rtol=1e-4, atol=1e-6):
        return "dWax does not match a numerical gradient of the loss sum(da * a)"
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = [
    # 1. rnn_cell_forward
    Test("rnn_cell_forward: small example", call="rnn_cell_forward_outputs",
         inputs=PUB_RNN_CELL, public=True, check=_columns_sum_to_one("yt_pred"),
         expected={
             'a_next': np.array([[-0.9299060124, -0.9558909193], [-0.549863205, -0.6797520098]]),
             'yt_pred': np.array([[0.7453861964, 0.7638928528], [0.2546138036, 0.2361071472]]),}),
    Test("rnn_cell_forward: random sizes", call="rnn_cell_forward_outputs",
         inputs=lambda rng: _rnn_cell_inputs(rng, n_x=4, n_a=6, n_y=3, m=5)),
    Test("rnn_cell_forward: one example", call="rnn_cell_forward_outputs",
         inputs=lambda rng: _rnn_cell_inputs(rng, n_x=7, n_a=3, n_y=4, m=1)),
    # 2. rnn_forward
    Test("rnn_forward: small sequence", call="rnn_forward_outputs",
         inputs=PUB_RNN_SEQ, public=True, expected={
             'a': np.array([[[-0.6695561706, -0.917240298, -0.9105408211], [-0.9360101003, -0.8102121807, -0.7073685537]], [[-0.5051620129, -0.8729018703, -0.8439773653], [-0.670388731, -0.8779438371, -0.6938929525]]]),
             'y_pred': np.array([[[0.6838742567, 0.6695722139, 0.6750242005], [0.7271566258, 0.6308799734, 0.6459102986]], [[0.3161257433, 0.3304277861, 0.3249757995], [0.2728433742, 0.3691200266, 0.3540897014]]]),
             'n_caches': 3,}),
    Test("rnn_forward: random sequence", call="rnn_forward_outputs",
         inputs=lambda rng: _rnn_seq_inputs(rng, n_x=3, n_a=5, n_y=2, m=4, T_x=7)),
    # 3. lstm_cell_forward
    Test("lstm_cell_forward: small example", call="lstm_cell_forward_outputs",
         inputs=PUB_LSTM_CELL, public=True, check=_columns_sum_to_one("yt_pred"),
         expected={
             'a_next': np.array([[-0.3635796703, 0.5075309096], [-0.04143558302, 0.05945487519]]),
             'c_next': np.array([[-0.5288750599, 2.623892309], [-0.1682052303, 0.2768417189]]),
             'yt_pred': np.array([[0.7663845252, 0.8326940811], [0.2336154748, 0.1673059189]]),
             'ft': np.array([[0.3994107423, 0.8290870932], [0.8629909592, 0.3968726606]]),
             'it': np.array([[0.4675689504, 0.4101823979], [0.4132582019, 0.4264114947]]),
             'cct': np.array([[-0.3920270213, -0.3197692098], [-0.8785234862, 0.9774390362]]),
             'ot': np.array([[0.7503903588, 0.5128975023], [0.2486583016, 0.2202199558]]),}),
    Test("lstm_cell_forward: random sizes", call="lstm_cell_forward_outputs",
         inputs=lambda rng: _lstm_cell_inputs(rng, n_x=3, n_a=5, n_y=2, m=6)),
    # 4. lstm_forward
    Test("lstm_forward: small sequence", call="lstm_forward_outputs",
         inputs=PUB_LSTM_SEQ, public=True, expected={
             'a': np.array([[[0.06936007156, 0.06180079566, 0.1660333003]], [[0.02688421671, -0.3364296951, -0.1709433895]]]),
             'y': np.array([[[0.4442807871, 0.4856586829, 0.4962705279]], [[0.5557192129, 0.5143413171, 0.5037294721]]]),
             'c': np.array([[[0.1297021999, 0.2192563937, 0.272208069]], [[0.04943270575, -0.6195860695, -0.5462324095]]]),
             'n_caches': 3,}),
    Test("lstm_forward: random sequence", call="lstm_forward_outputs",
         inputs=lambda rng: _lstm_seq_inputs(rng, n_x=4, n_a=5, n_y=3, m=3, T_x=7)),
    # 5. rnn_cell_backward
    Test("rnn_cell_backward: small example", call="rnn_cell_backward_outputs",
         inputs=PUB_RNN_CELL_BACK, public=True, expected={
             'dxt': np.array([[-0.09233516668, 0.06965516774], [0.5150138307, 0.3319562812]]),
             'da_prev': np.array([[-0.09811028354, -0.143434751], [0.7097869165, 0.3765351355]]),
             'dWax': np.array([[-0.3724657721, 0.09870723474], [0.888951525, 0.1119291094]]),
             'dWaa': np.array([[0.07240887905, -0.2237221397], [-0.9118591296, 0.5874593079]]),
             'dba': np.array([[0.2965677571], [-0.9803682658]]),}),
    Test("rnn_cell_backward: random sizes", call="rnn_cell_backward_outputs",
         inputs=lambda rng: _rnn_cell_back_inputs(rng, n_x=4, n_a=3, n_y=2, m=5)),
    # 6. rnn_backward
    Test("rnn_backward: small sequence", call="rnn_backward_outputs",
         inputs=PUB_RNN_BACK, public=True, expected={
             'dx': np.array([[[-0.1902836571, -0.1449266487, 0.03918716904]], [[-0.100702633, -1.055366242, 0.03892119585]]]),
             'da0': np.array([[0.5663655068], [-0.4407089202]]),
             'dWax': np.array([[-4.737374042, -1.229581643], [1.442458587, 1.23742695]]),
             'dWaa': np.array([[-0.1009488486, -2.519507618], [-0.5786313005, -0.04300631274]]),
             'dba': np.array([[-2.525280427], [0.7842663654]]),}),
    Test("rnn_backward: random sequence", call="rnn_backward_outputs",
         inputs=lambda rng: _rnn_back_inputs(rng, n_x=3, n_a=4, n_y=2, m=5, T_x=6)),
    Test("rnn_backward: agrees with a numerical gradient", call="rnn_backward_outputs",
         inputs=lambda rng: _rnn_back_inputs(rng, n_x=2, n_a=3, n_y=2, m=2, T_x=4),
         check=_numeric_grad_check),
]


# ---------------------------------------------------------------------------
# Known mistakes (self-contained wrong implementations)
# ---------------------------------------------------------------------------


def _softmax(x):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _rnn_cell_variant(kind):
    def impl(xt, a_prev, parameters):
        p = parameters
        z = p["Waa"] @ a_prev + p["Wax"] @ xt + p["ba"]
        if kind == "sigmoid":
            a_next = _sigmoid(z)
        elif kind == "no_bias":
            a_next = np.tanh(z - p["ba"])
        else:
            a_next = np.tanh(z)
        src = a_prev if kind == "pred_from_prev" else a_next
        yt = _softmax(p["Wya"] @ src + p["by"])
        return a_next, yt, (a_next, a_prev, xt, parameters)
    return impl


def _rnn_forward_a0_every_step(x, a0, parameters):
    cell = _rnn_cell_variant("ok")
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y, caches = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    for t in range(T_x):
        a_next, yt, cache = cell(x[:, :, t], a0, parameters)
        a[:, :, t], y[:, :, t] = a_next, yt
        caches.append(cache)
    return a, y, (caches, x)


def _lstm_cell_variant(kind):
    def impl(xt, a_prev, c_prev, parameters):
        p = parameters
        parts = [xt, a_prev] if kind == "x_first" else [a_prev, xt]
        concat = np.concatenate(parts, axis=0)
        ft = _sigmoid(p["Wf"] @ concat + p["bf"])
        it = _sigmoid(p["Wi"] @ concat + p["bi"])
        cct = np.tanh(p["Wc"] @ concat + p["bc"])
        if kind == "swapped_gates":
            c_next = it * c_prev + ft * cct
        else:
            c_next = ft * c_prev + it * cct
        ot = _sigmoid(p["Wo"] @ concat + p["bo"])
        a_next = ot * c_next if kind == "no_tanh" else ot * np.tanh(c_next)
        yt = _softmax(p["Wy"] @ a_next + p["by"])
        return a_next, c_next, yt, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return impl


def _lstm_forward_variant(kind):
    cell = _lstm_cell_variant("ok")

    def impl(x, a0, parameters):
        n_x, m, T_x = x.shape
        n_y, n_a = parameters["Wy"].shape
        a, c, y, caches = (np.zeros((n_a, m, T_x)), np.zeros((n_a, m, T_x)),
                           np.zeros((n_y, m, T_x)), [])
        a_next = a0
        c_next = a0 if kind == "c_from_a0" else np.zeros((n_a, m))
        for t in range(T_x):
            c_in = np.zeros((n_a, m)) if kind == "c_not_carried" else c_next
            a_next, c_next, yt, cache = cell(x[:, :, t], a_next, c_in, parameters)
            a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt
            caches.append(cache)
        return a, y, c, (caches, x)
    return impl


def _rnn_cell_backward_variant(kind):
    def impl(da_next, cache):
        a_next, a_prev, xt, p = cache
        if kind == "no_tanh_derivative":
            dz = da_next
        elif kind == "a_prev_derivative":
            dz = da_next * (1 - a_prev ** 2)
        elif kind == "no_square":
            dz = da_next * (1 - a_next)
        else:
            dz = da_next * (1 - a_next ** 2)
        dba = np.sum(dz, axis=0, keepdims=True) if kind == "dba_axis" else np.sum(dz, axis=1, keepdims=True)
        return {"dxt": p["Wax"].T @ dz, "da_prev": p["Waa"].T @ dz,
                "dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dba}
    return impl


def _rnn_backward_variant(kind):
    cell_back = _rnn_cell_backward_variant("ok")

    def impl(da, caches):
        caches, x = caches
        n_a, m, T_x = da.shape
        n_x = caches[0][2].shape[0]
        dx = np.zeros((n_x, m, T_x))
        dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
        da_prevt = np.zeros((n_a, m))
        order = range(T_x) if kind == "forward_order" else reversed(range(T_x))
        for t in order:
            upstream = da[:, :, t] if kind == "no_carry" else da[:, :, t] + da_prevt
            g = cell_back(upstream, caches[t])
            dx[:, :, t] = g["dxt"]
            if kind == "overwrite":
                dWax, dWaa, dba = g["dWax"], g["dWaa"], g["dba"]
            else:
                dWax, dWaa, dba = dWax + g["dWax"], dWaa + g["dWaa"], dba + g["dba"]
            da_prevt = g["da_prev"]
        return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return impl


MISTAKES = [
    Mistake(call="rnn_cell_forward", name="sigmoid instead of tanh",
            impl=_rnn_cell_variant("sigmoid"),
            hint="The hidden-state activation of the basic RNN cell is np.tanh, not the "
                 "sigmoid: a<t> = tanh(Waa @ a_prev + Wax @ xt + ba)."),
    Mistake(call="rnn_cell_forward", name="prediction computed from a_prev",
            impl=_rnn_cell_variant("pred_from_prev"),
            hint="a_next looks right but yt_pred does not: the prediction uses the new "
                 "state, softmax(Wya @ a_next + by), not a_prev."),
    Mistake(call="rnn_cell_forward", name="forgot the bias ba",
            impl=_rnn_cell_variant("no_bias"),
            hint="Add the bias ba inside the tanh: tanh(Waa @ a_prev + Wax @ xt + ba)."),
    Mistake(call="rnn_forward", name="a0 fed to every time step",
            impl=_rnn_forward_a0_every_step,
            hint="Only the first step starts from a0. After each call, pass the a_next you "
                 "just computed as the a_prev of the following step."),
    Mistake(call="lstm_cell_forward", name="concatenated x before a",
            impl=_lstm_cell_variant("x_first"),
            hint="Stack the hidden state first: concat = np.concatenate([a_prev, xt], "
                 "axis=0). The weights expect the n_a hidden rows before the n_x input rows."),
    Mistake(call="lstm_cell_forward", name="forgot tanh on the memory cell",
            impl=_lstm_cell_variant("no_tanh"),
            hint="The hidden state squashes the memory cell: a_next = ot * np.tanh(c_next)."),
    Mistake(call="lstm_cell_forward", name="forget and update gates swapped",
            impl=_lstm_cell_variant("swapped_gates"),
            hint="The forget gate multiplies the old memory and the update gate the "
                 "candidate: c_next = ft * c_prev + it * cct."),
    Mistake(call="lstm_forward", name="memory cell not carried between steps",
            impl=_lstm_forward_variant("c_not_carried"),
            hint="Each step must receive the c_next of the previous step, just like a_next; "
                 "only the very first step starts from zeros."),
    Mistake(call="lstm_forward", name="memory cell initialised with a0",
            impl=_lstm_forward_variant("c_from_a0"),
            hint="The initial memory cell is zeros of shape (n_a, m); a0 is only the initial "
                 "hidden state."),
    Mistake(call="rnn_cell_backward", name="forgot the tanh derivative",
            impl=_rnn_cell_backward_variant("no_tanh_derivative"),
            hint="Backpropagate through the tanh first: dz = da_next * (1 - a_next ** 2), "
                 "then use dz in every other formula."),
    Mistake(call="rnn_cell_backward", name="tanh derivative taken at a_prev",
            impl=_rnn_cell_backward_variant("a_prev_derivative"),
            hint="The tanh being differentiated is the one that produced a_next, so the "
                 "derivative is 1 - a_next ** 2, not 1 - a_prev ** 2."),
    Mistake(call="rnn_cell_backward", name="tanh derivative without the square",
            impl=_rnn_cell_backward_variant("no_square"),
            hint="d tanh(z)/dz = 1 - tanh(z)**2: square a_next before subtracting it from 1."),
    Mistake(call="rnn_cell_backward", name="dba summed over the wrong axis",
            impl=_rnn_cell_backward_variant("dba_axis"),
            hint="dba must have the shape of ba, (n_a, 1): sum dz over the batch axis "
                 "(axis=1) with keepdims=True."),
    Mistake(call="rnn_backward", name="ignored the gradient from the next step",
            impl=_rnn_backward_variant("no_carry"),
            hint="a<t> feeds both its own output and step t+1. Pass da[:, :, t] + da_prevt "
                 "to rnn_cell_backward, where da_prevt came back from step t+1."),
    Mistake(call="rnn_backward", name="weight gradients overwritten instead of summed",
            impl=_rnn_backward_variant("overwrite"),
            hint="The weights are shared across time steps, so their gradients add up: use "
                 "dWax += ..., dWaa += ..., dba += ... inside the loop."),
    Mistake(call="rnn_backward", name="looped forward in time",
            impl=_rnn_backward_variant("forward_order"),
            hint="Backpropagation through time starts at the last step: loop over "
                 "reversed(range(T_x))."),
]
