# %% [markdown]
# # Operations on Word Vectors
#
# Word embeddings place words in a vector space where directions carry meaning. In this
# lab you measure similarity between word vectors, solve analogies such as
# *man is to woman as king is to ?*, and then remove an unwanted direction, gender,
# from words whose meaning should not depend on it.
#
# Real embeddings (word2vec, GloVe) are learned from billions of words. To keep the lab
# offline and small, `build_embeddings` constructs a 30-dimensional vocabulary of about
# 80 words with **planted structure**: a gender direction shared by pairs such as
# *man/woman* and *king/queen*, a "capital of" offset shared by country/capital pairs, a
# comparative offset (*small/smaller*), and a deliberate gender bias on some occupation
# words, mimicking what embeddings learned from real text are known to contain.
#
# **What you will write**
#
# 1. `cosine_similarity(u, v)`
# 2. `complete_analogy(word_a, word_b, word_c, word_to_vec_map)`
# 3. `gender_direction(pairs, word_to_vec_map)`
# 4. `neutralize(word, g, word_to_vec_map)`
# 5. `equalize(pair, bias_axis, word_to_vec_map)`

# %%
import numpy as np

# %% [markdown]
# ## 0. The embeddings
#
# `build_embeddings(seed)` returns `word_to_vec_map`, a dict from each word to a unit
# vector of shape `(30,)`. You do not need to read it to do the exercises (in a real
# project the vectors would come from a trained model), but it shows exactly what
# structure your functions should discover.

# %%
GENDER_PAIRS = [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("father", "mother"),
                ("son", "daughter"), ("brother", "sister"), ("husband", "wife"),
                ("actor", "actress"), ("he", "she"), ("uncle", "aunt"),
                ("prince", "princess"), ("grandfather", "grandmother")]
CAPITALS = [("france", "paris"), ("italy", "rome"), ("japan", "tokyo"), ("egypt", "cairo"),
            ("kenya", "nairobi"), ("peru", "lima"), ("canada", "ottawa"), ("norway", "oslo"),
            ("greece", "athens"), ("spain", "madrid")]
COMPARATIVES = [("small", "smaller"), ("big", "bigger"), ("tall", "taller"),
                ("fast", "faster"), ("old", "older"), ("cold", "colder")]
# planted gender bias: positive leans towards "woman", negative towards "man"
BIASED = {"nurse": 0.35, "receptionist": 0.3, "homemaker": 0.4, "librarian": 0.2,
          "fashion": 0.3, "lipstick": 0.45, "singer": 0.1, "teacher": 0.15, "arts": 0.15,
          "literature": 0.1, "engineer": -0.3, "programmer": -0.25, "pilot": -0.25,
          "warrior": -0.35, "science": -0.15, "technology": -0.2, "doctor": -0.1,
          "football": -0.3, "guns": -0.3, "computer": -0.15}
NEUTRAL = ["tree", "river", "table", "music", "bread", "cloud", "window", "garden"]


def build_embeddings(seed=0, dim=30):
    rng = np.random.default_rng(seed)

    def rand():
        return rng.standard_normal(dim) / np.sqrt(dim)

    def unit(v):
        return v / np.linalg.norm(v)

    g_dir = unit(rand())
    capital = rand()
    capital = 0.8 * unit(capital - (capital @ g_dir) * g_dir)
    comparative = rand()
    comparative -= (comparative @ g_dir) * g_dir
    comparative = 0.7 * unit(comparative - (comparative @ capital) / (capital @ capital) * capital)

    vecs = {}
    for male, female in GENDER_PAIRS:
        base = rand()
        vecs[male] = base - 0.35 * g_dir + 0.05 * rand()
        vecs[female] = base + 0.35 * g_dir + 0.05 * rand()
    for country, city in CAPITALS:
        base = rand()
        vecs[country] = base + 0.05 * rand()
        vecs[city] = base + capital + 0.05 * rand()
    for plain, comp in COMPARATIVES:
        base = rand()
        vecs[plain] = base + 0.05 * rand()
        vecs[comp] = base + comparative + 0.05 * rand()
    for word, bias in BIASED.items():
        base = rand()
        vecs[word] = base - (base @ g_dir) * g_dir + bias * g_dir
    for word in NEUTRAL:
        base = rand()
        vecs[word] = base - (base @ g_dir) * g_dir   # no gender component at all
    return {w: unit(v) for w, v in vecs.items()}


