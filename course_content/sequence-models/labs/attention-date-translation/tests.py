import datetime

import numpy as np
import torch

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- trusted helpers (never shipped)

_HUMAN_CHARS = set("0123456789 ,./")
for _w in ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
           "saturday", "sunday"]:
    _HUMAN_CHARS.update(_w)
HUMAN_VOCAB = {c: i for i, c in enumerate(sorted(_HUMAN_CHARS) + ["<unk>", "<pad>"])}
MACHINE_VOCAB = {c: i for i, c in enumerate(sorted(set("0123456789-")))}
TX = 30


def _one_hot_dates(dates, Tx=TX):
    X = np.full((len(dates), Tx), HUMAN_VOCAB["<pad>"], dtype=np.int64)
    for i, d in enumerate(dates):
        for t, ch in enumerate(d.lower()[:Tx]):
            X[i, t] = HUMAN_VOCAB.get(ch, HUMAN_VOCAB["<unk>"])
    return np.eye(len(HUMAN_VOCAB), dtype=np.float32)[X]


def _train_batch(rng, n):
    pairs = _random_human_dates(rng, n)
    return {"Xoh": _one_hot_dates([h for h, _ in pairs]),
            "Y": np.array([[MACHINE_VOCAB[c] for c in t] for _, t in pairs], dtype=np.int64)}


# ---------------------------------------------------------------- input generators

_MONTHS = ["january", "february", "march", "april", "may", "june", "july",
           "august", "september", "october", "november", "december"]


def _random_human_dates(rng, n):
    """Human-readable dates in a few formats, some capitalized."""
    out = []
    for _ in range(n):
        date = datetime.date.fromordinal(int(rng.integers(719163, 741284)))
        month = _MONTHS[date.month - 1]
        k = int(rng.integers(4))
        if k == 0:
            s = f"{date.day} {month} {date.year}"
        elif k == 1:
            s = f"{date.month:02d}/{date.day:02d}/{date.year % 100:02d}"
        elif k == 2:
            s = f"{month.capitalize()} {date.day}, {date.year}"
        else:
            s = f"{date.day:02d}.{date.month:02d}.{date.year % 100:02d}"
        out.append((s, date.isoformat()))
    return out


def random_string_to_int(rng):
    alphabet = "abcdefgh 0123"
    n = int(rng.integers(3, 15))
    chars = rng.choice(list(alphabet + "ABCxyz!"), size=n)
    return {"string": "".join(chars), "length": int(rng.integers(5, 12)), "alphabet": alphabet}


def random_preprocess(rng):
    pairs = _random_human_dates(rng, int(rng.integers(2, 6)))
    return {"humans": [h for h, _ in pairs], "machines": [t for _, t in pairs],
            "Tx": int(rng.integers(12, 30)), "Ty": 10}


def random_attention(rng):
    m, Tx, n_a, n_s = (int(v) for v in rng.integers(1, 6, size=4))
    Tx += 1
    return {"a": rng.standard_normal((m, Tx, 2 * n_a)), "s_prev": rng.standard_normal((m, n_s)),
            "n_e": int(rng.integers(2, 8))}


def random_forward(rng):
    m, Tx, n_in, Ty = int(rng.integers(1, 4)), int(rng.integers(3, 8)), int(rng.integers(4, 9)), int(rng.integers(2, 5))
    idx = rng.integers(n_in, size=(m, Tx))
    return {"Xoh": np.eye(n_in)[idx], "Ty": Ty, "n_a": int(rng.integers(2, 5)),
            "n_s": int(rng.integers(2, 6)), "n_out": int(rng.integers(3, 7))}


def random_train(rng):
    return {**_train_batch(rng, int(rng.integers(8, 20))), "num_steps": 4,
            "learning_rate": float(rng.choice([0.005, 0.01, 0.02])),
            "n_a": int(rng.integers(2, 6)), "n_s": int(rng.integers(3, 8))}


def random_decode(rng):
    return {"dates": [h for h, _ in _random_human_dates(rng, int(rng.integers(2, 5)))],
            "n_a": int(rng.integers(3, 6)), "n_s": int(rng.integers(4, 9))}


