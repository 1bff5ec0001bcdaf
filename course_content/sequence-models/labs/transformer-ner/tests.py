import numpy as np
import torch
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]
TAG2ID = {t: i for i, t in enumerate(TAGS)}

# ---------------------------------------------------------------- trusted helpers (never shipped)

_LEXICON = {
    "PER": [["ada"], ["ada", "lovelace"], ["grace", "hopper"], ["rosalind", "franklin"], ["kwame"]],
    "LOC": [["paris"], ["new", "york"], ["san", "francisco"], ["kyoto"], ["buenos", "aires"]],
    "DATE": [["3", "may", "1843"], ["monday"], ["september", "1969"], ["june", "12"]],
}
_FILLER = ["we", "met", "in", "on", "flew", "to", "visited", "the", "conference", "."]


def _wordpiece(word):
    if len(word) <= 5:
        return [word]
    return [word[:4]] + ["##" + word[i:i + 4] for i in range(4, len(word), 4)]


def _vocab_tokens():
    pieces = set()
    for group in _LEXICON.values():
        for words in group:
            for w in words:
                pieces.update(_wordpiece(w))
    for w in _FILLER:
        pieces.update(_wordpiece(w))
    pieces.discard("kyoto")                  # one word stays unknown on purpose
    return ["[PAD]", "[UNK]"] + sorted(pieces)


_VOCAB_TOKENS = _vocab_tokens()


def _random_sentence(rng):
    words, tags = [], []
    for _ in range(int(rng.integers(2, 5))):
        if rng.uniform() < 0.5:
            words.append(str(rng.choice(_FILLER)))
            tags.append("O")
        else:
            etype = str(rng.choice(list(_LEXICON)))
            entity = _LEXICON[etype][int(rng.integers(len(_LEXICON[etype])))]
            words += entity
            tags += ["B-" + etype] + ["I-" + etype] * (len(entity) - 1)
    return words, tags


def _align(words, tags, max_len):
    vocab = {t: i for i, t in enumerate(_VOCAB_TOKENS)}
    ids, labels = [], []
    for word, tag in zip(words, tags):
        for p, piece in enumerate(_wordpiece(word)):
            ids.append(vocab.get(piece, 1))
            labels.append(TAG2ID[tag] if p == 0 else -100)
    ids, labels = ids[:max_len], labels[:max_len]
    n = len(ids)
    return ids + [0] * (max_len - n), [1] * n + [0] * (max_len - n), labels + [-100] * (max_len - n)


def _batch(rng, n, max_len):
    rows = [_align(*_random_sentence(rng), max_len) for _ in range(n)]
    return {"input_ids": np.array([r[0] for r in rows]), "attention_mask": np.array([r[1] for r in rows]),
            "labels": np.array([r[2] for r in rows])}


# ---------------------------------------------------------------- input generators

def random_align(rng):
    words, tags = _random_sentence(rng)
    return {"words": words, "tags": tags, "vocab_tokens": _VOCAB_TOKENS,
            "max_len": int(rng.integers(max(3, len(words) - 2), len(words) + 8))}


def random_forward(rng):
    heads = int(rng.integers(1, 3))
    b = _batch(rng, int(rng.integers(1, 4)), int(rng.integers(6, 12)))
    return {"input_ids": b["input_ids"], "attention_mask": b["attention_mask"], "vocab_size": len(_VOCAB_TOKENS),
            "d_model": 4 * heads, "num_heads": heads, "d_ff": int(rng.integers(4, 12)),
            "num_layers": int(rng.integers(1, 3))}


def random_loss(rng):
    batch, seq = int(rng.integers(1, 4)), int(rng.integers(3, 8))
    labels = rng.integers(0, 7, size=(batch, seq))
    labels[rng.uniform(size=(batch, seq)) < 0.4] = -100
    labels[0, 0] = int(rng.integers(7))
    return {"logits": rng.standard_normal((batch, seq, 7)) * 2, "labels": labels}


