# %% [markdown]
# # Character-Level Language Model: Inventing Names
#
# A fantasy-novel writer needs names for a few hundred characters and has run out of
# ideas. In this lab you train a small recurrent network that reads a list of invented
# names one character at a time and learns to produce new ones in the same style.
#
# A **character-level language model** estimates
# `P(next character | all previous characters)`. Trained on names, it learns which
# letters follow which, how names tend to end, and roughly how long they are. Once
# trained, you can **sample** from it: draw a first character, feed it back in, draw the
# next, and so on until the model emits the end-of-name token `"\n"`.
#
# **What you will write**
#
# 1. `clip`: element-wise gradient clipping, so one bad step cannot blow up training.
# 2. `build_example`: turn a name into an input sequence `X` and a target sequence `Y`.
# 3. `sample`: generate a name from the model with `np.random.choice`.
# 4. `optimize`: one step of training (forward, backward, clip, update).
# 5. `model`: a short training run over the corpus.
#
# The forward and backward passes of the RNN are given; you wrote them yourself in the
# previous lab.

# %%
import numpy as np

# %% [markdown]
# ## 0. The corpus and the vocabulary
#
# The corpus is a list of invented names, in lowercase. The vocabulary is the 26
# letters plus `"\n"`, which marks the end of a name. `char_to_ix` maps each character
# to an integer index and `ix_to_char` maps back; `"\n"` gets index 0.

# %%
NAMES = [
    "aldric", "elowen", "marik", "tavian", "sorrel", "brannoc", "ysolde", "corwen",
    "fenna", "galdor", "isolene", "jorvik", "kaelen", "liora", "madrec", "nerys",
    "oswin", "perrin", "quilla", "rhosyn", "seraphel", "thorne", "ulric", "vessa",
    "wendrel", "xanthe", "yorath", "zephyra", "anselm", "belisande", "calder", "delphine",
    "edric", "faelan", "gwenore", "halden", "ilvara", "jessamine", "kestrel", "lorcan",
    "maelis", "norrin", "odessa", "pellam", "rowenna", "sable", "tamsin", "ulla",
    "varric", "wynne", "arden", "briseis", "cassian", "dorran", "emberly", "fintan",
    "garrick", "hestia", "ivor", "junia", "kellan", "lisbet", "morwen", "nolan",
    "orla", "piran", "roswitha", "selwyn", "talia", "uther", "vianne", "weylin",
    "alaric", "brenna", "caelum", "dervla", "eamon", "fiora", "gideon", "halvard",
    "idris", "jorah", "kiera", "leoric", "mirren", "nissa", "osric", "phaedra",
]

chars = ["\n"] + list("abcdefghijklmnopqrstuvwxyz")
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}
vocab_size = len(chars)

# %% [markdown]
# ## Helper functions (given)
#
# The model is a basic RNN with parameters `Wax (n_a, vocab)`, `Waa (n_a, n_a)`,
# `Wya (vocab, n_a)`, `b (n_a, 1)`, `by (vocab, 1)`:
#
# ```
# a<t>     = tanh(Wax @ x<t> + Waa @ a<t-1> + b)
# y_hat<t> = softmax(Wya @ a<t> + by)
# ```
#
# Each `x<t>` is a one-hot column vector. `rnn_forward(X, Y, a0, parameters)` takes the
# list of input indices `X` and target indices `Y` and returns the total cross-entropy
# loss `-sum_t log y_hat<t>[Y[t]]` and a cache; `rnn_backward(X, Y, parameters, cache)`
# returns the gradients `dWax, dWaa, dWya, db, dby` and the hidden states. An input index
# of `None` stands for "no character yet" and becomes the zero vector.

# %%
def softmax(x):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0)


def smooth(loss, cur_loss):
    """Exponentially weighted average of the loss, to make the curve readable."""
    return loss * 0.999 + cur_loss * 0.001


def get_initial_loss(vocab_size, seq_length):
    """Loss of a model that predicts every character uniformly over seq_length steps."""
    return -np.log(1.0 / vocab_size) * seq_length


def initialize_parameters(n_a, n_x, n_y):
    """Small random weights (drawn from np.random) and zero biases."""
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    b = np.zeros((n_a, 1))
    by = np.zeros((n_y, 1))
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}


def rnn_step_forward(parameters, a_prev, x):
    a_next = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a_prev + parameters["b"])
    p_t = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, p_t


def rnn_step_backward(dy, gradients, parameters, x, a, a_prev):
    gradients["dWya"] += dy @ a.T
    gradients["dby"] += dy
    da = parameters["Wya"].T @ dy + gradients["da_next"]
    daraw = (1 - a * a) * da
    gradients["db"] += daraw
    gradients["dWax"] += daraw @ x.T
    gradients["dWaa"] += daraw @ a_prev.T
    gradients["da_next"] = parameters["Waa"].T @ daraw
    return gradients


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    x, a, y_hat = {}, {}, {}
    a[-1] = np.copy(a0)
    loss = 0.0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= np.log(y_hat[t][Y[t], 0])
    cache = (y_hat, a, x)
    return loss, cache


