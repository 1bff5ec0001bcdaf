"""Baselines on hand-built sequences: syllabus order (file or derived), Markov
transitions, the IRT/PFA and activity logistic regressions."""

import json

import numpy as np
import pytest

from recommender.baselines import (
    ActivityLogRegBaseline,
    IRTBaseline,
    MarkovBaseline,
    PopularityBaseline,
    SyllabusBaseline,
    activity_features,
    current_activity,
    derive_syllabus,
    pfa_features,
    read_syllabus,
)
from recommender.data import Vocabularies, build_sequences
from recommender.event_frame import load_events
from recommender.metrics import roc_auc
from tests.recommender.conftest import events_frame, quiz


def _seqs(paths: dict[int, list[str | None]], vocabs=None):
    rows = []
    for learner, acts in paths.items():
        for i, a in enumerate(acts):
            rows.append((learner, i, "navigation.page_viewed" if a is None else "video.played", a, {}))
    ev = load_events(events_frame(rows))
    vocabs = vocabs or Vocabularies.build(ev)
    return build_sequences(ev, vocabs), vocabs


def _rank_order(scores_row: np.ndarray, vocabs) -> list[str]:
    ids = [i for i in np.argsort(-scores_row, kind="stable") if i > 2]
    return [vocabs.activities.itos[i] for i in ids]


def test_current_activity_skips_events_without_activity():
    seqs, v = _seqs({1: [None, "a", None, "b"]})
    a = v.activities.stoi
    assert current_activity(seqs[0]).tolist() == [0, a["a"], a["a"], a["b"]]


def test_read_syllabus_from_json_and_csv(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(["a", "b", "a", "c"]))
    assert read_syllabus(tmp_path / "s.json") == ["a", "b", "c"]
    (tmp_path / "o.json").write_text(json.dumps({"activities": [{"slug": "x"}, {"slug": "y"}]}))
    assert read_syllabus(tmp_path / "o.json") == ["x", "y"]
    (tmp_path / "s.csv").write_text("position,activity\n2,b\n1,a\n3,c\n")
    assert read_syllabus(tmp_path / "s.csv") == ["a", "b", "c"]
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError):
        read_syllabus(tmp_path / "bad.json")


def test_derived_syllabus_is_the_median_first_occurrence_order():
    seqs, v = _seqs({1: ["a", "b", "c", "d"], 2: ["a", "c", "b", "d"], 3: ["b", "a", "c", "d"]})
    # median first-occurrence ranks: a 0, b 1, c 2, d 3
    assert derive_syllabus(seqs, v) == ["a", "b", "c", "d"]


def test_syllabus_recommends_the_next_undone_activities_in_order():
    train, v = _seqs({1: ["a", "b", "c", "d", "e"]})
    base = SyllabusBaseline(v, ["a", "b", "c", "d", "e"]).fit(train)
    test, _ = _seqs({9: ["a", "c", "b"]}, v)
    scores = base.score(test)[0].next
    assert _rank_order(scores[0], v) == ["b", "c", "d", "e", "a"]  # after a; a is done
    assert _rank_order(scores[1], v) == ["d", "e", "b", "a", "c"]  # after c, skipping done a/c; b was skipped
    assert _rank_order(scores[2], v) == ["d", "e", "c", "a", "b"]  # after b: c is done, so d first
    derived = SyllabusBaseline(v).fit(train)
    assert derived.order == ["a", "b", "c", "d", "e"]


def test_markov_counts_transitions_between_distinct_activities_and_falls_back_to_popularity():
    train, v = _seqs({1: ["a", "a", None, "b", "c"], 2: ["a", "b", "b", "c"], 3: ["a", "c", "d"]})
    m = MarkovBaseline(len(v.activities)).fit(train)
    a = v.activities.stoi
    assert m.counts[a["a"], a["b"]] == 2 and m.counts[a["a"], a["c"]] == 1 and m.counts[a["a"], a["a"]] == 0
    test, _ = _seqs({9: [None, "a", "d"]}, v)
    s = m.score(test)[0].next
    assert _rank_order(s[1], v)[:2] == ["b", "c"]  # after a: b twice, c once
    assert _rank_order(s[0], v)[:2] == ["a", "c"]  # nothing yet: popularity (a 3 runs, c 3 runs)
    assert _rank_order(s[2], v)[0] == "a"  # d has no outgoing transitions: popularity
    pop = PopularityBaseline(len(v.activities)).fit(train)
    assert pop.probabilities()[:3].sum() == 0 and pop.probabilities().sum() == pytest.approx(1.0)


