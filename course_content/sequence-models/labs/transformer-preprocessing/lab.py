# %% [markdown]
# # Transformer Pre-processing: from Text to Input Vectors
#
# Before a Transformer sees a sentence, the sentence goes through a pipeline that is
# easy to get subtly wrong and that every Transformer application shares:
#
# ```
# "The cat sat."  ->  tokens  ->  ids with special tokens  ->  padded batch + attention mask
#                 ->  embeddings * sqrt(d)  +  positional encodings  ->  encoder
# ```
#
# In this lab you build each step in NumPy on a tiny built-in corpus, then measure
# what the positional encodings do to the geometry of the input vectors: how they
# change the cosine similarity between tokens, and why the embeddings are scaled by
# `sqrt(d)` before the positions are added.
#
# **What you will write**
#
# 1. `tokenize`: lower-case a sentence and split it into words and punctuation.
# 2. `build_vocab`: special tokens first, then words by frequency.
# 3. `encode`: tokens to ids, with `[CLS]`, `[SEP]` and `[UNK]`.
# 4. `pad_and_truncate`: a rectangular batch and its attention mask.
# 5. `embed_tokens`: embedding lookup, scaling and positional encodings.
# 6. `pairwise_cosine`: the cosine similarity of every pair of vectors.
# 7. `compare_positions`: similarities with and without positional information.

# %%
import re
from collections import Counter

import numpy as np

# %% [markdown]
# ## 1. The corpus and tokenization
#
# Real systems use sub-word tokenizers (WordPiece, BPE) learned from huge corpora;
# the principles are the same with a word-level tokenizer, which is what we build.

# %%
CORPUS = [
    "The cat sat on the mat.",
    "A dog chased the cat across the garden!",
    "My dog and my cat sleep all day.",
    "She painted the door red, then blue.",
    "Green apples are sour; red apples are sweet.",
    "The horse ate an apple and a pear.",
    "Is the bird singing in the tree?",
    "He bought bread, cheese and a pear at the market.",
    "The blue bird sat on the red roof.",
    "Dogs and horses run faster than cats.",
    "We ate cheese, bread and green grapes.",
    "The old tree fell on the garden wall.",
]

# %% [markdown]
# ### Exercise 1: `tokenize`
#
# Lower-case the text, then return the list of its tokens, where a token is either a
# run of letters and digits or a single punctuation character. Whitespace separates
# tokens and is dropped. The regular expression `[a-z0-9]+|[^\sa-z0-9]` matches
# exactly these tokens; `re.findall(pattern, text)` returns them in order:
#
# ```
# tokenize("The cat sat.")   ->  ['the', 'cat', 'sat', '.']
# tokenize("red, then blue") ->  ['red', ',', 'then', 'blue']
# ```
#
# `text.split()` would not do: it returns `'sat.'` as one token, a different word
# from `'sat'`.

# %%
def tokenize(text):
    """Lower-cased word and punctuation tokens of `text`, as a list of strings."""
    ### BEGIN SOLUTION
    tokens = re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text.lower())
    ### END SOLUTION
    return tokens


# %% [markdown]
# ### Exercise 2: `build_vocab`
#
# The vocabulary maps each token to an integer id. Four **special tokens** come first,
# with fixed ids:
#
# | token | id | role |
# |-------|----|------|
# | `[PAD]` | 0 | fills short sequences up to the batch length |
# | `[UNK]` | 1 | replaces any token that is not in the vocabulary |
# | `[CLS]` | 2 | starts every sequence; its final vector summarizes the sequence |
# | `[SEP]` | 3 | ends every sequence (and separates the two parts of a pair) |
#
# Then come the corpus tokens that occur at least `min_freq` times, from the most to
# the least frequent, ties broken alphabetically (so the result does not depend on
# the order of the sentences), with ids 4, 5, 6, ...
#
# Use `tokenize` on every sentence and a `collections.Counter` to count. Sorting with
# the key `lambda item: (-count, token)` gives the required order. Dropping rare
# tokens (`min_freq > 1`) keeps the vocabulary small; they become `[UNK]`.

# %%
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


def build_vocab(corpus, min_freq=1):
    """Return a dict token -> id: the special tokens, then frequent tokens by count."""
    ### BEGIN SOLUTION
    counts = Counter(token for sentence in corpus for token in tokenize(sentence))
    kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + kept)}
    ### END SOLUTION
    return vocab


# %% [markdown]
# ## 2. From text to a batch of ids
#
# ### Exercise 3: `encode`
#
# Tokenize `text`, map each token to its id (`vocab["[UNK]"]` for tokens not in
# `vocab`), and wrap the sequence in `[CLS] ... [SEP]`. Return a list of Python ints.
#
# ```
# encode("The cat sat.", vocab) -> [2, id('the'), id('cat'), id('sat'), id('.'), 3]
# ```

