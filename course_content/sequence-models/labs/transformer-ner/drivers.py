"""Drivers for the NER lab. Vocabularies travel as token lists in id order, entities as
[type, start, end] lists; models are built after the grader has seeded torch."""

import numpy as np
import torch


def align_check(ns, words, tags, vocab_tokens, max_len):
    vocab = {t: i for i, t in enumerate(vocab_tokens)}
    encoded = ns["tokenize_and_align"](list(words), list(tags), vocab, ns["TAG2ID"], max_len)
    return {k: np.asarray(encoded[k], dtype=np.int64)
            for k in ("input_ids", "attention_mask", "labels", "word_ids")}


def _model(ns, vocab_size, seq, d_model, num_heads, d_ff, num_layers):
    return ns["TokenClassifier"](vocab_size, len(ns["TAGS"]), d_model=d_model, num_heads=num_heads,
                                 d_ff=d_ff, num_layers=num_layers, max_len=seq, dropout=0.1)


def forward_check(ns, input_ids, attention_mask, vocab_size, d_model, num_heads, d_ff, num_layers):
    ids = torch.tensor(np.asarray(input_ids), dtype=torch.long)
    mask = torch.tensor(np.asarray(attention_mask), dtype=torch.long)
    model = _model(ns, vocab_size, ids.shape[1], d_model, num_heads, d_ff, num_layers)
    model.eval()
    with torch.no_grad():
        return model(ids, mask)


def loss_check(ns, logits, labels):
    loss = ns["masked_token_loss"](torch.tensor(np.asarray(logits), dtype=torch.float32),
                                   torch.tensor(np.asarray(labels), dtype=torch.long))
    return loss.detach()


def train_check(ns, input_ids, attention_mask, labels, vocab_size, num_steps, learning_rate,
                d_model, num_heads, d_ff, num_layers):
    batch = {"input_ids": torch.tensor(np.asarray(input_ids), dtype=torch.long),
             "attention_mask": torch.tensor(np.asarray(attention_mask), dtype=torch.long),
             "labels": torch.tensor(np.asarray(labels), dtype=torch.long)}
    model = _model(ns, vocab_size, batch["input_ids"].shape[1], d_model, num_heads, d_ff, num_layers)
    losses = ns["train_ner"](model, batch, num_steps, learning_rate)
    return np.array([float(v) for v in losses])


def entities_check(ns, tags):
    entities = [tuple(e) for e in ns["extract_entities"](list(tags))]
    return {"types": [str(e[0]) for e in entities],
            "starts": np.array([int(e[1]) for e in entities], dtype=np.int64),
            "ends": np.array([int(e[2]) for e in entities], dtype=np.int64)}


def scores_check(ns, true_entities, pred_entities):
    def as_tuples(sentences):
        return [[(str(e[0]), int(e[1]), int(e[2])) for e in sentence] for sentence in sentences]
    scores = ns["entity_scores"](as_tuples(true_entities), as_tuples(pred_entities))
    return {k: float(scores[k]) for k in ("precision", "recall", "f1")}
