"""Drivers for the melody-generation lab.

Tests of train_step, sample_next and generate use a reference model defined here, so
each exercise is graded on its own. The reference models are built inside
torch.random.fork_rng(), which leaves the grader's seeded generator untouched for the
learner's code."""

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

class _Adam:
    """A minimal Adam with the interface train_step uses (zero_grad, step).

    torch.optim is avoided on purpose: constructing the first torch optimizer imports
    torch._dynamo, about 2.5 s of CPU, which would dwarf these tiny tests."""

    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            m_hat = m / (1 - self.b1 ** self.t)
            v_hat = v / (1 - self.b2 ** self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))


NOTES = ["<s>", "C", "D", "E", "F", "G", "A", "B", "c", "-"]
SCALE = ["C", "D", "E", "F", "G", "A", "B", "c"]
MOTIFS = [[0, 1, 2, 3], [0, 2, 4, 2], [0, 1, 0, None], [0, 4, 3, 2]]
ANSWERS = [[2, 1, 2, None], [4, 3, 2, 1], [0, 2, 1, None]]
CADENCE = ["E", "D", "C", "-"]


class _RefLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embedding(x), state)
        return self.fc(out), state


def _melody_tensors():
    def bar(p, r):
        return ["-" if d is None else SCALE[r + d] for d in p]
    ix = {n: i for i, n in enumerate(NOTES)}
    mels = [bar(m, r) + bar(m, r + 1) + bar(a, r) + CADENCE
            for m in MOTIFS for r in range(3) for a in ANSWERS]
    ids = torch.tensor([[0] + [ix[n] for n in mel] for mel in mels], dtype=torch.long)
    return ids[:, :-1], ids[:, 1:]


_CACHE = {}


def _reference_model(kind):
    """'trained': 60 Adam steps on the 36 melodies; 'random-<H>': untrained, hidden H."""
    if kind in _CACHE:
        return _CACHE[kind]
    with torch.random.fork_rng():
        torch.manual_seed(1234)
        if kind == "trained":
            model = _RefLSTM(len(NOTES), 8, 24)
            X, Y = _melody_tensors()
            opt = _Adam(model.parameters(), lr=0.05)
            for _ in range(60):
                opt.zero_grad()
                logits, _ = model(X)
                F.cross_entropy(logits.reshape(-1, len(NOTES)), Y.reshape(-1)).backward()
                opt.step()
        else:
            model = _RefLSTM(len(NOTES), 6, int(kind.split("-")[1]))
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(3.0)  # sharper distributions make generation mistakes visible
    model.eval()
    _CACHE[kind] = model
    return model


def encode_outputs(ns, melodies, notes):
    """melodies: list of space-separated token strings; notes: the vocabulary, likewise."""
    note_to_ix = {n: i for i, n in enumerate(notes.split())}
    X, Y = ns["encode_melodies"]([m.split() for m in melodies], note_to_ix)
    return {"X": X, "Y": Y, "dtype": str(X.dtype)}


def melody_lstm_outputs(ns, vocab_size, embed_dim, hidden_size, x, h0=None, c0=None):
    model = ns["MelodyLSTM"](int(vocab_size), int(embed_dim), int(hidden_size))
    x = torch.as_tensor(np.asarray(x), dtype=torch.long)
    state = None
    if h0 is not None:
        state = (torch.as_tensor(np.asarray(h0), dtype=torch.float32),
                 torch.as_tensor(np.asarray(c0), dtype=torch.float32))
    with torch.no_grad():
        logits, (h, c) = model(x, state)
    return {"logits": logits, "h": h, "c": c}


def train_step_outputs(ns, X, Y, vocab_size, n_steps=3, max_norm=1.0):
    model = _RefLSTM(int(vocab_size), 5, 8)
    optimizer = _Adam(model.parameters(), lr=0.05)
    X = torch.as_tensor(np.asarray(X), dtype=torch.long)
    Y = torch.as_tensor(np.asarray(Y), dtype=torch.long)
    losses = [float(ns["train_step"](model, optimizer, X, Y, max_norm)) for _ in range(int(n_steps))]
    return {"losses": np.array(losses), "fc_bias": model.fc.bias.detach()}


def fit_outputs(ns, n_melodies, n_steps):
    """Your MelodyLSTM trained with your train_step on the first melodies."""
    X, Y = _melody_tensors()
    X, Y = X[: int(n_melodies)], Y[: int(n_melodies)]
    model = ns["MelodyLSTM"](len(NOTES), 8, 16)
    optimizer = _Adam(model.parameters(), lr=0.05)
    losses = [float(ns["train_step"](model, optimizer, X, Y)) for _ in range(int(n_steps))]
    return np.array(losses)


def sample_next_outputs(ns, logits, temperature, n_draws):
    logits = torch.as_tensor(np.asarray(logits), dtype=torch.float32)
    return np.array([int(ns["sample_next"](logits, float(temperature))) for _ in range(int(n_draws))])


def generate_outputs(ns, prime, length, temperature=0.0, model="trained"):
    """temperature 0 stands for greedy decoding (temperature=None in generate)."""
    net = _reference_model(model)
    temp = None if float(temperature) == 0.0 else float(temperature)
    out = ns["generate"](net, [int(i) for i in prime], int(length), temp)
    return np.array([int(i) for i in out])
