import numpy as np

from course_content.labkit import Mistake, Test

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
GRAD_KEYS = ("dWax", "dWaa", "dWya", "db", "dby")


# ---------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------


def _params(rng, n_a, vocab, scale=1.0):
    return {
        "Wax": scale * rng.standard_normal((n_a, vocab)),
        "Waa": scale * rng.standard_normal((n_a, n_a)),
        "Wya": scale * rng.standard_normal((vocab, n_a)),
        "b": scale * rng.standard_normal((n_a, 1)),
        "by": scale * rng.standard_normal((vocab, 1)),
    }


def _grads(rng, n_a, vocab, scale):
    return {"dWax": scale * rng.standard_normal((n_a, vocab)),
            "dWaa": scale * rng.standard_normal((n_a, n_a)),
            "dWya": scale * rng.standard_normal((vocab, n_a)),
            "db": scale * rng.standard_normal((n_a, 1)),
            "dby": scale * rng.standard_normal((vocab, 1))}


def _random_letters(rng, k):
    return "".join(sorted(rng.choice(list(ALPHABET), size=k, replace=False)))


def _random_name(rng, letters, length):
    return "".join(rng.choice(list(letters), size=length))


PUB_CLIP = {
    "gradients": {
        "dWax": np.array([[-12.0, 0.3, 7.5], [4.9, -5.0, 5.1]]),
        "dWaa": np.array([[1.0, -6.0], [10.0, 0.0]]),
        "dWya": np.array([[-0.5, 20.0], [3.0, -4.0], [-100.0, 5.0]]),
        "db": np.array([[8.0], [-2.5]]),
        "dby": np.array([[-7.0], [0.0], [6.0]]),
    },
    "max_value": 5.0,
}


def _clip_inputs(rng):
    n_a, vocab = rng.integers(3, 7), rng.integers(4, 9)
    return {"gradients": _grads(rng, n_a, vocab, 8.0), "max_value": float(rng.uniform(2, 6))}


def _sample_params(rng, n_a, vocab):
    p = _params(rng, n_a, vocab, scale=1.5)
    p["by"][0, 0] += 4.0  # make "\n" likely enough that names end after a few letters
    return p


def _sample_pub():
    rng = np.random.default_rng(7)
    return {"parameters": _sample_params(rng, 4, 6), "letters": "aeimr", "max_length": 50}


def _sample_inputs(rng):
    letters = _random_letters(rng, int(rng.integers(6, 12)))
    return {"parameters": _sample_params(rng, int(rng.integers(3, 8)), len(letters) + 1),
            "letters": letters, "max_length": 50, "n_samples": 6}


def _sample_long_inputs(rng):
    # the end-of-name token is made very unlikely, so the length limit decides
    d = _sample_inputs(rng)
    d["parameters"]["by"][0, 0] = -30.0
    d["max_length"] = 12
    return d


def _optimize_pub():
    rng = np.random.default_rng(11)
    return {"name": "mira", "letters": "aeimr", "parameters": _params(rng, 3, 6, scale=0.5),
            "learning_rate": 0.1, "max_value": 5.0}


def _optimize_inputs(rng, clip_hard=False):
    letters = _random_letters(rng, 8)
    d = {"name": _random_name(rng, letters, int(rng.integers(3, 8))), "letters": letters,
         "parameters": _params(rng, int(rng.integers(3, 7)), 9, scale=0.8),
         "learning_rate": 0.05, "max_value": 5.0}
    if clip_hard:
        d["max_value"] = 0.2  # most gradient entries are clipped
    return d


PUB_MODEL = {"names": ["aldric", "elowen", "marik", "tavian", "sorrel"],
             "letters": ALPHABET, "num_iterations": 12, "n_a": 5, "learning_rate": 0.5}


