# %% [markdown]
# # The Transformer Encoder, Piece by Piece
#
# The Transformer ("Attention Is All You Need", Vaswani et al., 2017) drops recurrence
# altogether: every position of a sequence looks at every other position in one
# parallel step, through **self-attention**. Without an RNN there is no built-in notion
# of order, so the model adds **positional encodings** to its inputs, and **masks**
# stop attention from looking at padding or at the future.
#
# In this lab you build the encoder half of a Transformer in PyTorch, from the
# formulas up:
#
# 1. `get_angles` and `positional_encoding`: the sinusoidal position signals.
# 2. `create_padding_mask` and `create_look_ahead_mask`: what attention may look at.
# 3. `scaled_dot_product_attention`: the core operation, with masking.
# 4. `split_heads` and `MultiHeadAttention.forward`: several attentions in parallel.
# 5. `EncoderLayer.forward`: attention + feed-forward, with residual connections,
#    layer normalization and dropout.
# 6. `Encoder.forward`: embeddings, positions and a stack of encoder layers.
#
# Shapes are written `(batch, seq, d_model)` throughout; `d_model` is the size of the
# vector that represents each token.

# %%
import math

import numpy as np
import torch
import torch.nn as nn

# %% [markdown]
# ## 1. Positional encoding
#
# A position `pos` is encoded as a vector of size `d` whose entries oscillate at
# geometrically decreasing frequencies:
#
# ```
# PE(pos, 2i)   = sin(pos / 10000^(2i / d))
# PE(pos, 2i+1) = cos(pos / 10000^(2i / d))
# ```
#
# Entries `2i` and `2i+1` share the same frequency: one gets the sine, the other the
# cosine. The first dimensions change quickly with `pos` (wavelength `2*pi`), the last
# ones very slowly (wavelength up to `10000 * 2*pi`), so every position gets a distinct
# pattern, nearby positions get similar ones, and `PE(pos + k)` is a linear function of
# `PE(pos)`, which makes relative offsets easy for attention to use.
#
# ### Exercise 1: `get_angles`
#
# Given a column vector of positions `pos` (shape `(n, 1)`) and a row vector of
# dimension indices `k` (shape `(1, d)`), return the matrix of angles
# `pos / 10000^(2i / d)` of shape `(n, d)`, where `i = k // 2` (so dimensions 0 and 1
# share `i = 0`, dimensions 2 and 3 share `i = 1`, ...). Broadcasting does the
# outer product for you.

# %%
def get_angles(pos, k, d):
    """Angles pos / 10000^(2*(k//2)/d).

    Arguments:
    pos -- column vector of positions, shape (n, 1)
    k -- row vector of dimension indices, shape (1, d)
    d -- encoding size

    Returns:
    angles -- array of shape (n, d)
    """
    ### BEGIN SOLUTION
    i = k // 2
    angles = pos / np.power(10000, 2 * i / d)
    ### END SOLUTION
    return angles


# %% [markdown]
# ### Exercise 2: `positional_encoding`
#
# 1. Compute the angles for positions `0 .. positions-1` and dimensions `0 .. d-1`
#    (`np.arange(positions)[:, np.newaxis]`, `np.arange(d)[np.newaxis, :]`).
# 2. Apply `np.sin` to the even columns (`angles[:, 0::2]`) and `np.cos` to the odd
#    columns (`angles[:, 1::2]`), in place.
# 3. Add a leading batch axis and return a `float32` array of shape `(1, positions, d)`.

# %%
def positional_encoding(positions, d):
    """Sinusoidal positional encodings, float32 array of shape (1, positions, d)."""
    ### BEGIN SOLUTION
    angles = get_angles(np.arange(positions)[:, np.newaxis], np.arange(d)[np.newaxis, :], d)
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    pos_encoding = angles[np.newaxis, ...].astype(np.float32)
    ### END SOLUTION
    return pos_encoding


