import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

NOTES = "<s> C D E F G A B c -"


# ---------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------


def _encode_inputs(rng):
    vocab = ["<s>"] + [f"n{i}" for i in range(int(rng.integers(4, 9)))]
    length, n = int(rng.integers(3, 8)), int(rng.integers(2, 6))
    mels = [" ".join(rng.choice(vocab[1:], size=length)) for _ in range(n)]
    order = list(rng.permutation(vocab[1:]))
    order.insert(int(rng.integers(1, len(order) + 1)), "<s>")  # "<s>" is never index 0 here
    return {"melodies": mels, "notes": " ".join(order)}


def _lstm_inputs(rng, with_state=False):
    V, E, H = int(rng.integers(5, 12)), int(rng.integers(3, 7)), int(rng.integers(4, 10))
    B, T = int(rng.integers(2, 5)), int(rng.integers(3, 7))
    d = {"vocab_size": V, "embed_dim": E, "hidden_size": H, "x": rng.integers(0, V, size=(B, T))}
    if with_state:
        d["h0"] = 0.5 * rng.standard_normal((1, B, H)).astype(np.float32)
        d["c0"] = 0.5 * rng.standard_normal((1, B, H)).astype(np.float32)
    return d


def _train_inputs(rng, max_norm=1.0):
    V, B, T = int(rng.integers(4, 8)), int(rng.integers(2, 6)), int(rng.integers(3, 7))
    return {"X": rng.integers(0, V, size=(B, T)), "Y": rng.integers(0, V, size=(B, T)),
            "vocab_size": V, "n_steps": 3, "max_norm": max_norm}


PUB_TRAIN = {"X": np.array([[0, 1, 2, 3], [0, 3, 2, 1]]), "Y": np.array([[1, 2, 3, 4], [3, 2, 1, 4]]),
             "vocab_size": 5, "n_steps": 3, "max_norm": 1.0}

PRIME_D = [0, 2, 4, 6, 4]  # <s> D F A F: motif 2 on root D


def _random_prime(rng):
    # <s> followed by a full first bar of one of the melodies
    motifs = [[0, 1, 2, 3], [0, 2, 4, 2], [0, 1, 0, None], [0, 4, 3, 2]]
    m, r = motifs[int(rng.integers(0, 4))], int(rng.integers(0, 3))
    return [0] + [9 if d is None else r + d + 1 for d in m]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _logits_shape(output, inputs):
    x = np.asarray(inputs["x"])
    want = (x.shape[0], x.shape[1], int(inputs["vocab_size"]))
    got = tuple(np.asarray(output["logits"]).shape)
    if got != want:
        return f"logits should have shape (B, T, V) = {want}, got {got}"
    return None


def _is_long(output, inputs):
    if output["dtype"] != "torch.int64":
        return f"X and Y must be torch.long tensors, got {output['dtype']}"
    return None


