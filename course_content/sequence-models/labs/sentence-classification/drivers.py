"""Drivers for the Emojify lab. Word vectors are random (seeded) vectors for the words of
the test sentences; sentences are passed as one string separated by ';'."""

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class _Adam:
    """A minimal Adam with the interface a training loop uses (zero_grad, step).

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


def _sentences(text):
    return [s.strip() for s in text.split(";") if s.strip()]


def _vocab(sentences):
    return sorted({w for s in sentences for w in s.lower().split()})


def _word_vectors(sentences, seed, dim):
    rng = np.random.default_rng(int(seed))
    return {w: rng.standard_normal(int(dim)) for w in _vocab(sentences)}


def _word_to_index(sentences):
    return {w: i + 1 for i, w in enumerate(_vocab(sentences))}


def _frozen_embedding(sentences, seed, dim):
    vecs = _word_vectors(sentences, seed, dim)
    w2i = _word_to_index(sentences)
    M = np.zeros((len(w2i) + 1, int(dim)))
    for w, i in w2i.items():
        M[i] = vecs[w]
    return nn.Embedding.from_pretrained(torch.tensor(M, dtype=torch.float32), freeze=True), w2i


def _indices(sentences, w2i, max_len):
    X = np.zeros((len(sentences), max_len), dtype=np.int64)
    for i, s in enumerate(sentences):
        for j, w in enumerate(s.lower().split()):
            X[i, j] = w2i[w]
    return X


def avg_outputs(ns, sentences, seed=0, dim=4):
    sents = _sentences(sentences)
    vecs = _word_vectors(sents, seed, dim)
    return [np.asarray(ns["sentence_to_avg"](s, vecs)) for s in sents]


def train_softmax_outputs(ns, sentences, labels, seed=0, dim=4, learning_rate=0.05,
                          num_iterations=3):
    sents = _sentences(sentences)
    vecs = _word_vectors(sents, seed, dim)
    W, b, costs = ns["train_softmax"](sents, np.asarray(labels), vecs, learning_rate,
                                      int(num_iterations))
    return {"W": np.asarray(W), "b": np.asarray(b), "costs": np.asarray(costs)}


def indices_outputs(ns, sentences, max_len, extra_words=""):
    sents = _sentences(sentences)
    w2i = _word_to_index(sents + _sentences(extra_words))
    out = ns["sentences_to_indices"](sents, w2i, int(max_len))
    return {"indices": np.asarray(out), "dtype": str(np.asarray(out).dtype)}


def embedding_outputs(ns, sentences, seed=0, dim=3):
    sents = _sentences(sentences)
    emb = ns["pretrained_embedding_layer"](_word_vectors(sents, seed, dim), _word_to_index(sents))
    return {"weight": emb.weight.detach(), "trainable": int(emb.weight.requires_grad)}


def lstm_outputs(ns, sentences, max_len, hidden_size, n_classes=5, seed=0, dim=4):
    sents = _sentences(sentences)
    emb, w2i = _frozen_embedding(sents, seed, dim)
    model = ns["EmojiLSTM"](emb, int(hidden_size), int(n_classes))
    x = torch.as_tensor(_indices(sents, w2i, int(max_len)))
    with torch.no_grad():
        logits = model(x)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"logits": logits, "n_trainable": n_trainable}


def fit_outputs(ns, sentences, labels, max_len, n_steps, seed=0, dim=6):
    """Your three PyTorch functions together, trained for a few Adam steps."""
    sents = _sentences(sentences)
    vecs, w2i = _word_vectors(sents, seed, dim), _word_to_index(sents)
    model = ns["EmojiLSTM"](ns["pretrained_embedding_layer"](vecs, w2i), 8, 5)
    X = torch.as_tensor(np.asarray(ns["sentences_to_indices"](sents, w2i, int(max_len))), dtype=torch.long)
    Y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    opt = _Adam([p for p in model.parameters() if p.requires_grad], lr=0.02)
    losses = []
    for _ in range(int(n_steps)):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)
