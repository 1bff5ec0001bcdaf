import numpy as np

from course_content.labkit import Mistake, Test

GENDER = [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("father", "mother"),
          ("son", "daughter"), ("brother", "sister"), ("husband", "wife"), ("actor", "actress"),
          ("he", "she"), ("uncle", "aunt"), ("prince", "princess"), ("grandfather", "grandmother")]
CAPITALS = [("france", "paris"), ("italy", "rome"), ("japan", "tokyo"), ("egypt", "cairo"),
            ("kenya", "nairobi"), ("peru", "lima"), ("canada", "ottawa"), ("norway", "oslo"),
            ("greece", "athens"), ("spain", "madrid")]
COMPARATIVES = [("small", "smaller"), ("big", "bigger"), ("tall", "taller"),
                ("fast", "faster"), ("old", "older"), ("cold", "colder")]
OCCUPATIONS = ["nurse", "receptionist", "homemaker", "librarian", "engineer", "programmer",
               "pilot", "warrior", "doctor", "teacher", "science", "fashion"]


# ---------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------


def _cos_inputs(rng):
    n = int(rng.integers(3, 60))
    return {"u": rng.standard_normal(n) * rng.uniform(0.1, 10), "v": rng.standard_normal(n)}


def _random_triads(rng, k=6):
    triads = []
    for group in (GENDER, CAPITALS, COMPARATIVES):
        for _ in range(k // 3):
            i, j = rng.choice(len(group), size=2, replace=False)
            (a, b), (c, _) = group[i], group[j]
            if rng.random() < 0.5:  # also the reverse direction: woman -> man
                a, b = b, a
                c = group[j][1]
            triads.append(f"{a} {b} {c}")
    return "; ".join(triads)


def _analogy_inputs(rng):
    return {"triads": _random_triads(rng), "seed": int(rng.integers(1, 1000)),
            "dim": int(rng.integers(25, 45))}


def _pairs_text(pairs):
    return "; ".join(f"{m} {f}" for m, f in pairs)


def _gd_inputs(rng):
    k = int(rng.integers(2, 8))
    idx = rng.choice(len(GENDER), size=k, replace=False)
    return {"pairs": _pairs_text([GENDER[i] for i in idx]), "seed": int(rng.integers(1, 1000)),
            "dim": int(rng.integers(20, 40))}


def _neutralize_inputs(rng, random_g=False):
    words = rng.choice(OCCUPATIONS, size=4, replace=False)
    return {"words": " ".join(words), "seed": int(rng.integers(1, 1000)),
            "dim": int(rng.integers(20, 40)), "g_scale": float(rng.uniform(0.5, 3.0)),
            "random_g": random_g}


def _equalize_inputs(rng):
    m, f = GENDER[int(rng.integers(0, len(GENDER)))]
    return {"pair": f"{m} {f}", "seed": int(rng.integers(1, 1000)), "dim": int(rng.integers(20, 40))}


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def _no_query_word(output, inputs):
    for answer, triad in zip(str(output).split(), inputs["triads"].split(";")):
        if answer in triad.split():
            return f"'{answer}' is one of the query words ({triad.strip()}): exclude them"
    return None


NEUTRAL = ["tree", "river", "table", "music", "bread", "cloud", "window", "garden", "nurse",
           "engineer", "doctor", "science", "fashion", "football"]


def _unrelated_inputs(rng):
    triads = ["; ".join(" ".join(rng.choice(NEUTRAL, size=3, replace=False)) for _ in range(5))]
    return {"triads": triads[0], "seed": int(rng.integers(1, 1000)), "dim": int(rng.integers(25, 45))}


def _in_range(output, inputs):
    if not -1.0 - 1e-9 <= float(output) <= 1.0 + 1e-9:
        return "a cosine similarity must lie in [-1, 1]"
    return None


def _orthogonal_to_g(output, inputs):
    if not np.allclose(np.asarray(output["dot_with_g"]), 0.0, atol=1e-10):
        return "after neutralize, the vectors must be orthogonal to g (dot product 0)"
    return None


def _symmetric(output, inputs):
    e1, e2 = np.asarray(output["e1"]), np.asarray(output["e2"])
    if not (np.isclose(np.linalg.norm(e1), 1.0) and np.isclose(np.linalg.norm(e2), 1.0)):
        return "equalized vectors of unit-norm words should have unit norm"
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = [
    # 1. cosine_similarity
    Test("cosine_similarity: small vectors", call="cosine_similarity",
         inputs={"u": np.array([1.0, 2.0, 2.0]), "v": np.array([2.0, 0.0, 1.0])}, public=True,
         check=_in_range, expected=0.596284794),
    Test("cosine_similarity: same direction, different length", call="cosine_similarity",
         inputs={"u": np.array([0.5, -1.0, 3.0, 2.0]), "v": np.array([1.5, -3.0, 9.0, 6.0])},
         public=True, expected=1.0),
    Test("cosine_similarity: random vectors", call="cosine_similarity", inputs=_cos_inputs,
         check=_in_range),
    Test("cosine_similarity: opposite vectors", call="cosine_similarity",
         inputs=lambda rng: (lambda u: {"u": u, "v": -2.5 * u})(rng.standard_normal(7))),
    # 2. complete_analogy
    Test("complete_analogy: three planted relations", call="analogy_outputs",
         inputs={"triads": "man woman king; france paris japan; small smaller big; "
                           "queen king actress"},
         public=True, check=_no_query_word, expected='queen tokyo bigger actor'),
    Test("complete_analogy: unrelated words still give an answer", call="analogy_outputs",
         inputs={"triads": "tree river garden; nurse doctor teacher; bread music cloud"},
         public=True, check=_no_query_word, expected='madrid prince science'),
    Test("complete_analogy: other embeddings", call="analogy_outputs", inputs=_analogy_inputs,
         check=_no_query_word),
    Test("complete_analogy: unrelated triads", call="analogy_outputs", inputs=_unrelated_inputs,
         check=_no_query_word),
    # 3. gender_direction
    Test("gender_direction: two pairs", call="gender_direction_outputs",
         inputs={"pairs": "man woman; king queen", "seed": 0, "dim": 6}, public=True,
         expected=np.array([0.1105006848, -0.1453450832, 0.4567160904, -0.0928478927, -0.2977596202, 0.126877276])),
    Test("gender_direction: random pairs", call="gender_direction_outputs", inputs=_gd_inputs),
    # 4. neutralize
    Test("neutralize: receptionist and engineer", call="neutralize_outputs",
         inputs={"words": "receptionist engineer", "seed": 0, "dim": 6}, public=True,
         check=_orthogonal_to_g, expected={
             'vectors': np.array([[-0.1250197697, 0.6887443267, -0.08907910894, 0.09141622269, 0.1646743501, 0.5840527468], [-0.1325239244, 0.3084584998, -0.2838721615, -0.5755613979, -0.4331463942, 0.1776472521]]),
             'dot_with_g': np.array([0.0, 0.0]),}),
    Test("neutralize: occupations, rescaled g", call="neutralize_outputs",
         inputs=_neutralize_inputs, check=_orthogonal_to_g),
    Test("neutralize: a random bias axis", call="neutralize_outputs",
         inputs=lambda rng: _neutralize_inputs(rng, random_g=True), check=_orthogonal_to_g),
    # 5. equalize
    Test("equalize: man and woman", call="equalize_outputs",
         inputs={"pair": "man woman", "seed": 0, "dim": 6}, public=True, check=_symmetric,
         expected={
             'e1': np.array([0.0802491623, 0.5714085418, -0.5835891835, 0.5475408865, 0.1152884518, -0.115687362]),
             'e2': np.array([0.2294967197, 0.4861053311, 0.05123576492, 0.6784836521, -0.4321916879, 0.2475440118]),}),
    Test("equalize: random pairs", call="equalize_outputs", inputs=_equalize_inputs,
         check=_symmetric),
]


# ---------------------------------------------------------------------------
# Known mistakes
# ---------------------------------------------------------------------------


def _cos(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def _cos_dot_only(u, v):
    return float(np.dot(u, v))


def _cos_one_norm(u, v):
    return float(np.dot(u, v) / np.linalg.norm(u))


def _cos_sum_norms(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) + np.linalg.norm(v)))


