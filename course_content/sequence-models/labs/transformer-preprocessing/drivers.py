"""Drivers for the Transformer pre-processing lab. Vocabularies travel as the list of
their tokens in id order (dict keys such as '[PAD]' or '.' are awkward test inputs)."""

import numpy as np


def vocab_check(ns, corpus, min_freq=1):
    """build_vocab's result as tokens in id order, plus the sorted ids."""
    vocab = ns["build_vocab"](list(corpus), min_freq)
    items = sorted(vocab.items(), key=lambda item: item[1])
    return {"tokens": [t for t, _ in items], "ids": np.array([int(i) for _, i in items], dtype=np.int64)}


def encode_check(ns, text, vocab_tokens):
    vocab = {t: i for i, t in enumerate(vocab_tokens)}
    return np.array([int(i) for i in ns["encode"](text, vocab)], dtype=np.int64)


def pad_check(ns, sequences, max_len, pad_id=0):
    input_ids, attention_mask = ns["pad_and_truncate"]([[int(v) for v in s] for s in sequences], max_len, pad_id)
    return {"input_ids": np.asarray(input_ids), "attention_mask": np.asarray(attention_mask)}


def embed_check(ns, input_ids, embedding_matrix, pos_encoding, scale=True):
    return np.asarray(ns["embed_tokens"](np.asarray(input_ids, dtype=np.int64), np.asarray(embedding_matrix),
                                         np.asarray(pos_encoding), bool(scale)))


def compare_check(ns, input_ids, embedding_matrix, pos_encoding):
    result = ns["compare_positions"](np.asarray(input_ids, dtype=np.int64), np.asarray(embedding_matrix),
                                     np.asarray(pos_encoding))
    return {k: np.asarray(result[k]) for k in ("embeddings", "scaled", "unscaled")}