def random_train(rng):
    b = _batch(rng, int(rng.integers(4, 9)), 10)
    return {**b, "vocab_size": len(_VOCAB_TOKENS), "num_steps": 3,
            "learning_rate": float(rng.choice([0.003, 0.01])), "d_model": 8, "num_heads": 2, "d_ff": 16,
            "num_layers": 1}


def random_tags(rng):
    tags = [str(t) for t in rng.choice(TAGS, size=int(rng.integers(6, 16)), p=[0.4, 0.15, 0.1, 0.1, 0.1, 0.1, 0.05])]
    tags[int(rng.integers(len(tags)))] = "B-LOC"
    return {"tags": tags}


def _random_entities(rng):
    out = []
    for _ in range(int(rng.integers(0, 4))):
        s = int(rng.integers(0, 8))
        out.append([str(rng.choice(["PER", "LOC", "DATE"])), s, s + int(rng.integers(1, 3))])
    return out


def random_scores(rng):
    true, pred = [], []
    for _ in range(int(rng.integers(3, 7))):
        t = _random_entities(rng)
        p = [e for e in t if rng.uniform() < 0.6] + _random_entities(rng)[:1]
        true.append(t)
        pred.append(p)
    true[0].append(["PER", 0, 1])
    pred[0].append(["PER", 0, 1])
    return {"true_entities": true, "pred_entities": pred}


# ---------------------------------------------------------------- tests

_PUBLIC_TRAIN = _batch(np.random.default_rng(1), 6, 10)

