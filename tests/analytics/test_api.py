"""The analysts' Python API: DataFrames with the documented columns and row counts, from
the database and from an export file, pseudonymized by default."""

from __future__ import annotations

import json

import pytest

from analytics import api
from analytics.exports import analytics_learner_pseudonym
from analytics.models import VideoSummary
from lms.courses.models import Activity
from lms.progress.models import ActivityProgress
from lms.recommendations.models import ModelVersion
from lms.tracking.interop.export import events_export
from lms.tracking.models import Event
from tests.analytics.exports_data import COURSE, store_simulated_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def data(module_db):
    store_simulated_cohort()
    return set(Event.objects.filter(course__slug=COURSE).values_list("learner_id", flat=True))


def test_events_from_the_database(data):
    frame = api.events(course=COURSE)
    assert list(frame.columns) == api.EVENT_COLUMNS
    assert len(frame) == Event.objects.filter(course__slug=COURSE).count()
    assert set(frame.learner_id) == {analytics_learner_pseudonym(i) for i in data}
    assert frame.time.is_monotonic_increasing and str(frame.time.dt.tz) == "UTC"
    assert isinstance(json.loads(frame.payload.iloc[0]), dict)
    identified = api.events(course=COURSE, since="2026-05-10", until="2026-05-12", pseudonymize=False)
    expected = Event.objects.filter(
        course__slug=COURSE, time__date__gte="2026-05-10", time__date__lt="2026-05-12"
    )
    assert len(identified) == expected.count() > 0
    assert set(identified.learner_id) <= data
    assert (identified.time >= "2026-05-10").all() and (identified.time < "2026-05-12").all()
    sources = api.events(course=COURSE, source="server")
    assert set(sources.source) <= {"server"} and len(sources) < len(frame)
    assert list(api.events(course=COURSE, since="2030-01-01").columns) == api.EVENT_COLUMNS


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_events_from_an_export_file(data, tmp_path, suffix):
    path = tmp_path / "events.parquet"
    events_export(format="parquet", out=path, course=COURSE)
    if suffix == "csv":
        import pandas as pd

        pd.read_parquet(path).to_csv(tmp_path / "events.csv", index=False)
        path = tmp_path / "events.csv"
    db = api.events(course=COURSE)
    frame = api.events(path=path)
    assert list(frame.columns) == api.EVENT_COLUMNS and len(frame) == len(db)
    assert set(frame.learner_id) == set(db.learner_id)  # pseudonymized the same way
    window = api.events(path=path, course=COURSE, since="2026-05-10", until="2026-05-12", pseudonymize=False)
    assert len(window) == len(api.events(course=COURSE, since="2026-05-10", until="2026-05-12"))
    assert set(window.learner_id) <= data


def test_learner_progress(data):
    frame = api.learner_progress(COURSE)
    assert list(frame.columns) == [
        "learner_id", "week", "activity", "kind", "graded", "started", "completed", "score", "passed", "coverage",
    ]  # fmt: skip
    assert len(frame) == ActivityProgress.objects.filter(course__slug=COURSE).count() > 0
    assert set(frame.learner_id) <= {analytics_learner_pseudonym(i) for i in data}
    assert set(api.learner_progress(COURSE, pseudonymize=False).learner_id) <= data


def test_quiz_items_and_video_engagement(data):
    items = api.quiz_items(COURSE)
    assert list(items.columns) == [
        "quiz", "question", "n", "difficulty", "discrimination", "all_attempts", "all_correct",
    ]  # fmt: skip
    assert len(items) > 0 and set(items.quiz) <= set(
        Activity.objects.filter(kind="quiz").values_list("slug", flat=True)
    )
    assert items.difficulty.dropna().between(0, 1).all()
    videos = api.video_engagement(COURSE)
    assert "completion_rate" in videos and "mean_coverage" in videos
    assert len(videos) == VideoSummary.objects.filter(course__slug=COURSE).count() > 0
    assert videos.viewers.sum() > 0


def test_model_versions():
    assert list(api.model_versions().columns)[:2] == ["number", "status"]
    ModelVersion.objects.create(
        number=1, status="retired", metrics={"model": {"next_activity": {"hit@1": 0.4}}}
    )
    ModelVersion.objects.create(number=2, status="candidate", metrics={})
    frame = api.model_versions()
    assert list(frame.number) == [2, 1]
    assert frame["metrics.model.next_activity.hit@1"].tolist()[1] == 0.4
