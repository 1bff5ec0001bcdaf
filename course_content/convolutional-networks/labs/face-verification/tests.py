import numpy as np

from course_content.labkit import Mistake, Test

# ---------- a copy of the lab's fixed encoder and photo generator (must match lab.py) ----------

_rng = np.random.default_rng(2024)
_W1 = _rng.standard_normal((48, 64)) / np.sqrt(64)
_W2 = _rng.standard_normal((16, 48)) / np.sqrt(48)
_prng = np.random.default_rng(0)
_PATTERNS = [np.kron(_prng.standard_normal((4, 4)), np.ones((2, 2))) for _ in range(8)]
EMPLOYEES = ["ana", "bertrand", "chen", "dara", "emeka", "farah"]


def _encode(image):
    x = np.asarray(image, dtype=float).reshape(-1)
    x = (x - x.mean()) / (x.std() + 1e-8)
    e = _W2 @ np.tanh(_W1 @ x)
    return e / np.linalg.norm(e)


def _photo(person, seed):
    rng = np.random.default_rng(seed)
    face = _PATTERNS[person] + 0.2 * rng.standard_normal((8, 8))
    return 0.5 + 0.2 * face * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1)


DATABASE = {name: _encode(_photo(k, seed=100 + k)) for k, name in enumerate(EMPLOYEES)}


# ---------- random inputs ----------

def random_pairs(rng):
    m, n, d = int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(2, 9))
    A = rng.standard_normal((m, d))
    B = rng.standard_normal((n, d))
    B[0] = A[0]  # one exact zero distance
    return {"A": A, "B": B}


def random_triplets(rng):
    m, d = int(rng.integers(4, 10)), int(rng.integers(3, 9))
    a = rng.standard_normal((m, d))
    return {"anchor": a, "positive": a + 0.5 * rng.standard_normal((m, d)),
            "negative": a + 0.8 * rng.standard_normal((m, d)), "alpha": 0.3}


def random_batch(rng):
    n_ids, per = int(rng.integers(3, 5)), int(rng.integers(2, 4))
    centers = 1.5 * rng.standard_normal((n_ids, 4))
    labels = np.repeat(np.arange(n_ids), per)
    emb = centers[labels] + rng.standard_normal((labels.size, 4))
    perm = rng.permutation(labels.size)
    return {"embeddings": emb[perm], "labels": labels[perm]}


def random_verify(rng):
    person = int(rng.integers(0, 6))
    claimed = person if rng.random() < 0.5 else int((person + rng.integers(1, 6)) % 6)
    return {"image": _photo(person, seed=int(rng.integers(1000, 10_000))), "identity": EMPLOYEES[claimed],
            "database": DATABASE, "threshold": 0.8}


def random_who(rng):
    person = int(rng.integers(0, 8))  # 6 and 7 are visitors
    return {"image": _photo(person, seed=int(rng.integers(1000, 10_000))), "database": DATABASE, "threshold": 0.8}


SMALL_EMB = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
SMALL_LABELS = np.array([0, 1, 0, 1, 0])

