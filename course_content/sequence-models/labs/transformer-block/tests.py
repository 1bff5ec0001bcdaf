import math

import numpy as np
import torch

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- input generators


def random_angles(rng):
    n, d = int(rng.integers(2, 9)), 2 * int(rng.integers(2, 9))
    return {"pos": np.arange(n, dtype=float)[:, None], "k": np.arange(d)[None, :], "d": d}


def random_encoding(rng):
    return {"positions": int(rng.integers(5, 40)), "d": 2 * int(rng.integers(2, 17))}


def random_ids(rng):
    batch, seq = int(rng.integers(1, 5)), int(rng.integers(3, 9))
    ids = rng.integers(1, 20, size=(batch, seq))
    for b in range(batch):
        n_pad = int(rng.integers(0, seq - 1))
        if n_pad:
            ids[b, -n_pad:] = 0
    return {"token_ids": ids}


def random_attention(rng):
    batch, seq_q, seq_k, d_k, d_v = (int(v) for v in rng.integers(1, 6, size=5))
    seq_k += 1
    mask = (rng.uniform(size=(batch, 1, seq_k)) > 0.3).astype(float)
    mask[:, :, 0] = 1.0                       # every query sees at least one key
    return {"q": rng.standard_normal((batch, seq_q, d_k)), "k": rng.standard_normal((batch, seq_k, d_k)),
            "v": rng.standard_normal((batch, seq_k, d_v)), "mask": mask}


def random_split(rng):
    heads, depth = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    return {"x": rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 6)), heads * depth)),
            "num_heads": heads}


def random_mha(rng):
    heads, depth = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    batch, seq_q, seq_k = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(2, 6))
    mask = np.ones((batch, 1, seq_k))
    mask[:, :, -1] = 0.0
    return {"x_q": rng.standard_normal((batch, seq_q, heads * depth)),
            "x_kv": rng.standard_normal((batch, seq_k, heads * depth)), "num_heads": heads, "mask": mask}


def random_encoder_layer(rng):
    heads, depth = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    batch, seq = int(rng.integers(1, 4)), int(rng.integers(2, 7))
    mask = np.tril(np.ones((seq, seq)))[None].repeat(batch, axis=0)
    return {"x": rng.standard_normal((batch, seq, heads * depth)), "num_heads": heads,
            "d_ff": int(rng.integers(2, 10)), "mask": mask}


def random_encoder(rng):
    heads, depth = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    vocab, batch, seq = int(rng.integers(5, 15)), int(rng.integers(1, 4)), int(rng.integers(2, 7))
    ids = rng.integers(1, vocab, size=(batch, seq))
    ids[0, -1] = 0
    return {"token_ids": ids, "num_layers": int(rng.integers(1, 3)), "d_model": heads * depth * 2,
            "num_heads": heads, "d_ff": int(rng.integers(3, 9)), "vocab_size": vocab,
            "max_len": seq + int(rng.integers(0, 5)), "mask": (ids != 0).astype(float)[:, None, :]}


def weights_sum_to_one(output, inputs):
    w = np.asarray(output["weights"])
    if not np.allclose(w.sum(axis=-1), 1.0, atol=1e-5):
        return "attention weights must sum to 1 over the keys (softmax over the last axis)"
    return None


# ---------------------------------------------------------------- tests

