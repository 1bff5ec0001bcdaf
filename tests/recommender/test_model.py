"""The model and the scoring protocol: predictions at position t do not change when
later events change (through windows longer than the context too), padding does not
change the loss, and serving gives what evaluation scores."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from recommender.artifact import Recommender
from recommender.batching import collate, make_windows
from recommender.data import Vocabularies, build_sequences, encode_history
from recommender.event_frame import load_events
from recommender.model import LossWeights, ModelConfig, SequenceModel, compute_loss
from recommender.scoring import ModelScorer
from tests.recommender.conftest import quiz


def _model(vocabs, arch="transformer", max_len=32, seed=0):
    torch.manual_seed(seed)
    cfg = ModelConfig(
        n_activities=len(vocabs.activities),
        n_verbs=len(vocabs.verbs),
        n_questions=len(vocabs.questions),
        arch=arch,
        d_model=16,
        n_heads=2,
        d_ff=32,
        max_len=max_len,
    )
    return SequenceModel(cfg).eval()


@pytest.fixture(scope="module")
def learner(clickstream):
    ev = load_events(clickstream)
    counts = ev["learner_id"].value_counts()
    lid = int(counts.index[0])
    assert counts.iloc[0] > 100
    return ev, ev[ev["learner_id"] == lid].reset_index(drop=True)


def _alter_after(hist: pd.DataFrame, t: int) -> pd.DataFrame:
    """Rewrite every event after position t: other activities, verbs, scores, answers,
    times; drop some and add more."""
    later = hist.iloc[t + 1 :].copy()
    later["activity"] = ["u0-video-a" if i % 2 else "u9-quiz" for i in range(len(later))]
    later["verb"] = ["quiz.graded" if i % 2 == 0 else "video.played" for i in range(len(later))]
    later["payload"] = [json.dumps(quiz(1.0, ("q1", True))) for _ in range(len(later))]
    later["time"] = later["time"] + pd.Timedelta(days=3)
    later = later.iloc[::2]
    extra = later.iloc[::3].copy()
    extra["time"] = extra["time"] + pd.Timedelta(hours=1)
    return (
        pd.concat([hist.iloc[: t + 1], later, extra])
        .sort_values("time", kind="stable")
        .reset_index(drop=True)
    )


@pytest.mark.parametrize("arch", ["transformer", "gru"])
def test_predictions_at_t_ignore_everything_after_t(learner, arch):
    ev, hist = learner
    vocabs = Vocabularies.build(ev)
    model = _model(vocabs, arch, max_len=32)  # the learner's 100+ events span several windows
    scorer = ModelScorer(model, batch_size=4)
    end = float(ev["time"].max().timestamp())
    for t in (5, 40, 77):
        a = build_sequences(hist, vocabs, dataset_end=end)[0]
        b = build_sequences(_alter_after(hist, t), vocabs, dataset_end=end)[0]
        assert len(a) != len(b)
        # the features up to t are the same...
        for name in ("activity", "verb", "outcome", "gap", "answers"):
            np.testing.assert_array_equal(getattr(a, name)[: t + 1], getattr(b, name)[: t + 1])
        sa, sb = scorer.score([a])[0], scorer.score([b])[0]
        # ... and so is every prediction made at positions <= t
        np.testing.assert_allclose(sa.next[: t + 1], sb.next[: t + 1], atol=1e-5)
        cut = min(a.times[t + 1], b.times[t + 1])  # prediction points before the first altered event
        ra, rb = a.risk_time < cut, b.risk_time < cut
        assert ra.sum() == rb.sum() and (a.risk_pos[ra] <= t).all()
        np.testing.assert_allclose(sa.risk[ra], sb.risk[rb], atol=1e-6)
        ka, kb = a.kt_pos <= t, b.kt_pos <= t
        assert ka.sum() == kb.sum()
        np.testing.assert_allclose(sa.kt[ka], sb.kt[kb], atol=1e-6)
        # while predictions after t do change
        assert not np.allclose(sa.next[t + 1 : t + 5], sb.next[t + 1 : t + 5], atol=1e-5)


def test_serving_gives_what_evaluation_scores(learner):
    ev, hist = learner
    vocabs = Vocabularies.build(ev)
    model = _model(vocabs, max_len=256)
    rec = Recommender(model, vocabs, {"extras": {"risk_base_rate": 0.1}})
    seq = build_sequences(hist, vocabs, dataset_end=float(ev["time"].max().timestamp()))[0]
    scores = ModelScorer(model).score([seq])[0]
    # the risk at a prediction point is what serving says at that moment
    for r in (0, len(seq.risk_pos) // 2, len(seq.risk_pos) - 1):
        history = hist.iloc[: int(seq.risk_pos[r]) + 1]
        pred = rec.predict(history, now=float(seq.risk_time[r]))
        assert pred.risk == pytest.approx(float(scores.risk[r]), abs=1e-6)
    for t in (0, 10, 60):
        pred = rec.predict(hist.iloc[: t + 1], top_k=len(vocabs.activities))
        probs = dict(pred.next_activities)
        logits = torch.tensor(scores.next[t])
        logits[:3] = float("-inf")
        expected = torch.softmax(logits, 0).numpy()
        for slug, p in probs.items():
            assert p == pytest.approx(float(expected[vocabs.activities.stoi[slug]]), abs=1e-5)
    # the correctness of a question asked right after the history is the KT head's
    k = int(np.flatnonzero(seq.kt_pos > 0)[0])
    anchor = int(seq.kt_anchor[k])
    key = vocabs.questions.itos[seq.kt_question[k]]
    pred = rec.predict(hist.iloc[: anchor + 1])
    assert pred.correctness(key) == pytest.approx(float(scores.kt[k]), abs=1e-5)


def test_padding_and_masked_targets_do_not_change_the_loss(clickstream):
    ev = load_events(clickstream)
    vocabs = Vocabularies.build(ev)
    seqs = build_sequences(ev, vocabs)[:6]
    model = _model(vocabs, max_len=64)
    wins = make_windows(seqs, 64)
    short = [w for w in wins if w.length < 64][:1]
    long = [w for w in wins if w.length == 64][:1]
    alone = collate(seqs, short)
    padded = collate(seqs, short + long)
    out_a, out_p = model(alone), model(padded)
    n = short[0].length
    np.testing.assert_allclose(
        out_a.next_logits[0, : n + 1].detach(), out_p.next_logits[0, : n + 1].detach(), atol=1e-5
    )
    k = alone.risk_target.shape[1]  # the short window's prediction points, then padding
    assert padded.risk_target[0, :k].equal(alone.risk_target[0]) and padded.risk_target[0, k:].eq(-1).all()
    np.testing.assert_allclose(out_a.risk_logits[0].detach(), out_p.risk_logits[0, :k].detach(), atol=1e-5)
    assert padded.next_target[0, n + 1 :].eq(0).all()
    assert (~padded.kt_mask[0, alone.kt_mask.shape[1] :]).all()
    loss, parts = compute_loss(out_a, alone, LossWeights())
    assert torch.isfinite(loss) and set(parts) == {"next", "kt", "risk"}


def test_answer_embedding_is_the_mean_over_the_answers_of_question_and_correctness():
    vocabs_sizes = dict(n_activities=12, n_verbs=5, n_questions=30)
    torch.manual_seed(0)
    model = SequenceModel(ModelConfig(**vocabs_sizes, d_model=8, n_heads=2, d_ff=16))
    answers = torch.zeros(2, 5, 8, dtype=torch.long)
    answers[0, 1, 0] = 7  # one right answer
    answers[0, 2, :3] = torch.tensor([4, 9, 12])  # a graded quiz: two wrong, one right
    answers[1, 3] = torch.randint(2, 60, (8,))
    n = (answers > 0).sum(-1, keepdim=True).clamp(min=1)
    correct = torch.where(answers > 0, 1 + answers % 2, 0)
    expected = (model.answer_emb(answers) + model.correct_emb(correct)).sum(-2) / n
    activity = torch.randint(3, 12, (2, 5))
    torch.testing.assert_close(model.answers_embedding(answers, activity), expected, atol=1e-6, rtol=1e-5)
    assert model.answers_embedding(answers, activity)[0, 0].abs().sum() == 0  # no answers: nothing added


def test_rasch_questions_share_their_activity_vectors_and_differ_by_one_difficulty():
    """Rasch: a question's query is its activity's vector plus its difficulty times the
    activity's variation; an answer's is the (activity, correct) vector plus the same
    difficulty times its variation. Two questions of one activity differ only by that scalar."""
    torch.manual_seed(0)
    model = SequenceModel(
        ModelConfig(
            n_activities=12,
            n_verbs=5,
            n_questions=30,
            d_model=8,
            n_heads=2,
            d_ff=16,
            question_embedding="rasch",
        )  # fmt: skip
    )
    assert model.q_emb is None and model.q_diff.weight.shape == (30, 1)
    with torch.no_grad():
        model.q_diff.weight[5] = 0.5
        model.q_diff.weight[6] = -1.0
    answers = torch.zeros(1, 2, 8, dtype=torch.long)
    answers[0, 0, 0] = 2 * 5 + 1  # question 5, right
    answers[0, 1, 0] = 2 * 6 + 1  # question 6, right
    activity = torch.tensor([[4, 4]])
    emb = model.answers_embedding(answers, activity)
    pair = torch.tensor(2 * 4 + 1)
    var = model.answer_var(pair)
    torch.testing.assert_close(emb[0, 0] - emb[0, 1], (0.5 - (-1.0)) * var, atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match="question_embedding"):
        SequenceModel(ModelConfig(n_activities=12, n_verbs=5, n_questions=30, question_embedding="bag"))


def test_empty_and_unseen_histories_predict(learner):
    ev, hist = learner
    vocabs = Vocabularies.build(ev)
    rec = Recommender(_model(vocabs), vocabs, {"extras": {"risk_base_rate": 0.25}})
    empty = rec.predict(hist.iloc[0:0], top_k=5)
    assert len(empty.next_activities) == 5 and empty.risk == 0.25
    assert all(slug not in ("<pad>", "<unk>", "<none>") for slug, _ in empty.next_activities)
    assert 0 < empty.correctness("u0-quiz/q1") < 1
    odd = hist.head(5).copy()
    odd["activity"] = "an-activity-added-after-training"
    odd["verb"] = "video.new_verb"
    pred = rec.predict(odd)
    assert 0 <= pred.risk <= 1 and len(pred.next_activities) == 10
    assert 0 < pred.correctness("new-quiz/new-question") < 1
    assert sum(p for _, p in rec.predict(hist, top_k=100).next_activities) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="one learner"):
        rec.predict(ev.head(500))
    assert len(encode_history(hist, vocabs)) == len(hist)
