import numpy as np
import torch
from torch import nn

from course_content.labkit import Mistake, Test

PUB_SENTENCES = "i love you; lets eat pizza; I am SO happy"


# ---------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------


def _random_sentences(rng, n, max_words, vocab=None):
    vocab = vocab or [f"w{i}" for i in range(int(rng.integers(8, 20)))]
    sents = [" ".join(rng.choice(vocab, size=int(rng.integers(1, max_words + 1))))
             for _ in range(n)]
    return "; ".join(sents)


def _fb_inputs(rng):
    n_h = int(rng.integers(3, 10))
    y = np.zeros(5)
    y[int(rng.integers(0, 5))] = 1.0
    return {"avg": rng.standard_normal(n_h), "y": y, "W": rng.standard_normal((5, n_h)),
            "b": rng.standard_normal(5)}


PUB_FB = {"avg": np.array([0.5, -1.0, 0.25, 2.0]), "y": np.array([0.0, 0.0, 1.0, 0.0, 0.0]),
          "W": np.array([[0.1, -0.2, 0.3, 0.0], [0.5, 0.4, -0.1, 0.2], [-0.3, 0.2, 0.6, 0.1],
                         [0.0, -0.5, 0.2, -0.4], [0.2, 0.1, -0.2, 0.3]]),
          "b": np.array([0.0, 0.1, -0.1, 0.2, 0.0])}


def _train_inputs(rng):
    n = int(rng.integers(4, 9))
    return {"sentences": _random_sentences(rng, n, 5), "labels": rng.integers(0, 5, size=n),
            "seed": int(rng.integers(0, 1000)), "dim": int(rng.integers(3, 8)),
            "learning_rate": 0.1, "num_iterations": 4}


def _indices_inputs(rng):
    max_len = int(rng.integers(5, 9))
    return {"sentences": _random_sentences(rng, int(rng.integers(2, 6)), max_len),
            "max_len": max_len, "extra_words": "zeta; alpha beta"}


def _lstm_inputs(rng):
    max_len = int(rng.integers(4, 8))
    return {"sentences": _random_sentences(rng, int(rng.integers(2, 6)), max_len),
            "max_len": max_len, "hidden_size": int(rng.integers(3, 9)),
            "n_classes": int(rng.integers(3, 7)), "seed": int(rng.integers(0, 1000)),
            "dim": int(rng.integers(3, 7))}


def _fit_inputs(rng):
    n = 8
    return {"sentences": _random_sentences(rng, n, 5), "labels": rng.integers(0, 5, size=n),
            "max_len": 6, "n_steps": 8, "seed": int(rng.integers(0, 1000))}


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _probabilities(output, inputs):
    a = np.asarray(output[0])
    if a.shape != (5,) or not np.isclose(a.sum(), 1.0) or a.min() < 0:
        return "a must be a probability vector of shape (5,) that sums to 1"
    return None


def _int64(output, inputs):
    if output["dtype"] != "int64":
        return f"the index array must have dtype int64 (got {output['dtype']})"
    return None


