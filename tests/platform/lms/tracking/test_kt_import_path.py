"""Issue 16, "done when": a published knowledge-tracing fold goes from its files to a
correctness AUC with no hand step. ``import_events --format akt`` -> ``export_events
--format parquet`` -> ``python -m recommender train --preset kt --holdout-file ids.txt``
(the fold's test learners, by their ids AS IN THE FILE) -> ``python -m recommender
evaluate``, on a slice of the real ASSIST2009 folds in ``../shared/data``."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command

from lms.tracking.services import catalog_index_forget

pytestmark = [pytest.mark.django_db, pytest.mark.heavy]  # trains on a public fold: handed out first

ROOT = Path(__file__).resolve().parents[4]
AKT_DIR = ROOT / ".." / "shared" / "data" / "kt-akt-folds" / "assist2009_pid"
TRAIN_RECORDS, TEST_RECORDS = 120, 40  # 4 lines a record: "<user index>,<user id>", problems, skills, answers


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    catalog_index_forget()


def _slice(name: str, records: int, folder: Path) -> Path:
    source = AKT_DIR / name
    if not source.is_file():
        pytest.skip(f"the shared AKT folds are not at {AKT_DIR} (see ../shared/data/README.md)")
    out = folder / name
    out.write_text("\n".join(source.read_text().splitlines()[: 4 * records]) + "\n")
    return out


def _recommender(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "recommender", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_an_akt_fold_goes_from_its_files_to_a_correctness_auc(tmp_path):
    folds = tmp_path / "assist2009_pid"
    folds.mkdir()
    train_file = _slice("assist2009_pid_train1.csv", TRAIN_RECORDS, folds)
    test_file = _slice("assist2009_pid_test1.csv", TEST_RECORDS, folds)
    for name in ("problems.json", "skill.json"):
        shutil.copy(AKT_DIR / name, folds / name)
    held = sorted({line.split(",")[1].strip() for line in test_file.read_text().splitlines()[::4]})
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"{i}\n" for i in held))  # the learners' ids as the fold writes them

    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command(
        "import_events", "--format", "akt", str(train_file), str(test_file), "--no-progress", **quiet
    )
    events = tmp_path / "events.parquet"
    call_command("export_events", "--format", "parquet", "--out", str(events), "--no-progress", **quiet)

    model, report = tmp_path / "model", tmp_path / "report"
    trained = _recommender("train", "--events", str(events), "--out", str(model), "--preset", "kt",
                           "--holdout-file", str(ids), "--epochs", "3", "--no-progress")  # fmt: skip
    assert "epoch 1/3:" in trained.stdout and "kt_auc" in trained.stdout
    _recommender(
        "evaluate", "--events", str(events), "--model", str(model), "--out", str(report), "--no-progress"
    )

    result = json.loads((report / "report.json").read_text())
    auc = result["results"]["correctness"]["model (gru)"]  # the kt preset's GRU
    assert isinstance(auc["auc"], float) and 0.5 < auc["auc"] < 1.0 and auc["n"] > 0
    frame = pd.read_parquet(events, columns=["learner_id", "learner_key"]).drop_duplicates()
    key_of = dict(zip(frame["learner_id"], frame["learner_key"], strict=True))
    holdout = [int(i) for i in (model / "holdout_learners.txt").read_text().split() if i.isdigit()]
    assert sorted(key_of[i] for i in holdout) == held  # exactly the fold's test learners, and no other
    assert result["evaluation"]["n_test_learners"] == len(held)
    training = json.loads((model / "config.json").read_text())["training"]
    assert training["preset"] == "kt" and training["targets"]["correctness"] > 0