def alphas_sum_to_one(output, inputs):
    alphas = np.asarray(output["alphas"])
    if not np.allclose(alphas.sum(axis=-1), 1.0, atol=1e-5):
        return "each row of alphas must sum to 1 over the Tx input positions (softmax over time)"
    return None


# ---------------------------------------------------------------- tests

TESTS = [
    # string_to_int
    Test("string_to_int pads a short date", call="string_to_int_check",
         inputs={"string": "3 May 1979", "length": 14}, public=True,
         expected=[7, 0, 25, 14, 35, 0, 5, 13, 11, 13, 37, 37, 37, 37]),
    Test("string_to_int: unknown characters and truncation", call="string_to_int_check",
         inputs={"string": "Tuesday 9 July 2024 (noon)", "length": 22}, public=True,
         expected=[31, 32, 18, 30, 17, 14, 35, 0, 13, 0, 23, 32, 24, 35, 0, 6, 4, 6, 8, 0, 36, 26]),
    Test("string_to_int on random strings", call="string_to_int_check", inputs=random_string_to_int),

    # preprocess_data
    Test("preprocess_data on three dates", call="preprocess_check",
         inputs={"humans": ["3 may 1979", "05/03/79", "Thursday May 3 1979"],
                 "machines": ["1979-05-03", "1979-05-03", "1979-05-03"], "Tx": 20, "Ty": 10},
         public=True, expected={'X': [[7, 0, 25, 14, 35, 0, 5, 13, 11, 13, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37], [4, 9, 3, 4, 7, 3, 11, 13, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37], [31, 21, 32, 29, 30, 17, 14, 35, 0, 25, 14, 35, 0, 7, 0, 5, 13, 11, 13, 37]], 'Y': [[2, 10, 8, 10, 0, 1, 6, 0, 1, 4], [2, 10, 8, 10, 0, 1, 6, 0, 1, 4], [2, 10, 8, 10, 0, 1, 6, 0, 1, 4]], 'Xoh_shape': [3, 20, 38], 'Xoh_dtype': 'float32', 'Xoh_argmax': [[7, 0, 25, 14, 35, 0, 5, 13, 11, 13, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37], [4, 9, 3, 4, 7, 3, 11, 13, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37], [31, 21, 32, 29, 30, 17, 14, 35, 0, 25, 14, 35, 0, 7, 0, 5, 13, 11, 13, 37]], 'Xoh_sum': 60, 'Yoh_shape': [3, 10, 11], 'Yoh_dtype': 'float32', 'Yoh_argmax': [[2, 10, 8, 10, 0, 1, 6, 0, 1, 4], [2, 10, 8, 10, 0, 1, 6, 0, 1, 4], [2, 10, 8, 10, 0, 1, 6, 0, 1, 4]], 'Yoh_sum': 30}),
    Test("preprocess_data on random dates", call="preprocess_check", inputs=random_preprocess),

    # one_step_attention
    Test("one_step_attention, m=2, Tx=3", call="attention_step",
         inputs={"a": np.array([[[0.5, -1.0, 0.25, 2.0], [1.0, 0.0, -0.5, 0.5], [-1.5, 0.75, 1.0, 0.0]],
                                [[0.0, 1.0, 1.0, -1.0], [2.0, -0.5, 0.0, 0.25], [0.5, 0.5, -2.0, 1.0]]]),
                 "s_prev": np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]), "n_e": 5},
         public=True, expected={'context': [[-0.15501839, 0.02382049, 0.3192791, 0.71794945], [0.72625232, 0.40799582, -0.4040547, 0.092659295]], 'alphas': [[0.28059569, 0.31351611, 0.40588823], [0.35298425, 0.2684963, 0.37851948]]}, check=alphas_sum_to_one),
    Test("one_step_attention on random shapes", call="attention_step", inputs=random_attention,
         check=alphas_sum_to_one, seed=3),

    # DateTranslator.forward
    Test("DateTranslator forward, tiny sizes", call="translator_forward",
         inputs={"Xoh": np.eye(5)[[[0, 3, 1, 4]]], "Ty": 2, "n_a": 2, "n_s": 3, "n_out": 3},
         public=True, expected={'logits': [[[-0.035756297, 0.25937951, 0.16202292], [0.00035281479, 0.26089424, 0.19602415]]], 'alphas': [[[0.24688753, 0.25025836, 0.25363821, 0.24921593], [0.24699217, 0.25030321, 0.25356713, 0.24913749]]]}, check=alphas_sum_to_one),
    Test("DateTranslator forward on random sizes", call="translator_forward", inputs=random_forward,
         check=alphas_sum_to_one, seed=7),

    # train_translator
    Test("train_translator: 3 steps on 16 dates", call="train_check",
         inputs={**_train_batch(np.random.default_rng(0), 16), "num_steps": 3, "learning_rate": 0.01,
                 "n_a": 4, "n_s": 8},
         public=True, expected=[2.3931832, 2.3729436, 2.3542898], rtol=1e-4, atol=1e-6),
    Test("train_translator on random settings", call="train_check", inputs=random_train,
         rtol=1e-4, atol=1e-6, seed=11),

    # decode
    Test("decode maps model outputs back to strings", call="decode_with_stub",
         inputs={"dates": ["3 may 1979", "05/03/79", "Thursday May 3 1979", "12.10.05"],
                 "targets": ["1979-05-03", "1979-05-03", "1979-05-03", "2005-10-12"],
                 "expected_Xoh": _one_hot_dates(["3 may 1979", "05/03/79", "Thursday May 3 1979", "12.10.05"])},
         public=True, expected=['1979-05-03', '1979-05-03', '1979-05-03', '2005-10-12']),
    Test("decode with an untrained model", call="decode_untrained", inputs=random_decode, seed=5),
]


