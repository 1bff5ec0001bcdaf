"""Drivers for the Transformer-encoder lab: convert arrays to tensors, build modules
after the grader has seeded torch (so weights match the reference), run them in eval
mode (dropout off) and return detached tensors."""

import numpy as np
import torch


def _t(x):
    return torch.tensor(np.asarray(x), dtype=torch.float32)


def padding_mask_check(ns, token_ids, pad_id=0):
    return ns["create_padding_mask"](torch.tensor(np.asarray(token_ids), dtype=torch.long), pad_id)


def look_ahead_check(ns, size):
    return ns["create_look_ahead_mask"](size)


def attention_check(ns, q, k, v, mask=None):
    output, weights = ns["scaled_dot_product_attention"](_t(q), _t(k), _t(v),
                                                         None if mask is None else _t(mask))
    return {"output": output, "weights": weights}


def split_heads_check(ns, x, num_heads):
    return ns["split_heads"](_t(x), num_heads)


def mha_check(ns, x_q, x_kv, num_heads, mask=None):
    """Seeded MultiHeadAttention(d_model, num_heads) called as mha(x_q, x_kv, x_kv, mask)."""
    x_q, x_kv = _t(x_q), _t(x_kv)
    mha = ns["MultiHeadAttention"](x_q.shape[-1], num_heads)
    mha.eval()
    with torch.no_grad():
        output, weights = mha(x_q, x_kv, x_kv, None if mask is None else _t(mask))
    return {"output": output, "weights": weights}


def encoder_layer_check(ns, x, num_heads, d_ff, mask=None):
    x = _t(x)
    layer = ns["EncoderLayer"](x.shape[-1], num_heads, d_ff, dropout_rate=0.3)
    layer.eval()
    with torch.no_grad():
        return layer(x, None if mask is None else _t(mask))


def encoder_check(ns, token_ids, num_layers, d_model, num_heads, d_ff, vocab_size, max_len,
                  mask=None):
    """mask, when given, is the (batch, 1, seq) padding mask computed by the test."""
    ids = torch.tensor(np.asarray(token_ids), dtype=torch.long)
    encoder = ns["Encoder"](num_layers, d_model, num_heads, d_ff, vocab_size, max_len, dropout_rate=0.3)
    encoder.eval()
    with torch.no_grad():
        return encoder(ids, None if mask is None else _t(mask))
