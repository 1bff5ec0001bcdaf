"""The dropout benchmark end to end on the KDD Cup 2015 and OULAD fixtures (tiny models:
seconds). Only that the metrics exist and are finite: the figures of a dozen
enrollments mean nothing."""

from __future__ import annotations

import argparse
import json
import math

import pandas as pd
import pytest

from recommender.benchmark import dropout as bd
from recommender.train import TrainConfig
from tests.recommender.datasets.conftest import FIXTURES

TINY = TrainConfig(epochs=1, d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=64, min_steps=5)


def _holdout(labels: pd.DataFrame) -> list[str]:
    """Two dropouts and two others, so that both AUCs are defined."""
    keys = labels["learner"].astype(str) + "@" + labels["course"].astype(str)
    return [*keys[labels["label"] == 1][:2], *keys[labels["label"] == 0][:2]]


@pytest.mark.parametrize("layout", bd.LAYOUTS)
def test_run_dropout_on_the_fixtures(layout, tmp_path):
    data = bd.load_dropout_data(layout, FIXTURES / layout)
    report = bd.run_dropout(
        data.frame, data.labels, horizon_days=data.horizon_days, holdout=_holdout(data.labels), config=TINY,
        work_dir=tmp_path / "model", layout=layout, excluded=data.excluded,
    )  # fmt: skip
    assert set(report.results) == {bd.MODEL, bd.BASELINE}
    for metrics in report.results.values():
        assert all(math.isfinite(metrics[k]) and 0.0 <= metrics[k] <= 1.0 for k in ("roc_auc", "pr_auc"))
    assert report.n_test == 4 and report.test_positives == 2 and report.base_rate == 0.5
    assert report.n_train + report.n_test == len(data.labels)
    table = report.table()
    assert bd.MODEL in table and bd.BASELINE in table and "ROC-AUC" in table
    assert (tmp_path / "model" / "config.json").is_file()
    if layout == "kddcup2015":
        assert report.horizon_days == 10.0
    else:  # a student who had unregistered by day 60 is left out, and said so
        assert report.excluded["unregistered by the cutoff"] >= 1


def test_cutoff_truncates_and_aligns(tmp_path):
    """Rows at or after an enrollment's cutoff are not used; the baseline's features
    see every enrollment at the same instant."""
    data = bd.load_dropout_data("kddcup2015", FIXTURES / "kddcup2015")
    labels = data.labels.copy()
    labels["cutoff"] = labels["cutoff"] - pd.Timedelta(days=5)
    late = (data.frame["time"] >= data.frame["course"].map(labels.groupby("course")["cutoff"].first())).sum()
    assert late > 0
    report = bd.run_dropout(data.frame, labels, horizon_days=10.0, holdout=_holdout(labels), config=TINY,
                            work_dir=tmp_path / "m")  # fmt: skip
    assert report.rows_after_cutoff == late
    assert report.rows_used == len(data.frame) - late


def test_main_prints_the_table_and_writes_json(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    bd.add_arguments(parser)
    out = tmp_path / "report.json"
    args = parser.parse_args(["--data", str(FIXTURES / "kddcup2015"), "--layout", "kddcup2015", "--epochs", "1",
                              "--holdout-frac", "0.5", "--seed", "3", "--json", str(out), "--no-progress"])  # fmt: skip
    assert bd.main(args) == 0
    printed = capsys.readouterr().out
    assert bd.MODEL in printed and bd.BASELINE in printed
    saved = json.loads(out.read_text())
    assert saved["n_test"] == 6 and set(saved["results"]) == {bd.MODEL, bd.BASELINE}


def test_unknown_layout_and_labels_are_errors():
    with pytest.raises(ValueError, match="unknown dropout layout"):
        bd.load_dropout_data("edx", FIXTURES)
    data = bd.load_dropout_data("kddcup2015", FIXTURES / "kddcup2015")
    with pytest.raises(ValueError, match="without a label"):
        bd.run_dropout(data.frame, data.labels, holdout=["nobody@nothing"], config=TINY)