TESTS = [
    # tokenize_and_align
    Test("tokenize_and_align with a split word and padding", call="align_check",
         inputs={"words": ["ada", "lovelace", "flew", "to", "kyoto"],
                 "tags": ["B-PER", "I-PER", "O", "O", "B-LOC"], "vocab_tokens": _VOCAB_TOKENS, "max_len": 9},
         public=True, expected={'input_ids': [20, 31, 9, 24, 42, 1, 0, 0, 0], 'attention_mask': [1, 1, 1, 1, 1, 1, 0, 0, 0], 'labels': [1, 2, -100, 0, 0, 3, -100, -100, -100], 'word_ids': [0, 1, 1, 2, 3, 4, -1, -1, -1]}),
    Test("tokenize_and_align with truncation", call="align_check",
         inputs={"words": ["rosalind", "franklin", "visited", "san", "francisco"],
                 "tags": ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"], "vocab_tokens": _VOCAB_TOKENS, "max_len": 6},
         public=True, expected={'input_ids': [38, 10, 25, 8, 43, 14], 'attention_mask': [1, 1, 1, 1, 1, 1], 'labels': [1, -100, 2, -100, 0, -100], 'word_ids': [0, 0, 1, 1, 2, 2]}),
    Test("tokenize_and_align on random sentences", call="align_check", inputs=random_align),

    # TokenClassifier.forward
    Test("TokenClassifier forward, tiny model with padding", call="forward_check",
         inputs={"input_ids": np.array([[20, 31, 9, 24, 0, 0]]), "attention_mask": np.array([[1, 1, 1, 1, 0, 0]]),
                 "vocab_size": len(_VOCAB_TOKENS), "d_model": 4, "num_heads": 2, "d_ff": 6, "num_layers": 1},
         public=True, expected=[[[-0.59476042, 0.18043214, 0.63273489, 0.045574248, 0.078562587, 0.47036555, 0.53398037], [-0.65637362, 1.2839626, 1.0444995, -0.63882643, -0.34254962, -0.059608266, 0.17703247], [-0.41520488, 1.6533459, 0.67467225, -0.79380542, -0.44715649, -0.30353272, -0.46681404], [-0.19627985, 1.3518879, 0.16302919, -0.54997629, -0.29684216, -0.20774281, -0.78131449], [-0.63842934, 1.3971757, 1.045359, -0.701904, -0.38801193, -0.12199476, 0.097442448], [-0.61448693, 1.2101715, 1.0745509, -0.57620895, -0.43902427, -0.07643494, 0.25521582]]]),
    Test("TokenClassifier forward on random batches", call="forward_check", inputs=random_forward, seed=3),

    # masked_token_loss
    Test("masked_token_loss ignores -100", call="loss_check",
         inputs={"logits": np.array([[[2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                      [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0]]]),
                 "labels": np.array([[0, 2, -100]])},
         public=True, expected=1.3799299),
    Test("masked_token_loss on random logits", call="loss_check", inputs=random_loss),

    # train_ner
    Test("train_ner: 3 steps on 6 sentences", call="train_check",
         inputs={**_PUBLIC_TRAIN, "vocab_size": len(_VOCAB_TOKENS), "num_steps": 3, "learning_rate": 0.01,
                 "d_model": 8, "num_heads": 2, "d_ff": 16, "num_layers": 1},
         public=True, expected=[1.9400444, 1.7827631, 1.6526816], rtol=1e-4, atol=1e-6),
    Test("train_ner on random batches", call="train_check", inputs=random_train, seed=5, rtol=1e-4, atol=1e-6),

    # extract_entities
    Test("extract_entities on valid BIO", call="entities_check",
         inputs={"tags": ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "B-DATE", "I-DATE", "I-DATE", "O"]},
         public=True, expected={'types': ['PER', 'LOC', 'DATE'], 'starts': [0, 4, 7], 'ends': [2, 6, 10]}),
    Test("extract_entities on invalid BIO", call="entities_check",
         inputs={"tags": ["I-PER", "I-PER", "B-LOC", "B-LOC", "I-DATE", "O", "I-LOC"]},
         public=True, expected={'types': ['PER', 'LOC', 'LOC', 'DATE', 'LOC'], 'starts': [0, 2, 3, 4, 6], 'ends': [2, 3, 4, 5, 7]}),
    Test("extract_entities on random tags", call="entities_check", inputs=random_tags),

    # entity_scores
    Test("entity_scores on two sentences", call="scores_check",
         inputs={"true_entities": [[["PER", 0, 2], ["LOC", 4, 6]], [["DATE", 1, 3]]],
                 "pred_entities": [[["PER", 0, 2], ["LOC", 4, 5]], [["DATE", 1, 3], ["PER", 5, 6]]]},
         public=True, expected={'precision': 0.5, 'recall': 0.66666667, 'f1': 0.57142857}),
    Test("entity_scores with no predictions", call="scores_check",
         inputs={"true_entities": [[["PER", 0, 1]]], "pred_entities": [[]]}, public=True, expected={'precision': 0, 'recall': 0, 'f1': 0}),
    Test("entity_scores on random entities", call="scores_check", inputs=random_scores),
]


# ---------------------------------------------------------------- known mistakes

def _align_impl(words, tags, token_vocab, tag2id, max_len, ignore_index=-100, label_all=False,
                pad_label=None, mask_all=False):
    ids, labels, wids = [], [], []
    for w, (word, tag) in enumerate(zip(words, tags)):
        for p, piece in enumerate(_wordpiece(word)):
            ids.append(token_vocab.get(piece, token_vocab["[UNK]"]))
            labels.append(tag2id[tag] if (p == 0 or label_all) else ignore_index)
            wids.append(w)
    ids, labels, wids = ids[:max_len], labels[:max_len], wids[:max_len]
    n, k = len(ids), max_len - len(ids)
    return {"input_ids": np.array(ids + [token_vocab["[PAD]"]] * k),
            "attention_mask": np.array([1] * max_len if mask_all else [1] * n + [0] * k),
            "labels": np.array(labels + [ignore_index if pad_label is None else pad_label] * k),
            "word_ids": np.array(wids + [-1] * k)}


def _loss_all_positions(logits, labels, ignore_index=-100):
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                            ignore_index=ignore_index, reduction="sum")
    return total / labels.numel()


def _loss_ignored_as_o(logits, labels, ignore_index=-100):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.clamp(min=0).reshape(-1))


def _train_no_zero_grad(model, batch, num_steps, learning_rate=0.003):
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    losses = []
    for _ in range(num_steps):
        logits = model(batch["input_ids"], batch["attention_mask"])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1), ignore_index=-100)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _entities_impl(tags, strict=False, inclusive=False):
    out, cur = [], None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, etype = ("O", None) if tag == "O" else tag.split("-", 1)
        cont = prefix == "I" and cur is not None and cur[0] == etype
        if cur is not None and not cont:
            out.append((cur[0], cur[1], i - 1 if inclusive else i))
            cur = None
        if prefix == "B" or (prefix == "I" and not cont and not strict):
            cur = [etype, i]
    return out


