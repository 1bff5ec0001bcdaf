"""simpleKT (Liu et al., ICLR 2023) as pyKT defines it, for the knowledge-tracing benchmark.

pykt-toolkit 0.0.38, the newest release on PyPI, predates simpleKT: the model lives only in
pyKT's repository (``pykt/models/simplekt.py``, MIT licence). This is the same network, written
anew from that file for its default embedding (``emb_type="qid"``): same layers, same
parameter names (a state dict saved by pyKT loads here, and gives the same predictions), same
defaults. Only what the benchmark needs is kept: no alternative embeddings, no auxiliary
losses (pyKT's ``qid`` trains simpleKT on the BCE of the next response alone).

The network: a concept embedding ``c`` plus, where the data set has question ids, a Rasch-like
question term ``difficulty(q) * d(c)`` (``difficult_param`` starts at 0); an interaction
embedding ``c + e(r)``; cosine position embeddings; ``n_blocks`` post-norm transformer layers
whose queries and keys are the questions and whose values are the interactions, with a
strictly causal mask (position t attends to 0..t-1; the first position gets zeros); and an
MLP on ``[knowledge state, question]`` -> p(correct).
"""

from __future__ import annotations

import math

import torch
from torch import nn


class SimpleKT(nn.Module):
    """p(correct) at every position of (B, L) concept / response / question id tensors.

    ``n_question``: number of concepts (pyKT's ``num_c``); ``n_pid``: number of questions
    (``num_q``; 0 for a concept-only data set, which turns the Rasch term off).
    """

    def __init__(self, n_question: int, n_pid: int, d_model: int = 256, n_blocks: int = 2,
                 dropout: float = 0.1, d_ff: int = 256, final_fc_dim: int = 256, final_fc_dim2: int = 256,
                 num_attn_heads: int = 4, seq_len: int = 200) -> None:  # fmt: skip
        super().__init__()
        self.model_name = "simplekt"
        self.n_question, self.n_pid = n_question, n_pid
        if n_pid > 0:
            self.difficult_param = nn.Embedding(n_pid + 1, d_model)  # per-question difficulty vector
            self.q_embed_diff = nn.Embedding(n_question + 1, d_model)  # per-concept variation
            # pyKT creates it (unused by the "qid" embedding); kept so that state dicts match
            self.qa_embed_diff = nn.Embedding(2 * n_question + 1, d_model)
        self.q_embed = nn.Embedding(n_question, d_model)
        self.qa_embed = nn.Embedding(2, d_model)  # response embedding, added to the concept's
        self.model = _Architecture(n_blocks, d_model, d_ff, num_attn_heads, dropout, seq_len)
        self.out = nn.Sequential(
            nn.Linear(2 * d_model, final_fc_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(final_fc_dim, final_fc_dim2), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(final_fc_dim2, 1),
        )  # fmt: skip
        for p in self.parameters():  # pyKT's reset(): difficulties start at 0
            if n_pid > 0 and p.size(0) == n_pid + 1:
                nn.init.constant_(p, 0.0)

    def forward(self, c: torch.Tensor, r: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """(B, L) concept, response and question ids -> (B, L) p(correct) at each position,
        from the questions up to it and the responses before it."""
        q_emb = self.q_embed(c)  # (B, L, D)
        qa_emb = self.qa_embed(r) + q_emb  # (B, L, D)
        if self.n_pid > 0:
            q_emb = q_emb + self.difficult_param(q) * self.q_embed_diff(c)
        state = self.model(q_emb, qa_emb)  # (B, L, D)
        return torch.sigmoid(self.out(torch.cat([state, q_emb], dim=-1)).squeeze(-1))


class _Architecture(nn.Module):
    def __init__(self, n_blocks: int, d_model: int, d_ff: int, n_heads: int, dropout: float, seq_len: int):
        super().__init__()
        self.blocks_2 = nn.ModuleList(
            [_TransformerLayer(d_model, d_ff, n_heads, dropout) for _ in range(n_blocks)]
        )
        self.position_emb = _CosinePositionalEmbedding(d_model, seq_len)

    def forward(self, q_emb: torch.Tensor, qa_emb: torch.Tensor) -> torch.Tensor:
        pos = self.position_emb(q_emb)  # (1, L, D)
        x, y = q_emb + pos, qa_emb + pos
        for block in self.blocks_2:
            x = block(x, y)
        return x


class _TransformerLayer(nn.Module):
    """Causal attention (queries = keys = x, values = y), then a feed-forward net; post-norm."""

    def __init__(self, d_model: int, d_ff: int, n_heads: int, dropout: float):
        super().__init__()
        self.masked_attn_head = _MultiHeadAttention(d_model, n_heads, dropout)
        self.layer_norm1 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.layer_norm2 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = self.layer_norm1(x + self.dropout1(self.masked_attn_head(x, y)))
        ff = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.layer_norm2(x + self.dropout2(ff))


class _MultiHeadAttention(nn.Module):
    """Heads share one projection for queries and keys (pyKT's ``kq_same=1``)."""

    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.h, self.d_k = n_heads, d_model // n_heads
        self.v_linear = nn.Linear(d_model, d_model)
        self.k_linear = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(d_model, d_model)
        for lin in (self.k_linear, self.v_linear):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.constant_(lin.bias, 0.0)
        nn.init.constant_(self.out_proj.bias, 0.0)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        b, length, d = x.shape
        k = self.k_linear(x).view(b, length, self.h, self.d_k).transpose(1, 2)  # (B, H, L, dk)
        v = self.v_linear(y).view(b, length, self.h, self.d_k).transpose(1, 2)  # (B, H, L, dk)
        scores = k @ k.transpose(-2, -1) / math.sqrt(self.d_k)  # (B, H, L, L)
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(0)  # j >= i
        scores = scores.masked_fill(future, -1e32).softmax(-1)
        scores = torch.cat([torch.zeros_like(scores[:, :, :1]), scores[:, :, 1:]], dim=2)  # no past at 0
        out = (self.dropout(scores) @ v).transpose(1, 2).reshape(b, length, d)
        return self.out_proj(out)


class _CosinePositionalEmbedding(nn.Module):
    def __init__(self, d_model: int, max_len: int):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2).float() * -(math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.weight = nn.Parameter(pe.unsqueeze(0), requires_grad=False)  # (1, max_len, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight[:, : x.size(1), :]
