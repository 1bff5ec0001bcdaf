import re
from collections import Counter

import numpy as np

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- input generators

_WORDS = ["owl", "Fox", "river", "stone", "moon", "SUN", "bright", "quick", "7", "42", "lake", "night"]
_PUNCT = [".", ",", "!", "?", ";", ":", "'", "-"]


def _random_sentence(rng):
    parts = []
    for _ in range(int(rng.integers(3, 9))):
        parts.append(str(rng.choice(_WORDS)))
        r = rng.uniform()
        if r < 0.25:
            parts[-1] += str(rng.choice(_PUNCT))          # punctuation glued to the word
        elif r < 0.35:
            parts.append(str(rng.choice(_PUNCT)))          # free-standing punctuation
    return " ".join(parts)


def random_tokenize(rng):
    return {"text": _random_sentence(rng)}


def random_corpus(rng):
    return {"corpus": [_random_sentence(rng) for _ in range(int(rng.integers(3, 7)))],
            "min_freq": int(rng.integers(1, 3))}


def random_encode(rng):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + sorted({w.lower() for w in rng.choice(_WORDS, size=6)}) + ["."]
    return {"text": _random_sentence(rng), "vocab_tokens": vocab}


def random_pad(rng):
    seqs = []
    for _ in range(int(rng.integers(2, 6))):
        n = int(rng.integers(1, 10))
        seqs.append([2] + [int(v) for v in rng.integers(4, 50, size=n)] + [3])
    return {"sequences": seqs, "max_len": int(rng.integers(3, 10)), "pad_id": 0}