word_to_vec_map = build_embeddings()
print(len(word_to_vec_map), "words of dimension", word_to_vec_map["king"].shape)

# %% [markdown]
# ## 1. Cosine similarity
#
# The similarity of two word vectors is measured by the cosine of the angle between
# them:
#
# ```
# cosine_similarity(u, v) = (u . v) / (||u||_2 * ||v||_2)
# ```
#
# It is 1 for vectors pointing the same way, 0 for orthogonal vectors and -1 for opposite
# ones, and it ignores length, which for word vectors mostly reflects word frequency.
#
# **Exercise 1: `cosine_similarity`.** Use `np.dot` and `np.linalg.norm`. Return a Python
# float. (If either vector is all zeros, return `0.0` to avoid dividing by zero.)

# %%
def cosine_similarity(u, v):
    """Cosine of the angle between the 1-D arrays u and v."""
    ### BEGIN SOLUTION
    norm_u = np.linalg.norm(u)
    norm_v = np.linalg.norm(v)
    if norm_u == 0 or norm_v == 0:
        return 0.0
    cosine = float(np.dot(u, v) / (norm_u * norm_v))
    ### END SOLUTION
    return cosine


# %% [markdown]
# ## 2. Word analogies
#
# In a good embedding, *a is to b as c is to d* means the offset from `a` to `b` is close
# to the offset from `c` to `d`: `e_b - e_a ≈ e_d - e_c`. To complete the analogy, search
# for the word `w` whose offset from `c` is most similar to the offset from `a` to `b`:
#
# ```
# best = argmax over w of cosine_similarity(e_b - e_a, e_w - e_c)
# ```
#
# **Exercise 2: `complete_analogy`.**
#
# 1. Lowercase the three input words and look up their vectors.
# 2. Loop over the words of `word_to_vec_map` in order, **skipping the three input
#    words** (otherwise `c` itself often wins: `e_c - e_c` is the zero vector, and nearby
#    words of `c` compete unfairly).
# 3. Keep the word with the largest similarity (use a strict `>` and start from
#    `max_cosine_sim = -100`, `best_word = None`).

# %%
def complete_analogy(word_a, word_b, word_c, word_to_vec_map):
    """Return the word d such that a is to b as c is to d."""
    word_a, word_b, word_c = word_a.lower(), word_b.lower(), word_c.lower()
    ### BEGIN SOLUTION
    e_a, e_b, e_c = word_to_vec_map[word_a], word_to_vec_map[word_b], word_to_vec_map[word_c]
    max_cosine_sim = -100
    best_word = None
    for w in word_to_vec_map:
        if w in (word_a, word_b, word_c):
            continue
        sim = cosine_similarity(e_b - e_a, word_to_vec_map[w] - e_c)
        if sim > max_cosine_sim:
            max_cosine_sim = sim
            best_word = w
    ### END SOLUTION
    return best_word


# %% [markdown]
# Try a few once it works, for example
# `complete_analogy("man", "woman", "king", word_to_vec_map)`,
# `complete_analogy("france", "paris", "japan", word_to_vec_map)` and
# `complete_analogy("small", "smaller", "big", word_to_vec_map)`.
#
# ## 3. The bias direction
#
# Analogies work because relations are directions. The same property exposes something
# unwanted: if `e_nurse` has a large component along the woman-minus-man direction, the
# embedding has absorbed a stereotype from its training text, and systems built on it
# will reproduce it.
#
# A single difference such as `e_woman - e_man` mixes the gender direction with noise
# specific to those two words. Averaging the differences of several definitional pairs
# gives a cleaner estimate:
#
# ```
# g = (1/n) * sum over pairs (male_i, female_i) of (e_female_i - e_male_i)
# ```
#
# **Exercise 3: `gender_direction`.** `pairs` is a list of `(male, female)` tuples; return
# `g` with shape `(dim,)`. Keep the sign convention *female minus male*.

# %%
def gender_direction(pairs, word_to_vec_map):
    """Average of e_female - e_male over the given (male, female) pairs."""
    ### BEGIN SOLUTION
    diffs = [word_to_vec_map[f] - word_to_vec_map[m] for m, f in pairs]
    g = np.mean(diffs, axis=0)
    ### END SOLUTION
    return g