def _in_vocab(output, inputs):
    out = np.asarray(output)
    if out.shape != (int(inputs["length"]),):
        return f"generate must return exactly {int(inputs['length'])} new tokens"
    if out.min() < 0 or out.max() >= 10:
        return "generated indices must be valid note indices"
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = [
    # 1. encode_melodies
    Test("encode_melodies: two melodies", call="encode_outputs",
         inputs={"melodies": ["C D E -", "G E C -"], "notes": NOTES}, public=True,
         check=_is_long, expected={
             'X': np.array([[0, 1, 2, 3], [0, 5, 3, 1]]),
             'Y': np.array([[1, 2, 3, 9], [5, 3, 1, 9]]),
             'dtype': 'torch.int64',}),
    Test("encode_melodies: random vocabularies", call="encode_outputs", inputs=_encode_inputs,
         check=_is_long),
    # 2. MelodyLSTM
    Test("MelodyLSTM: logits and final state", call="melody_lstm_outputs",
         inputs={"vocab_size": 6, "embed_dim": 3, "hidden_size": 4,
                 "x": np.array([[0, 1, 2], [5, 4, 3]])},
         public=True, seed=0, check=_logits_shape, expected={
             'logits': np.array([[[-0.2187037766, -0.2403596938, -0.421894908, 0.4015476704, -0.3399284184, 0.2839113474], [-0.2689702213, -0.3273099065, -0.3479607105, 0.2691427171, -0.2003705502, 0.3870883882], [-0.1696407795, -0.3550970554, -0.2901480794, 0.2164396793, -0.119033955, 0.3977653086]], [[-0.251858294, -0.2967513502, -0.283962369, 0.3084720075, -0.1686734408, 0.4185137153], [-0.1647045761, -0.3622765541, -0.2796720564, 0.1584999412, -0.08538110554, 0.4322968423], [-0.2009829581, -0.2776188254, -0.3442107141, 0.2775985599, -0.2133241743, 0.3813664019]]]),
             'h': np.array([[[0.0872701332, -0.4164013565, 0.07212308049, -0.0125211738], [0.1711857915, -0.2518170178, 0.1545205116, 0.01436752826]]]),
             'c': np.array([[[0.2764842808, -0.6423098445, 0.271412462, -0.04258287326], [0.497367233, -0.5249521136, 0.3510731459, 0.03084892221]]]),}),
    Test("MelodyLSTM: random sizes", call="melody_lstm_outputs", inputs=_lstm_inputs, seed=3,
         check=_logits_shape),
    Test("MelodyLSTM: with an initial state", call="melody_lstm_outputs",
         inputs=lambda rng: _lstm_inputs(rng, with_state=True), seed=4, check=_logits_shape),
    # 3. train_step
    Test("train_step: three steps", call="train_step_outputs", inputs=PUB_TRAIN, public=True,
         seed=0, rtol=1e-4, atol=1e-6, expected={
             'losses': np.array([1.562976122, 1.483605742, 1.395460129]),
             'fc_bias': np.array([-0.3573762476, 0.02268371731, 0.2999520898, -0.07954593003, 0.209641546]),}),
    Test("train_step: random batch", call="train_step_outputs", inputs=_train_inputs, seed=1,
         rtol=1e-4, atol=1e-6),
    Test("train_step: tight clipping", call="train_step_outputs",
         inputs=lambda rng: _train_inputs(rng, max_norm=0.05), seed=2, rtol=1e-4, atol=1e-6),
    Test("MelodyLSTM + train_step: loss goes down on real melodies", call="fit_outputs",
         inputs={"n_melodies": 12, "n_steps": 15}, seed=5, rtol=1e-4, atol=1e-6),
    # 4. sample_next
    Test("sample_next: temperature 1", call="sample_next_outputs",
         inputs={"logits": np.array([2.0, 1.0, 0.0, -1.0]), "temperature": 1.0, "n_draws": 12},
         public=True, seed=0, expected=np.array([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0])),
    Test("sample_next: temperature 0.5", call="sample_next_outputs",
         inputs={"logits": np.array([1.0, 0.5, 0.0, 0.8, -0.5]), "temperature": 0.5, "n_draws": 12},
         public=True, seed=1, expected=np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0])),
    Test("sample_next: random logits and temperatures", call="sample_next_outputs",
         inputs=lambda rng: {"logits": 2.0 * rng.standard_normal(int(rng.integers(3, 9))),
                             "temperature": float(rng.uniform(0.3, 0.8)), "n_draws": 40}, seed=2),
    Test("sample_next: high temperature", call="sample_next_outputs",
         inputs=lambda rng: {"logits": 2.0 * rng.standard_normal(int(rng.integers(3, 9))),
                             "temperature": float(rng.uniform(1.5, 3.0)), "n_draws": 40}, seed=3),
    # 5. generate
    Test("generate: greedy continuation of D F A F", call="generate_outputs",
         inputs={"prime": PRIME_D, "length": 12, "temperature": 0.0}, public=True,
         check=_in_vocab, expected=np.array([3, 5, 7, 5, 4, 3, 4, 9, 3, 2, 1, 9])),
    Test("generate: sampled at temperature 1", call="generate_outputs",
         inputs={"prime": PRIME_D, "length": 12, "temperature": 1.0}, public=True, seed=5,
         check=_in_vocab, expected=np.array([3, 5, 7, 5, 6, 5, 4, 3, 3, 2, 1, 9])),
    Test("generate: greedy from other first bars", call="generate_outputs",
         inputs=lambda rng: {"prime": _random_prime(rng), "length": 12, "temperature": 0.0},
         check=_in_vocab),
    Test("generate: sampling from an untrained model", call="generate_outputs",
         inputs=lambda rng: {"prime": [0] + list(rng.integers(1, 10, size=3)), "length": 10,
                             "temperature": float(rng.uniform(0.7, 1.5)),
                             "model": f"random-{int(rng.integers(5, 12))}"},
         seed=7, check=_in_vocab),
    Test("generate: greedy from an untrained model", call="generate_outputs",
         inputs=lambda rng: {"prime": [0] + list(rng.integers(1, 10, size=2)), "length": 8,
                             "temperature": 0.0, "model": f"random-{int(rng.integers(5, 12))}"},
         check=_in_vocab),
]