def _model_inputs(rng):
    letters = _random_letters(rng, 7)
    names = [_random_name(rng, letters, int(rng.integers(3, 7))) for _ in range(6)]
    return {"names": names, "letters": letters, "num_iterations": 40,
            "n_a": int(rng.integers(4, 8)), "learning_rate": 0.3}


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _ends_with_newline(output, inputs):
    idx = np.asarray(output)
    n = inputs.get("n_samples", 1)
    if idx.ndim != 1 or idx.size == 0 or idx[-1] != 0:
        return "a sampled name must end with the index of '\\n' (0)"
    if np.sum(idx == 0) != n:
        return "sampling must stop at the first '\\n'"
    if idx.size > n * (inputs["max_length"] + 1):
        return "the sample is longer than max_length characters plus '\\n'"
    return None


def _clip_in_range(output, inputs):
    m = inputs["max_value"]
    for k in GRAD_KEYS:
        v = np.asarray(output[k])
        if v.min() < -m - 1e-12 or v.max() > m + 1e-12:
            return f"{k} has entries outside [-max_value, max_value]"
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = [
    # 1. clip
    Test("clip: both tails clipped, inside values untouched", call="clip", inputs=PUB_CLIP,
         public=True, check=_clip_in_range, expected={
             'dWax': np.array([[-5.0, 0.3, 5.0], [4.9, -5.0, 5.0]]),
             'dWaa': np.array([[1.0, -5.0], [5.0, 0.0]]),
             'dWya': np.array([[-0.5, 5.0], [3.0, -4.0], [-5.0, 5.0]]),
             'db': np.array([[5.0], [-2.5]]),
             'dby': np.array([[-5.0], [0.0], [5.0]]),}),
    Test("clip: random gradients", call="clip", inputs=_clip_inputs, check=_clip_in_range),
    # 2. build_example
    Test("build_example: 'orla'", call="build_example_outputs",
         inputs={"name": "orla", "letters": ALPHABET}, public=True, expected={
             'X': np.array([-1, 15, 18, 12, 1]),
             'Y': np.array([15, 18, 12, 1, 0]),}),
    Test("build_example: random names and alphabets", call="build_example_outputs",
         inputs=lambda rng: (lambda L: {"name": _random_name(rng, L, int(rng.integers(2, 9))),
                                        "letters": L})(_random_letters(rng, 10))),
    # 3. sample
    Test("sample: small model, seed 0", call="sample_outputs", inputs=_sample_pub(),
         public=True, seed=0, check=_ends_with_newline, expected=np.array([2, 5, 4, 4, 2, 5, 2, 5, 5, 2, 5, 2, 4, 5, 0])),
    Test("sample: small model, seed 3", call="sample_outputs", inputs=_sample_pub(),
         public=True, seed=3, check=_ends_with_newline, expected=np.array([2, 5, 1, 2, 5, 5, 0])),
    Test("sample: random models", call="sample_outputs", inputs=_sample_inputs, seed=5,
         check=_ends_with_newline),
    Test("sample: stops at max_length", call="sample_outputs", inputs=_sample_long_inputs,
         seed=1, check=_ends_with_newline),
    # 4. optimize
    Test("optimize: one step on 'mira'", call="optimize_outputs", inputs=_optimize_pub(),
         public=True, expected={
             'loss': 10.06774642,
             'gradients': {'dWax': np.array([[0.0, 0.5134326308, 0.0, -0.3541379183, -0.3340285715, -0.2831716764], [0.0, 0.4059490306, 0.0, 0.04488492079, -0.7649201197, 0.09608423821], [0.0, -0.05275789512, 0.0, 0.2275447753, 0.04609937136, -0.01135283466]]), 'dWaa': np.array([[0.1494707708, 0.1489804578, -0.1147216779], [-0.1376969153, 0.1945689352, 0.3386535276], [-0.1174779596, 0.02424132169, 0.1422736789]]), 'dWya': np.array([[-0.8075131145, -0.4650309643, 0.2703522361], [0.689490407, 0.4749507214, -0.5648496214], [-0.4480460992, -0.4037452761, 0.4824477598], [0.3606212466, -0.3221843951, -0.4734121856], [-0.1990629234, 0.1906464117, 0.5607854196], [0.4045104835, 0.5253635023, -0.2753236085]]), 'db': np.array([[0.2983617797], [-0.5613829381], [0.383080624]]), 'dby': np.array([[0.6896343344], [-0.7223696812], [0.814430442], [-0.4413508743], [0.01394952045], [-0.3542937413]])},
             'a_last': np.array([[-0.2005509055], [-0.5557855556], [0.7095922284]]),
             'parameters': {'Wax': np.array([[0.01709638363, 0.6285305071, 0.6123605393, -0.2197397466, -0.1155818984, -0.2353749289], [0.2848631788, -0.06862712258, 0.3734428081, -0.9281508916, 0.8597663993, -0.0578245039], [0.3401892266, -0.06300737748, -0.1895492835, 0.2088006018, 0.4076468266, -0.1001296519]]), 'Waa': np.array([[-0.09134016636, 0.3279512596, -0.4236981532], [-0.7434220603, 0.1780340379, -0.3691482646], [-0.9484224991, -0.4094509641, -0.2480261473]]), 'Wya': np.array([[-0.5158499273, -0.6997288456, -0.008716310139], [0.3796755877, -0.1640611111, -0.3153130526], [0.2373015143, 0.3989924312, -0.1982500752], [0.2362717793, 0.5536561778, -0.05613699954], [-0.3868514786, 0.1547606581, 0.06769432852], [0.5089553359, -0.6948267396, -0.3032741043]]), 'b': np.array([[-0.4489196583], [-0.8108691293], [0.0249092152]]), 'by': np.array([[0.1949386728], [-0.2971580476], [0.6113804931], [0.4550972558], [0.3122932874], [0.2362829199]])},}),
    Test("optimize: random example", call="optimize_outputs", inputs=_optimize_inputs),
    Test("optimize: clipping is active", call="optimize_outputs",
         inputs=lambda rng: _optimize_inputs(rng, clip_hard=True)),
    # 5. model
    Test("model: 12 iterations on five names", call="model_outputs", inputs=PUB_MODEL,
         public=True, seed=1, expected={
             'losses': np.array([23.07085774, 23.07094625, 23.06722876, 23.06566017, 23.06463094, 23.06154552, 23.05974686, 23.05465007, 23.05197334, 23.04961842, 23.0459779, 23.04354794]),
             'by': np.array([[1.700990213], [1.066799593], [-0.835467779], [0.1387408683], [0.1376336068], [1.583330853], [-0.8355222098], [-0.8358585015], [-0.8355045894], [0.8893169076], [-0.8356098479], [-0.2097740099], [1.433800142], [-0.2099835484], [0.7623335795], [0.8412319146], [-0.8355559981], [-0.8354202336], [1.206542846], [-0.08916023101], [-0.1501596644], [-0.8353908021], [-0.1493840027], [0.2390438529], [-0.8358056682], [-0.8355680866], [-0.8355992033]]),
             'Wya_norm': 0.4294088864,}),
    Test("model: random corpus", call="model_outputs", inputs=_model_inputs, seed=2),
]