def _frozen(output, inputs):
    if output["trainable"]:
        return "the embedding weights must be frozen (requires_grad False): use freeze=True"
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = [
    # 1. sentence_to_avg
    Test("sentence_to_avg: three sentences", call="avg_outputs",
         inputs={"sentences": PUB_SENTENCES, "seed": 0, "dim": 4}, public=True, expected=[np.array([-0.8709301492, 0.5628391304, -0.5654821661, -0.00846152519]), np.array([-0.05881939146, 0.0464357321, 0.3240437774, 0.3559563188]), np.array([-0.8401904038, -0.3490307187, -0.5595952357, -0.1988042083])]),
    Test("sentence_to_avg: random sentences", call="avg_outputs",
         inputs=lambda rng: {"sentences": _random_sentences(rng, 5, 7),
                             "seed": int(rng.integers(0, 1000)), "dim": int(rng.integers(3, 12))}),
    # 2. forward_backward
    Test("forward_backward: one example", call="forward_backward", inputs=PUB_FB, public=True,
         check=_probabilities, expected=(np.array([0.2177045253, 0.2177045253, 0.1423286407, 0.1496259862, 0.2726363225]), 1.949616524, np.array([[0.1088522627, -0.2177045253, 0.05442613133, 0.4354090506], [0.1088522627, -0.2177045253, 0.05442613133, 0.4354090506], [-0.4288356796, 0.8576713593, -0.2144178398, -1.715342719], [0.07481299309, -0.1496259862, 0.03740649655, 0.2992519724], [0.1363181612, -0.2726363225, 0.06815908062, 0.5452726449]]), np.array([0.2177045253, 0.2177045253, -0.8576713593, 0.1496259862, 0.2726363225]))),
    Test("forward_backward: random example", call="forward_backward", inputs=_fb_inputs,
         check=_probabilities),
    # 3. train_softmax
    Test("train_softmax: three epochs on three sentences", call="train_softmax_outputs",
         inputs={"sentences": PUB_SENTENCES, "labels": np.array([0, 4, 2]), "seed": 0,
                 "dim": 4, "learning_rate": 0.05, "num_iterations": 3},
         public=True, seed=1, expected={
             'W': np.array([[0.7310998347, -0.2282532822, -0.3249977444, -0.5403733581], [0.4636942533, -1.150700036, 0.8808554673, -0.3877521455], [0.08407748523, -0.1858485538, 0.6703548527, -1.064073619], [-0.09986360724, -0.2035603535, 0.5962780045, -0.5540006849], [-0.02203462725, -0.4439269036, 0.1048749889, 0.3405036646]]),
             'b': np.array([0.06975350188, -0.06726304369, 0.06525826399, -0.09957761107, 0.03182888888]),
             'costs': np.array([5.018409393, 4.845516278, 4.683085277]),}),
    Test("train_softmax: random data", call="train_softmax_outputs", inputs=_train_inputs, seed=3),
    # 4. sentences_to_indices
    Test("sentences_to_indices: padding to 5", call="indices_outputs",
         inputs={"sentences": PUB_SENTENCES, "max_len": 5}, public=True, check=_int64,
         expected={
             'indices': np.array([[4, 6, 9, 0, 0], [5, 2, 7, 0, 0], [4, 1, 8, 3, 0]]),
             'dtype': 'int64',}),
    Test("sentences_to_indices: random sentences", call="indices_outputs", inputs=_indices_inputs,
         check=_int64),
    # 5. pretrained_embedding_layer
    Test("pretrained_embedding_layer: small vocabulary", call="embedding_outputs",
         inputs={"sentences": "i love you; lets eat", "seed": 0, "dim": 3}, public=True,
         check=_frozen, expected={
             'weight': np.array([[0.0, 0.0, 0.0], [0.1257302165, -0.1321048588, 0.6404226422], [0.1049001142, -0.5356693864, 0.3615950644], [1.30400002, 0.9470809698, -0.7037352324], [-1.26542151, -0.6232744455, 0.04132597893], [-2.325030804, -0.2187916636, -1.245911002]]),
             'trainable': 0,}),
    Test("pretrained_embedding_layer: random vocabulary", call="embedding_outputs",
         inputs=lambda rng: {"sentences": _random_sentences(rng, 4, 5),
                             "seed": int(rng.integers(0, 1000)), "dim": int(rng.integers(2, 7))},
         check=_frozen),
    # 6. EmojiLSTM
    Test("EmojiLSTM: logits of three padded sentences", call="lstm_outputs",
         inputs={"sentences": PUB_SENTENCES, "max_len": 6, "hidden_size": 3, "n_classes": 5,
                 "seed": 0, "dim": 4}, public=True, seed=0, rtol=1e-4, atol=1e-6, expected={
             'logits': np.array([[0.2844849229, -0.6124843359, -0.4066171348, -0.1426630318, -0.2946961224], [0.2834223807, -0.5942018032, -0.3874579966, -0.1394996792, -0.2791778147], [0.2611652911, -0.584178865, -0.4779357612, -0.1197374985, -0.3389410973]]),
             'n_trainable': 128,}),
    Test("EmojiLSTM: random sizes", call="lstm_outputs", inputs=_lstm_inputs, seed=2,
         rtol=1e-4, atol=1e-6),
    Test("all PyTorch parts: a few training steps", call="fit_outputs", inputs=_fit_inputs, seed=4,
         rtol=1e-4, atol=1e-6),
]