# %%
def encode(text, vocab):
    """[CLS] token ids [SEP], as a list of ints; unknown tokens become [UNK]."""
    ### BEGIN SOLUTION
    unk = vocab["[UNK]"]
    ids = [vocab["[CLS]"]] + [vocab.get(t, unk) for t in tokenize(text)] + [vocab["[SEP]"]]
    ### END SOLUTION
    return ids


# %% [markdown]
# ### Exercise 4: `pad_and_truncate`
#
# A batch must be a rectangle. Given a list of id sequences, return two `int64`
# arrays of shape `(batch, max_len)`:
#
# - `input_ids`: each sequence **truncated** or **padded** to `max_len`;
# - `attention_mask`: 1 where there is a real token (special tokens included), 0 on
#   padding. The model uses it to stop attention from looking at `[PAD]`.
#
# Rules:
#
# - a sequence longer than `max_len` keeps its first `max_len - 1` ids **and its last
#   id** (the `[SEP]`), so that every sequence still ends with its end marker;
# - a shorter sequence is followed by `pad_id` up to `max_len`.
#
# ```
# pad_and_truncate([[2, 7, 9, 3], [2, 5, 6, 8, 4, 3]], max_len=5)
#   input_ids      = [[2, 7, 9, 3, 0], [2, 5, 6, 8, 3]]
#   attention_mask = [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
# ```

# %%
def pad_and_truncate(sequences, max_len, pad_id=0):
    """Return (input_ids, attention_mask), both int64 arrays of shape (batch, max_len)."""
    ### BEGIN SOLUTION
    input_ids = np.full((len(sequences), max_len), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(sequences), max_len), dtype=np.int64)
    for b, seq in enumerate(sequences):
        seq = list(seq)
        if len(seq) > max_len:
            seq = seq[:max_len - 1] + [seq[-1]]
        input_ids[b, :len(seq)] = seq
        attention_mask[b, :len(seq)] = 1
    ### END SOLUTION
    return input_ids, attention_mask


# %% [markdown]
# ## 3. Input vectors
#
# Each id is looked up in an embedding matrix `E` of shape `(vocab_size, d)`. A
# Transformer learns `E`; here we build one by hand so that its geometry is easy to
# read: words of the same kind (animals, colours, food, ...) get vectors pointing in
# similar directions, and every row has norm 1.
#
# The positional encodings are the sinusoids of the Transformer lab, given here:
# `PE(pos, 2i) = sin(pos / 10000^(2i/d))`, `PE(pos, 2i+1) = cos(pos / 10000^(2i/d))`.

# %%
D_MODEL = 16
WORD_GROUPS = {
    "animal": ["cat", "cats", "dog", "dogs", "horse", "horses", "bird"],
    "colour": ["red", "blue", "green"],
    "food": ["apple", "apples", "pear", "bread", "cheese", "grapes"],
    "place": ["mat", "garden", "door", "roof", "tree", "wall", "market"],
}