# %% [markdown]
# ## 2. Masks
#
# A mask says which keys a query may attend to: **1 = may attend, 0 = blocked**.
#
# **Padding mask.** Sentences in a batch have different lengths and are padded with
# token id 0 up to a common length. Padding carries no meaning, so no query should
# attend to it. For token ids of shape `(batch, seq)` the mask has shape
# `(batch, 1, seq)`: the middle axis of size 1 broadcasts over all query positions.
#
# **Look-ahead mask.** A decoder that generates text left to right must not peek at
# the tokens it has yet to produce: query position `t` may only attend to positions
# `<= t`. That is a lower-triangular matrix of ones, shape `(1, size, size)`:
#
# ```
# [[1, 0, 0],
#  [1, 1, 0],
#  [1, 1, 1]]
# ```
#
# ### Exercise 3: `create_padding_mask` and `create_look_ahead_mask`
#
# Both return **float** tensors of ones and zeros. For the padding mask compare the
# ids with `pad_id`; for the look-ahead mask `torch.tril` builds the triangle.

# %%
def create_padding_mask(token_ids, pad_id=0):
    """token_ids: LongTensor (batch, seq) -> float mask (batch, 1, seq), 1 = real token."""
    ### BEGIN SOLUTION
    mask = (token_ids != pad_id).float()[:, None, :]
    ### END SOLUTION
    return mask


def create_look_ahead_mask(size):
    """Float mask (1, size, size): entry [0, q, k] is 1 when k <= q."""
    ### BEGIN SOLUTION
    mask = torch.tril(torch.ones(1, size, size))
    ### END SOLUTION
    return mask


# %% [markdown]
# ## 3. Scaled dot-product attention
#
# With queries `Q` (`(..., seq_q, d_k)`), keys `K` (`(..., seq_k, d_k)`) and values
# `V` (`(..., seq_k, d_v)`):
#
# ```
# Attention(Q, K, V) = softmax( Q K^T / sqrt(d_k) + M ) V
# ```
#
# Each query is compared with every key by a dot product; dividing by `sqrt(d_k)`
# keeps the scores from growing with the dimension (large scores would saturate the
# softmax and kill its gradients). `M` is `-1e9` where the mask is 0 and 0 elsewhere,
# so blocked keys get a weight of exactly 0 after the softmax. The softmax runs over
# the **keys** axis (the last one): for each query, the weights over the keys sum to 1.
#
# ### Exercise 4: `scaled_dot_product_attention`
#
# 1. `scores = Q @ K^T / sqrt(d_k)`: use `k.transpose(-2, -1)` and `d_k = k.shape[-1]`;
#    `@` (`torch.matmul`) broadcasts over the leading axes.
# 2. If `mask` is given, set the scores where `mask == 0` to `-1e9`
#    (`scores.masked_fill(mask == 0, -1e9)`); the mask broadcasts against `scores`.
# 3. `weights = torch.softmax(scores, dim=-1)` and `output = weights @ v`.
#
# Return `output` (`(..., seq_q, d_v)`) and `weights` (`(..., seq_q, seq_k)`).

# %%
def scaled_dot_product_attention(q, k, v, mask=None):
    """Return (output, attention_weights)."""
    ### BEGIN SOLUTION
    d_k = k.shape[-1]
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    weights = torch.softmax(scores, dim=-1)
    output = torch.matmul(weights, v)
    ### END SOLUTION
    return output, weights


