# %% [markdown]
# # Face Verification and Face Recognition with Embeddings
#
# Welcome! You are building the door system of a small office. Two problems hide behind "face
# recognition":
#
# - **Face verification** (1:1): "is this the person they claim to be?" A badge says *chen*;
#   the camera checks that the face matches Chen's.
# - **Face recognition** (1:K): "who is this?" Nobody swipes a badge; the system must find the
#   person among the K employees, or say that the face is unknown.
#
# Both rest on the same idea: a network `f` maps a face image to an **encoding** (an embedding
# vector) such that images of the same person are close and images of different people are far
# apart. Then comparing faces is just comparing vectors. Such networks (FaceNet, for example)
# are trained with the **triplet loss**, which you will implement first.
#
# **By the end of this assignment you will be able to:**
#
# - compute all pairwise squared distances between two sets of embeddings, vectorized;
# - implement the triplet loss;
# - mine the hardest positive and negative for every anchor of a batch;
# - verify an identity and recognize a face against a database of encodings.
#
# numpy only. Keep the function signatures: the grader calls them by name.
#
# ## Table of contents
# 1. Faces and a fixed encoder
# 2. Pairwise distances (Exercise 1 - `pairwise_sq_distances`)
# 3. The triplet loss (Exercise 2 - `triplet_loss`)
# 4. Choosing hard triplets (Exercise 3 - `hardest_triplets`)
# 5. Face verification (Exercise 4 - `verify`)
# 6. Face recognition (Exercise 5 - `who_is_it`)

# %%
import numpy as np

# %% [markdown]
# ## 1. Faces and a fixed encoder
#
# Real face encoders are deep CNNs trained on millions of faces. To keep this lab small and
# offline, our "faces" are 8x8 grayscale images: each person has a characteristic pattern, and
# every photo adds noise, a brightness shift and a contrast change. The encoder
# `img_to_encoding` is a tiny fixed network whose weights are drawn from a seeded generator:
#
# `x` = the 64 pixels, standardized to zero mean and unit variance (which removes brightness and
# contrast), `h = tanh(W1 x)`, `e = W2 h`, and the encoding is `e / ||e||`: a 16-dimensional
# vector of length 1.
#
# The encoder is given. It is good enough that photos of the same person land close together,
# which is all the rest of the lab needs.

# %%
EMPLOYEES = ["ana", "bertrand", "chen", "dara", "emeka", "farah"]


def _make_encoder(seed=2024, d_in=64, d_hidden=48, d_out=16):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((d_hidden, d_in)) / np.sqrt(d_in)
    W2 = rng.standard_normal((d_out, d_hidden)) / np.sqrt(d_hidden)
    return W1, W2


ENCODER_W1, ENCODER_W2 = _make_encoder()


def img_to_encoding(image):
    """Encode one 8x8 image into a unit-length vector of shape (16,)."""
    x = np.asarray(image, dtype=float).reshape(-1)
    x = (x - x.mean()) / (x.std() + 1e-8)
    e = ENCODER_W2 @ np.tanh(ENCODER_W1 @ x)
    return e / np.linalg.norm(e)


def _make_people(n_people=8, seed=0):
    rng = np.random.default_rng(seed)
    return [np.kron(rng.standard_normal((4, 4)), np.ones((2, 2))) for _ in range(n_people)]


PATTERNS = _make_people()  # the first 6 are employees, the last 2 are visitors


def take_photo(person, seed):
    """An 8x8 photo of person `person` (an index into PATTERNS)."""
    rng = np.random.default_rng(seed)
    face = PATTERNS[person] + 0.2 * rng.standard_normal((8, 8))
    return 0.5 + 0.2 * face * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1)


# The database stores one encoding per employee, computed from an enrolment photo.
database = {name: img_to_encoding(take_photo(k, seed=100 + k)) for k, name in enumerate(EMPLOYEES)}
print("database:", len(database), "employees, encodings of shape", database["ana"].shape)

