"""``model_row``: the one place that tells the trained model's row of an evaluation
report from the baselines' (the registry, its page, the ``models`` command, the
dashboards and the benchmarks all ask it)."""

from recommender.compare import model_row


def test_model_row_finds_the_trained_models_row_among_the_baselines():
    scores = {
        "syllabus": {"hr@10": 0.2, "n": 10},
        "model (transformer)": {"hr@10": 0.6, "n": 10},
        "markov": {"hr@10": 0.4, "n": 10},
    }
    assert model_row(scores) == ("model (transformer)", {"hr@10": 0.6, "n": 10})
    assert model_row(scores)[1] is scores["model (transformer)"]


def test_model_row_is_none_and_empty_without_a_model_row():
    assert model_row({"irt_pfa": {"auc": 0.7}}) == (None, {})
    assert model_row({}) == (None, {})
    assert model_row(None) == (None, {})


def test_a_model_row_must_be_a_table_of_metrics():
    """A key that only looks like the model's (a note, a count) is not its row."""
    assert model_row({"model_note": "untrained", "model (gru)": {"auc": 0.8}}) == (
        "model (gru)",
        {"auc": 0.8},
    )
    assert model_row({"model_note": "untrained"}) == (None, {})
