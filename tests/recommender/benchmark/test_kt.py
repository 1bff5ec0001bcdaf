"""``python -m recommender benchmark --task kt``: Cairn's model beside pyKT's on the same
test interactions, on a slice of the shared Statics2011 folds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from recommender.__main__ import main
from recommender.benchmark import kt
from tests.recommender.benchmark.conftest import STATICS, statics_with_pykt


def _slice(source: Path, target: Path, records: int, length: int) -> None:
    """The first ``records`` 3-line records of an AKT file, each cut to ``length``."""
    lines = [ln for ln in source.read_text().splitlines() if ln.strip()]
    out = []
    for r in range(0, 3 * records, 3):
        ids = lines[r + 1].rstrip(",").split(",")[:length]
        responses = lines[r + 2].rstrip(",").split(",")[:length]
        out += [str(len(ids)), ",".join(ids), ",".join(responses)]
    target.write_text("\n".join(out) + "\n")


@pytest.fixture(scope="module")
def folds(tmp_path_factory) -> Path:
    statics_with_pykt()
    folder = tmp_path_factory.mktemp("statics")
    for part, records, length in (("train", 14, 150), ("valid", 4, 150), ("test", 4, 230)):
        _slice(STATICS / f"statics_{part}1.csv", folder / f"statics_{part}1.csv", records, length)
    return folder


def test_cairn_and_dkt_are_scored_on_the_same_interactions_and_timed(folds, tmp_path, capsys):
    out = tmp_path / "report.json"
    code = main(["benchmark", "--data", str(folds), "--models", "cairn,dkt", "--max-epochs", "2", "--patience", "1",
                 "--out", str(out), "--no-progress", "--cairn-set", "d_model=16,d_ff=32"])  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    runs = {r["model"]: r for r in report["runs"]}
    assert set(runs) == {"cairn", "dkt"}
    # 4 test sequences of 230: every interaction but each sequence's first
    assert runs["cairn"]["test"]["n"] == runs["dkt"]["test"]["n"] == 4 * 229
    for r in runs.values():
        assert 0.0 <= r["test"]["auc"] <= 1.0 and math.isfinite(r["test"]["ece"])
        assert r["best_epoch"] in (1, 2) and r["seconds_to_best"] > 0
        assert [e["epoch"] for e in r["epochs"]] == list(range(1, len(r["epochs"]) + 1))
    assert runs["cairn"]["config"]["d_model"] == 16  # --cairn-set over the kt preset
    reach = report["summary"]["cairn_vs_dkt_time"][0]
    assert reach["dkt_best_valid_auc"] == runs["dkt"]["best_valid_auc"]
    printed = capsys.readouterr().out
    assert "| Cairn (--preset kt) |" in printed and "| DKT (pyKT) |" in printed
    assert "Cairn reached it in" in printed


def test_settings_are_parsed_by_their_type_and_unknown_ones_refused():
    assert kt.parse_settings("lr=0.003,d_model=64,question_embedding=full") == {
        "lr": 0.003, "d_model": 64, "question_embedding": "full",
    }  # fmt: skip
    with pytest.raises(ValueError, match="not <setting>=<value>"):
        kt.parse_settings("learning_rate=1")


def test_an_unknown_model_is_refused_before_anything_runs(folds):
    with pytest.raises(ValueError, match="unknown model"):
        kt.benchmark(folds, models=("cairn", "sakt"))


def test_numeric_learner_ids_of_a_data_set_are_never_read_as_database_ids(tmp_path):
    """AKT's ASSIST2009 headers carry numeric user ids; some equal another learner's
    ``learner_id`` in the events (measured: user "14" on fold 2). The fold's learners are
    passed to training as keys, so they are those learners and no others."""
    import numpy as np

    rng = np.random.default_rng(0)
    for part, users in (("train", range(1, 15)), ("valid", range(15, 19)), ("test", range(19, 23))):
        lines = []
        for u in users:
            n = 30
            lines += [f"{u},{u}", ",".join(str(q) for q in rng.permutation(n) + 1),  # no repeats to merge
                      ",".join(str(s) for s in rng.integers(1, 4, n)), ",".join(str(y) for y in rng.integers(0, 2, n))]  # fmt: skip
        (tmp_path / f"toy_{part}1.csv").write_text("\n".join(lines) + "\n")
    report = kt.benchmark(tmp_path, models=("cairn",), max_epochs=1, patience=1, progress=False,
                          cairn_overrides={"d_model": 8, "d_ff": 16})  # fmt: skip
    (run,) = report["runs"]
    assert run["test"]["n"] == 4 * 29  # the 4 test learners, every answer but each one's first
