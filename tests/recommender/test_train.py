"""Tiny training runs: train -> save -> load -> predict, deterministic seeds, resume
after an interruption, the evaluation report, and the command line."""

import json

import numpy as np
import pytest
import torch

from recommender.__main__ import main
from recommender.artifact import Recommender, load_artifact
from recommender.evaluate import evaluate
from recommender.train import load_checkpoint, train
from tests.recommender.conftest import tiny_config


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_train_save_load_predict_round_trip(small_parquet, small_clickstream, tmp_path):
    result = train(
        small_parquet, tmp_path / "m", tiny_config(epochs=2), progress=False, code_version="test-1"
    )
    assert [h["epoch"] for h in result.history] == [1, 2]
    art = load_artifact(tmp_path / "m")
    assert _same_weights(art.model.state_dict(), result.model.state_dict())
    assert art.config["code_version"] == "test-1"
    window = art.config["data_window"]  # 40 learners: 8 held out, 3 of the other 32 validate (valid_frac 0.1)
    assert (window["n_learners"], window["n_valid_learners"], window["n_holdout_learners"]) == (29, 3, 8)
    assert len(art.holdout_ids()) == 8
    assert load_checkpoint(tmp_path / "m")["epoch"] == 1

    rec = Recommender.load(tmp_path / "m")
    learner = small_clickstream[small_clickstream["learner_id"] == art.holdout_ids()[0]]
    pred = rec.predict(learner)
    assert len(pred.next_activities) == 10
    assert [p for _, p in pred.next_activities] == sorted((p for _, p in pred.next_activities), reverse=True)
    assert 0.0 <= pred.risk <= 1.0
    assert 0.0 < pred.correctness("u1-quiz/q2") < 1.0


def test_fixed_seed_gives_identical_weights_and_another_seed_does_not(small_parquet, tmp_path):
    a = train(small_parquet, tmp_path / "a", tiny_config(), progress=False).model.state_dict()
    b = train(small_parquet, tmp_path / "b", tiny_config(), progress=False).model.state_dict()
    c = train(small_parquet, tmp_path / "c", tiny_config(seed=1), progress=False).model.state_dict()
    shown = train(small_parquet, tmp_path / "d", tiny_config(), progress=True).model.state_dict()
    assert _same_weights(a, b)
    assert _same_weights(a, shown)  # progress bars draw nothing from the RNG
    assert not _same_weights(a, c)


def test_resume_after_an_interruption_ends_like_an_uninterrupted_run(small_parquet, tmp_path):
    full = train(small_parquet, tmp_path / "full", tiny_config(epochs=3), progress=False)

    class Interrupted(Exception):
        pass

    def crash(epoch: int, step: int) -> None:
        if epoch == 1 and step == 1:  # in the middle of the second epoch
            raise Interrupted

    with pytest.raises(Interrupted):
        train(small_parquet, tmp_path / "run", tiny_config(epochs=3), progress=False, on_batch_end=crash)
    assert load_checkpoint(tmp_path / "run")["epoch"] == 0  # only the first epoch was saved
    assert not (tmp_path / "run" / "config.json").exists()
    resumed = train(small_parquet, tmp_path / "run", tiny_config(epochs=3), progress=False, resume=True)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    assert _same_weights(full.model.state_dict(), resumed.model.state_dict())
    with pytest.raises(ValueError, match="differ"):
        train(small_parquet, tmp_path / "run", tiny_config(epochs=4, lr=0.1), progress=False, resume=True)


def test_holdout_file_fixes_the_split(small_parquet, small_clickstream, tmp_path):
    ids = sorted(small_clickstream["learner_id"].unique())[:5]
    f = tmp_path / "ids.txt"
    f.write_text("\n".join(map(str, ids)) + "\n")
    train(small_parquet, tmp_path / "m", tiny_config(holdout_file=str(f)), progress=False)
    assert load_artifact(tmp_path / "m").holdout_ids() == ids


