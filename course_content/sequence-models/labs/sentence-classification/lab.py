# %% [markdown]
# # Sentence Classification with Word Embeddings: Emojify
#
# Messages are livelier with the right emoji. In this lab you build a classifier that
# reads a short sentence and picks one of five emoji:
#
# | label | emoji | meaning |
# |-------|-------|---------|
# | 0 | ❤️ | love |
# | 1 | ⚾ | sports |
# | 2 | 😄 | happy |
# | 3 | 😞 | sad |
# | 4 | 🍴 | food |
#
# The training set has only fifty sentences. That is far too little to learn what words
# mean from scratch, which is exactly when **word embeddings** help: a model that has
# seen *pizza* during training can handle *pasta* at test time, because their vectors are
# close.
#
# You build two models:
#
# - **Model 1** (NumPy): average the word vectors of the sentence and apply a softmax
#   classifier. Fast and surprisingly good, but blind to word order.
# - **Model 2** (PyTorch): feed the sequence of word vectors into an LSTM, which can take
#   order into account.
#
# **What you will write**
#
# 1. `sentence_to_avg`
# 2. `forward_backward`: softmax forward pass, loss and gradients for one example
# 3. `train_softmax`: stochastic gradient descent for model 1
# 4. `sentences_to_indices`: sentences to padded index arrays
# 5. `pretrained_embedding_layer`: a frozen `nn.Embedding` holding the word vectors
# 6. `EmojiLSTM`: the LSTM classifier
#
# As in the word-vectors lab, the embeddings are synthetic (built by
# `build_embeddings` with words of the same topic near each other), so everything runs
# offline in a few seconds.

# %%
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

torch.set_num_threads(1)

# %% [markdown]
# ## 0. Data and embeddings

# %%
TRAIN = [
    ("i love you", 0), ("you are my sweetheart", 0), ("i adore my wife", 0),
    ("we are in love", 0), ("my heart belongs to you", 0), ("she is my darling", 0),
    ("i miss my girlfriend", 0), ("he hugged his boyfriend", 0), ("kiss me darling", 0),
    ("i cherish my husband", 0),
    ("lets play baseball", 1), ("he scored a goal", 1), ("the team won the match", 1),
    ("she plays tennis", 1), ("we watched the game", 1), ("i hit a home run", 1),
    ("the pitcher threw the ball", 1), ("they won the tournament", 1),
    ("my team lost the match", 1), ("lets go to the stadium", 1),
    ("i am so happy", 2), ("what a great day", 2), ("she laughed all evening", 2),
    ("this is fantastic news", 2), ("we had fun", 2), ("i feel glad", 2),
    ("you made me smile", 2), ("he is cheerful", 2), ("that was awesome", 2),
    ("i am excited", 2),
    ("i feel terrible", 3), ("she cried all night", 3), ("this is awful", 3),
    ("i am lonely", 3), ("he lost his job", 3), ("what a miserable day", 3),
    ("i am so sad", 3), ("we feel gloomy", 3), ("that was depressing", 3),
    ("i am not happy", 3),
    ("lets eat dinner", 4), ("i want pizza", 4), ("the soup is hot", 4),
    ("we cooked pasta", 4), ("she baked bread", 4), ("i am hungry", 4),
    ("lunch is ready", 4), ("he ate a sandwich", 4), ("lets grab breakfast", 4),
    ("the cake is delicious", 4),
]
TEST = [
    ("i adore you", 0), ("my sweetheart loves me", 0), ("she is my wife", 0),
    ("he threw the ball", 1), ("lets watch baseball", 1), ("we lost the game", 1),
    ("what a fantastic day", 2), ("i am glad", 2), ("she is excited", 2),
    ("i feel lonely", 3), ("he cried", 3), ("this day is terrible", 3),
    ("i want soup", 4), ("lets cook dinner", 4), ("the pasta is delicious", 4),
]

X_train = [s for s, _ in TRAIN]
Y_train = np.array([y for _, y in TRAIN])
X_test = [s for s, _ in TEST]
Y_test = np.array([y for _, y in TEST])
EMOJI = {0: "\u2764\ufe0f", 1: "\u26be", 2: "\U0001F604", 3: "\U0001F61E", 4: "\U0001F374"}