def _analogy_variant(kind):
    def impl(word_a, word_b, word_c, word_to_vec_map):
        a, b, c = word_a.lower(), word_b.lower(), word_c.lower()
        m = word_to_vec_map
        best, best_w = -100, None
        for w in m:
            if kind != "no_exclude" and w in (a, b, c):
                continue
            if kind == "reversed":
                sim = _cos(m[a] - m[b], m[w] - m[c])
            elif kind == "target_vs_word":
                sim = _cos(m[b] - m[a], m[w])
            else:
                sim = _cos(m[b] - m[a], m[w] - m[c]) if np.any(m[w] != m[c]) else 0.0
            if sim > best:
                best, best_w = sim, w
        return best_w
    return impl


def _gd_variant(kind):
    def impl(pairs, word_to_vec_map):
        m = word_to_vec_map
        if kind == "male_minus_female":
            return np.mean([m[a] - m[b] for a, b in pairs], axis=0)
        if kind == "sum":
            return np.sum([m[b] - m[a] for a, b in pairs], axis=0)
        if kind == "first_pair":
            a, b = pairs[0]
            return m[b] - m[a]
        raise ValueError(kind)
    return impl


def _neutralize_variant(kind):
    def impl(word, g, word_to_vec_map):
        e = word_to_vec_map[word]
        if kind == "norm_not_squared":
            proj = (np.dot(e, g) / np.linalg.norm(g)) * g
        elif kind == "no_division":
            proj = np.dot(e, g) * g
        elif kind == "added":
            return e + (np.dot(e, g) / np.sum(g * g)) * g
        else:
            raise ValueError(kind)
        return e - proj
    return impl