# ---------------------------------------------------------------------------
# Known mistakes
# ---------------------------------------------------------------------------


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _avg_variant(kind):
    def impl(sentence, word_to_vec_map):
        vecs = [word_to_vec_map[w] for w in sentence.lower().split()]
        total = np.sum(vecs, axis=0)
        if kind == "sum":
            return total
        if kind == "by_dim":
            return total / total.shape[0]
        if kind == "wrong_axis":
            return np.mean(vecs, axis=1)
        raise ValueError(kind)
    return impl


def _fb_variant(kind):
    def impl(avg, y, W, b):
        z = W @ avg + b
        a = _softmax(z)
        cost = float(-np.sum(y * np.log(a)))
        dz = a - y
        if kind == "sign":
            dz = y - a
        if kind == "all_classes_cost":
            cost = float(-np.sum(np.log(a)))
        dW = np.outer(avg, dz) if kind == "transposed" else np.outer(dz, avg)
        return a, cost, dW, dz
    return impl


def _train_variant(kind):
    def impl(X, Y, word_to_vec_map, learning_rate=0.05, num_iterations=100):
        n_y = 5
        n_h = next(iter(word_to_vec_map.values())).shape[0]
        W = np.random.randn(n_y, n_h)
        if kind != "no_scaling":
            W = W / np.sqrt(n_h)
        b = np.zeros(n_y)
        Y_oh = np.eye(n_y)[np.asarray(Y).reshape(-1)]
        costs = []
        for _ in range(num_iterations):
            total = 0.0
            for i in range(len(X)):
                avg = np.mean([word_to_vec_map[w] for w in X[i].lower().split()], axis=0)
                a = _softmax(W @ avg + b)
                cost = float(-np.sum(Y_oh[i] * np.log(a)))
                dz = a - Y_oh[i]
                W = W - learning_rate * np.outer(dz, avg)
                if kind != "no_b_update":
                    b = b - learning_rate * dz
                total = cost if kind == "last_cost" else total + cost
            costs.append(total)
        return W, b, np.array(costs)
    return impl


def _indices_variant(kind):
    def impl(X, word_to_index, max_len):
        out = np.zeros((len(X), max_len), dtype=np.float64 if kind == "float" else np.int64)
        for i, s in enumerate(X):
            words = s.lower().split()
            for j, w in enumerate(words):
                if kind == "left_pad":
                    out[i, max_len - len(words) + j] = word_to_index[w]
                elif kind == "minus_one":
                    out[i, j] = word_to_index[w] - 1
                else:
                    out[i, j] = word_to_index[w]
        return out
    return impl


def _embedding_variant(kind):
    def impl(word_to_vec_map, word_to_index):
        dim = next(iter(word_to_vec_map.values())).shape[0]
        n = len(word_to_index) + (0 if kind == "no_pad_row" else 1)
        M = np.zeros((n, dim))
        for w, i in word_to_index.items():
            M[i - 1 if kind in ("shifted", "no_pad_row") else i] = word_to_vec_map[w]
        return nn.Embedding.from_pretrained(torch.tensor(M, dtype=torch.float32),
                                            freeze=(kind != "trainable"))
    return impl


def _lstm_variant(kind):
    class Wrong(nn.Module):
        def __init__(self, embedding_layer, hidden_size=16, n_classes=5):
            super().__init__()
            self.embedding = embedding_layer
            self.lstm = nn.LSTM(embedding_layer.embedding_dim, hidden_size,
                                batch_first=(kind != "no_batch_first"))
            self.fc = nn.Linear(hidden_size, n_classes)

        def forward(self, x):
            out, _ = self.lstm(self.embedding(x))
            if kind == "last_position":
                last = out[:, -1]
            elif kind == "mean":
                last = out.mean(dim=1)
            else:
                lengths = (x != 0).sum(dim=1)
                last = out[torch.arange(x.shape[0]), lengths - 1]
            return self.fc(last)
    return Wrong