TOPIC_WORDS = {
    0: ["love", "loves", "sweetheart", "adore", "wife", "heart", "belongs", "darling", "miss",
        "girlfriend", "hugged", "boyfriend", "kiss", "cherish", "husband"],
    1: ["play", "plays", "baseball", "scored", "goal", "team", "won", "match", "tennis",
        "watched", "watch", "game", "hit", "home", "run", "pitcher", "threw", "ball",
        "tournament", "lost", "stadium"],
    2: ["happy", "great", "laughed", "fantastic", "news", "fun", "glad", "smile", "cheerful",
        "awesome", "excited"],
    3: ["terrible", "cried", "awful", "lonely", "job", "miserable", "sad", "gloomy",
        "depressing", "night"],
    4: ["eat", "dinner", "pizza", "soup", "hot", "cooked", "cook", "pasta", "baked", "bread",
        "hungry", "lunch", "ready", "ate", "sandwich", "grab", "breakfast", "cake",
        "delicious"],
}


def build_embeddings(sentences, seed=0, dim=16):
    """Unit-scale word vectors: topic words cluster around their topic's centre; all other
    words (i, the, is, not, ...) are short random vectors that carry little signal."""
    rng = np.random.default_rng(seed)
    centres = {t: rng.standard_normal(dim) for t in TOPIC_WORDS}
    vecs = {}
    for t, words in TOPIC_WORDS.items():
        for w in words:
            vecs[w] = centres[t] + 0.6 * rng.standard_normal(dim)
    for s in sentences:
        for w in s.lower().split():
            if w not in vecs:
                vecs[w] = 0.3 * rng.standard_normal(dim)
    return vecs


word_to_vec_map = build_embeddings(X_train + X_test)
words = sorted(word_to_vec_map)
word_to_index = {w: i + 1 for i, w in enumerate(words)}   # index 0 is reserved for padding
index_to_word = {i: w for w, i in word_to_index.items()}
print(len(X_train), "training and", len(X_test), "test sentences;", len(words), "words")


def convert_to_one_hot(Y, C):
    return np.eye(C)[Y.reshape(-1)]


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


# %% [markdown]
# ## Part 1: the averaging model
#
# ```
# "i love you" -> e_i, e_love, e_you -> avg = (e_i + e_love + e_you) / 3   (dim,)
#              -> z = W @ avg + b   (5,) -> a = softmax(z) -> predicted emoji = argmax(a)
# ```
#
# ### 1.1 Sentence to average
#
# **Exercise 1: `sentence_to_avg`.** Lowercase the sentence, split it on whitespace, and
# return the mean of the word vectors, shape `(dim,)` where `dim` is the length of any
# vector in the map. Divide by the number of words, not by `dim`.

# %%
def sentence_to_avg(sentence, word_to_vec_map):
    """Average of the word vectors of the words in sentence."""
    ### BEGIN SOLUTION
    words = sentence.lower().split()
    any_word = next(iter(word_to_vec_map))
    avg = np.zeros(word_to_vec_map[any_word].shape)
    for w in words:
        avg += word_to_vec_map[w]
    avg = avg / len(words)
    ### END SOLUTION
    return avg


# %% [markdown]
# ### 1.2 Forward and backward pass for one example
#
# For one example with one-hot label `y` (shape `(n_y,)`), weights `W (n_y, n_h)` and
# bias `b (n_y,)`:
#
# ```
# z    = W @ avg + b
# a    = softmax(z)
# cost = -sum(y * log(a))            cross-entropy
# dz   = a - y                       gradient of the cost with respect to z
# dW   = outer(dz, avg)              shape (n_y, n_h), like W
# db   = dz                          shape (n_y,), like b
# ```
#
# **Exercise 2: `forward_backward`.** Use the `softmax` helper and `np.outer`. Return
# `a, cost, dW, db` (with `cost` a Python float).

# %%
def forward_backward(avg, y, W, b):
    """Softmax classifier on one averaged sentence: probabilities, loss, gradients."""
    ### BEGIN SOLUTION
    z = W @ avg + b
    a = softmax(z)
    cost = float(-np.sum(y * np.log(a)))
    dz = a - y
    dW = np.outer(dz, avg)
    db = dz
    ### END SOLUTION
    return a, cost, dW, db