# ---------------------------------------------------------------------------
# Known mistakes
# ---------------------------------------------------------------------------


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=0)


def _clip_upper_only(gradients, max_value):
    return {k: np.minimum(v, max_value) for k, v in gradients.items()}


def _clip_to_positive(gradients, max_value):
    return {k: np.clip(v, 0, max_value) for k, v in gradients.items()}


def _clip_by_norm(gradients, max_value):
    out = {}
    for k, v in gradients.items():
        n = np.linalg.norm(v)
        out[k] = v * (max_value / n) if n > max_value else v
    return out


def _build_variant(kind):
    def impl(name, char_to_ix):
        idx = [char_to_ix[ch] for ch in name]
        nl = char_to_ix["\n"]
        if kind == "no_newline":
            X = [None] + idx
            return X, X[1:]
        if kind == "no_none":
            return idx, idx[1:] + [nl]
        if kind == "newline_start":
            X = [nl] + idx
            return X, idx + [nl]
        raise ValueError(kind)
    return impl


def _sample_variant(kind):
    def impl(parameters, char_to_ix, max_length=50):
        p = parameters
        vocab, n_a = p["by"].shape[0], p["Waa"].shape[1]
        x, a_prev = np.zeros((vocab, 1)), np.zeros((n_a, 1))
        indices, idx, counter, nl = [], -1, 0, char_to_ix["\n"]
        while idx != nl and counter != max_length:
            a = np.tanh(p["Wax"] @ x + p["Waa"] @ a_prev + p["b"])
            y = _softmax(p["Wya"] @ a + p["by"])
            if kind == "argmax":
                idx = int(np.argmax(y))
            else:
                idx = np.random.choice(vocab, p=y.ravel())
            indices.append(idx)
            if kind != "no_feedback":
                x = np.zeros((vocab, 1))
                x[idx] = 1
            if kind != "no_state":
                a_prev = a
            counter += 1
        if counter == max_length and kind != "no_final_newline":
            indices.append(nl)
        return indices
    return impl