def test_evaluate_scores_model_and_baselines_and_writes_the_report(small_parquet, tmp_path):
    train(small_parquet, tmp_path / "m", tiny_config(epochs=2), progress=False)
    (tmp_path / "syllabus.json").write_text(json.dumps([f"u{u}-video-a" for u in range(10)]))
    report = evaluate(
        small_parquet, tmp_path / "m", tmp_path / "r", syllabus=tmp_path / "syllabus.json", progress=False
    )
    res = report["results"]
    assert set(res["next_activity"]) == {"model (transformer)", "syllabus", "markov", "popularity"}
    assert set(res["correctness"]) == {"model (transformer)", "irt_pfa"}
    assert set(res["disengagement"]) == {"model (transformer)", "activity_logreg"}
    for task in res.values():
        for metrics in task.values():
            assert metrics["n"] > 0
    assert report["evaluation"]["n_test_learners"] == 8
    for name in ("report.json", "report.md", "reliability.png", "metrics.png"):
        assert (tmp_path / "r" / name).stat().st_size > 0
    assert (tmp_path / "r" / "reliability.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "r" / "report.md").read_text()
    assert "| markov |" in md and "| irt_pfa |" in md
    assert json.loads((tmp_path / "r" / "report.json").read_text())["results"]["correctness"]


def test_command_line_train_evaluate_predict(small_parquet, small_clickstream, tmp_path, capsys):
    model = str(tmp_path / "m")
    args = ["train", "--events", small_parquet, "--out", model, "--epochs", "1", "--no-progress"]
    args += [
        "--d-model",
        "16",
        "--n-heads",
        "2",
        "--d-ff",
        "32",
        "--n-layers",
        "1",
        "--max-len",
        "64",
        "--min-steps",
        "8",
    ]
    assert main(args) == 0
    assert main(["train", "--events", small_parquet, "--out", model, "--epochs", "2", "--resume", "--no-progress",
                 "--d-model", "16", "--n-heads", "2", "--d-ff", "32", "--n-layers", "1", "--max-len", "64",
                 "--min-steps", "8"]) == 0  # fmt: skip
    assert load_checkpoint(model)["epoch"] == 1
    assert main(["evaluate", "--events", small_parquet, "--model", model, "--out", str(tmp_path / "r"),
                 "--no-progress", "--record-metrics"]) == 0  # fmt: skip
    assert "Next activity" in capsys.readouterr().out
    assert load_artifact(model).config["metrics"]["correctness"]["irt_pfa"]["n"] > 0

    one = small_clickstream[small_clickstream["learner_id"] == small_clickstream["learner_id"].iloc[0]]
    one.to_parquet(tmp_path / "one.parquet")
    assert main(["predict", "--model", model, "--events", str(tmp_path / "one.parquet"),
                 "--question", "u0-quiz/q1"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Next activities:" in out and "u0-quiz/q1" in out and "Disengagement risk" in out
    assert main(["predict", "--model", model, "--events", small_parquet, "--json"]) == 2  # several learners
    assert main(["predict", "--model", model, "--events", small_parquet, "--json",
                 "--learner", str(int(one["learner_id"].iloc[0]))]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["next_activities"]
    assert main(["predict", "--model", str(tmp_path / "nope"), "--events", small_parquet]) == 2
    assert "no such model directory" in capsys.readouterr().err


def test_length_batches_hold_each_window_once_within_the_budget():
    from recommender.batching import Window, length_batches

    rng = np.random.default_rng(0)
    wins = [Window(i, 0, 0, int(n)) for i, n in enumerate(rng.integers(1, 65, 300))]
    a = length_batches(wins, 256, (0, 0))
    assert sorted(w.seq for b in a for w in b) == list(range(300))
    assert all(max(w.length for w in b) * len(b) <= 256 for b in a)
    spread = [max(w.length for w in b) - min(w.length for w in b) for b in a]
    assert np.mean(spread) < 8  # similar lengths together: little padding
    assert length_batches(wins, 256, (0, 0)) == a  # the order is a function of the seed
    b = length_batches(wins, 256, (0, 1))
    assert b != a and len(b) == len(a)  # another epoch: another order, as many steps
    small = length_batches(wins, 10, (0, 0))  # a window longer than the budget goes alone
    assert all(len(x) == 1 or max(w.length for w in x) * len(x) <= 10 for x in small)
    assert sum(len(x) for x in small) == 300


def test_learning_rate_warms_up_then_decays_to_its_floor():
    from recommender.optim import Schedule
    from recommender.train import TrainConfig

    s = Schedule(TrainConfig(warmup=0.1, min_lr=0.1), 100)
    f = [s.factor(i) for i in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[9:], f[10:], strict=False))
    assert f[-1] == pytest.approx(0.1, abs=1e-3)


def test_training_uses_its_own_thread_count_and_restores_the_callers(small_parquet, tmp_path):
    seen = []
    torch.set_num_threads(2)
    train(small_parquet, tmp_path / "m", tiny_config(threads=1), progress=False,
          on_batch_end=lambda e, s: seen.append(torch.get_num_threads()))  # fmt: skip
    assert set(seen) == {1} and torch.get_num_threads() == 2


def test_small_data_gets_smaller_batches_so_an_epoch_has_enough_steps():
    from recommender.optim import batch_budget
    from recommender.train import TrainConfig

    cfg = TrainConfig(batch_size=16, max_len=256, min_steps=100)
    assert batch_budget(cfg, 10_000_000) == 16 * 256  # big data: the full budget
    assert batch_budget(cfg, 48_000) == 480  # 100 steps of 480 events
    assert batch_budget(cfg, 48_000, world_size=2) == 256  # never below one full window
    assert batch_budget(TrainConfig(min_steps=0), 1_000) == 16 * 256


class _ScriptedValidation:
    """Stands in for ``evaluate.validation_scores``: returns the next of ``losses`` as the
    validation loss and keeps the weights it was shown, so a test knows each epoch's."""

    def __init__(self, losses: list[float]) -> None:
        self.losses, self.weights = list(losses), []

    def __call__(self, model, seqs, **kwargs):
        from recommender.evaluate import VALIDATION_KEYS

        self.weights.append({k: v.clone() for k, v in model.state_dict().items()})
        loss = self.losses[len(self.weights) - 1]
        return {k: (loss if k == "loss" else 0.5) for k in VALIDATION_KEYS}


def _without_risk_calibration(state: dict) -> dict:
    return {k: v for k, v in state.items() if k not in ("risk_scale", "risk_shift")}  # fitted after training


def test_early_stopping_stops_keeps_the_best_epoch_and_a_resume_does_not_train_on(
    small_parquet, tmp_path, monkeypatch, capsys
):
    import recommender.validation as validation_module

    scripted = _ScriptedValidation([3.0, 2.0, 2.5, 2.4, 2.6, 1.0])  # best at epoch 2, then 2 without a gain
    monkeypatch.setattr(validation_module, "validation_scores", scripted)
    result = train(small_parquet, tmp_path / "m", tiny_config(epochs=8, patience=2), progress=False)
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4]
    assert [h["valid"]["loss"] for h in result.history] == [3.0, 2.0, 2.5, 2.4]
    assert result.best_epoch == 2 and "did not improve for 2 epoch(s)" in result.stop_reason
    kept = _without_risk_calibration(load_artifact(tmp_path / "m").model.state_dict())
    assert _same_weights(kept, _without_risk_calibration(scripted.weights[1]))
    assert not _same_weights(kept, _without_risk_calibration(scripted.weights[3]))
    training = load_artifact(tmp_path / "m").config["training"]
    assert training["best_epoch"] == 2 and training["stop_reason"] == result.stop_reason
    assert "early stop after epoch 4" in capsys.readouterr().out
    assert load_checkpoint(tmp_path / "m")["best"]["epoch"] == 2

    resumed = train(
        small_parquet, tmp_path / "m", tiny_config(epochs=8, patience=2), progress=False, resume=True
    )
    assert len(resumed.history) == 4 and resumed.best_epoch == 2  # it had stopped: no more epochs
    assert _same_weights(_without_risk_calibration(resumed.model.state_dict()), kept)


def test_a_higher_is_better_metric_and_patience_zero(small_parquet, tmp_path, monkeypatch):
    import recommender.validation as validation_module

    monkeypatch.setattr(validation_module, "validation_scores", _ScriptedValidation([2.0, 1.0, 1.5, 0.5]))
    r = train(small_parquet, tmp_path / "a", tiny_config(epochs=4, patience=1), progress=False)
    assert (len(r.history), r.best_epoch) == (3, 2)  # loss: lower is better

    class AUC(_ScriptedValidation):  # the same numbers as kt_auc: higher is better
        def __call__(self, model, seqs, **kwargs):
            out = super().__call__(model, seqs, **kwargs)
            return {**out, "kt_auc": out["loss"], "loss": 1.0}

    monkeypatch.setattr(validation_module, "validation_scores", AUC([0.6, 0.7, 0.65, 0.8]))
    r = train(small_parquet, tmp_path / "b", tiny_config(epochs=4, patience=1, early_stop_metric="kt_auc"),
              progress=False)  # fmt: skip
    assert (len(r.history), r.best_epoch) == (3, 2)
    monkeypatch.setattr(validation_module, "validation_scores", _ScriptedValidation([1.0, 2.0, 3.0]))
    r = train(small_parquet, tmp_path / "c", tiny_config(epochs=3, patience=0), progress=False)
    assert (len(r.history), r.best_epoch) == (3, 3)  # patience 0: every epoch, the last weights
    assert all("valid" in h for h in r.history)  # still validated and recorded


def test_validation_file_learners_are_left_out_of_training(small_parquet, small_clickstream, tmp_path):
    learners = sorted(small_clickstream["learner_id"].unique())
    held = tmp_path / "held.txt"
    held.write_text("".join(f"{i}\n" for i in learners[:8]))
    valid = tmp_path / "valid.txt"
    valid.write_text("".join(f"{i}\n" for i in learners[8:13]))
    result = train(small_parquet, tmp_path / "m", tiny_config(holdout_file=str(held), valid_file=str(valid)),
                   progress=False)  # fmt: skip
    window = load_artifact(tmp_path / "m").config["data_window"]
    assert (window["n_learners"], window["n_valid_learners"], window["n_holdout_learners"]) == (27, 5, 8)
    valid_scores = result.history[0]["valid"]
    assert valid_scores["loss"] > 0 and 0.0 < valid_scores["kt_auc"] < 1.0
    assert load_checkpoint(tmp_path / "m")["valid_ids"] == learners[8:13]
    valid.write_text(f"{learners[0]}\n")
    with pytest.raises(ValueError, match="also held out"):
        train(small_parquet, tmp_path / "x", tiny_config(holdout_file=str(held), valid_file=str(valid)),
              progress=False)  # fmt: skip


def test_too_few_learners_skip_validation_with_a_note(small_clickstream, tmp_path, capsys):
    few = small_clickstream[
        small_clickstream["learner_id"].isin(sorted(small_clickstream["learner_id"].unique())[:12])
    ]
    result = train(few, tmp_path / "m", tiny_config(), progress=False)
    assert "validation skipped: 10 training learners are too few" in capsys.readouterr().out
    assert "valid" not in result.history[0] and result.best_epoch == 1
    assert load_artifact(tmp_path / "m").config["data_window"]["n_valid_learners"] == 0


def test_an_early_stop_metric_the_validation_learners_cannot_measure_is_an_error(small_clickstream, tmp_path):
    ungraded = small_clickstream[small_clickstream["verb"] != "quiz.graded"]
    with pytest.raises(ValueError, match="kt_auc: the 3 validation learners have no graded question"):
        train(ungraded, tmp_path / "m", tiny_config(early_stop_metric="kt_auc"), progress=False)