TESTS = [
    # Exercise 1
    Test("distances between two small sets", call="pairwise_sq_distances",
         inputs={"A": np.array([[0.0, 0.0], [1.0, 1.0]]), "B": np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])},
         expected=np.array([[1.0, 4.0, 2.0], [1.0, 2.0, 0.0]]), public=True),
    Test("distances, random sets", call="pairwise_sq_distances", inputs=random_pairs),
    # Exercise 2
    Test("triplet loss of two triplets", call="triplet_loss",
         inputs={"anchor": np.array([[0.0, 0.0], [0.0, 0.0]]), "positive": np.array([[1.0, 0.0], [0.0, 1.0]]),
                 "negative": np.array([[2.0, 0.0], [0.0, 1.0]]), "alpha": 0.2},
         expected=0.2, public=True),
    Test("triplet loss with every triplet violating the margin", call="triplet_loss",
         inputs={"anchor": np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]),
                 "positive": np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
                 "negative": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.5]]), "alpha": 0.5},
         expected=(4 - 1 + 0.5) + (1 - 1 + 0.5) + (1 - 0.25 + 0.5), public=True),
    Test("triplet loss, random batch", call="triplet_loss", inputs=random_triplets),
    # Exercise 3
    Test("hardest triplets of five points", call="hardest_triplets",
         inputs={"embeddings": SMALL_EMB, "labels": SMALL_LABELS},
         expected=(np.array([4, 3, 4, 1, 0]), np.array([3, 0, 3, 0, 3])), public=True),
    Test("hardest triplets, random batch", call="hardest_triplets", inputs=random_batch),
    Test("hardest triplets, another random batch", call="hardest_triplets", inputs=random_batch, seed=1),
    # Exercise 4
    Test("Chen at the door with Chen's badge", call="verify",
         inputs={"image": _photo(2, seed=7), "identity": "chen", "database": DATABASE, "threshold": 0.8},
         expected=(0.3705430428211307, True), public=True),
    Test("Dara with Chen's badge", call="verify",
         inputs={"image": _photo(3, seed=7), "identity": "chen", "database": DATABASE, "threshold": 0.8},
         expected=(1.675611146712424, False), public=True),
    Test("verify, random photo and claim", call="verify", inputs=random_verify),
    Test("verify, another random photo and claim", call="verify", inputs=random_verify, seed=4),
    # Exercise 5
    Test("recognize Emeka", call="who_is_it",
         inputs={"image": _photo(4, seed=11), "database": DATABASE, "threshold": 0.8},
         expected=(0.2174220985627897, "emeka"), public=True),
    Test("a visitor is unknown", call="who_is_it",
         inputs={"image": _photo(7, seed=11), "database": DATABASE, "threshold": 0.8},
         expected=(1.0144730058921585, "unknown"), public=True),
    Test("who is it, random photo", call="who_is_it", inputs=random_who),
    Test("who is it, another random photo", call="who_is_it", inputs=random_who, seed=2),
]


# ---------- known mistakes ----------

def _pd(A, B, factor=2.0, root=False):
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    D = np.maximum(np.sum(A ** 2, 1)[:, None] - factor * A @ B.T + np.sum(B ** 2, 1)[None, :], 0.0)
    return np.sqrt(D) if root else D


def _tl(anchor, positive, negative, alpha=0.2, mode="ok"):
    a, p, n = (np.asarray(v, dtype=float) for v in (anchor, positive, negative))
    if mode == "not_squared":
        pos, neg = np.linalg.norm(a - p, axis=1), np.linalg.norm(a - n, axis=1)
    else:
        pos, neg = np.sum((a - p) ** 2, axis=1), np.sum((a - n) ** 2, axis=1)
    if mode == "no_hinge":
        return float(np.sum(pos - neg + alpha))
    if mode == "mean":
        return float(np.mean(np.maximum(pos - neg + alpha, 0.0)))
    if mode == "minus_alpha":
        return float(np.sum(np.maximum(pos - neg - alpha, 0.0)))
    if mode == "hinge_after_sum":
        return float(max(np.sum(pos - neg + alpha), 0.0))
    return float(np.sum(np.maximum(pos - neg + alpha, 0.0)))


def _ht(embeddings, labels, mode="ok"):
    labels = np.asarray(labels)
    D = _pd(embeddings, embeddings)
    same = labels[:, None] == labels[None, :]
    not_self = ~np.eye(labels.shape[0], dtype=bool)
    if mode == "closest_positive":
        pos = np.argmin(np.where(same & not_self, D, np.inf), axis=1)
    else:
        pos = np.argmax(np.where(same & not_self, D, -np.inf), axis=1)
    if mode == "negative_unmasked":
        neg = np.argmin(np.where(not_self, D, np.inf), axis=1)
    elif mode == "farthest_negative":
        neg = np.argmax(np.where(same, -np.inf, D), axis=1)
    else:
        neg = np.argmin(np.where(same, np.inf, D), axis=1)
    return pos, neg


def _verify(image, identity, database, threshold=0.8, mode="ok"):
    dist = float(np.linalg.norm(_encode(image) - np.asarray(database[identity], dtype=float)))
    if mode == "squared":
        dist = dist ** 2
    return dist, bool(dist > threshold) if mode == "inverted" else bool(dist < threshold)


