"""The rollups are exact: folded in several runs (with events arriving late and out of
time order), rebuilt from scratch, or computed directly from the raw events, they are
the same numbers. Runs are idempotent and atomic; the command and the beat task run them."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from analytics import models as m
from analytics.rollups import Chunk, rollups_clear, rollups_update, safe_horizon
from lms.accounts.models import User
from lms.courses.models import Activity
from lms.tracking.models import Event
from lms.tracking.services import events_ingest_many
from tests.analytics.conftest import store_cohort, store_recommendations
from tests.analytics.recompute import differences, recompute, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def course(module_db):
    # 10 learners per ingestion call: the events carry four distinct `received` stamps,
    # then three more for recommendations (answers stored before what they answer included).
    course = store_cohort(learners=40, days=30, seed=7, batch=10)
    assert store_recommendations(course) > 30
    return course


def _reset() -> None:
    rollups_clear()
    m.Watermark.objects.update_or_create(name="events", defaults={"received": None, "events": 0})


def _late_events(course) -> int:
    """Events stored now about things that happened long ago: a lab opened before the
    learner's first recorded visit and a passing Submit before their recorded pass, more
    played video, a backward seek, a new speed, an extra first attempt, an unenrollment."""
    lab_state = m.LearnerLab.objects.filter(activity__course=course).exclude(gradings=[]).first()
    video_state = m.LearnerVideo.objects.filter(activity__course=course).exclude(segments=[]).first()
    quiz = Activity.objects.filter(course=course, kind="quiz").first()
    lab = Activity.objects.get(pk=lab_state.activity_id)
    video = Activity.objects.get(pk=video_state.activity_id)
    tests = list(m.LabTest.objects.filter(activity=lab).values_list("test", flat=True))
    newcomer = User.objects.create(username="late-learner")
    early = lab_state.first_seen - dt.timedelta(days=2)

    def event(verb, when, activity=None, **payload):
        raw = {"id": str(uuid.uuid4()), "time": when.isoformat(), "verb": verb, "payload": payload}
        if activity is not None:
            raw["activity"] = activity.slug
        return raw

    items = [
        (lab_state.learner_id, event("lab.opened", early, lab)),
        (lab_state.learner_id, event("lab.graded", early + dt.timedelta(minutes=5), lab, mode="submit",
                                     score=1.0, gradable=True, submission=str(uuid.uuid4()),
                                     tests=[{"name": t, "passed": True, "kind": "ok"} for t in tests])),
        (video_state.learner_id, event("video.paused", early, video, position=30.0,
                                       segments=[[0.0, 30.0], [100.0, 180.5]], duration=video.duration_seconds)),
        (video_state.learner_id, event("video.seeked", early, video, old_time=150.0, new_time=95.5)),
        (video_state.learner_id, event("video.speed_changed", early, video, position=1.0, old_speed=1.0,
                                       new_speed=2.0)),
        (newcomer.pk, event("quiz.graded", early, quiz, attempt=1, score=0.0, passed=False,
                            questions=[{"question": q.slug, "correct": False, "answer": 1}
                                       for q in quiz.questions.all()])),
        (newcomer.pk, event("enrollment.deactivated", early - dt.timedelta(days=40))),
    ]  # fmt: skip
    items[-1][1]["course"] = course.slug
    result = events_ingest_many(items=items, source=Event.Source.SERVER)
    assert not result.errors, result.errors
    return len(items)


def test_incremental_runs_equal_a_rebuild_and_a_direct_recomputation(course):
    _reset()
    stamps = sorted(set(Event.objects.values_list("received", flat=True)))
    assert len(stamps) >= 4
    for step, stamp in enumerate(stamps):
        report = rollups_update(until=stamp, chunk_size=(257, 100_000)[step % 2])
        assert report.watermark == stamp
        # After each run the rollups equal a recomputation over the events stored so far.
        assert differences(snapshot(), recompute(received__lte=stamp)) == []

    assert _late_events(course) == 7
    now = timezone.now()
    rollups_update(until=now, chunk_size=3)
    incremental = snapshot()
    assert differences(incremental, recompute()) == []
    assert incremental["lab_summary"] and incremental["video_bucket"] and incremental["quiz_option"]
    days = incremental["recommendation_day"]
    assert {key[2] for key in days} == {"model-v1", "rules-v1", "syllabus"}
    assert sum(r["followed"] for r in days.values()) and sum(r["dismissed"] for r in days.values())

    report = rollups_update(rebuild=True, until=now)
    assert report.events == Event.objects.count()
    assert differences(snapshot(), incremental) == []


def test_a_run_is_idempotent_and_a_failed_run_counts_nothing(course, monkeypatch):
    _reset()
    now = timezone.now()
    first = rollups_update(until=now)
    assert first.events == Event.objects.count() > 0
    before = snapshot()
    assert rollups_update(until=now).events == 0  # nothing new: nothing counted twice
    assert snapshot() == before

    _reset()
    original = Chunk.flush
    calls = {"n": 0}

    def failing_flush(self):
        calls["n"] += 1
        original(self)  # write everything, then fail before the transaction ends
        raise RuntimeError("worker killed")

    monkeypatch.setattr(Chunk, "flush", failing_flush)
    with pytest.raises(RuntimeError):
        rollups_update(until=now)
    assert calls["n"] == 1
    assert all(rows == {} for rows in snapshot().values())
    assert m.Watermark.objects.get(name="events").received is None
    monkeypatch.setattr(Chunk, "flush", original)
    rollups_update(until=now)
    assert snapshot() == before


def test_the_horizon_trails_the_clock_and_recent_events_wait(course):
    _reset()
    now = timezone.now()
    assert safe_horizon(lag=dt.timedelta(seconds=15), now=now) <= now - dt.timedelta(seconds=15)
    report = rollups_update(lag=dt.timedelta(hours=1))  # everything was stored seconds ago
    assert report.events == 0
    assert m.CourseSummary.objects.count() == 0


def test_an_open_transaction_holds_the_horizon_back():
    """A writer that stamped `received` and has not committed yet must not be overtaken:
    the horizon stays behind the start of any open transaction (never more than 10 min)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT 1")  # the transaction is open from here on
        started = other.execute(
            "SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        ).fetchone()[0]
        now = timezone.now()
        assert safe_horizon(lag=dt.timedelta(0), now=now) <= started
        assert safe_horizon(lag=dt.timedelta(seconds=5), now=now) <= started - dt.timedelta(seconds=5)
        # A transaction open for far too long is not waited for beyond MAX_HOLD.
        later = now + dt.timedelta(hours=1)
        assert safe_horizon(lag=dt.timedelta(0), now=later) == later - dt.timedelta(minutes=10)
        other.rollback()


def test_the_command_updates_and_rebuilds(course):
    _reset()
    out = io.StringIO()
    call_command("rollups_update", "--lag", "0", stdout=out)
    assert "events folded" in out.getvalue()
    counted = snapshot()
    call_command("rollups_update", "--rebuild", "--lag", "0", stdout=out)
    assert "Rebuilt:" in out.getvalue()
    assert snapshot() == counted


def test_the_beat_task_is_scheduled_every_minute_on_the_default_queue(course, settings):
    from analytics.tasks import rollups_update_task
    from lms.celery import app

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "analytics.rollups_update")
    assert entry["schedule"] == 60.0
    assert "analytics.rollups_update" in app.tasks
    route = (settings.CELERY_TASK_ROUTES or {}).get("analytics.rollups_update", {})
    assert route.get("queue", settings.CELERY_TASK_DEFAULT_QUEUE) == "default"
    _reset()
    settings.ANALYTICS_ROLLUP_LAG_SECONDS = 0
    result = rollups_update_task.apply()
    assert "events folded" in result.get()
    assert m.CourseSummary.objects.exists()


def test_lms_settings_keep_the_other_beat_entries():
    assert "event-partitions-ahead" in settings.CELERY_BEAT_SCHEDULE