# %% [markdown]
# ## 4. Multi-head attention
#
# One attention can only compute one weighted average per query. Multi-head attention
# runs `num_heads` attentions in parallel on different learned projections, each of
# size `depth = d_model // num_heads`, and concatenates the results:
#
# ```
# Q = x_q W_q,  K = x_k W_k,  V = x_v W_v                 (batch, seq, d_model)
# split each into heads                                   (batch, heads, seq, depth)
# head outputs = scaled_dot_product_attention(Q, K, V)   (batch, heads, seq_q, depth)
# concatenate the heads back                              (batch, seq_q, d_model)
# output = concat W_o
# ```
#
# ### Exercise 5a: `split_heads`
#
# Reshape `x` of shape `(batch, seq, d_model)` to `(batch, seq, num_heads, depth)`,
# then swap the `seq` and `heads` axes to get `(batch, num_heads, seq, depth)`.
# Head `h` then holds features `h*depth .. (h+1)*depth - 1` of every position.
#
# A direct `x.reshape(batch, num_heads, seq, depth)` has the right shape but the wrong
# content: it cuts the flat memory into chunks that mix positions. Reshape first,
# transpose second.
#
# ### Exercise 5b: `MultiHeadAttention.forward`
#
# 1. Project with `self.W_q`, `self.W_k`, `self.W_v` and split each into heads.
# 2. If a mask is given, insert a heads axis so it broadcasts over all heads:
#    `mask.unsqueeze(1)` turns `(batch, 1, seq_k)` into `(batch, 1, 1, seq_k)`.
# 3. Run `scaled_dot_product_attention` on the split tensors.
# 4. Undo the split: transpose back to `(batch, seq_q, heads, depth)` and reshape to
#    `(batch, seq_q, d_model)` (call `.contiguous()` before `.view`, or use `.reshape`).
# 5. Apply `self.W_o`.
#
# Return the output and the attention weights `(batch, heads, seq_q, seq_k)`.

# %%
def split_heads(x, num_heads):
    """(batch, seq, d_model) -> (batch, num_heads, seq, d_model // num_heads)."""
    ### BEGIN SOLUTION
    batch, seq, d_model = x.shape
    x = x.reshape(batch, seq, num_heads, d_model // num_heads).transpose(1, 2)
    ### END SOLUTION
    return x


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        assert d_model % num_heads == 0, "d_model must be divisible by num_heads"
        self.d_model, self.num_heads = d_model, num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def forward(self, x_q, x_k, x_v, mask=None):
        """x_q: (batch, seq_q, d_model), x_k / x_v: (batch, seq_k, d_model).

        Returns output (batch, seq_q, d_model), weights (batch, heads, seq_q, seq_k).
        """
        ### BEGIN SOLUTION
        batch, seq_q, _ = x_q.shape
        q = split_heads(self.W_q(x_q), self.num_heads)
        k = split_heads(self.W_k(x_k), self.num_heads)
        v = split_heads(self.W_v(x_v), self.num_heads)
        if mask is not None:
            mask = mask.unsqueeze(1)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)
        concat = heads.transpose(1, 2).reshape(batch, seq_q, self.d_model)
        output = self.W_o(concat)
        ### END SOLUTION
        return output, weights


# %% [markdown]
# ## 5. The encoder layer
#
# An encoder layer has two sub-layers, each wrapped in a residual connection followed
# by layer normalization ("Add & Norm"):
#
# ```
# attn = Dropout(MultiHeadAttention(x, x, x, mask))     self-attention: q = k = v = x
# out1 = LayerNorm1(x + attn)
# ffn  = Dropout(FFN(out1))                              FFN = Linear -> ReLU -> Linear
# out2 = LayerNorm2(out1 + ffn)
# ```
#
# The residual connections let gradients flow straight through a deep stack, and
# layer normalization (over the `d_model` features of each position) keeps the
# activations at a stable scale. The feed-forward network is applied to every
# position independently: attention mixes information **across** positions, the FFN
# transforms it **within** each position.
#
# Dropout is only active in training mode (`model.train()`); in evaluation mode
# (`model.eval()`) it is the identity, which is how the grader runs your layer.
#
# ### Exercise 6: `EncoderLayer.forward`
#
# Implement the four lines above with `self.mha`, `self.dropout1`, `self.layernorm1`,
# `self.ffn`, `self.dropout2` and `self.layernorm2`. `self.mha` returns
# `(output, weights)`: keep the output.