# ---------------------------------------------------------------------------
# Known mistakes
# ---------------------------------------------------------------------------


def _encode_variant(kind):
    def impl(melodies, note_to_ix):
        ids = torch.tensor([[note_to_ix["<s>"]] + [note_to_ix[n] for n in m] for m in melodies],
                           dtype=torch.long)
        if kind == "swapped":
            return ids[:, 1:], ids[:, :-1]
        if kind == "no_start":
            plain = ids[:, 1:]
            return plain, plain
        if kind == "start_zero":
            ids = torch.tensor([[0] + [note_to_ix[n] for n in m] for m in melodies], dtype=torch.long)
            return ids[:, :-1], ids[:, 1:]
        raise ValueError(kind)
    return impl


def _lstm_variant(kind):
    class Wrong(nn.Module):
        def __init__(self, vocab_size, embed_dim=8, hidden_size=32):
            super().__init__()
            if kind == "lstm_first":
                self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
                self.embedding = nn.Embedding(vocab_size, embed_dim)
            else:
                self.embedding = nn.Embedding(vocab_size, embed_dim)
                self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=(kind != "no_batch_first"))
            self.fc = nn.Linear(hidden_size, vocab_size)

        def forward(self, x, state=None):
            emb = self.embedding(x)
            if kind == "no_batch_first":
                h0 = None if state is None else state
                out, state = self.lstm(emb, h0)
            else:
                out, state = self.lstm(emb, state)
            logits = self.fc(out)
            if kind == "softmax":
                logits = torch.softmax(logits, dim=-1)
            return logits, state
    return Wrong


def _train_variant(kind):
    def impl(model, optimizer, X, Y, max_norm=1.0):
        model.train()
        if kind != "no_zero_grad":
            optimizer.zero_grad()
        logits, _ = model(X)
        V = logits.shape[-1]
        if kind == "softmax_twice":
            loss = F.cross_entropy(torch.softmax(logits, -1).reshape(-1, V), Y.reshape(-1))
        elif kind == "x_targets":
            loss = F.cross_entropy(logits.reshape(-1, V), X.reshape(-1))
        else:
            loss = F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1))
        loss.backward()
        if kind != "no_clip":
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        if kind != "no_step":
            optimizer.step()
        return loss.item()
    return impl


def _sample_variant(kind):
    def impl(logits, temperature=1.0):
        if kind == "times_t":
            probs = torch.softmax(logits * temperature, dim=-1)
        elif kind == "ignore_t":
            probs = torch.softmax(logits, dim=-1)
        elif kind == "argmax":
            return int(torch.argmax(logits).item())
        else:
            raise ValueError(kind)
        return int(torch.multinomial(probs, num_samples=1).item())
    return impl


def _generate_variant(kind):
    def choose(last, temperature):
        if temperature is None:
            return int(torch.argmax(last).item())
        probs = torch.softmax(last / temperature, dim=-1)
        return int(torch.multinomial(probs, num_samples=1).item())

    def impl(model, prime, length, temperature=None):
        model.eval()
        out = []
        with torch.no_grad():
            logits, state = model(torch.tensor([prime], dtype=torch.long))
            last = logits[0, 0] if kind == "first_position" else logits[0, -1]
            for _ in range(length):
                idx = choose(last, temperature)
                out.append(idx)
                if kind == "no_state":
                    logits, state = model(torch.tensor([[idx]], dtype=torch.long))
                else:
                    logits, state = model(torch.tensor([[idx]], dtype=torch.long), state)
                last = logits[0, -1]
        if kind == "with_prime":
            return list(prime) + out
        return out
    return impl