def _quiz_rows(learner, start, results):
    rows = []
    for i, (q, ok) in enumerate(results):
        rows.append((learner, start + i, "quiz.graded", "quiz", quiz(float(ok), (q, ok))))
    return rows


def test_pfa_features_count_prior_successes_and_failures_before_each_graded_event():
    ev = load_events(
        events_frame(
            [
                (1, 0, "quiz.graded", "quiz", quiz(0.5, ("x", True), ("y", False))),
                (1, 1, "quiz.graded", "quiz", quiz(1.0, ("x", True))),
                (1, 2, "quiz.graded", "quiz", quiz(0.0, ("x", False))),
            ]
        )
    )
    seq = build_sequences(ev, Vocabularies.build(ev))[0]
    f = np.expm1(pfa_features(seq)).round().astype(int)
    # columns: successes, failures, on the same question, in the same activity (one quiz here)
    assert f.tolist() == [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1], [2, 1, 2, 0, 2, 1]]


def test_irt_learns_question_difficulty_and_learner_history():
    rng = np.random.default_rng(0)
    rows = []
    for learner in range(60):
        good = learner % 2 == 0
        results = []
        for i in range(12):
            q = "easy" if i % 2 == 0 else "hard"
            p = (0.9 if q == "easy" else 0.4) + (0.08 if good else -0.3)
            results.append((q, bool(rng.random() < p)))
        rows += _quiz_rows(learner, 0, results)
    ev = load_events(events_frame(rows))
    v = Vocabularies.build(ev)
    seqs = build_sequences(ev, v)
    irt = IRTBaseline(len(v.questions)).fit(seqs)
    scores = irt.score(seqs)
    y = np.concatenate([s.kt_correct for s in seqs])
    p = np.concatenate([s.kt for s in scores])
    assert roc_auc(y, p) > 0.7
    b = irt.model.cat.weight.detach().numpy().ravel()
    assert b[v.questions.stoi["quiz/easy"]] > b[v.questions.stoi["quiz/hard"]]


def test_activity_features_and_logreg():
    day = 24 * 60
    ev = load_events(
        events_frame(
            [
                (1, 0, "video.played", "a", {}),
                (1, 60, "video.played", "a", {}),
                (1, 3 * day, "video.played", "b", {}),
                (1, 10 * day, "video.played", "c", {}),
            ]
        )
    )
    seq = build_sequences(ev, Vocabularies.build(ev))[0]
    f = np.expm1(activity_features(seq))  # at the daily prediction points, days 1..10
    assert f.shape == (10, 5)
    # events in the last 1, 7 and 14 days up to the point, days since the first, days away
    assert f[0].tolist() == pytest.approx([1, 2, 2, 1, 23 / 24])
    assert f[2].tolist() == pytest.approx([1, 3, 3, 3, 0])
    assert f[9].tolist() == pytest.approx([1, 1, 4, 10, 0])
    model = ActivityLogRegBaseline().fit([seq])
    assert model.score([seq])[0].risk.shape == (10,)


def test_baselines_score_the_synthetic_clickstream(clickstream):
    ev = load_events(clickstream)
    v = Vocabularies.build(ev)
    seqs = build_sequences(ev, v)
    train, test = seqs[:80], seqs[80:]
    y = np.concatenate([s.risk_label for s in test])
    risk = np.concatenate([s.risk for s in ActivityLogRegBaseline().fit(train).score(test)])
    assert roc_auc(y[y >= 0], risk[y >= 0]) > 0.5
    kt_y = np.concatenate([s.kt_correct for s in test])
    kt_p = np.concatenate([s.kt for s in IRTBaseline(len(v.questions)).fit(train).score(test)])
    assert roc_auc(kt_y, kt_p) > 0.6
