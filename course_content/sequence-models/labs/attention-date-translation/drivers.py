"""Drivers for the date-translation lab.

Test inputs travel as arrays, numbers and strings, so each driver turns them into what
the learner's function expects (vocabularies, tensors, freshly initialized layers) and
returns plain tensors / arrays. Layers are built after the grader has seeded torch, so
their initial weights are the same for the learner and the reference.
"""

import numpy as np
import torch


def _vocab(alphabet):
    chars = sorted(set(alphabet))
    return {c: i for i, c in enumerate(chars + ["<unk>", "<pad>"])}


def string_to_int_check(ns, string, length, alphabet=None):
    """Call string_to_int with the notebook's human_vocab, or a vocab built from alphabet."""
    vocab = ns["human_vocab"] if alphabet is None else _vocab(alphabet)
    return np.asarray(ns["string_to_int"](string, length, vocab))


def preprocess_check(ns, humans, machines, Tx, Ty):
    dataset = list(zip(humans, machines))
    X, Y, Xoh, Yoh = ns["preprocess_data"](dataset, ns["human_vocab"], ns["machine_vocab"], Tx, Ty)
    Xoh, Yoh = np.asarray(Xoh), np.asarray(Yoh)
    # one-hot arrays are summarized: shape, dtype, position of the 1s and their count
    return {"X": np.asarray(X), "Y": np.asarray(Y),
            "Xoh_shape": np.array(Xoh.shape), "Xoh_dtype": str(Xoh.dtype),
            "Xoh_argmax": Xoh.argmax(axis=-1), "Xoh_sum": float(Xoh.sum()),
            "Yoh_shape": np.array(Yoh.shape), "Yoh_dtype": str(Yoh.dtype),
            "Yoh_argmax": Yoh.argmax(axis=-1), "Yoh_sum": float(Yoh.sum())}


def attention_step(ns, a, s_prev, n_e):
    """Build densor1 / densor2 (seeded), run one_step_attention."""
    a = torch.tensor(a, dtype=torch.float32)
    s_prev = torch.tensor(s_prev, dtype=torch.float32)
    densor1 = torch.nn.Linear(a.shape[2] + s_prev.shape[1], n_e)
    densor2 = torch.nn.Linear(n_e, 1)
    with torch.no_grad():
        context, alphas = ns["one_step_attention"](a, s_prev, densor1, densor2)
    return {"context": context.detach(), "alphas": alphas.detach()}


def translator_forward(ns, Xoh, Ty, n_a, n_s, n_out):
    """Build a DateTranslator (seeded) and run it on the one-hot batch Xoh."""
    Xoh = torch.tensor(Xoh, dtype=torch.float32)
    m, Tx, n_in = Xoh.shape
    model = ns["DateTranslator"](Tx, Ty, n_a, n_s, n_in, n_out)
    model.eval()
    with torch.no_grad():
        logits, alphas = model(Xoh)
    return {"logits": logits.detach(), "alphas": alphas.detach()}


def train_check(ns, Xoh, Y, num_steps, learning_rate, n_a, n_s):
    """Train a fresh (seeded) DateTranslator on the given batch; return the losses."""
    Xoh = torch.tensor(np.asarray(Xoh), dtype=torch.float32)
    Y = torch.tensor(np.asarray(Y), dtype=torch.long)
    model = ns["DateTranslator"](Xoh.shape[1], Y.shape[1], n_a, n_s, Xoh.shape[2], len(ns["machine_vocab"]))
    losses = ns["train_translator"](model, Xoh, Y, num_steps, learning_rate)
    return np.array([float(v) for v in losses])


class _StubTranslator(torch.nn.Module):
    """Answers `targets[i]` for row i when that row is the correct one-hot encoding of
    dates[i], and '----------' otherwise: decode is tested without a trained model."""

    def __init__(self, expected_Xoh, targets, machine_vocab):
        super().__init__()
        self.expected = torch.tensor(np.asarray(expected_Xoh), dtype=torch.float32)
        self.machine_vocab = machine_vocab
        self.targets = targets

    def forward(self, Xoh):
        m, Tx = self.expected.shape[:2]
        logits = torch.zeros(m, len(self.targets[0]), len(self.machine_vocab))
        for i in range(m):
            ok = tuple(Xoh.shape) == tuple(self.expected.shape) and torch.equal(
                Xoh[i].float(), self.expected[i])
            text = self.targets[i] if ok else "-" * len(self.targets[i])
            for t, ch in enumerate(text):
                logits[i, t, self.machine_vocab[ch]] = 5.0
        return logits, torch.full((m, logits.shape[1], Tx), 1.0 / Tx)


def decode_with_stub(ns, dates, targets, expected_Xoh):
    """expected_Xoh: the correct one-hot encoding of dates, computed by the test."""
    model = _StubTranslator(expected_Xoh, list(targets), ns["machine_vocab"])
    return list(ns["decode"](model, list(dates), ns["human_vocab"], ns["inv_machine_vocab"], ns["Tx"]))


def decode_untrained(ns, dates, n_a, n_s):
    """Decode with a fresh (seeded) DateTranslator: the strings are gibberish but
    fully determined by the seed and the learner's decode."""
    model = ns["DateTranslator"](ns["Tx"], ns["Ty"], n_a, n_s, len(ns["human_vocab"]),
                                 len(ns["machine_vocab"]))
    return list(ns["decode"](model, list(dates), ns["human_vocab"], ns["inv_machine_vocab"], ns["Tx"]))
