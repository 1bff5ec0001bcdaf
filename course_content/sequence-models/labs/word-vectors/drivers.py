"""Drivers for the word-vectors lab. The embedding builder is a copy of the notebook's
build_embeddings, so tests can use other seeds and sizes without trusting the
learner's copy."""

import numpy as np

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


def _pairs_from(text):
    return [tuple(p.split()) for p in text.split(";")]


def _g(m):
    return np.mean([m[f] - m[mm] for mm, f in GENDER_PAIRS], axis=0)


def analogy_outputs(ns, triads, seed=0, dim=30):
    """triads: "a b c; a b c; ..."; returns the answers separated by spaces."""
    m = build_embeddings(int(seed), int(dim))
    answers = [ns["complete_analogy"](*t.split(), m) for t in triads.split(";")]
    return " ".join(str(a) for a in answers)


def gender_direction_outputs(ns, pairs, seed=0, dim=30):
    """pairs: "male female; male female; ..." """
    m = build_embeddings(int(seed), int(dim))
    return np.asarray(ns["gender_direction"](_pairs_from(pairs), m))


def neutralize_outputs(ns, words, seed=0, dim=30, g_scale=1.0, random_g=False):
    m = build_embeddings(int(seed), int(dim))
    if random_g:
        g = np.random.default_rng(int(seed) + 100).standard_normal(int(dim)) * float(g_scale)
    else:
        g = _g(m) * float(g_scale)
    vecs = np.stack([ns["neutralize"](w, g, m) for w in words.split()])
    return {"vectors": vecs, "dot_with_g": vecs @ g}


def equalize_outputs(ns, pair, seed=0, dim=30):
    m = build_embeddings(int(seed), int(dim))
    e1, e2 = ns["equalize"](tuple(pair.split()), _g(m), m)
    return {"e1": np.asarray(e1), "e2": np.asarray(e2)}