def _who(image, database, threshold=0.8, mode="ok"):
    enc = _encode(image)
    dists = {name: float(np.linalg.norm(enc - np.asarray(v, dtype=float))) for name, v in database.items()}
    pick = max if mode == "farthest" else min
    name = pick(dists, key=dists.get)
    if mode != "no_unknown" and dists[name] > threshold:
        name = "unknown"
    return dists[name] if name in dists else min(dists.values()), name


MISTAKES = [
    Mistake(call="pairwise_sq_distances", name="forgot the factor 2", impl=lambda A, B: _pd(A, B, factor=1.0),
            hint="||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2: the cross term is multiplied by 2."),
    Mistake(call="pairwise_sq_distances", name="returned distances, not squared distances",
            impl=lambda A, B: _pd(A, B, root=True),
            hint="This function returns *squared* distances; do not take the square root."),
    Mistake(call="triplet_loss", name="no hinge", impl=lambda anchor, positive, negative, alpha=0.2:
            _tl(anchor, positive, negative, alpha, "no_hinge"),
            hint="Apply max(..., 0) to each triplet: triplets that already satisfy the margin must contribute 0, "
                 "not a negative amount that cancels other triplets' losses."),
    Mistake(call="triplet_loss", name="hinge applied after summing", impl=lambda anchor, positive, negative, alpha=0.2:
            _tl(anchor, positive, negative, alpha, "hinge_after_sum"),
            hint="Take max(d_pos - d_neg + alpha, 0) for each triplet separately, then sum over the batch."),
    Mistake(call="triplet_loss", name="mean instead of sum", impl=lambda anchor, positive, negative, alpha=0.2:
            _tl(anchor, positive, negative, alpha, "mean"),
            hint="The loss is the sum over the m triplets, not their mean."),
    Mistake(call="triplet_loss", name="distances not squared", impl=lambda anchor, positive, negative, alpha=0.2:
            _tl(anchor, positive, negative, alpha, "not_squared"),
            hint="The triplet loss compares *squared* distances: np.sum((anchor - positive) ** 2, axis=1)."),
    Mistake(call="triplet_loss", name="margin subtracted", impl=lambda anchor, positive, negative, alpha=0.2:
            _tl(anchor, positive, negative, alpha, "minus_alpha"),
            hint="The margin is added: d(A, P) - d(A, N) + alpha. The loss is zero only when the negative is at "
                 "least alpha farther than the positive."),
    Mistake(call="hardest_triplets", name="negatives not masked by label", impl=lambda embeddings, labels:
            _ht(embeddings, labels, "negative_unmasked"),
            hint="The hardest negative must have a *different* label: set every same-label entry (diagonal included) "
                 "to +inf before argmin, otherwise you pick the anchor's nearest positive."),
    Mistake(call="hardest_triplets", name="farthest negative", impl=lambda embeddings, labels:
            _ht(embeddings, labels, "farthest_negative"),
            hint="The hardest negative is the *closest* example of another identity (argmin), the one the network "
                 "most easily confuses with the anchor."),
    Mistake(call="hardest_triplets", name="closest positive", impl=lambda embeddings, labels:
            _ht(embeddings, labels, "closest_positive"),
            hint="The hardest positive is the *farthest* example of the same identity (argmax over valid entries)."),
    Mistake(call="verify", name="squared distance", impl=lambda image, identity, database, threshold=0.8:
            _verify(image, identity, database, threshold, "squared"),
            hint="Compare the Euclidean distance np.linalg.norm(encoding - database[identity]) with the threshold, "
                 "not its square."),
    Mistake(call="verify", name="door opens for distant faces", impl=lambda image, identity, database, threshold=0.8:
            _verify(image, identity, database, threshold, "inverted"),
            hint="Small distance means same person: the door opens when dist < threshold."),
    Mistake(call="who_is_it", name="never says unknown", impl=lambda image, database, threshold=0.8:
            _who(image, database, threshold, "no_unknown"),
            hint="If even the closest encoding is farther than the threshold, return 'unknown': the person is not "
                 "in the database."),
    Mistake(call="who_is_it", name="picked the farthest identity", impl=lambda image, database, threshold=0.8:
            _who(image, database, threshold, "farthest"),
            hint="Keep the identity with the *smallest* distance: update when dist < min_dist, starting from "
                 "min_dist = infinity."),
]