# %% [markdown]
# ### 1.3 Training
#
# **Exercise 3: `train_softmax`.** Stochastic gradient descent, one example at a time:
#
# 1. `n_y = 5`, `n_h` = the embedding dimension. Initialise
#    `W = np.random.randn(n_y, n_h) / np.sqrt(n_h)` and `b = np.zeros(n_y)`.
# 2. `Y_oh = convert_to_one_hot(Y, n_y)`.
# 3. For each of `num_iterations` epochs, for each example `i` **in order**: average the
#    sentence, call `forward_backward`, and update `W -= learning_rate * dW`,
#    `b -= learning_rate * db`. Add the example's cost to the epoch's total.
# 4. Return `W`, `b` and `costs`, the array of the epochs' total costs.

# %%
def train_softmax(X, Y, word_to_vec_map, learning_rate=0.05, num_iterations=100):
    """Train the averaging model; returns W (5, n_h), b (5,) and the epoch costs."""
    n_y = 5
    n_h = next(iter(word_to_vec_map.values())).shape[0]
    ### BEGIN SOLUTION
    W = np.random.randn(n_y, n_h) / np.sqrt(n_h)
    b = np.zeros(n_y)
    Y_oh = convert_to_one_hot(np.asarray(Y), n_y)
    costs = []
    for _ in range(num_iterations):
        total = 0.0
        for i in range(len(X)):
            avg = sentence_to_avg(X[i], word_to_vec_map)
            a, cost, dW, db = forward_backward(avg, Y_oh[i], W, b)
            W = W - learning_rate * dW
            b = b - learning_rate * db
            total += cost
        costs.append(total)
    costs = np.array(costs)
    ### END SOLUTION
    return W, b, costs


def predict(X, W, b, word_to_vec_map):
    """Predicted labels of the averaging model (given)."""
    return np.array([int(np.argmax(W @ sentence_to_avg(s, word_to_vec_map) + b)) for s in X])


# %% [markdown]
# Once the tests pass, try (uncomment):
#
# ```python
# np.random.seed(1)
# W, b, costs = train_softmax(X_train, Y_train, word_to_vec_map)
# print("train accuracy", np.mean(predict(X_train, W, b, word_to_vec_map) == Y_train))
# print("test accuracy", np.mean(predict(X_test, W, b, word_to_vec_map) == Y_test))
# for s in ["i am not happy", "lets eat pizza", "she is not excited"]:
#     print(s, EMOJI[predict([s], W, b, word_to_vec_map)[0]])
# ```
#
# The test sentences use words the model never saw with their label (for instance *soup*
# in "i want soup"), and it still gets them right: their vectors are close to those of
# words it did see. But the averaging model cannot read "not happy" correctly, since
# the average barely changes when "not" is added. Order and negation need a sequence
# model.
#
# ## Part 2: an LSTM classifier in PyTorch
#
# ### 2.1 Sentences to index arrays
#
# Mini-batches need rectangular tensors, but sentences have different lengths. The usual
# fix is to **pad**: convert each word to its index (from 1) and fill the rest of the row
# with 0, the index reserved for padding.
#
# ```
# max_len = 5
# "i love you"     -> [idx(i), idx(love), idx(you), 0, 0]
# ```
#
# **Exercise 4: `sentences_to_indices`.** Return an `int64` array of shape
# `(m, max_len)`. Lowercase and split each sentence as before.

# %%
def sentences_to_indices(X, word_to_index, max_len):
    """Index array (m, max_len) of the sentences in X, zero-padded on the right."""
    ### BEGIN SOLUTION
    m = len(X)
    X_indices = np.zeros((m, max_len), dtype=np.int64)
    for i, sentence in enumerate(X):
        for j, w in enumerate(sentence.lower().split()):
            X_indices[i, j] = word_to_index[w]
    ### END SOLUTION
    return X_indices