# %% [markdown]
# With `g = gender_direction(GENDER_PAIRS, word_to_vec_map)`, compare
# `cosine_similarity(word_to_vec_map[w], g)` for `w` in `["nurse", "engineer", "tree"]`:
# the first is clearly positive (about 0.27), the second negative (about -0.31) and the
# third, a word with no gender content, almost exactly 0.
#
# ## 4. Neutralize
#
# For a word that should be gender-neutral (an occupation), remove its component along
# the bias direction. The projection of `e` onto `g` is
#
# ```
# e_bias_component = (e . g) / ||g||_2^2 * g
# e_debiased       = e - e_bias_component
# ```
#
# Note the **squared** norm: `(e . g) / ||g||` is the *length* of the projection, and
# one more division by `||g||` turns `g` into the unit vector it must point along.
#
# **Exercise 4: `neutralize`.** Return `e_debiased`, shape `(dim,)`. Afterwards,
# `cosine_similarity(e_debiased, g)` is zero up to rounding.

# %%
def neutralize(word, g, word_to_vec_map):
    """Remove the component of word's vector along the bias direction g."""
    e = word_to_vec_map[word]
    ### BEGIN SOLUTION
    e_bias_component = (np.dot(e, g) / np.sum(g * g)) * g
    e_debiased = e - e_bias_component
    ### END SOLUTION
    return e_debiased


# %% [markdown]
# ## 5. Equalize
#
# Neutralizing is not enough for pairs that *should* differ only by gender, such as
# *actor/actress*. After neutralizing *babysitter*, for instance, it might still be closer
# to *grandmother* than to *grandfather* through components other than `g`. Equalization
# makes the two words of a pair exactly symmetric around the neutral subspace, so every
# neutral word is equidistant from both (Bolukbasi et al., 2016). For unit vectors
# `e_w1`, `e_w2` and the bias axis `g`:
#
# ```
# mu        = (e_w1 + e_w2) / 2
# mu_B      = (mu . g) / ||g||^2 * g            projection of mu on g
# mu_orth   = mu - mu_B                         the shared, gender-free part
# e_w1B     = (e_w1 . g) / ||g||^2 * g          projections of each word on g
# e_w2B     = (e_w2 . g) / ||g||^2 * g
# corrected_e_w1B = sqrt(|1 - ||mu_orth||^2|) * (e_w1B - mu_B) / ||e_w1B - mu_B||
# corrected_e_w2B = sqrt(|1 - ||mu_orth||^2|) * (e_w2B - mu_B) / ||e_w2B - mu_B||
# e1 = corrected_e_w1B + mu_orth
# e2 = corrected_e_w2B + mu_orth
# ```
#
# Both results share the component `mu_orth`, have opposite components along `g`, and
# have unit length (the `sqrt(1 - ||mu_orth||^2)` factor makes sure of that).
#
# **Exercise 5: `equalize`.** `pair` is a tuple of two words; return `(e1, e2)`.

# %%
def equalize(pair, bias_axis, word_to_vec_map):
    """Equalize the two words of pair around the subspace orthogonal to bias_axis."""
    w1, w2 = pair
    e_w1, e_w2 = word_to_vec_map[w1], word_to_vec_map[w2]
    g = bias_axis
    ### BEGIN SOLUTION
    g2 = np.sum(g * g)
    mu = (e_w1 + e_w2) / 2
    mu_B = (np.dot(mu, g) / g2) * g
    mu_orth = mu - mu_B
    e_w1B = (np.dot(e_w1, g) / g2) * g
    e_w2B = (np.dot(e_w2, g) / g2) * g
    scale = np.sqrt(np.abs(1 - np.sum(mu_orth ** 2)))
    corrected_e_w1B = scale * (e_w1B - mu_B) / np.linalg.norm(e_w1B - mu_B)
    corrected_e_w2B = scale * (e_w2B - mu_B) / np.linalg.norm(e_w2B - mu_B)
    e1 = corrected_e_w1B + mu_orth
    e2 = corrected_e_w2B + mu_orth
    ### END SOLUTION
    return e1, e2


# %% [markdown]
# ## Summary
#
# - Cosine similarity compares directions and is the standard measure between word
#   vectors.
# - Relations are (approximately) shared offsets, so analogies reduce to a nearest-offset
#   search, excluding the query words.
# - The same geometry reveals learned biases; projecting out a bias direction
#   (neutralize) and symmetrising definitional pairs (equalize) reduce them. They do not
#   remove every trace: bias also hides in which words cluster together, which is why
#   debiasing is a research area rather than a solved step.
