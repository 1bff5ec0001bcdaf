"""The analysts' command line (``python -m recommender``): learner ids as the data set
writes them, presets, epoch summaries without progress bars, an evaluation that refuses
to score a metric without targets, and peak memory in what train and evaluate report."""

import json

import pytest

from recommender.__main__ import main
from recommender.artifact import load_artifact
from recommender.train import PRESETS, TrainConfig

TINY = ["--d-model", "16", "--n-heads", "2", "--d-ff", "32", "--n-layers", "1", "--max-len", "64",
        "--min-steps", "8"]  # fmt: skip


@pytest.fixture(scope="module")
def keyed(small_clickstream, tmp_path_factory):
    """The small clickstream as an imported data set: each learner also has a
    ``learner_key``, its id in the data set ("u1001" for learner_id 1001)."""
    events = small_clickstream.assign(learner_key="u" + small_clickstream["learner_id"].astype(str))
    path = tmp_path_factory.mktemp("keyed") / "events.parquet"
    events.to_parquet(path, index=False)
    return events, str(path)


def test_holdout_files_take_the_data_sets_own_learner_ids(keyed, tmp_path, capsys):
    events, parquet = keyed
    learners = sorted(events["learner_id"].unique())
    held = learners[:6]
    ids = tmp_path / "ids.txt"  # the ids as the data set writes them, and one database id
    ids.write_text("".join(f"u{i}\n" for i in held[:5]) + f"{held[5]}\n")
    model = str(tmp_path / "m")
    assert main(["train", "--events", parquet, "--out", model, "--epochs", "1", "--no-progress",
                 "--holdout-file", str(ids), *TINY]) == 0  # fmt: skip
    assert load_artifact(model).holdout_ids() == held
    report = tmp_path / "r"
    assert main(["evaluate", "--events", parquet, "--model", model, "--out", str(report), "--no-progress",
                 "--holdout-file", str(ids)]) == 0  # fmt: skip
    assert json.loads((report / "report.json").read_text())["evaluation"]["n_test_learners"] == 6

    capsys.readouterr()
    (tmp_path / "bad.txt").write_text("u6256\nu9999\nu1001\n")
    assert main(["evaluate", "--events", parquet, "--model", model, "--out", str(report), "--no-progress",
                 "--holdout-file", str(tmp_path / "bad.txt")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "2 of 3 learner ids match no learner" in err and "'u6256', 'u9999'" in err

    learner = learners[7]
    assert main(["predict", "--model", model, "--events", parquet, "--learner", f"u{learner}"]) == 0
    assert (
        f"learner u{learner}: {int((events['learner_id'] == learner).sum())} events"
        in capsys.readouterr().out
    )


def test_no_progress_hides_only_the_bars_and_the_artifact_records_the_preset(small_parquet, tmp_path, capsys):
    model = str(tmp_path / "m")
    assert main(["train", "--events", small_parquet, "--out", model, "--epochs", "2", "--no-progress",
                 "--preset", "kt", "--patience", "0", *TINY]) == 0  # fmt: skip
    captured = capsys.readouterr()
    out = captured.out
    lines = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert all("valid loss" in line and "kt_auc" in line and "MiB" in line for line in lines)
    assert "completed 2 epoch(s)" in out and "batch" not in captured.err  # no bar drawn
    training = load_artifact(model).config["training"]
    assert training["preset"] == "kt" and training["early_stop_metric"] == "kt_auc"
    assert (
        training["lr"] == PRESETS["kt"]["lr"] and training["d_model"] == 16
    )  # the flag wins over the preset
    assert training["peak_rss_mib"] > 50
    assert all(h["peak_rss_mib"] > 50 and h["elapsed"] > 0 for h in training["history"])


def test_presets_start_from_the_defaults_and_explicit_settings_win():
    kt = TrainConfig.from_preset("kt")
    assert (kt.preset, kt.arch, kt.lr, kt.d_model, kt.question_embedding, kt.early_stop_metric) == (
        "kt", "gru", 1e-2, 64, "rasch", "kt_auc",
    )  # fmt: skip
    assert kt.n_heads == TrainConfig().n_heads  # what the preset does not set stays the default
    mine = TrainConfig.from_preset("kt", lr=5e-3, early_stop_metric="loss")
    assert (mine.lr, mine.d_model, mine.early_stop_metric) == (5e-3, 64, "loss")
    assert TrainConfig.from_preset("clickstream") == TrainConfig()
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        TrainConfig.from_preset("nope")
    with pytest.raises(ValueError, match="early_stop_metric"):
        TrainConfig(early_stop_metric="accuracy")


def test_a_metric_without_targets_is_an_error_not_a_row_of_n_a(small_clickstream, tmp_path, capsys):
    """No graded question interactions: training says so once and prints correctness
    n/a; evaluate scores what the model was trained for, and asking for correctness
    exits 2 with the reason."""
    ungraded = tmp_path / "ungraded.parquet"
    small_clickstream[small_clickstream["verb"] != "quiz.graded"].to_parquet(ungraded, index=False)
    model = str(tmp_path / "m")
    assert main(["train", "--events", str(ungraded), "--out", model, "--epochs", "1", "--no-progress",
                 *TINY]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert (
        out.count("no graded question interactions (quiz.graded): the correctness head is not trained") == 1
    )
    assert "correctness n/a" in out and "correctness 0.000" not in out
    assert load_artifact(model).config["training"]["targets"]["correctness"] == 0

    report = tmp_path / "r"
    assert main(["evaluate", "--events", str(ungraded), "--model", model, "--out", str(report),
                 "--no-progress"]) == 0  # fmt: skip
    data = json.loads((report / "report.json").read_text())
    assert set(data["results"]) == {"next_activity", "disengagement"}
    assert data["evaluation"]["metrics"] == ["next", "risk"] and data["evaluation"]["peak_rss_mib"] > 50
    assert "Peak memory" in capsys.readouterr().out

    assert main(["evaluate", "--events", str(ungraded), "--model", model, "--out", str(report),
                 "--no-progress", "--metrics", "correctness"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert (
        "correctness: no graded question interactions among the 8 held-out learners; nothing to score" in err
    )
    assert "quiz.answered" in err
    assert main(["evaluate", "--events", str(ungraded), "--model", model, "--out", str(report),
                 "--metrics", "accuracy"]) == 2  # fmt: skip
    assert "unknown metric" in capsys.readouterr().err