# %% [markdown]
# ### 2.2 A frozen embedding layer
#
# `nn.Embedding` is a lookup table: row `k` of its weight matrix is the vector of the
# word with index `k`. Fill it with the pretrained vectors and **freeze** it, so training
# on fifty sentences cannot damage vectors that encode knowledge learned elsewhere (and
# so words absent from the training set keep vectors consistent with their neighbours).
#
# **Exercise 5: `pretrained_embedding_layer`.**
#
# 1. `vocab_len = len(word_to_index) + 1` (the extra row is the padding index 0) and
#    `emb_dim` = the length of the word vectors.
# 2. Build `emb_matrix`, zeros of shape `(vocab_len, emb_dim)`, and set row
#    `word_to_index[w]` to `word_to_vec_map[w]` for every word. Row 0 stays zero.
# 3. Return `nn.Embedding.from_pretrained(torch.tensor(emb_matrix, dtype=torch.float32),
#    freeze=True)`.

# %%
def pretrained_embedding_layer(word_to_vec_map, word_to_index):
    """A frozen nn.Embedding whose row word_to_index[w] is the vector of w."""
    ### BEGIN SOLUTION
    vocab_len = len(word_to_index) + 1
    emb_dim = next(iter(word_to_vec_map.values())).shape[0]
    emb_matrix = np.zeros((vocab_len, emb_dim))
    for w, idx in word_to_index.items():
        emb_matrix[idx, :] = word_to_vec_map[w]
    embedding = nn.Embedding.from_pretrained(torch.tensor(emb_matrix, dtype=torch.float32),
                                             freeze=True)
    ### END SOLUTION
    return embedding


# %% [markdown]
# ### 2.3 The LSTM classifier
#
# ```
# indices (B, L) -> embedding -> (B, L, E) -> LSTM -> outputs (B, L, H)
#                -> output at each sentence's last real word (B, H) -> Linear -> logits (B, 5)
# ```
#
# The LSTM also runs over the padding, so its output at position `L - 1` has read a
# string of zero vectors after the sentence. Instead take, for each sentence, the
# output at its **last real word**: with `lengths = (x != 0).sum(dim=1)`, that is
# `outputs[torch.arange(B), lengths - 1]`.
#
# **Exercise 6: `EmojiLSTM`.** In `__init__`, store `self.embedding = embedding_layer`,
# then create `self.lstm = nn.LSTM(E, hidden_size, batch_first=True)` and
# `self.fc = nn.Linear(hidden_size, n_classes)`, in that order (`E` is
# `embedding_layer.embedding_dim`). `forward(x)` returns the logits `(B, n_classes)`.

# %%
class EmojiLSTM(nn.Module):
    def __init__(self, embedding_layer, hidden_size=16, n_classes=5):
        super().__init__()
        ### BEGIN SOLUTION
        self.embedding = embedding_layer
        self.lstm = nn.LSTM(embedding_layer.embedding_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, n_classes)
        ### END SOLUTION

    def forward(self, x):
        """x: LongTensor (B, L) of zero-padded indices. Returns logits (B, n_classes)."""
        ### BEGIN SOLUTION
        outputs, _ = self.lstm(self.embedding(x))
        lengths = (x != 0).sum(dim=1)
        last = outputs[torch.arange(x.shape[0]), lengths - 1]
        logits = self.fc(last)
        ### END SOLUTION
        return logits


# %% [markdown]
# `fit_lstm` (given) trains the classifier with Adam on the whole training set.

# %%
def fit_lstm(model, X_indices, Y, n_steps=200, lr=0.01):
    X_t = torch.as_tensor(X_indices, dtype=torch.long)
    Y_t = torch.as_tensor(Y, dtype=torch.long)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in range(n_steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X_t), Y_t)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# Train and evaluate (uncomment):
#
# ```python
# torch.manual_seed(0)
# max_len = 6
# model = EmojiLSTM(pretrained_embedding_layer(word_to_vec_map, word_to_index))
# losses = fit_lstm(model, sentences_to_indices(X_train, word_to_index, max_len), Y_train)
# with torch.no_grad():
#     pred = model(torch.as_tensor(sentences_to_indices(X_test, word_to_index, max_len))).argmax(1)
# print("test accuracy", (pred.numpy() == Y_test).mean())
# ```
#
# Only the LSTM and the output layer are trained (the embedding is frozen): a few
# thousand parameters, fitted on fifty sentences in a couple of seconds. With so little
# data both models reach similar accuracy here; the LSTM's advantage, reading order,
# shows on larger datasets with more sentences like "not happy at all".