def rnn_backward(X, Y, parameters, cache):
    (y_hat, a, x) = cache
    gradients = {"dWax": np.zeros_like(parameters["Wax"]), "dWaa": np.zeros_like(parameters["Waa"]),
                 "dWya": np.zeros_like(parameters["Wya"]), "db": np.zeros_like(parameters["b"]),
                 "dby": np.zeros_like(parameters["by"]), "da_next": np.zeros_like(a[0])}
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    del gradients["da_next"]
    return gradients, a


def update_parameters(parameters, gradients, lr):
    """Plain gradient descent; returns a new dict and leaves the input unchanged."""
    return {
        "Wax": parameters["Wax"] - lr * gradients["dWax"],
        "Waa": parameters["Waa"] - lr * gradients["dWaa"],
        "Wya": parameters["Wya"] - lr * gradients["dWya"],
        "b": parameters["b"] - lr * gradients["db"],
        "by": parameters["by"] - lr * gradients["dby"],
    }


# %% [markdown]
# ## 1. Gradient clipping
#
# Backpropagation through time multiplies many Jacobians together. Occasionally the
# product explodes and a single update throws the weights far away, after which the
# loss jumps and often becomes `nan`. The simplest remedy is **clipping**: force every
# gradient entry into `[-max_value, max_value]`.
#
# **Exercise 1: `clip`.** Return a **new** dict with the same keys as `gradients`
# (`dWax, dWaa, dWya, db, dby`) where each array is clipped element-wise with
# `np.clip(array, -max_value, max_value)`. Do not modify the input dict.
#
# Example: with `max_value = 5`, the entries `[-12.0, 0.3, 7.5]` become `[-5.0, 0.3, 5.0]`.
# Both tails are clipped; values inside the range are untouched.

# %%
def clip(gradients, max_value):
    """Clip every gradient element-wise to the range [-max_value, max_value].

    Arguments:
    gradients -- dict with keys "dWax", "dWaa", "dWya", "db", "dby"
    max_value -- positive number

    Returns:
    clipped -- a new dict with the same keys and clipped arrays
    """
    ### BEGIN SOLUTION
    clipped = {key: np.clip(value, -max_value, max_value) for key, value in gradients.items()}
    ### END SOLUTION
    return clipped


# %% [markdown]
# ## 2. Training examples from a name
#
# A language model is trained to predict each character from the ones before it. For
# the name `"orla"` the network reads, step by step, *nothing*, `o`, `r`, `l`, `a` and
# must predict `o`, `r`, `l`, `a`, `"\n"`:
#
# ```
# t   : 0     1    2    3    4
# X[t]: None  'o'  'r'  'l'  'a'
# Y[t]: 'o'   'r'  'l'  'a'  '\n'
# ```
#
# `Y` is `X` shifted left by one, with the end-of-name token appended. The leading
# `None` means "no previous character": the first input `x<0>` is the zero vector, so
# the first prediction is the model's distribution over first letters.
#
# **Exercise 2: `build_example`.** Return `X` and `Y` as Python lists of indices (with
# `X[0] = None`). Both have length `len(name) + 1`.

# %%
def build_example(name, char_to_ix):
    """Input and target index lists for one name.

    Arguments:
    name -- a lowercase string such as "orla"
    char_to_ix -- dict mapping characters (including "\\n") to indices

    Returns:
    X -- [None] followed by the indices of the characters of name
    Y -- the indices of the characters of name followed by the index of "\\n"
    """
    ### BEGIN SOLUTION
    X = [None] + [char_to_ix[ch] for ch in name]
    Y = X[1:] + [char_to_ix["\n"]]
    ### END SOLUTION
    return X, Y


# %% [markdown]
# ## 3. Sampling
#
# To generate a name, run the RNN one step at a time and **sample** each character from
# the predicted distribution instead of always taking the most likely one (which would
# produce the same name every time).
#
# **Exercise 3: `sample`.** Follow this procedure exactly (the tests seed `np.random`, so
# the sequence of random draws must match):
#
# 1. `x` = zeros `(vocab_size, 1)` and `a_prev` = zeros `(n_a, 1)`, where
#    `vocab_size = by.shape[0]` and `n_a = Waa.shape[1]`.
# 2. Start with `indices = []`, `idx = -1`, `counter = 0`, `newline = char_to_ix["\n"]`.
# 3. While `idx != newline` and `counter != max_length`:
#    - `a = tanh(Wax @ x + Waa @ a_prev + b)`, `z = Wya @ a + by`, `y = softmax(z)`
#    - `idx = np.random.choice(vocab_size, p=y.ravel())` (one call per character)
#    - append `idx` to `indices`
#    - set `x` to the one-hot vector of `idx` (a fresh zero vector with a 1 at `idx`)
#    - `a_prev = a`, `counter += 1`
# 4. If the loop stopped because `counter == max_length`, append `newline` so every
#    generated name ends properly.
#
# Feeding the sampled character back in as the next input is what makes this
# *generation*: the model conditions each choice on its own earlier choices.