_Q = np.array([[[1.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 1.0]]])
_K = np.array([[[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]])
_V = np.array([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])

TESTS = [
    # get_angles
    Test("get_angles for 3 positions, d=4", call="get_angles",
         inputs={"pos": np.array([[0.0], [1.0], [2.0]]), "k": np.array([[0, 1, 2, 3]]), "d": 4},
         public=True, expected=[[0, 0, 0, 0], [1, 1, 0.01, 0.01], [2, 2, 0.02, 0.02]]),
    Test("get_angles on random sizes", call="get_angles", inputs=random_angles),

    # positional_encoding
    Test("positional_encoding(4, 6)", call="positional_encoding", inputs={"positions": 4, "d": 6},
         public=True, expected=[[[0, 1, 0, 1, 0, 1], [0.84147096, 0.54030228, 0.046399225, 0.998923, 0.0021544329, 0.99999768], [0.90929741, -0.41614684, 0.0926985, 0.99569422, 0.0043088561, 0.9999907], [0.14112, -0.9899925, 0.1387981, 0.99032068, 0.006463259, 0.99997914]]]),
    Test("positional_encoding on random sizes", call="positional_encoding", inputs=random_encoding),

    # masks
    Test("padding mask of two sentences", call="padding_mask_check",
         inputs={"token_ids": np.array([[7, 6, 0, 0, 1], [1, 2, 3, 0, 0]])}, public=True, expected=[[[1, 1, 0, 0, 1]], [[1, 1, 1, 0, 0]]]),
    Test("padding mask on random ids", call="padding_mask_check", inputs=random_ids),
    Test("look-ahead mask of size 3", call="look_ahead_check", inputs={"size": 3}, public=True,
         expected=[[[1, 0, 0], [1, 1, 0], [1, 1, 1]]]),
    Test("look-ahead mask of size 6", call="look_ahead_check", inputs={"size": 6}),

    # scaled_dot_product_attention
    Test("attention without a mask", call="attention_check", inputs={"q": _Q, "k": _K, "v": _V},
         public=True, expected={'output': [[[3, 4], [2.6980896, 3.6980896]]], 'weights': [[[0.33333334, 0.33333334, 0.33333334], [0.38365173, 0.38365173, 0.23269655]]]}, check=weights_sum_to_one),
    Test("attention with a padding mask", call="attention_check",
         inputs={"q": _Q, "k": _K, "v": _V, "mask": np.array([[[1.0, 1.0, 0.0]]])},
         public=True, expected={'output': [[[2, 3], [2, 3]]], 'weights': [[[0.5, 0.5, 0], [0.5, 0.5, 0]]]}, check=weights_sum_to_one),
    Test("attention on random shapes", call="attention_check", inputs=random_attention,
         check=weights_sum_to_one),

    # split_heads
    Test("split_heads, 2 heads", call="split_heads_check",
         inputs={"x": np.arange(12, dtype=float).reshape(1, 3, 4), "num_heads": 2}, public=True,
         expected=[[[[0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]]),
    Test("split_heads on random shapes", call="split_heads_check", inputs=random_split),

    # MultiHeadAttention.forward
    Test("multi-head self-attention, 2 heads", call="mha_check",
         inputs={"x_q": _Q, "x_kv": _Q, "num_heads": 2}, public=True, expected={'output': [[[-0.052595913, -0.48719573, -0.24759531, -0.63692325], [-0.062737852, -0.49150407, -0.24991816, -0.64437068]]], 'weights': [[[[0.55566365, 0.44433644], [0.55145615, 0.44854385]], [[0.52435827, 0.47564179], [0.48215461, 0.51784539]]]]},
         check=weights_sum_to_one),
    Test("multi-head cross-attention with a mask", call="mha_check", inputs=random_mha, seed=2,
         check=weights_sum_to_one),

    # EncoderLayer.forward
    Test("encoder layer on one sequence", call="encoder_layer_check",
         inputs={"x": np.array([[[1.0, 0.0, -1.0, 0.5], [0.0, 2.0, 0.0, -0.5], [1.0, 1.0, 1.0, 1.0]]]),
                 "num_heads": 2, "d_ff": 6, "mask": np.array([[[1.0, 1.0, 0.0]]])},
         public=True, expected=[[[1.590623, 0.029208856, -1.0902156, -0.52961642], [0.38354915, 1.3480325, -0.34785798, -1.3837236], [1.1909926, 0.035698157, 0.34265521, -1.569346]]]),
    Test("encoder layer on random shapes", call="encoder_layer_check", inputs=random_encoder_layer,
         seed=4),

    # Encoder.forward
    Test("encoder with 2 layers", call="encoder_check",
         inputs={"token_ids": np.array([[3, 1, 4, 0]]), "num_layers": 2, "d_model": 4, "num_heads": 2,
                 "d_ff": 8, "vocab_size": 5, "max_len": 6, "mask": np.array([[[1.0, 1.0, 1.0, 0.0]]])},
         public=True, expected=[[[-0.12501013, 1.3925993, 0.15412804, -1.4217172], [0.10636825, -0.97667795, -0.71724772, 1.5875574], [-0.4015502, -0.048053663, 1.5914348, -1.1418312], [-0.7593962, -1.0606008, 0.34332091, 1.4766759]]]),
    Test("encoder on random sizes", call="encoder_check", inputs=random_encoder, seed=9),
]


# ---------------------------------------------------------------- known mistakes

def _angles_no_floor(pos, k, d):
    return pos / np.power(10000, 2 * k / d)


def _angles_no_two(pos, k, d):
    return pos / np.power(10000, (k // 2) / d)


def _pe(positions, d, swap=False, batch_axis=True):
    k = np.arange(d)[None, :]
    angles = np.arange(positions)[:, None] / np.power(10000, 2 * (k // 2) / d)
    even, odd = (np.cos, np.sin) if swap else (np.sin, np.cos)
    angles[:, 0::2] = even(angles[:, 0::2])
    angles[:, 1::2] = odd(angles[:, 1::2])
    return (angles[None] if batch_axis else angles).astype(np.float32)


def _sdpa(q, k, v, mask=None, scale="sqrt", dim=-1, invert=False):
    scores = q @ k.transpose(-2, -1)
    if scale == "sqrt":
        scores = scores / math.sqrt(k.shape[-1])
    elif scale == "dk":
        scores = scores / k.shape[-1]
    if mask is not None:
        scores = scores.masked_fill((mask == 1) if invert else (mask == 0), -1e9)
    w = torch.softmax(scores, dim=dim)
    return w @ v, w


MISTAKES = [
    Mistake(call="get_angles", name="used 2*k instead of 2*(k//2)", impl=_angles_no_floor,
            hint="Dimensions 2i and 2i+1 share a frequency: the exponent is 2*(k//2)/d, so the odd "
                 "columns repeat the angle of the even column before them."),
    Mistake(call="get_angles", name="forgot the factor 2", impl=_angles_no_two,
            hint="The exponent is 2i/d with i = k // 2; you used i/d."),
    Mistake(call="positional_encoding", name="sine and cosine swapped",
            impl=lambda positions, d: _pe(positions, d, swap=True),
            hint="Even columns (0, 2, 4, ...) get the sine and odd columns the cosine; at position 0 "
                 "the encoding is [0, 1, 0, 1, ...]."),
    Mistake(call="positional_encoding", name="no batch axis",
            impl=lambda positions, d: _pe(positions, d, batch_axis=False),
            hint="Return shape (1, positions, d): add the leading batch axis with "
                 "angles[np.newaxis, ...]."),
    Mistake(call="create_padding_mask", name="mask inverted",
            impl=lambda token_ids, pad_id=0: (token_ids == pad_id).float()[:, None, :],
            hint="In this lab 1 means 'may attend': real tokens get 1 and padding gets 0."),
    Mistake(call="create_padding_mask", name="missing the query axis",
            impl=lambda token_ids, pad_id=0: (token_ids != pad_id).float(),
            hint="Return shape (batch, 1, seq): the axis of size 1 lets the mask broadcast over "
                 "all query positions ([:, None, :] or unsqueeze(1))."),
    Mistake(call="create_look_ahead_mask", name="upper triangle",
            impl=lambda size: torch.triu(torch.ones(1, size, size)),
            hint="Query t may attend to keys k <= t: ones on and below the diagonal (torch.tril), "
                 "not above it."),
    Mistake(call="create_look_ahead_mask", name="diagonal excluded",
            impl=lambda size: torch.tril(torch.ones(1, size, size), diagonal=-1),
            hint="A position may attend to itself: keep the diagonal (torch.tril with the default "
                 "diagonal=0)."),
    Mistake(call="scaled_dot_product_attention", name="no scaling",
            impl=lambda q, k, v, mask=None: _sdpa(q, k, v, mask, scale=None),
            hint="Divide the scores by sqrt(d_k), with d_k = k.shape[-1]."),
    Mistake(call="scaled_dot_product_attention", name="divided by d_k",
            impl=lambda q, k, v, mask=None: _sdpa(q, k, v, mask, scale="dk"),
            hint="The scale is the square root of d_k, not d_k itself: math.sqrt(k.shape[-1])."),
    Mistake(call="scaled_dot_product_attention", name="softmax over the queries",
            impl=lambda q, k, v, mask=None: _sdpa(q, k, v, mask, dim=-2),
            hint="Normalize over the keys: torch.softmax(scores, dim=-1), so that each query's "
                 "weights sum to 1."),
    Mistake(call="scaled_dot_product_attention", name="masked the allowed positions",
            impl=lambda q, k, v, mask=None: _sdpa(q, k, v, mask, invert=True),
            hint="Blocked keys are where mask == 0; those are the scores to replace with -1e9."),
    Mistake(call="split_heads", name="reshaped without transposing",
            impl=lambda x, num_heads: x.reshape(x.shape[0], num_heads, x.shape[1], x.shape[2] // num_heads),
            hint="Reshape to (batch, seq, heads, depth) first, then transpose(1, 2). Reshaping "
                 "straight to (batch, heads, seq, depth) mixes features of different positions."),
]