def random_embed(rng):
    vocab, d, seq, batch = int(rng.integers(5, 12)), 2 * int(rng.integers(2, 6)), int(rng.integers(2, 7)), int(rng.integers(1, 4))
    k = np.arange(d)[None, :]
    angles = np.arange(seq + 3)[:, None] / np.power(10000, 2 * (k // 2) / d)
    angles[:, 0::2], angles[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    return {"input_ids": rng.integers(vocab, size=(batch, seq)), "embedding_matrix": rng.standard_normal((vocab, d)),
            "pos_encoding": angles, "scale": bool(rng.integers(2))}


def random_cosine(rng):
    return {"X": rng.standard_normal((int(rng.integers(2, 7)), int(rng.integers(2, 9)))) * rng.uniform(0.5, 5)}


def random_compare(rng):
    inputs = random_embed(rng)
    return {"input_ids": inputs["input_ids"][0], "embedding_matrix": inputs["embedding_matrix"],
            "pos_encoding": inputs["pos_encoding"]}


def diagonal_is_one(output, inputs):
    if not np.allclose(np.diag(np.asarray(output)), 1.0, atol=1e-6):
        return "every vector has cosine similarity 1 with itself: the diagonal must be all ones"
    return None


# ---------------------------------------------------------------- tests

_TINY_CORPUS = ["The cat sat.", "The dog sat, then ran!", "A cat ran."]
_TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", "cat", "ran", "sat", "the"]
_E = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
               [0.0, 0.0, 1.0, 0.0], [0.5, 0.5, 0.5, 0.5]])
_PE = np.array([[0.0, 1.0, 0.0, 1.0], [0.84147098, 0.54030231, 0.00999983, 0.99995],
                [0.90929743, -0.41614684, 0.01999867, 0.99980001], [0.14112001, -0.9899925, 0.0299955, 0.99955003]])

TESTS = [
    # tokenize
    Test("tokenize a simple sentence", call="tokenize", inputs={"text": "The cat sat."}, public=True,
         expected=['the', 'cat', 'sat', '.']),
    Test("tokenize with capitals, digits and punctuation", call="tokenize",
         inputs={"text": "Red, then BLUE; 42 apples!"}, public=True, expected=['red', ',', 'then', 'blue', ';', '42', 'apples', '!']),
    Test("tokenize random sentences", call="tokenize", inputs=random_tokenize),

    # build_vocab
    Test("build_vocab on a tiny corpus", call="vocab_check", inputs={"corpus": _TINY_CORPUS, "min_freq": 1},
         public=True, expected={'tokens': ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '.', 'cat', 'ran', 'sat', 'the', '!', ',', 'a', 'dog', 'then'], 'ids': [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]}),
    Test("build_vocab with min_freq=2", call="vocab_check", inputs={"corpus": _TINY_CORPUS, "min_freq": 2},
         public=True, expected={'tokens': ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '.', 'cat', 'ran', 'sat', 'the'], 'ids': [0, 1, 2, 3, 4, 5, 6, 7, 8]}),
    Test("build_vocab on random corpora", call="vocab_check", inputs=random_corpus),

    # encode
    Test("encode with an unknown word", call="encode_check",
         inputs={"text": "The dog sat.", "vocab_tokens": _TINY_VOCAB}, public=True, expected=[2, 8, 1, 7, 4, 3]),
    Test("encode random sentences", call="encode_check", inputs=random_encode),

    # pad_and_truncate
    Test("pad_and_truncate: one padded, one truncated", call="pad_check",
         inputs={"sequences": [[2, 7, 9, 3], [2, 5, 6, 8, 4, 3]], "max_len": 5}, public=True, expected={'input_ids': [[2, 7, 9, 3, 0], [2, 5, 6, 8, 3]], 'attention_mask': [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]}),
    Test("pad_and_truncate with pad_id=1", call="pad_check",
         inputs={"sequences": [[2, 3], [2, 9, 9, 3]], "max_len": 3, "pad_id": 1}, public=True, expected={'input_ids': [[2, 3, 1], [2, 9, 3]], 'attention_mask': [[1, 1, 0], [1, 1, 1]]}),
    Test("pad_and_truncate on random batches", call="pad_check", inputs=random_pad),

    # embed_tokens
    Test("embed_tokens, scaled", call="embed_check",
         inputs={"input_ids": np.array([[1, 4, 0], [2, 3, 4]]), "embedding_matrix": _E, "pos_encoding": _PE,
                 "scale": True}, public=True, expected=[[[2, 1, 0, 1], [1.841471, 1.5403023, 1.0099998, 1.99995], [0.90929743, -0.41614684, 0.01999867, 0.99980001]], [[0, 3, 0, 1], [0.84147098, 0.54030231, 2.0099998, 0.99995], [1.9092974, 0.58385316, 1.0199987, 1.9998]]]),
    Test("embed_tokens, unscaled", call="embed_check",
         inputs={"input_ids": np.array([[1, 4, 0]]), "embedding_matrix": _E, "pos_encoding": _PE,
                 "scale": False}, public=True, expected=[[[1, 1, 0, 1], [1.341471, 1.0403023, 0.50999983, 1.49995], [0.90929743, -0.41614684, 0.01999867, 0.99980001]]]),
    Test("embed_tokens on random sizes", call="embed_check", inputs=random_embed),

    # pairwise_cosine
    Test("pairwise_cosine of three vectors", call="pairwise_cosine",
         inputs={"X": np.array([[1.0, 0.0], [3.0, 4.0], [0.0, -2.0]])}, public=True, expected=[[1, 0.6, 0], [0.6, 1, -0.8], [0, -0.8, 1]],
         check=diagonal_is_one),
    Test("pairwise_cosine on random vectors", call="pairwise_cosine", inputs=random_cosine, check=diagonal_is_one),

    # compare_positions
    Test("compare_positions on a repeated token", call="compare_check",
         inputs={"input_ids": np.array([1, 4, 1]), "embedding_matrix": _E, "pos_encoding": _PE},
         public=True, expected={'embeddings': [[1, 0.5, 1], [0.5, 1, 0.5], [1, 0.5, 1]], 'scaled': [[1, 0.89799699, 0.84194101], [0.89799699, 1, 0.66078068], [0.84194101, 0.66078068, 1]], 'unscaled': [[1, 0.96516187, 0.65568136], [0.96516187, 1, 0.71377663], [0.65568136, 0.71377663, 1]]}),
    Test("compare_positions on random sentences", call="compare_check", inputs=random_compare),
]


# ---------------------------------------------------------------- known mistakes

def _tok(text):
    return re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text.lower())


def _vocab(corpus, min_freq=1, order="count-alpha", specials_first=True):
    counts = Counter(t for s in corpus for t in _tok(s))
    kept = [t for t, c in counts.items() if c >= min_freq]
    if order == "count-alpha":
        kept.sort(key=lambda t: (-counts[t], t))
    elif order == "alpha":
        kept.sort()
    elif order == "most_common":
        kept = [t for t, c in counts.most_common() if c >= min_freq]
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    tokens = specials + kept if specials_first else kept + specials
    return {t: i for i, t in enumerate(tokens)}


def _pad(sequences, max_len, pad_id=0, keep_sep=True, invert_mask=False):
    ids = np.full((len(sequences), max_len), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), max_len), dtype=np.int64)
    for b, s in enumerate(sequences):
        s = list(s)
        if len(s) > max_len:
            s = s[:max_len - 1] + [s[-1]] if keep_sep else s[:max_len]
        ids[b, :len(s)] = s
        mask[b, :len(s)] = 1
    return ids, (1 - mask if invert_mask else mask)