# %%
def sample(parameters, char_to_ix, max_length=50):
    """Sample a sequence of character indices from the RNN.

    Arguments:
    parameters -- dict with Wax, Waa, Wya, b, by
    char_to_ix -- dict mapping characters to indices
    max_length -- maximum number of characters sampled before "\\n" is forced

    Returns:
    indices -- list of sampled indices, ending with the index of "\\n"
    """
    Waa, Wax, Wya, by, b = (parameters["Waa"], parameters["Wax"], parameters["Wya"],
                            parameters["by"], parameters["b"])
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]

    ### BEGIN SOLUTION
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    indices = []
    idx = -1
    counter = 0
    newline = char_to_ix["\n"]
    while idx != newline and counter != max_length:
        a = np.tanh(Wax @ x + Waa @ a_prev + b)
        z = Wya @ a + by
        y = softmax(z)
        idx = np.random.choice(vocab_size, p=y.ravel())
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1
        a_prev = a
        counter += 1
    if counter == max_length:
        indices.append(newline)
    ### END SOLUTION
    return indices


# %% [markdown]
# ## 4. One optimization step
#
# **Exercise 4: `optimize`.** Implement one step of gradient descent on one example:
#
# 1. `loss, cache = rnn_forward(X, Y, a_prev, parameters, vocab_size)` where
#    `vocab_size = parameters["by"].shape[0]`
# 2. `gradients, a = rnn_backward(X, Y, parameters, cache)`
# 3. `gradients = clip(gradients, max_value)` (your function)
# 4. `parameters = update_parameters(parameters, gradients, learning_rate)`
#
# Return the loss, the **clipped** gradients, the last hidden state `a[len(X) - 1]` and
# the updated parameters. The order matters: clip *before* the update, otherwise the
# clipping protects nothing.

# %%
def optimize(X, Y, a_prev, parameters, learning_rate=0.01, max_value=5):
    """One forward/backward/clip/update step on one training example.

    Returns:
    loss -- the cross-entropy loss of this example (before the update)
    gradients -- the clipped gradients
    a_last -- the last hidden state, shape (n_a, 1)
    parameters -- the updated parameters
    """
    ### BEGIN SOLUTION
    vocab_size = parameters["by"].shape[0]
    loss, cache = rnn_forward(X, Y, a_prev, parameters, vocab_size)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, max_value)
    parameters = update_parameters(parameters, gradients, learning_rate)
    a_last = a[len(X) - 1]
    ### END SOLUTION
    return loss, gradients, a_last, parameters


# %% [markdown]
# ## 5. Training the model
#
# **Exercise 5: `model`.** Train on the names one at a time (stochastic gradient
# descent with a batch of one example):
#
# 1. `vocab_size = len(char_to_ix)`;
#    `parameters = initialize_parameters(n_a, vocab_size, vocab_size)`.
# 2. `loss = get_initial_loss(vocab_size, 7)` (a starting value for the smoothed loss)
#    and `losses = []`.
# 3. For `j` in `range(num_iterations)`:
#    - take `name = names[j % len(names)]` (cycle through the corpus in order)
#    - `X, Y = build_example(name, char_to_ix)`
#    - start every name from a fresh zero state: `a_prev = np.zeros((n_a, 1))`
#    - `curr_loss, gradients, a_last, parameters = optimize(X, Y, a_prev, parameters,
#      learning_rate)`
#    - `loss = smooth(loss, curr_loss)` and append it to `losses`
# 4. Return `parameters` and `np.array(losses)`.
#
# Each name is a separate sequence, which is why the hidden state is reset: the end of
# "morwen" says nothing about the beginning of the next name.

# %%
def model(names, char_to_ix, num_iterations=2000, n_a=32, learning_rate=0.02):
    """Train a character-level RNN on a list of names.

    Returns:
    parameters -- the trained parameters
    losses -- array of the smoothed loss after every iteration, shape (num_iterations,)
    """
    ### BEGIN SOLUTION
    vocab_size = len(char_to_ix)
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, 7)
    losses = []
    for j in range(num_iterations):
        name = names[j % len(names)]
        X, Y = build_example(name, char_to_ix)
        a_prev = np.zeros((n_a, 1))
        curr_loss, gradients, a_last, parameters = optimize(X, Y, a_prev, parameters, learning_rate)
        loss = smooth(loss, curr_loss)
        losses.append(loss)
    ### END SOLUTION
    return parameters, np.array(losses)


# %% [markdown]
# ## 6. Try it
#
# When all tests pass, train for a few thousand iterations (a few seconds) and sample a
# handful of names. Uncomment and run:
#
# ```python
# np.random.seed(0)
# parameters, losses = model(NAMES, char_to_ix, num_iterations=6000)
# for _ in range(8):
#     print("".join(ix_to_char[i] for i in sample(parameters, char_to_ix)).strip())
# ```
#
# Early in training the samples are random letter soup. After a few passes over the
# corpus they acquire plausible syllables ("-ric", "-wen", "-an") and sensible
# lengths. With only ninety names the model also starts to memorise: some samples are
# exact copies of training names, the character-level version of overfitting.
