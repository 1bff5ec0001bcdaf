"""A model directory that cannot be used is refused with a clear ArtifactError."""

import json
import shutil

import pytest
import torch

from recommender.artifact import (
    CONFIG_FILE,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    ArtifactError,
    Recommender,
    load_artifact,
    read_config,
    set_metrics,
    sha256_file,
)
from recommender.train import train
from tests.recommender.conftest import tiny_config


@pytest.fixture(scope="module")
def saved(small_parquet, tmp_path_factory):
    path = tmp_path_factory.mktemp("artifact") / "m"
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as the autouse fixture does for each test
    try:
        train(small_parquet, path, tiny_config(), progress=False, code_version="v-test")
    finally:
        torch.set_num_threads(before)
    return path


@pytest.fixture
def copy(saved, tmp_path):
    dst = tmp_path / "m"
    shutil.copytree(saved, dst)
    return dst


def _edit_config(path, **changes):
    cfg = json.loads((path / CONFIG_FILE).read_text())
    for key, value in changes.items():
        if value is None:
            cfg.pop(key)
        else:
            cfg[key] = value
    (path / CONFIG_FILE).write_text(json.dumps(cfg))


def _reseal(path):
    """Record the weights' current checksum in the config: the checksum passes, the
    weights themselves are what is checked next."""
    cfg = json.loads((path / CONFIG_FILE).read_text())
    cfg["weights"]["sha256"] = sha256_file(path / WEIGHTS_FILE)
    (path / CONFIG_FILE).write_text(json.dumps(cfg))


def test_layout_and_recorded_checksum(saved):
    cfg = read_config(saved)
    assert cfg["format_version"] == FORMAT_VERSION
    assert cfg["weights"]["sha256"] == sha256_file(saved / WEIGHTS_FILE)
    assert cfg["code_version"] == "v-test"
    assert set(cfg["vocab"]) == {"activities", "verbs", "questions"}
    assert cfg["model"]["d_model"] == 16 and cfg["training"]["epochs"] == 1
    assert {"start", "end", "n_events", "n_learners"} <= set(cfg["data_window"])
    assert cfg["metrics"] is None
    assert (saved / "holdout_learners.txt").is_file()


def test_missing_files_are_refused(copy, tmp_path):
    with pytest.raises(ArtifactError, match="no such model directory"):
        load_artifact(tmp_path / "absent")
    (copy / WEIGHTS_FILE).unlink()
    with pytest.raises(ArtifactError, match="missing weights file"):
        load_artifact(copy)
    (copy / CONFIG_FILE).unlink()
    with pytest.raises(ArtifactError, match="missing config.json"):
        Recommender.load(copy)


def test_truncated_or_corrupt_weights_are_refused(copy):
    data = (copy / WEIGHTS_FILE).read_bytes()
    (copy / WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        load_artifact(copy)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    (copy / WEIGHTS_FILE).write_bytes(bytes(flipped))
    with pytest.raises(ArtifactError, match="corrupt or truncated"):
        load_artifact(copy)


def test_weights_torch_cannot_load_are_refused_even_with_a_matching_checksum(copy):
    (copy / WEIGHTS_FILE).write_bytes(b"not a torch file")
    _reseal(copy)
    with pytest.raises(ArtifactError, match="cannot be loaded by torch"):
        load_artifact(copy)


def test_incompatible_version_or_config_is_refused(copy):
    _edit_config(copy, format_version=FORMAT_VERSION + 1)
    with pytest.raises(ArtifactError, match="format version 2"):
        load_artifact(copy)
    _edit_config(copy, format_version=None)
    with pytest.raises(ArtifactError, match="format version None"):
        load_artifact(copy)
    _edit_config(copy, format_version=FORMAT_VERSION)
    cfg = json.loads((copy / CONFIG_FILE).read_text())
    cfg["model"]["d_model"] = 32  # weights are 16 wide
    (copy / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError, match="do not fit the config"):
        load_artifact(copy)
    cfg["model"]["d_model"] = 16
    cfg["model"]["n_activities"] += 1
    (copy / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError, match="vocabulary sizes"):
        load_artifact(copy)
    cfg["model"]["n_activities"] -= 1
    cfg["model"]["unknown_setting"] = 1
    (copy / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(ArtifactError, match="incompatible config"):
        load_artifact(copy)
    (copy / CONFIG_FILE).write_text("{truncated")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_artifact(copy)


def test_a_renamed_tensor_is_refused(copy):
    state = torch.load(copy / WEIGHTS_FILE, weights_only=True)
    state["renamed"] = state.pop("next_head.weight")
    torch.save(state, copy / WEIGHTS_FILE)
    _edit_config(copy)
    _reseal(copy)
    with pytest.raises(ArtifactError, match="do not fit"):
        load_artifact(copy)


def test_metrics_can_be_recorded_without_touching_the_weights(copy):
    set_metrics(copy, {"correctness": {"model": {"auc": 0.7}}})
    art = load_artifact(copy)
    assert art.config["metrics"]["correctness"]["model"]["auc"] == 0.7