def _embed(input_ids, E, PE, scale=True, scale_all=False):
    seq, d = input_ids.shape[1], E.shape[1]
    if scale_all:
        return (E[input_ids] + PE[:seq]) * (np.sqrt(d) if scale else 1.0)
    return E[input_ids] * (np.sqrt(d) if scale else 1.0) + PE[:seq]


MISTAKES = [
    Mistake(call="tokenize", name="split on whitespace", impl=lambda text: text.lower().split(),
            hint="str.split() keeps punctuation glued to words ('sat.' instead of 'sat', '.'). "
                 "Use re.findall(r'[a-z0-9]+|[^\\sa-z0-9]', text.lower())."),
    Mistake(call="tokenize", name="forgot to lower-case",
            impl=lambda text: re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]", text),
            hint="Lower-case the text first, so 'The' and 'the' are the same token."),
    Mistake(call="build_vocab", name="ties in order of appearance (Counter.most_common)",
            impl=lambda corpus, min_freq=1: _vocab(corpus, min_freq, order="most_common"),
            hint="Counter.most_common breaks ties by first appearance; sort with the key "
                 "(-count, token) so equally frequent tokens are in alphabetical order."),
    Mistake(call="build_vocab", name="sorted alphabetically only",
            impl=lambda corpus, min_freq=1: _vocab(corpus, min_freq, order="alpha"),
            hint="Order the tokens by decreasing frequency first; alphabetical order only breaks ties."),
    Mistake(call="build_vocab", name="special tokens at the end",
            impl=lambda corpus, min_freq=1: _vocab(corpus, min_freq, specials_first=False),
            hint="The four special tokens take ids 0 to 3; corpus tokens start at id 4."),
    Mistake(call="encode", name="forgot [CLS] and [SEP]",
            impl=lambda text, vocab: [vocab.get(t, vocab["[UNK]"]) for t in _tok(text)],
            hint="Every sequence starts with vocab['[CLS]'] and ends with vocab['[SEP]']."),
    Mistake(call="encode", name="unknown tokens mapped to [PAD]",
            impl=lambda text, vocab: [vocab["[CLS]"]] + [vocab.get(t, vocab["[PAD]"]) for t in _tok(text)] + [vocab["[SEP]"]],
            hint="Tokens missing from the vocabulary become vocab['[UNK]'] (id 1); [PAD] is only "
                 "for the positions after the end of a sequence."),
    Mistake(call="pad_and_truncate", name="truncation dropped [SEP]",
            impl=lambda sequences, max_len, pad_id=0: _pad(sequences, max_len, pad_id, keep_sep=False),
            hint="A truncated sequence keeps its first max_len - 1 ids and then its last id, so it "
                 "still ends with [SEP]."),
    Mistake(call="pad_and_truncate", name="attention mask inverted",
            impl=lambda sequences, max_len, pad_id=0: _pad(sequences, max_len, pad_id, invert_mask=True),
            hint="The attention mask is 1 on real tokens (special tokens included) and 0 on padding."),
    Mistake(call="embed_tokens", name="scaled the positional encodings too",
            impl=lambda input_ids, embedding_matrix, pos_encoding, scale=True: _embed(input_ids, embedding_matrix, pos_encoding, scale, scale_all=True),
            hint="Only the embeddings are multiplied by sqrt(d); the positional encodings are added "
                 "afterwards, unscaled."),
    Mistake(call="embed_tokens", name="never scaled",
            impl=lambda input_ids, embedding_matrix, pos_encoding, scale=True: _embed(input_ids, embedding_matrix, pos_encoding, False),
            hint="With scale=True, multiply the looked-up embeddings by np.sqrt(d), where d is "
                 "embedding_matrix.shape[1]."),
    Mistake(call="pairwise_cosine", name="dot products without normalizing", impl=lambda X: X @ X.T,
            hint="Divide each row by its norm before the product; raw dot products grow with the "
                 "vectors' lengths."),
    Mistake(call="pairwise_cosine", name="normalized the columns",
            impl=lambda X: (X / np.linalg.norm(X, axis=0, keepdims=True)) @ (X / np.linalg.norm(X, axis=0, keepdims=True)).T,
            hint="Each row is a vector: normalize along axis=1 (np.linalg.norm(X, axis=1, keepdims=True))."),
]