# %% [markdown]
# ## 2. Pairwise distances
#
# Training and evaluating face models constantly needs the distances between every embedding of
# one set and every embedding of another. With `A` of shape `(m, d)` and `B` of shape `(n, d)`,
# the squared distances form an `(m, n)` matrix. Expanding the square avoids any loop:
#
# `||a_i - b_j||^2 = ||a_i||^2 - 2 a_i . b_j + ||b_j||^2`
#
# The middle term for all pairs at once is `A @ B.T`; the first is a column `(m, 1)` and the last
# a row `(1, n)`, and broadcasting adds them up.
#
# Rounding can make a distance that should be 0 come out as `-1e-16`; clip the result at 0
# with `np.maximum(..., 0)` so that a later `sqrt` never sees a negative number.
#
# ### Exercise 1 - pairwise_sq_distances
#
# **Expected:** `A = [[0, 0], [1, 1]]`, `B = [[1, 0], [0, 2], [1, 1]]` give
# `[[1, 4, 2], [1, 2, 0]]`.

# %%
def pairwise_sq_distances(A, B):
    """
    Squared Euclidean distances between the rows of A and the rows of B.

    Arguments:
    A -- array of shape (m, d)
    B -- array of shape (n, d)

    Returns:
    D -- array of shape (m, n), D[i, j] = ||A[i] - B[j]||^2, never negative
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    ### BEGIN SOLUTION
    sq_a = np.sum(A ** 2, axis=1, keepdims=True)
    sq_b = np.sum(B ** 2, axis=1, keepdims=True).T
    D = np.maximum(sq_a - 2 * A @ B.T + sq_b, 0.0)
    ### END SOLUTION
    return D


# %% [markdown]
# ## 3. The triplet loss
#
# A triplet is an **anchor** image A, a **positive** P (another image of the same person) and a
# **negative** N (an image of someone else). We want the anchor closer to the positive than to
# the negative, by at least a **margin** `alpha`:
#
# `||f(A) - f(P)||^2 + alpha <= ||f(A) - f(N)||^2`
#
# The loss penalizes violations of that inequality, summed over the `m` triplets of a batch:
#
# `J = sum_i max(||f(A_i) - f(P_i)||^2 - ||f(A_i) - f(N_i)||^2 + alpha, 0)`
#
# Without the margin, the network could satisfy the inequality trivially by mapping every image
# to the same vector (0 <= 0). The `max(., 0)` means triplets that already satisfy the margin
# contribute nothing.
#
# ### Exercise 2 - triplet_loss
#
# `anchor`, `positive` and `negative` have shape `(m, d)` (one encoding per row). Sum the squared
# differences over the **encoding axis** (axis 1), apply the hinge per triplet, then sum over
# the triplets. Return a Python float.
#
# **Expected:** with `anchor = [[0, 0], [0, 0]]`, `positive = [[1, 0], [0, 1]]`,
# `negative = [[2, 0], [0, 1]]` and `alpha = 0.2`: the first triplet gives
# `max(1 - 4 + 0.2, 0) = 0`, the second `max(1 - 1 + 0.2, 0) = 0.2`, so `J = 0.2`.

# %%
def triplet_loss(anchor, positive, negative, alpha=0.2):
    """
    Triplet loss summed over a batch.

    Arguments:
    anchor, positive, negative -- arrays of shape (m, d)
    alpha -- margin, float

    Returns:
    loss -- Python float
    """
    anchor = np.asarray(anchor, dtype=float)
    positive = np.asarray(positive, dtype=float)
    negative = np.asarray(negative, dtype=float)
    ### BEGIN SOLUTION
    pos_dist = np.sum((anchor - positive) ** 2, axis=1)
    neg_dist = np.sum((anchor - negative) ** 2, axis=1)
    loss = float(np.sum(np.maximum(pos_dist - neg_dist + alpha, 0.0)))
    ### END SOLUTION
    return loss


# %% [markdown]
# ## 4. Choosing hard triplets
#
# If triplets are chosen at random, most are easy (`d(A, N)` is already much larger than
# `d(A, P)`), their loss is 0, and the network learns nothing from them. Training works much
# better on **hard** triplets. A common recipe ("batch hard") picks, for every anchor `i` in a
# batch of embeddings with identity `labels`:
#
# - the **hardest positive**: the example `j != i` with the **same** label and the **largest**
#   distance to `i`;
# - the **hardest negative**: the example with a **different** label and the **smallest**
#   distance to `i`.
#
# ### Exercise 3 - hardest_triplets
#
# Use your `pairwise_sq_distances(embeddings, embeddings)`. Then mask the distance matrix:
# `same = labels[:, None] == labels[None, :]`. For positives, set the entries that are not
# valid (different label, or `j == i`) to `-inf` before `argmax`; for negatives, set the entries
# with the same label (the diagonal included) to `+inf` before `argmin`. Return two int arrays of
# shape `(m,)`: `(positive_index, negative_index)`. Every label appears at least twice and there
# are at least two labels.

# %%
def hardest_triplets(embeddings, labels):
    """
    Batch-hard mining.

    Arguments:
    embeddings -- array of shape (m, d)
    labels -- int array of shape (m,)

    Returns:
    pos_idx -- int array (m,), the farthest same-label example of each anchor (never itself)
    neg_idx -- int array (m,), the closest different-label example of each anchor
    """
    labels = np.asarray(labels)
    ### BEGIN SOLUTION
    D = pairwise_sq_distances(embeddings, embeddings)
    same = labels[:, None] == labels[None, :]
    not_self = ~np.eye(labels.shape[0], dtype=bool)
    pos_idx = np.argmax(np.where(same & not_self, D, -np.inf), axis=1)
    neg_idx = np.argmin(np.where(same, np.inf, D), axis=1)
    ### END SOLUTION
    return pos_idx, neg_idx


# %% [markdown]
# ## 5. Face verification
#
# The badge reader gives a claimed `identity`; the camera gives an `image`.
#
# 1. compute the encoding of `image` with `img_to_encoding`;
# 2. compute the **distance** (not squared: `np.linalg.norm`) to `database[identity]`;
# 3. the door opens if `dist < threshold`.
#
# ### Exercise 4 - verify
#
# Return `(dist, door_open)`: a Python float and a Python bool.
#
# Try it in a scratch cell once it passes: `verify(take_photo(2, seed=7), "chen", database, 0.8)`
# should open the door (distance about 0.37), while `verify(take_photo(3, seed=7), "chen",
# database, 0.8)`, Dara holding Chen's badge, should not (distance above 1).

# %%
def verify(image, identity, database, threshold=0.8):
    """
    Is `image` the person `identity`?

    Returns:
    dist -- Python float, distance between the image's encoding and the stored encoding
    door_open -- Python bool, True if dist < threshold
    """
    ### BEGIN SOLUTION
    encoding = img_to_encoding(image)
    dist = float(np.linalg.norm(encoding - np.asarray(database[identity], dtype=float)))
    door_open = bool(dist < threshold)
    ### END SOLUTION
    return dist, door_open


# %% [markdown]
# ## 6. Face recognition
#
# Without a badge, compare the image's encoding with **every** encoding in the database and keep
# the closest one. If even the closest is not within the threshold, the person is not an employee.
#
# ### Exercise 5 - who_is_it
#
# Return `(min_dist, identity)`: the smallest distance (a Python float) and the name of the
# closest employee, or the string `"unknown"` if `min_dist > threshold`. Loop over
# `database.items()`.
#
# In a scratch cell: `who_is_it(take_photo(4, seed=11), database, 0.8)` finds `"emeka"`, while a
# visitor, `who_is_it(take_photo(7, seed=11), database, 0.8)`, is `"unknown"`.

# %%
def who_is_it(image, database, threshold=0.8):
    """
    Closest identity in the database, or "unknown".

    Returns:
    min_dist -- Python float
    identity -- str, a key of database or "unknown"
    """
    ### BEGIN SOLUTION
    encoding = img_to_encoding(image)
    min_dist, identity = np.inf, None
    for name, stored in database.items():
        dist = float(np.linalg.norm(encoding - np.asarray(stored, dtype=float)))
        if dist < min_dist:
            min_dist, identity = dist, name
    if min_dist > threshold:
        identity = "unknown"
    ### END SOLUTION
    return float(min_dist), identity


# %% [markdown]
# ## Congratulations!
#
# - Face verification and recognition reduce to **distances between encodings**.
# - The **triplet loss** shapes those encodings during training: same person close, different
#   people at least a margin `alpha` farther.
# - **Hard triplets** make training efficient, and the same pairwise-distance matrix serves both
#   mining and evaluation.
# - Recognition is K verifications plus a threshold that lets the system say "I don't know",
#   which matters as much as getting employees right.
#
# In a real system the threshold is chosen on a dev set to trade false accepts (a stranger
# gets in) against false rejects (an employee is locked out), a satisficing and optimizing
# metric decision like those of Course 3.
