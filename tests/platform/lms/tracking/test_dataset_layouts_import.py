"""``import_events --format ednet-kt4|ednet-kt1|oulad|kddcup2015``: each public layout
read by ``recommender.datasets`` is stored row for row (fixtures for OULAD and KDD Cup
2015, two learners of the real EdNet KT4 sample)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lms.tracking.models import Event
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "recommender" / "datasets" / "fixtures"
EDNET = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "ednet-kt4-sample"


def _ednet_slice(tmp_path: Path) -> Path:
    if not EDNET.is_dir():
        pytest.skip(f"the shared EdNet KT4 sample is not at {EDNET} (see ../shared/data/README.md)")
    for name in ("u3.csv", "u6.csv", "questions.csv", "lectures.csv"):
        shutil.copy(EDNET / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("layout", ["oulad", "kddcup2015", "ednet-kt4"])
def test_layout_imports_row_for_row(layout, tmp_path):
    from recommender.datasets.ednet import read_ednet_kt4
    from recommender.datasets.kddcup2015 import read_kddcup2015
    from recommender.datasets.oulad import read_oulad

    folder = _ednet_slice(tmp_path) if layout == "ednet-kt4" else FIXTURES / layout
    reader = {"oulad": read_oulad, "kddcup2015": read_kddcup2015, "ednet-kt4": read_ednet_kt4}[layout]
    frame = reader(folder)
    files = {"oulad": ["studentVle.csv"], "kddcup2015": ["log_train.csv"], "ednet-kt4": ["u3.csv", "u6.csv"]}
    summary = run("--format", layout, *(str(folder / name) for name in files[layout]))
    assert "bad lines:           0" in summary, summary
    stored = Event.objects.count()
    assert stored > 0
    assert f"events stored:       {stored}" in summary
    assert stored == len(frame)  # row for row
    verbs = set(Event.objects.values_list("verb", flat=True))
    expected = {"question": "quiz.graded", "video": "video.completed", "reading": "navigation.page_viewed"}
    assert {expected[k] for k in set(frame["kind"]) if k in expected} <= verbs