MISTAKES = [
    Mistake(call="sentence_to_avg", name="sum instead of average", impl=_avg_variant("sum"),
            hint="Divide the sum of the word vectors by the number of words in the sentence."),
    Mistake(call="sentence_to_avg", name="divided by the embedding size", impl=_avg_variant("by_dim"),
            hint="The average is over words: divide by len(words), not by the vector length."),
    Mistake(call="sentence_to_avg", name="averaged over the wrong axis", impl=_avg_variant("wrong_axis"),
            hint="Average over the words (stack the vectors and use axis=0): the result must "
                 "have the shape of one word vector, (dim,)."),
    Mistake(call="forward_backward", name="dW transposed", impl=_fb_variant("transposed"),
            hint="dW must have the shape of W, (n_y, n_h): np.outer(dz, avg), with dz first."),
    Mistake(call="forward_backward", name="gradient with the wrong sign", impl=_fb_variant("sign"),
            hint="The gradient of the cross-entropy through a softmax is dz = a - y (prediction "
                 "minus truth)."),
    Mistake(call="forward_backward", name="cost summed over all classes", impl=_fb_variant("all_classes_cost"),
            hint="Only the true class contributes: cost = -np.sum(y * np.log(a)) with the "
                 "one-hot y."),
    Mistake(call="train_softmax", name="W not scaled by 1/sqrt(n_h)", impl=_train_variant("no_scaling"),
            hint="Initialise W = np.random.randn(n_y, n_h) / np.sqrt(n_h)."),
    Mistake(call="train_softmax", name="b never updated", impl=_train_variant("no_b_update"),
            hint="Update the bias too: b = b - learning_rate * db."),
    Mistake(call="train_softmax", name="epoch cost is the last example's cost", impl=_train_variant("last_cost"),
            hint="Accumulate: the epoch cost is the sum of the costs of all the examples."),
    Mistake(call="sentences_to_indices", name="float array", impl=_indices_variant("float"),
            hint="Create the array with dtype=np.int64: indices feed an embedding lookup."),
    Mistake(call="sentences_to_indices", name="padding on the left", impl=_indices_variant("left_pad"),
            hint="Put word j of the sentence at column j and leave the zeros at the end."),
    Mistake(call="sentences_to_indices", name="indices shifted by one", impl=_indices_variant("minus_one"),
            hint="Use word_to_index[w] as it is: indices start at 1 because 0 means padding."),
    Mistake(call="pretrained_embedding_layer", name="embedding not frozen", impl=_embedding_variant("trainable"),
            hint="Pass freeze=True to nn.Embedding.from_pretrained."),
    Mistake(call="pretrained_embedding_layer", name="vector stored one row too early",
            impl=_embedding_variant("shifted"),
            hint="Row word_to_index[w] holds the vector of w; row 0 stays zero for padding."),
    Mistake(call="pretrained_embedding_layer", name="no row for the padding index",
            impl=_embedding_variant("no_pad_row"),
            hint="The matrix needs len(word_to_index) + 1 rows: one per word plus row 0."),
    Mistake(call="EmojiLSTM", name="output at the last position", impl=_lstm_variant("last_position"),
            hint="outputs[:, -1] has read the padding. Take each sentence's last real word: "
                 "outputs[torch.arange(B), lengths - 1] with lengths = (x != 0).sum(dim=1)."),
    Mistake(call="EmojiLSTM", name="averaged the outputs over time", impl=_lstm_variant("mean"),
            hint="Use the LSTM output at each sentence's last real word, not the mean over all "
                 "positions (which includes the padding)."),
    Mistake(call="EmojiLSTM", name="LSTM without batch_first", impl=_lstm_variant("no_batch_first"),
            hint="The index tensor is (batch, length): create the LSTM with batch_first=True."),
]
