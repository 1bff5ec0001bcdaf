"""Tiny training runs: train -> save -> load -> predict, deterministic seeds, resume
after an interruption, the evaluation report, and the command line."""

import json

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
    assert (
        art.config["data_window"]["n_learners"] == 32 and art.config["data_window"]["n_holdout_learners"] == 8
    )
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
    args += ["--d-model", "16", "--n-heads", "2", "--d-ff", "32", "--n-layers", "1", "--max-len", "64"]
    assert main(args) == 0
    assert main(["train", "--events", small_parquet, "--out", model, "--epochs", "2", "--resume", "--no-progress",
                 "--d-model", "16", "--n-heads", "2", "--d-ff", "32", "--n-layers", "1", "--max-len", "64"]) == 0  # fmt: skip
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