def _scores_impl(true_entities, pred_entities, swap=False, macro=False):
    if macro:
        ps, rs = [], []
        for t, p in zip(true_entities, pred_entities):
            t, p = set(t), set(p)
            ps.append(len(t & p) / len(p) if p else 0.0)
            rs.append(len(t & p) / len(t) if t else 0.0)
        precision, recall = float(np.mean(ps)), float(np.mean(rs))
    else:
        tp = sum(len(set(t) & set(p)) for t, p in zip(true_entities, pred_entities))
        n_pred = sum(len(p) for p in pred_entities)
        n_true = sum(len(t) for t in true_entities)
        precision, recall = (tp / n_pred if n_pred else 0.0), (tp / n_true if n_true else 0.0)
    if swap:
        precision, recall = recall, precision
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


MISTAKES = [
    Mistake(call="tokenize_and_align", name="labelled every sub-word piece",
            impl=lambda words, tags, token_vocab, tag2id, max_len, ignore_index=-100: _align_impl(words, tags, token_vocab, tag2id, max_len, ignore_index, label_all=True),
            hint="Only the first piece of a word carries its label; continuation pieces ('##...') "
                 "get ignore_index so each word is scored once."),
    Mistake(call="tokenize_and_align", name="padding labelled as O",
            impl=lambda words, tags, token_vocab, tag2id, max_len, ignore_index=-100: _align_impl(words, tags, token_vocab, tag2id, max_len, ignore_index, pad_label=0),
            hint="Padding positions get the label ignore_index (-100), not 0: label 0 is the real "
                 "tag 'O', and the model would be trained to predict it on padding."),
    Mistake(call="tokenize_and_align", name="attention mask of all ones",
            impl=lambda words, tags, token_vocab, tag2id, max_len, ignore_index=-100: _align_impl(words, tags, token_vocab, tag2id, max_len, ignore_index, mask_all=True),
            hint="The attention mask is 0 on the padding positions you appended."),
    Mistake(call="masked_token_loss", name="divided by all positions", impl=_loss_all_positions,
            hint="Average over the valid positions only (labels != ignore_index), not over "
                 "batch * seq: F.cross_entropy(..., ignore_index=ignore_index) does this for you."),
    Mistake(call="masked_token_loss", name="ignored positions scored as class 0", impl=_loss_ignored_as_o,
            hint="Positions labelled -100 must not contribute at all; do not replace them with a "
                 "real class. Pass ignore_index to F.cross_entropy."),
    Mistake(call="train_ner", name="forgot optimizer.zero_grad()", impl=_train_no_zero_grad,
            hint="The first loss matches but later ones do not: call optimizer.zero_grad() at the "
                 "start of every step so gradients do not accumulate across steps."),
    Mistake(call="extract_entities", name="I- tags without a B- dropped",
            impl=lambda tags: _entities_impl(tags, strict=True),
            hint="An I-X that does not continue an open entity of type X starts a new entity "
                 "(the lenient CoNLL rule); do not drop it."),
    Mistake(call="extract_entities", name="end index inclusive",
            impl=lambda tags: _entities_impl(tags, inclusive=True),
            hint="end is exclusive, like a Python slice: the entity 'B-PER I-PER' at positions 0 and "
                 "1 is ('PER', 0, 2)."),
    Mistake(call="entity_scores", name="precision and recall swapped",
            impl=lambda true_entities, pred_entities: _scores_impl(true_entities, pred_entities, swap=True),
            hint="Precision divides the true positives by the number of predicted entities; recall "
                 "by the number of true entities."),
    Mistake(call="entity_scores", name="averaged per sentence",
            impl=lambda true_entities, pred_entities: _scores_impl(true_entities, pred_entities, macro=True),
            hint="Micro-average: add up true positives, predictions and true entities over all "
                 "sentences first, then divide once."),
]