def _lab_helpers():
    """The notebook's given helpers, rebuilt here so mistakes are self-contained."""
    def forward_backward(X, Y, a0, p):
        vocab = p["by"].shape[0]
        xs, a, yh = {}, {-1: a0}, {}
        loss = 0.0
        for t in range(len(X)):
            xs[t] = np.zeros((vocab, 1))
            if X[t] is not None:
                xs[t][X[t]] = 1
            a[t] = np.tanh(p["Wax"] @ xs[t] + p["Waa"] @ a[t - 1] + p["b"])
            yh[t] = _softmax(p["Wya"] @ a[t] + p["by"])
            loss -= np.log(yh[t][Y[t], 0])
        g = {"dWax": np.zeros_like(p["Wax"]), "dWaa": np.zeros_like(p["Waa"]),
             "dWya": np.zeros_like(p["Wya"]), "db": np.zeros_like(p["b"]),
             "dby": np.zeros_like(p["by"])}
        da_next = np.zeros_like(a0)
        for t in reversed(range(len(X))):
            dy = np.copy(yh[t])
            dy[Y[t]] -= 1
            g["dWya"] += dy @ a[t].T
            g["dby"] += dy
            da = p["Wya"].T @ dy + da_next
            draw = (1 - a[t] ** 2) * da
            g["db"] += draw
            g["dWax"] += draw @ xs[t].T
            g["dWaa"] += draw @ a[t - 1].T
            da_next = p["Waa"].T @ draw
        return loss, g, a

    def update(p, g, lr):
        return {"Wax": p["Wax"] - lr * g["dWax"], "Waa": p["Waa"] - lr * g["dWaa"],
                "Wya": p["Wya"] - lr * g["dWya"], "b": p["b"] - lr * g["db"],
                "by": p["by"] - lr * g["dby"]}
    return forward_backward, update


def _optimize_variant(kind):
    fb, update = _lab_helpers()

    def impl(X, Y, a_prev, parameters, learning_rate=0.01, max_value=5):
        loss, g, a = fb(X, Y, a_prev, parameters)
        clipped = {k: np.clip(v, -max_value, max_value) for k, v in g.items()}
        if kind == "no_clip":
            return loss, g, a[len(X) - 1], update(parameters, g, learning_rate)
        if kind == "update_before_clip":
            return loss, clipped, a[len(X) - 1], update(parameters, g, learning_rate)
        if kind == "no_update":
            return loss, clipped, a[len(X) - 1], parameters
        if kind == "first_state":
            return loss, clipped, a[0], update(parameters, clipped, learning_rate)
        raise ValueError(kind)
    return impl


def _model_variant(kind):
    fb, update = _lab_helpers()

    def impl(names, char_to_ix, num_iterations=2000, n_a=32, learning_rate=0.02):
        vocab = len(char_to_ix)
        p = {"Wax": np.random.randn(n_a, vocab) * 0.01, "Waa": np.random.randn(n_a, n_a) * 0.01,
             "Wya": np.random.randn(vocab, n_a) * 0.01, "b": np.zeros((n_a, 1)),
             "by": np.zeros((vocab, 1))}
        loss = -np.log(1.0 / vocab) * 7
        losses = []
        a_prev = np.zeros((n_a, 1))
        for j in range(num_iterations):
            name = names[0] if kind == "first_name_only" else names[j % len(names)]
            X = [None] + [char_to_ix[ch] for ch in name]
            Y = X[1:] + [char_to_ix["\n"]]
            if kind != "carry_state":
                a_prev = np.zeros((n_a, 1))
            cur, g, a = fb(X, Y, a_prev, p)
            g = {k: np.clip(v, -5, 5) for k, v in g.items()}
            p = update(p, g, learning_rate)
            a_prev = a[len(X) - 1]
            loss = cur if kind == "no_smoothing" else loss * 0.999 + cur * 0.001
            losses.append(loss)
        return p, np.array(losses)
    return impl