def make_embeddings(vocab, d=D_MODEL, seed=0):
    """A (len(vocab), d) matrix of unit rows; words of a group share a direction."""
    rng = np.random.default_rng(seed)
    group_of = {w: g for g, words in WORD_GROUPS.items() for w in words}
    centers = {g: rng.standard_normal(d) for g in WORD_GROUPS}
    E = np.zeros((len(vocab), d))
    for token, i in sorted(vocab.items(), key=lambda item: item[1]):
        noise = rng.standard_normal(d)
        E[i] = centers[group_of[token]] + 0.5 * noise if token in group_of else noise
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def positional_encoding(positions, d):
    """Sinusoidal encodings, array of shape (positions, d)."""
    k = np.arange(d)[np.newaxis, :]
    angles = np.arange(positions)[:, np.newaxis] / np.power(10000, 2 * (k // 2) / d)
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    return angles


MAX_LEN = 16
pos_encoding = positional_encoding(MAX_LEN, D_MODEL)
print("PE:", pos_encoding.shape, "row norms:", np.round(np.linalg.norm(pos_encoding[:3], axis=1), 3))

# %% [markdown]
# ### Exercise 5: `embed_tokens`
#
# For `input_ids` of shape `(batch, seq)`:
#
# ```
# x = E[input_ids] * sqrt(d)   +   PE[:seq]         shape (batch, seq, d)
# ```
#
# - `E[input_ids]` (NumPy fancy indexing) looks every id up at once.
# - Multiply by `sqrt(d)` only when `scale=True`.
# - `pos_encoding[:seq]` has shape `(seq, d)` and broadcasts over the batch: position
#   `t` gets the same vector in every sentence.
#
# Why scale? Our embedding rows have norm 1, whereas a positional-encoding row has
# norm `sqrt(d/2)` (about 2.8 for `d = 16`): half its entries are sines and half
# cosines, and `sin^2 + cos^2 = 1` for each pair. Added as they are, the positions
# would dominate the word meanings. Multiplying by `sqrt(d)` (4 here) brings the
# embeddings back to a comparable scale.

# %%
def embed_tokens(input_ids, embedding_matrix, pos_encoding, scale=True):
    """Return E[ids] (* sqrt(d) if scale) + PE[:seq], shape (batch, seq, d)."""
    ### BEGIN SOLUTION
    d = embedding_matrix.shape[1]
    seq = input_ids.shape[1]
    x = embedding_matrix[input_ids]
    if scale:
        x = x * np.sqrt(d)
    x = x + pos_encoding[:seq]
    ### END SOLUTION
    return x


# %% [markdown]
# ## 4. What positional encoding does to similarities
#
# The cosine similarity of two vectors `u` and `v` is
# `u . v / (||u|| * ||v||)`: 1 for the same direction, 0 for orthogonal vectors.
#
# ### Exercise 6: `pairwise_cosine`
#
# For `X` of shape `(n, d)`, return the `(n, n)` matrix whose entry `[i, j]` is the
# cosine similarity of rows `i` and `j`. Vectorize: divide each row by its norm
# (`np.linalg.norm(X, axis=1, keepdims=True)`), then one matrix product `Xn @ Xn.T`.
# The diagonal is then exactly 1 (up to rounding).

# %%
def pairwise_cosine(X):
    """Cosine similarity of every pair of rows of X (n, d) -> (n, n)."""
    ### BEGIN SOLUTION
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    sims = Xn @ Xn.T
    ### END SOLUTION
    return sims


# %% [markdown]
# ### Exercise 7: `compare_positions`
#
# For one sentence, compute three `(seq, seq)` similarity matrices between its token
# vectors and return them in a dict:
#
# - `"embeddings"`: plain embeddings `E[ids]`, no positions;
# - `"scaled"`: `embed_tokens(..., scale=True)`;
# - `"unscaled"`: `embed_tokens(..., scale=False)`.
#
# `input_ids` is a 1-D array of length `seq` (one sentence, no padding): add a batch
# axis for `embed_tokens` and take example 0 of its output.

# %%
def compare_positions(input_ids, embedding_matrix, pos_encoding):
    """Dict of three (seq, seq) cosine-similarity matrices for one sentence."""
    ### BEGIN SOLUTION
    ids = np.asarray(input_ids)[np.newaxis, :]
    result = {
        "embeddings": pairwise_cosine(embedding_matrix[ids[0]]),
        "scaled": pairwise_cosine(embed_tokens(ids, embedding_matrix, pos_encoding, scale=True)[0]),
        "unscaled": pairwise_cosine(embed_tokens(ids, embedding_matrix, pos_encoding, scale=False)[0]),
    }
    ### END SOLUTION
    return result


# %% [markdown]
# ## 5. Reading the results
#
# Once every exercise passes, run the whole pipeline on one sentence:
#
# ```python
# vocab = build_vocab(CORPUS)
# embedding_matrix = make_embeddings(vocab)
# ids = np.array(encode("The cat sat on the mat.", vocab))   # 9 ids with [CLS] and [SEP]
# sims = compare_positions(ids, embedding_matrix, pos_encoding)
# print(np.round(sims["scaled"], 2))
# ```
#
# and look at three entries:
#
# | pair | embeddings | scaled | unscaled |
# |------|-----------:|-------:|---------:|
# | `the` (pos 1) vs `the` (pos 5) | 1.00 | 0.93 | 0.78 |
# | `cat` (pos 2) vs `mat` (pos 6) | 0.07 | 0.33 | 0.64 |
# | `cat` (pos 2) vs `sat` (pos 3) | 0.30 | 0.56 | 0.87 |
#
# - Without positions the two occurrences of `the` are identical vectors: the model
#   could not tell them apart, and "the cat sat on the mat" would look exactly like
#   "the mat sat on the cat". Positions make them different.
# - With scaling, word identity still dominates: `the`/`the` stays by far the most
#   similar pair in the sentence. Almost every other pair gains some similarity from
#   the positional signal, adjacent tokens the most. The reason is a neat property of
#   the sinusoids: `PE(p) . PE(p + k) = sum_i cos(k * w_i)` depends only on the
#   distance `k`, not on `p`, and for `d = 16` the cosine between the encodings of
#   two positions is 0.94 at distance 1, 0.80 at distance 2 and 0.6 to 0.8 beyond.
# - Without scaling the positions take over: `the` at positions 1 and 5 is now *less*
#   similar than the unrelated neighbours `cat` and `sat` at positions 2 and 3, and
#   even `cat` and `mat`, which share nothing, look alike. The encoder would have to
#   undo this before it could use the meaning of the words.
#
# A learned model can rebalance the two signals (its embeddings grow or shrink during
# training), but the `sqrt(d)` factor starts it in the regime where both are visible.
