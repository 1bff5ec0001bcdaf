"""The sequence model: a small causal Transformer over a learner's events, three heads.

Why this architecture
    Next-step recommendation over a clickstream is SASRec's setting (self-attention
    over the item sequence with a causal mask), and knowledge tracing is SAKT/AKT's:
    attention lets a prediction look straight back at the relevant earlier event (the
    failed quiz of two days ago, the unit video) instead of carrying it through a
    recurrent state, and a causal mask trains every position of a sequence in one
    parallel pass. The model is kept tiny (d_model 64, 2 layers, 256 events of
    context) so one learner's prediction is a millisecond on a CPU. ``arch="gru"``
    swaps the Transformer blocks for a GRU (DKT-style) with the same embeddings and
    heads, to measure the alternative with the same training and evaluation code.

Inputs (``Batch``): per event the activity, verb, outcome bucket, time-gap bucket and
the (question, correct) answers it reveals (see ``recommender.data``); their
embeddings (the answers' averaged) are summed with a learned position embedding. The encoder returns *prefix states* ``P``: ``P[:, 0]`` is a learned
"nothing seen yet" state and ``P[:, j]`` the state after events ``0..j-1``.

Heads
    * next activity: ``Linear(D, n_activities)`` on each prefix state;
    * correctness: the ``query`` is the question embedding plus its quiz's activity
      embedding (an unseen question of a known quiz still gets the quiz's information;
      with ``question_embedding="rasch"``, AKT's Rasch embeddings: the activity's vector
      plus the question's one learned difficulty times the activity's variation vector,
      for data with many questions each seen a few times, such as ASSISTments' 17k
      problems);
      it attends over the prefix states up to the interaction's anchor (the last event
      before the attempt; SAKT-style question-aware attention) giving ``context``; an
      MLP on ``[anchor state, query, anchor state * query, context]`` ("deep") plus
      a PFA-style "wide" part (a per-question bias and a linear term on the
      learner's prior correct / incorrect counts, overall, on that question and in
      that activity: ``data.kt_history_counts``)
      gives the logit. The wide part is what IRT/PFA knows, available from the first
      step; the deep part adds what the sequence tells (videos watched, attempts);
    * disengagement, at each prediction point (``disengagement.prediction_points``: a daily
      check-in): a linear read of the state after the last event before the point, a
      bias per bucket of the time elapsed since that event, and a "wide" linear term on
      recent activity counts, the days away and the tenure (``disengagement.risk_features``),
      then Platt scaling (``risk_scale``, ``risk_shift``: buffers that training fits on
      learners whose risk labels it did not train on), so the probability is
      calibrated. Without the elapsed time the head could not tell a learner active
      yesterday from one away for a month (both are scored from the same state).

Loss = ``w_next * CE + w_kt * BCE + w_risk * BCE``, each averaged over its own valid
targets (padding, context-only positions and censored labels are masked).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from recommender.data import N_GAPS, N_KT_COUNTS, N_OUTCOMES, NONE, PAD, UNK
from recommender.disengagement import N_ELAPSED, N_RISK_FEATURES


@dataclass
class ModelConfig:
    n_activities: int  # activity vocabulary size (with <pad>, <unk>, <none>)
    n_verbs: int  # verb vocabulary size
    n_questions: int  # question vocabulary size
    n_outcomes: int = N_OUTCOMES  # outcome buckets
    n_gaps: int = N_GAPS  # time-gap buckets
    arch: str = "transformer"  # "transformer" or "gru"
    d_model: int = 64  # embedding / hidden width
    n_layers: int = 2  # Transformer blocks (or GRU layers)
    n_heads: int = 4  # attention heads
    d_ff: int = 128  # feed-forward width inside a block
    dropout: float = 0.1
    max_len: int = 256  # events of context (learned positions)
    # "full": a vector per question (and per (question, correct) answer); "rasch": the
    # question's activity vector plus a learned difficulty times that activity's
    # variation vector (AKT's Rasch embeddings), for data with many rarely seen questions
    question_embedding: str = "full"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Batch:
    """A padded batch of windows (B windows, T events, K question interactions)."""

    activity: torch.Tensor  # (B, T) long
    verb: torch.Tensor  # (B, T) long
    outcome: torch.Tensor  # (B, T) long
    gap: torch.Tensor  # (B, T) long
    answers: torch.Tensor  # (B, T, M) long, 0 = none
    next_target: torch.Tensor  # (B, T+1) long, 0 = no target (for prefix states)
    risk_state: torch.Tensor  # (B, R) long: prefix-state index of each prediction point
    risk_elapsed: torch.Tensor  # (B, R) long: elapsed-time bucket (disengagement.elapsed_bucket)
    risk_feats: torch.Tensor  # (B, R, F) float: disengagement.risk_features
    risk_target: torch.Tensor  # (B, R) float, -1 = masked (padding, censored)
    kt_state: torch.Tensor  # (B, K) long: prefix-state index of the anchor
    kt_question: torch.Tensor  # (B, K) long
    kt_activity: torch.Tensor  # (B, K) long
    kt_counts: torch.Tensor  # (B, K, N_KT_COUNTS) float: log1p prior answer counts (PFA features)
    kt_target: torch.Tensor  # (B, K) float
    kt_mask: torch.Tensor  # (B, K) bool

    def to(self, device: torch.device | str) -> Batch:
        return Batch(**{k: v.to(device) for k, v in self.__dict__.items()})


@dataclass
class Outputs:
    next_logits: torch.Tensor  # (B, T+1, n_activities)
    kt_logits: torch.Tensor  # (B, K)
    risk_logits: torch.Tensor  # (B, R)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        assert cfg.d_model % cfg.n_heads == 0
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (
            z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v)
        )  # (B,H,T,hd)
        # no dropout on the attention weights: on CPU it forces the unfused path and a
        # (B, H, T, T) Bernoulli mask (2.3x slower steps); the residual dropouts remain
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-norm Transformer block (nanoGPT)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, cfg.d_ff),
            nn.GELU(),
            nn.Linear(cfg.d_ff, cfg.d_model),
            nn.Dropout(cfg.dropout),
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.mlp(self.ln2(x))


RISK_STATE_DROPOUT = 0.3  # dropout on the state the disengagement head reads


class SequenceModel(nn.Module):
    """Causal sequence model with next-activity, correctness and disengagement heads."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.arch not in ("transformer", "gru"):
            raise ValueError(f"unknown arch {cfg.arch!r}")
        self.cfg = cfg
        d = cfg.d_model
        self.act_emb = nn.Embedding(cfg.n_activities, d, padding_idx=PAD)
        self.verb_emb = nn.Embedding(cfg.n_verbs, d, padding_idx=PAD)
        self.outcome_emb = nn.Embedding(cfg.n_outcomes, d, padding_idx=PAD)
        self.gap_emb = nn.Embedding(cfg.n_gaps, d, padding_idx=PAD)
        if cfg.question_embedding not in ("full", "rasch"):
            raise ValueError(f"unknown question_embedding {cfg.question_embedding!r}")
        self.rasch = cfg.question_embedding == "rasch"
        if self.rasch:  # per question one scalar; the vectors belong to its activity
            self.q_diff = nn.Embedding(cfg.n_questions, 1, padding_idx=PAD)
            self.act_var = nn.Embedding(cfg.n_activities, d, padding_idx=PAD)
            self.answer_emb = nn.Embedding(2 * cfg.n_activities, d)  # (activity, correct)
            self.answer_var = nn.Embedding(2 * cfg.n_activities, d)
        else:
            self.answer_emb = nn.Embedding(2 * cfg.n_questions, d, padding_idx=PAD)  # (question, correct)
        self.correct_emb = nn.Embedding(3, d, padding_idx=PAD)  # 1 wrong, 2 right: shared across questions
        self.pos_emb = nn.Embedding(cfg.max_len, d)
        self.bos = nn.Parameter(torch.zeros(d))
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.arch == "transformer":
            self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
            self.gru = None
        else:
            self.blocks = nn.ModuleList()
            self.gru = nn.GRU(
                d, d, cfg.n_layers, batch_first=True, dropout=cfg.dropout if cfg.n_layers > 1 else 0
            )
        self.ln_f = nn.LayerNorm(d)
        # heads
        self.next_head = nn.Linear(d, cfg.n_activities)
        self.q_emb = None if self.rasch else nn.Embedding(cfg.n_questions, d, padding_idx=PAD)
        self.q_bias = nn.Embedding(cfg.n_questions, 1, padding_idx=PAD)
        self.kt_query = nn.Linear(d, d)  # question-aware attention over the history (SAKT)
        self.kt_key = nn.Linear(d, d)
        self.kt_value = nn.Linear(d, d)
        self.kt_mlp = nn.Sequential(nn.Linear(4 * d, d), nn.GELU(), nn.Linear(d, 1))
        self.kt_wide = nn.Linear(N_KT_COUNTS, 1)  # the "wide" PFA part: prior answer counts
        self.risk_head = nn.Linear(d, 1)  # on the (detached) state: see risk_logits
        self.risk_elapsed = nn.Embedding(N_ELAPSED, 1)  # a bias per elapsed-time bucket
        self.risk_wide = nn.Linear(N_RISK_FEATURES, 1)
        self.register_buffer("risk_scale", torch.ones(()))  # Platt scaling, fitted after training
        self.register_buffer("risk_shift", torch.zeros(()))
        self.apply(self._init)
        nn.init.zeros_(self.q_bias.weight)
        if self.rasch:
            nn.init.zeros_(self.q_diff.weight)
        nn.init.normal_(self.bos, std=0.02)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
            if m.padding_idx is not None:
                with torch.no_grad():
                    m.weight[m.padding_idx].zero_()

    # -------------------------------------------------------------------- encoder
    def encode(
        self,
        activity: torch.Tensor,
        verb: torch.Tensor,
        outcome: torch.Tensor,
        gap: torch.Tensor,
        answers: torch.Tensor,
    ) -> torch.Tensor:
        """Prefix states ``P`` (B, T+1, D): ``P[:, 0]`` before any event, ``P[:, j]``
        after events ``0..j-1``. Causal: ``P[:, j]`` depends on events ``< j`` only."""
        b, t = activity.shape
        if t > self.cfg.max_len:
            raise ValueError(f"window of {t} events exceeds max_len {self.cfg.max_len}")
        pos = torch.arange(t, device=activity.device)
        x = (
            self.answers_embedding(answers, activity)
            + self.act_emb(activity)
            + self.verb_emb(verb)
            + self.outcome_emb(outcome)
            + self.gap_emb(gap)
            + self.pos_emb(pos)[None]
        )  # (B, T, D)
        x = self.drop(x)
        if self.gru is None:
            for block in self.blocks:
                x = block(x)
        else:
            x, _ = self.gru(x)
        h = self.ln_f(x)  # (B, T, D)
        bos = self.ln_f(self.bos).expand(b, 1, -1)  # (B, 1, D)
        return torch.cat([bos, h], dim=1)  # (B, T+1, D)

    def answers_embedding(self, answers: torch.Tensor, activity: torch.Tensor) -> torch.Tensor:
        """(B, T, M) answer ids, (B, T) activities -> (B, T, D): the mean over each
        event's answers of ``answer_emb + correct_emb`` (zeros for an event without
        answers). One ``embedding_bag`` (padding excluded from the mean) and the right /
        wrong shares instead of (B, T, M, D) lookups: the same values, a fraction of the
        work. Rasch: the answer's vector is that of (activity, correct) plus the
        question's difficulty times the (activity, correct) variation."""
        b, t, m = answers.shape
        given = answers > 0
        if self.rasch:
            pair = (2 * activity.unsqueeze(-1) + answers % 2) * given  # (B, T, M)
            diff = self.q_diff(answers // 2)  # (B, T, M, 1)
            vec = (self.answer_emb(pair) + diff * self.answer_var(pair)) * given.unsqueeze(-1)
            mean = vec.sum(2) / given.sum(-1, keepdim=True).clamp(min=1)  # (B, T, D)
        else:
            flat = answers.reshape(b * t, m)
            mean = F.embedding_bag(flat, self.answer_emb.weight, mode="mean", padding_idx=PAD)
        n = given.sum(-1, keepdim=True).clamp(min=1)
        right = ((answers % 2 == 1) & given).sum(-1, keepdim=True) / n  # (B, T, 1)
        wrong = (given.sum(-1, keepdim=True) / n) - right
        w = self.correct_emb.weight  # rows: 0 pad, 1 wrong, 2 right
        return mean.view(b, t, -1) + wrong * w[1] + right * w[2]

    # -------------------------------------------------------------------- heads
    def next_logits(self, states: torch.Tensor) -> torch.Tensor:
        """(..., D) -> (..., n_activities) logits."""
        return self.next_head(states)

    def kt_logits(
        self,
        prefix: torch.Tensor,
        state: torch.Tensor,
        question: torch.Tensor,
        activity: torch.Tensor,
        counts: torch.Tensor,
    ) -> torch.Tensor:
        """Correctness logits (B, K) for questions asked after prefix state ``state``.

        prefix (B, T+1, D) prefix states; state (B, K) prefix index of each
        interaction's anchor; question, activity (B, K) ids; counts (B, K, N_KT_COUNTS) the
        learner's prior answer counts (``data.kt_history_counts``). The question's query
        attends over the prefix states ``0..state`` only (causal), next to the anchor
        state itself.
        """
        d = prefix.size(-1)
        if self.rasch:
            query = self.act_emb(activity) + self.q_diff(question) * self.act_var(activity)  # (B, K, D)
        else:
            query = self.q_emb(question) + self.act_emb(activity)  # (B, K, D)
        anchor = torch.gather(prefix, 1, state.unsqueeze(-1).expand(-1, -1, d))  # (B, K, D)
        scores = self.kt_query(query) @ self.kt_key(prefix).transpose(1, 2) / math.sqrt(d)  # (B, K, T+1)
        future = torch.arange(prefix.size(1), device=prefix.device)[None, None, :] > state.unsqueeze(-1)
        attn = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        context = attn @ self.kt_value(prefix)  # (B, K, D)
        z = torch.cat([anchor, query, anchor * query, context], dim=-1)
        wide = self.kt_wide(counts).squeeze(-1) + self.q_bias(question).squeeze(-1)  # PFA
        return self.kt_mlp(z).squeeze(-1) + wide

    def risk_logits(
        self, prefix: torch.Tensor, state: torch.Tensor, elapsed: torch.Tensor, feats: torch.Tensor
    ) -> torch.Tensor:
        """Calibrated disengagement logits (B, R) at prediction points: prefix (B, T+1, D)
        prefix states; state (B, R) the prefix index after the last event before each
        point; elapsed (B, R) the elapsed-time bucket since that event; feats (B, R, F)
        ``disengagement.risk_features``."""
        d = prefix.size(-1)
        # The state is detached, and read linearly through dropout: a learner's check-ins
        # share one state (up to 14 of them after their last event) and repeat one outcome,
        # so training the encoder on them, or a deep head, memorises learners (measured:
        # held-out ROC-AUC 0.855 with an MLP head, 0.874 so). The next-activity and
        # correctness heads shape the state; this head weighs what it says about leaving.
        h = torch.gather(prefix, 1, state.unsqueeze(-1).expand(-1, -1, d)).detach()  # (B, R, D)
        h = F.dropout(h, RISK_STATE_DROPOUT, self.training)
        logit = (
            self.risk_head(h).squeeze(-1)
            + self.risk_elapsed(elapsed).squeeze(-1)
            + self.risk_wide(feats).squeeze(-1)
        )  # (B, R)
        return logit * self.risk_scale + self.risk_shift

    def forward(self, batch: Batch) -> Outputs:
        p = self.encode(batch.activity, batch.verb, batch.outcome, batch.gap, batch.answers)  # (B, T+1, D)
        return Outputs(
            next_logits=self.next_logits(p),
            kt_logits=self.kt_logits(
                p, batch.kt_state, batch.kt_question, batch.kt_activity, batch.kt_counts
            ),
            risk_logits=self.risk_logits(p, batch.risk_state, batch.risk_elapsed, batch.risk_feats),
        )


def special_activity_mask(n_activities: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """True for the activity ids that are never recommended (<pad>, <unk>, <none>)."""
    mask = torch.zeros(n_activities, dtype=torch.bool, device=device)
    mask[[PAD, UNK, NONE]] = True
    return mask


@dataclass
class LossWeights:
    next: float = 1.0  # next-activity cross-entropy
    kt: float = 1.0  # question-correctness BCE
    risk: float = 1.0  # disengagement BCE
    # Valid disengagement targets in an average batch (0: each batch's own count). Batches
    # group windows of similar length, and short sequences (learners who left early, many
    # positive check-ins) land in batches of their own: averaging each batch over its own
    # targets would weigh those batches like the others and bias the risk low. Dividing
    # every batch's sum by one constant weighs every prediction point the same.
    risk_per_batch: float = 0.0


def compute_loss(out: Outputs, batch: Batch, w: LossWeights) -> tuple[torch.Tensor, dict[str, float]]:
    """Weighted sum of the three masked losses; also returns each part (floats)."""
    v = out.next_logits.size(-1)
    tgt = batch.next_target.reshape(-1)
    n_next = (tgt > 0).sum()
    ce = F.cross_entropy(out.next_logits.reshape(-1, v), tgt, ignore_index=PAD, reduction="sum")
    l_next = ce / n_next.clamp(min=1)

    m = batch.kt_mask.float()
    bce = F.binary_cross_entropy_with_logits(out.kt_logits, batch.kt_target, reduction="none")
    l_kt = (bce * m).sum() / m.sum().clamp(min=1)

    rm = (batch.risk_target >= 0).float()
    rb = F.binary_cross_entropy_with_logits(out.risk_logits, batch.risk_target.clamp(min=0), reduction="none")
    l_risk = (rb * rm).sum() / (w.risk_per_batch if w.risk_per_batch > 0 else rm.sum().clamp(min=1))

    loss = w.next * l_next + w.kt * l_kt + w.risk * l_risk
    parts = {"next": float(l_next.detach()), "kt": float(l_kt.detach()), "risk": float(l_risk.detach())}
    if not math.isfinite(float(loss.detach())):
        raise FloatingPointError(f"non-finite loss {parts}")
    return loss, parts