# ---------------------------------------------------------------- known mistakes

def _sti_no_lower(string, length, vocab):
    rep = [vocab.get(c, vocab["<unk>"]) for c in string[:length]]
    return np.array(rep + [vocab["<pad>"]] * (length - len(rep)), dtype=np.int64)


def _sti_pad_zero(string, length, vocab):
    rep = [vocab.get(c, vocab["<unk>"]) for c in string.lower()[:length]]
    return np.array(rep + [0] * (length - len(rep)), dtype=np.int64)


def _sti_unk_as_pad(string, length, vocab):
    rep = [vocab.get(c, vocab["<pad>"]) for c in string.lower()[:length]]
    return np.array(rep + [vocab["<pad>"]] * (length - len(rep)), dtype=np.int64)


def _prep_yoh_human_depth(dataset, human_vocab, machine_vocab, Tx, Ty):
    X = np.array([[human_vocab.get(c, human_vocab["<unk>"]) for c in h.lower()[:Tx]]
                  + [human_vocab["<pad>"]] * (Tx - len(h[:Tx])) for h, _ in dataset], dtype=np.int64)
    Y = np.array([[machine_vocab[c] for c in t] for _, t in dataset], dtype=np.int64)
    return (X, Y, np.eye(len(human_vocab), dtype=np.float32)[X],
            np.eye(len(human_vocab), dtype=np.float32)[Y])


def _att_softmax_last(a, s_prev, densor1, densor2):
    s = s_prev.unsqueeze(1).expand(-1, a.shape[1], -1)
    e = densor2(torch.tanh(densor1(torch.cat([a, s], dim=-1))))
    alphas = torch.softmax(e, dim=-1)
    return torch.sum(alphas * a, dim=1), alphas.squeeze(-1)


def _att_swapped_concat(a, s_prev, densor1, densor2):
    s = s_prev.unsqueeze(1).expand(-1, a.shape[1], -1)
    e = densor2(torch.tanh(densor1(torch.cat([s, a], dim=-1))))
    alphas = torch.softmax(e, dim=1)
    return torch.sum(alphas * a, dim=1), alphas.squeeze(-1)


def _att_no_tanh(a, s_prev, densor1, densor2):
    s = s_prev.unsqueeze(1).expand(-1, a.shape[1], -1)
    e = densor2(densor1(torch.cat([a, s], dim=-1)))
    alphas = torch.softmax(e, dim=1)
    return torch.sum(alphas * a, dim=1), alphas.squeeze(-1)