def _equalize_variant(kind):
    def impl(pair, bias_axis, word_to_vec_map):
        w1, w2 = pair
        e1, e2 = word_to_vec_map[w1], word_to_vec_map[w2]
        g = bias_axis
        g2 = np.sum(g * g)
        mu = (e1 + e2) / 2
        mu_B = (np.dot(mu, g) / g2) * g
        mu_orth = mu - mu_B
        e1B = (np.dot(e1, g) / g2) * g
        e2B = (np.dot(e2, g) / g2) * g
        scale = 1.0 if kind == "no_scale" else np.sqrt(np.abs(1 - np.sum(mu_orth ** 2)))
        c1 = scale * (e1B - mu_B) / np.linalg.norm(e1B - mu_B)
        c2 = scale * (e2B - mu_B) / np.linalg.norm(e2B - mu_B)
        if kind == "mu_not_orth":
            return c1 + mu, c2 + mu
        if kind == "not_normalised":
            return scale * (e1B - mu_B) + mu_orth, scale * (e2B - mu_B) + mu_orth
        return c1 + mu_orth, c2 + mu_orth
    return impl


MISTAKES = [
    Mistake(call="cosine_similarity", name="dot product only", impl=_cos_dot_only,
            hint="Divide the dot product by the product of the two norms: "
                 "np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))."),
    Mistake(call="cosine_similarity", name="divided by one norm", impl=_cos_one_norm,
            hint="Both lengths must be removed: divide by ||u|| * ||v||, not by ||u|| alone."),
    Mistake(call="cosine_similarity", name="divided by the sum of the norms", impl=_cos_sum_norms,
            hint="The denominator is the product ||u|| * ||v||, not the sum."),
    Mistake(call="complete_analogy", name="input words not excluded", impl=_analogy_variant("no_exclude"),
            hint="Skip word_a, word_b and word_c in the search; otherwise one of the query "
                 "words (often word_b) wins."),
    Mistake(call="complete_analogy", name="offset reversed", impl=_analogy_variant("reversed"),
            hint="Compare e_b - e_a (from a to b) with e_w - e_c (from c to the candidate); "
                 "e_a - e_b points the opposite way."),
    Mistake(call="complete_analogy", name="compared the offset with the word itself",
            impl=_analogy_variant("target_vs_word"),
            hint="The candidate's offset from c, e_w - e_c, is what should resemble e_b - e_a, "
                 "not the candidate vector e_w."),
    Mistake(call="gender_direction", name="male minus female", impl=_gd_variant("male_minus_female"),
            hint="Keep the convention e_female - e_male: with your sign, every projection on g "
                 "flips."),
    Mistake(call="gender_direction", name="sum instead of mean", impl=_gd_variant("sum"),
            hint="Average the differences (np.mean(..., axis=0)) rather than summing them."),
    Mistake(call="gender_direction", name="used only the first pair", impl=_gd_variant("first_pair"),
            hint="Average over all the pairs given, not just the first one."),
    Mistake(call="neutralize", name="norm not squared", impl=_neutralize_variant("norm_not_squared"),
            hint="The projection is (e . g) / ||g||**2 * g. Dividing by ||g|| once gives the "
                 "projection's length; the second division normalises the direction g."),
    Mistake(call="neutralize", name="no division by ||g||^2", impl=_neutralize_variant("no_division"),
            hint="(e . g) * g is only the projection when ||g|| = 1. Divide by np.sum(g * g)."),
    Mistake(call="neutralize", name="bias component added", impl=_neutralize_variant("added"),
            hint="Subtract the bias component: e_debiased = e - e_bias_component."),
    Mistake(call="equalize", name="forgot the sqrt(1 - ||mu_orth||^2) factor",
            impl=_equalize_variant("no_scale"),
            hint="Scale the corrected bias components by np.sqrt(np.abs(1 - ||mu_orth||^2)) "
                 "so the results have unit length."),
    Mistake(call="equalize", name="added mu instead of mu_orth", impl=_equalize_variant("mu_not_orth"),
            hint="The shared part added back is mu_orth = mu - mu_B, the component of the mean "
                 "orthogonal to the bias axis."),
    Mistake(call="equalize", name="bias components not normalised", impl=_equalize_variant("not_normalised"),
            hint="Divide (e_w1B - mu_B) by its norm before scaling, so that only its direction "
                 "is kept."),
]
