"""``import_events --format pykt | assistments | junyi``: the knowledge-tracing readers of
``recommender.datasets`` through the platform's importer, on their fixtures (the
readers' own tests are in tests/recommender/datasets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.tracking.models import Event
from recommender.datasets.assistments import read_assistments
from recommender.datasets.junyi import read_junyi
from recommender.datasets.pykt import read_pykt
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "recommender" / "datasets" / "fixtures"


def test_pykt_train_valid_and_test_import_every_answer_once():
    folder = FIXTURES / "pykt" / "assist2009"
    expected = len(read_pykt(folder / "train_valid.csv")) + len(read_pykt(folder / "test.csv"))
    summary = run("--format", "pykt", str(folder / "train_valid.csv"), str(folder / "test.csv"))
    assert f"events stored:       {expected}" in summary and "bad lines:           0" in summary
    graded = Event.objects.filter(learner__username="64525").order_by("time")
    assert [e.payload["questions"][0]["question"] for e in graded] == ["51424", "51435", "51444", "51395"]
    assert graded[2].payload["concepts"] == ["10", "13"]


@pytest.mark.parametrize(
    ("fmt", "path", "read"),
    [
        ("assistments", FIXTURES / "assistments" / "skill_builder_data.csv", read_assistments),
        (
            "assistments",
            FIXTURES / "assistments" / "2015_100_skill_builders_main_problems.csv",
            read_assistments,
        ),
        ("junyi", FIXTURES / "junyi" / "junyi_ProblemLog_original.csv", read_junyi),
    ],
)
def test_raw_logs_import_one_event_per_answer(fmt, path, read):
    frame = read(path)
    summary = run("--format", fmt, str(path))
    assert f"events stored:       {len(frame)}" in summary and "bad lines:           0" in summary
    assert Event.objects.filter(verb="quiz.graded").count() == len(frame)
    again = run("--format", fmt, str(path))
    assert "events stored:       0" in again