def _att_mean_context(a, s_prev, densor1, densor2):
    s = s_prev.unsqueeze(1).expand(-1, a.shape[1], -1)
    e = densor2(torch.tanh(densor1(torch.cat([a, s], dim=-1))))
    alphas = torch.softmax(e, dim=1)
    return a.mean(dim=1), alphas.squeeze(-1)


def _train_no_zero_grad(model, Xoh, Y, num_steps, learning_rate=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    losses = []
    for _ in range(num_steps):
        logits, _ = model(Xoh)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _train_summed_over_ty(model, Xoh, Y, num_steps, learning_rate=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")
    model.train()
    losses = []
    for _ in range(num_steps):
        optimizer.zero_grad()
        logits, _ = model(Xoh)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1)) / Y.shape[0]
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _decode_no_lower(model, dates, human_vocab, inv_machine_vocab, Tx):
    X = np.array([[human_vocab.get(c, human_vocab["<unk>"]) for c in d[:Tx]]
                  + [human_vocab["<pad>"]] * (Tx - len(d[:Tx])) for d in dates], dtype=np.int64)
    Xoh = torch.from_numpy(np.eye(len(human_vocab), dtype=np.float32)[X])
    model.eval()
    with torch.no_grad():
        logits, _ = model(Xoh)
    return ["".join(inv_machine_vocab[int(i)] for i in row) for row in logits.argmax(dim=-1)]


MISTAKES = [
    Mistake(call="string_to_int", name="forgot to lower-case", impl=_sti_no_lower,
            hint="Capital letters are not in the vocabulary and became <unk>: call "
                 "string.lower() before looking characters up."),
    Mistake(call="string_to_int", name="padded with 0", impl=_sti_pad_zero,
            hint="Index 0 is a real character (the space). Pad with vocab['<pad>'], not 0."),
    Mistake(call="string_to_int", name="unknown characters mapped to <pad>", impl=_sti_unk_as_pad,
            hint="Characters missing from the vocabulary must map to vocab['<unk>']; <pad> only "
                 "fills the positions after the end of the string."),
    Mistake(call="preprocess_data", name="Yoh encoded with the human vocabulary size",
            impl=_prep_yoh_human_depth,
            hint="Yoh is a one-hot over the 11 output characters: use np.eye(len(machine_vocab)) "
                 "for Y and np.eye(len(human_vocab)) for X."),
    Mistake(call="one_step_attention", name="softmax over the last axis", impl=_att_softmax_last,
            hint="The energies have shape (m, Tx, 1); a softmax over the last axis (size 1) makes "
                 "every weight 1. Normalize over time: torch.softmax(energies, dim=1)."),
    Mistake(call="one_step_attention", name="concatenated s_prev before a", impl=_att_swapped_concat,
            hint="Concatenate in the order [a, s_prev_repeated] on the last axis: densor1's weight "
                 "columns are laid out for that order."),
    Mistake(call="one_step_attention", name="forgot the tanh", impl=_att_no_tanh,
            hint="The energy network is densor2(tanh(densor1(concat))): without the tanh the two "
                 "linear layers collapse into a single linear map."),
    Mistake(call="one_step_attention", name="averaged a instead of weighting it", impl=_att_mean_context,
            hint="The context is the attention-weighted sum of a over time: "
                 "torch.sum(alphas * a, dim=1), with alphas of shape (m, Tx, 1)."),
    Mistake(call="train_translator", name="forgot optimizer.zero_grad()", impl=_train_no_zero_grad,
            hint="The first loss matches but later ones do not: call optimizer.zero_grad() at the "
                 "start of every step, otherwise PyTorch accumulates gradients across steps."),
    Mistake(call="train_translator", name="loss summed over the Ty outputs", impl=_train_summed_over_ty,
            hint="Use the mean cross-entropy over all m * Ty characters (nn.CrossEntropyLoss() "
                 "with its default reduction), not a sum over the 10 output positions."),
    Mistake(call="decode", name="forgot to lower-case", impl=_decode_no_lower,
            hint="Capitalized dates decode to garbage: encode the strings exactly as in training, "
                 "with string_to_int (which lower-cases)."),
]