MISTAKES = [
    Mistake(call="clip", name="only the upper tail clipped", impl=_clip_upper_only,
            hint="np.minimum(g, max_value) leaves large negative entries alone. Clip both "
                 "tails: np.clip(g, -max_value, max_value)."),
    Mistake(call="clip", name="clipped to [0, max_value]", impl=_clip_to_positive,
            hint="The lower bound is -max_value, not 0: negative gradients carry real "
                 "information and must survive clipping."),
    Mistake(call="clip", name="rescaled by the norm", impl=_clip_by_norm,
            hint="Clipping by norm is a valid technique, but this exercise asks for "
                 "element-wise clipping: each entry is limited to [-max_value, max_value]."),
    Mistake(call="build_example", name="no end-of-name token in Y", impl=_build_variant("no_newline"),
            hint="Y must also teach the model to stop: append char_to_ix['\\n'] after the "
                 "last character, so X and Y have the same length."),
    Mistake(call="build_example", name="X does not start with None", impl=_build_variant("no_none"),
            hint="X starts with None (the zero input) so that the first prediction is the "
                 "first letter of the name: X = [None] + indices."),
    Mistake(call="build_example", name="X starts with '\\n' instead of None",
            impl=_build_variant("newline_start"),
            hint="Use None, not the index of '\\n', as the first input: the notebook's "
                 "rnn_forward turns None into the zero vector."),
    Mistake(call="sample", name="argmax instead of sampling", impl=_sample_variant("argmax"),
            hint="Taking np.argmax always produces the same name. Draw the index with "
                 "np.random.choice(vocab_size, p=y.ravel())."),
    Mistake(call="sample", name="sampled character not fed back", impl=_sample_variant("no_feedback"),
            hint="After drawing idx, the next input x must be the one-hot vector of idx "
                 "(a fresh zero vector with x[idx] = 1)."),
    Mistake(call="sample", name="hidden state not carried", impl=_sample_variant("no_state"),
            hint="Set a_prev = a at the end of every iteration so the next step remembers "
                 "the characters generated so far."),
    Mistake(call="sample", name="no '\\n' appended at max_length", impl=_sample_variant("no_final_newline"),
            hint="When the loop stops because counter == max_length, append the index of "
                 "'\\n' so that the sample still ends like a name."),
    Mistake(call="optimize", name="gradients not clipped", impl=_optimize_variant("no_clip"),
            hint="Call clip(gradients, max_value) between rnn_backward and "
                 "update_parameters, and return the clipped gradients."),
    Mistake(call="optimize", name="parameters updated with the unclipped gradients",
            impl=_optimize_variant("update_before_clip"),
            hint="The update must use the clipped gradients: clip first, then pass the "
                 "result to update_parameters."),
    Mistake(call="optimize", name="parameters not updated", impl=_optimize_variant("no_update"),
            hint="Finish the step with parameters = update_parameters(parameters, "
                 "gradients, learning_rate) and return the new parameters."),
    Mistake(call="optimize", name="returned the first hidden state", impl=_optimize_variant("first_state"),
            hint="Return the hidden state after the last character, a[len(X) - 1]."),
    Mistake(call="model", name="always trains on the first name", impl=_model_variant("first_name_only"),
            hint="Cycle through the corpus: name = names[j % len(names)]."),
    Mistake(call="model", name="hidden state carried from one name to the next",
            impl=_model_variant("carry_state"),
            hint="Each name is an independent sequence: start every iteration from "
                 "a_prev = np.zeros((n_a, 1))."),
    Mistake(call="model", name="raw loss instead of the smoothed loss", impl=_model_variant("no_smoothing"),
            hint="Append the smoothed loss: loss = smooth(loss, curr_loss), starting from "
                 "get_initial_loss(vocab_size, 7)."),
]