MISTAKES = [
    Mistake(call="encode_melodies", name="inputs and targets swapped", impl=_encode_variant("swapped"),
            hint="X is the sequence the model reads (it starts with <s>) and Y the one it must "
                 "predict: X = ids[:, :-1], Y = ids[:, 1:]."),
    Mistake(call="encode_melodies", name="no <s> token", impl=_encode_variant("no_start"),
            hint="Prepend note_to_ix['<s>'] to every melody before slicing; X and Y must be "
                 "shifted by one position relative to each other."),
    Mistake(call="encode_melodies", name="assumed <s> has index 0", impl=_encode_variant("start_zero"),
            hint="Look the start token up with note_to_ix['<s>'] instead of hard-coding 0."),
    Mistake(call="MelodyLSTM", name="LSTM without batch_first", impl=_lstm_variant("no_batch_first"),
            hint="The inputs are (batch, time). Create the LSTM with batch_first=True, "
                 "otherwise it reads the batch axis as time and mixes different melodies."),
    Mistake(call="MelodyLSTM", name="returned probabilities", impl=_lstm_variant("softmax"),
            hint="forward must return the raw scores (logits): F.cross_entropy and the "
                 "sampling code apply the softmax themselves."),
    Mistake(call="MelodyLSTM", name="layers created in another order", impl=_lstm_variant("lstm_first"),
            hint="Create embedding, then lstm, then fc: the creation order decides which "
                 "random numbers each layer's initial weights receive."),
    Mistake(call="train_step", name="forgot optimizer.zero_grad()", impl=_train_variant("no_zero_grad"),
            hint="The first step is right but later ones are not: PyTorch accumulates "
                 "gradients, so call optimizer.zero_grad() at the start of every step."),
    Mistake(call="train_step", name="no gradient clipping", impl=_train_variant("no_clip"),
            hint="Call torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm) after "
                 "loss.backward() and before optimizer.step()."),
    Mistake(call="train_step", name="forgot optimizer.step()", impl=_train_variant("no_step"),
            hint="The loss never changes: finish the step with optimizer.step()."),
    Mistake(call="train_step", name="softmax before cross_entropy", impl=_train_variant("softmax_twice"),
            hint="F.cross_entropy takes logits and applies log-softmax itself; applying "
                 "softmax first squashes the gradients."),
    Mistake(call="train_step", name="inputs used as targets", impl=_train_variant("x_targets"),
            hint="The targets are Y (the next notes), not X."),
    Mistake(call="sample_next", name="multiplied by the temperature", impl=_sample_variant("times_t"),
            hint="Divide the logits by the temperature: softmax(logits / temperature). A "
                 "temperature below 1 must make the distribution sharper."),
    Mistake(call="sample_next", name="temperature ignored", impl=_sample_variant("ignore_t"),
            hint="Scale the logits before the softmax: torch.softmax(logits / temperature, dim=-1)."),
    Mistake(call="sample_next", name="argmax instead of sampling", impl=_sample_variant("argmax"),
            hint="sample_next must draw at random with torch.multinomial(probs, num_samples=1)."),
    Mistake(call="generate", name="used the first position's logits", impl=_generate_variant("first_position"),
            hint="After reading the prime, the prediction for the next note is at the last "
                 "position: logits[0, -1]."),
    Mistake(call="generate", name="LSTM state not carried", impl=_generate_variant("no_state"),
            hint="When you feed the single new token, pass the state returned by the previous "
                 "call: logits, state = model(next_input, state). Without it the model "
                 "forgets the melody so far."),
    Mistake(call="generate", name="prime included in the output", impl=_generate_variant("with_prime"),
            hint="Return only the `length` new tokens, not the prime."),
]