# %%
class EncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout_rate=0.1, layernorm_eps=1e-6):
        super().__init__()
        self.mha = MultiHeadAttention(d_model, num_heads)
        self.ffn = nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
        self.layernorm1 = nn.LayerNorm(d_model, eps=layernorm_eps)
        self.layernorm2 = nn.LayerNorm(d_model, eps=layernorm_eps)
        self.dropout1 = nn.Dropout(dropout_rate)
        self.dropout2 = nn.Dropout(dropout_rate)

    def forward(self, x, mask=None):
        """x: (batch, seq, d_model) -> (batch, seq, d_model)."""
        ### BEGIN SOLUTION
        attn_output, _ = self.mha(x, x, x, mask)
        out1 = self.layernorm1(x + self.dropout1(attn_output))
        ffn_output = self.dropout2(self.ffn(out1))
        out2 = self.layernorm2(out1 + ffn_output)
        ### END SOLUTION
        return out2


# %% [markdown]
# ## 6. The encoder
#
# The full encoder turns token ids into contextual vectors:
#
# 1. look the ids up in `self.embedding`: `(batch, seq)` -> `(batch, seq, d_model)`;
# 2. multiply the embeddings by `sqrt(d_model)`, as in the original Transformer: this
#    sets the scale of the word information relative to the positional encodings, whose
#    entries lie in `[-1, 1]` (the pre-processing lab measures the effect);
# 3. add the positional encodings of the first `seq` positions,
#    `self.pos_encoding[:, :seq, :]` (a buffer of shape `(1, max_len, d_model)` that
#    broadcasts over the batch);
# 4. apply `self.dropout`;
# 5. pass the result through every layer of `self.enc_layers`, with the same mask.
#
# ### Exercise 7: `Encoder.forward`

# %%
class Encoder(nn.Module):
    def __init__(self, num_layers, d_model, num_heads, d_ff, vocab_size, max_len,
                 dropout_rate=0.1):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.register_buffer("pos_encoding", torch.from_numpy(positional_encoding(max_len, d_model)))
        self.enc_layers = nn.ModuleList(
            [EncoderLayer(d_model, num_heads, d_ff, dropout_rate) for _ in range(num_layers)])
        self.dropout = nn.Dropout(dropout_rate)

    def forward(self, token_ids, mask=None):
        """token_ids: LongTensor (batch, seq) -> (batch, seq, d_model)."""
        ### BEGIN SOLUTION
        seq = token_ids.shape[1]
        x = self.embedding(token_ids) * math.sqrt(self.d_model)
        x = x + self.pos_encoding[:, :seq, :]
        x = self.dropout(x)
        for layer in self.enc_layers:
            x = layer(x, mask)
        ### END SOLUTION
        return x


# %% [markdown]
# ## 7. Putting it together
#
# ```python
# torch.manual_seed(0)
# ids = torch.tensor([[5, 9, 2, 7, 0, 0], [3, 3, 8, 0, 0, 0]])   # 0 = padding
# encoder = Encoder(num_layers=2, d_model=16, num_heads=4, d_ff=32, vocab_size=10, max_len=50)
# encoder.eval()
# out = encoder(ids, create_padding_mask(ids))       # (2, 6, 16)
# ```
#
# Two things worth checking once everything passes:
#
# - Change a **padding** token's id (say the last 0 of the first row to 4, but keep
#   the mask): the outputs at the real positions do not move, because no query
#   attends to a masked key.
# - A decoder's self-attention uses both masks at once, combined with
#   `torch.minimum(create_padding_mask(ids), create_look_ahead_mask(seq))`, which has
#   shape `(batch, seq, seq)`: position `t` sees only real tokens at positions `<= t`.
#
# The decoder layer adds a third sub-layer, cross-attention, where the queries come
# from the decoder and the keys and values from the encoder output; with the pieces
# of this lab it is the same `MultiHeadAttention` called as `mha(x_dec, enc, enc, mask)`.
