"""Progress folded from stored video events (``progress_from_events``): the one SQL
statement of PostgreSQL gives what the Python rules give, folding twice counts nothing
twice, and the Celery consumer (``progress.events_fold``) is as idempotent as the
statement; two batches of one learner at once both count; SQLite (``make run``) folds in
the request too. The request side (bound, transaction) is in
tests/platform/lms/tracking/test_ingest_progress.py."""

import json
import os
import random
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from course_content import rules
from lms.courses.services import enrollment_create
from lms.progress.models import ActivityProgress
from lms.progress.services import progress_from_events, progress_video_played, videos_played
from lms.progress.tasks import events_fold
from lms.recommendations.generation import learner_generation
from lms.tracking.services import events_ingest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pause(activity: str, segments, duration=None):
    payload = {"position": 1, "segments": segments}
    if duration is not None:
        payload["duration"] = duration
    return {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.paused",
            "course": "c9", "activity": activity, "payload": payload}  # fmt: skip


def _python_fold(kept: list, played: list, length: float, coverage_kept: float) -> tuple[list, float]:
    """What progress_video_played computes, from course_content.rules."""
    clean = [[max(0.0, float(s)), min(float(e), length) if length else float(e)] for s, e in played]
    merged = rules.merge_segments([*kept, *clean])
    return merged, rules.coverage(merged, length) if length else coverage_kept


def test_the_sql_fold_gives_what_the_python_rules_give():
    rng = random.Random(19)
    cases = [([], [[5, 5]], 0.0, 0.3), ([[0, 30]], [[30, 40], [39, 39.5]], 100.0, 0.3),
             ([], [[0, 1], [5, 6], [5, 6], [5, 6]], 0.0, 0.0), ([[0, 10]], [[90, 250]], 100.0, 0.1)]  # fmt: skip
    for _ in range(300):
        length = rng.choice([0.0, 60.0, 100.0, 333.3])
        kept = _python_fold([], [[a, a + rng.uniform(0, 40)] for a in (rng.uniform(0, 120) for _ in range(rng.randint(0, 4)))], length, 0.0)[0]  # fmt: skip
        played = []
        for _ in range(rng.randint(0, 12)):
            start = rng.choice([rng.uniform(0, 400), float(rng.randint(0, 100))])
            played.append([start, start + rng.choice([0.0, rng.uniform(0, 80), float(rng.randint(0, 20))])])
        cases.append((kept, played, length, rng.random()))
    with connection.cursor() as cursor:
        for kept, played, length, coverage_kept in cases:
            cursor.execute(
                "SELECT segments, coverage FROM progress_video_fold(%s::jsonb, %s::jsonb, %s, %s)",
                [json.dumps(kept), json.dumps(played), length, coverage_kept],
            )
            text, coverage = cursor.fetchone()  # Django's cursor reads jsonb as text
            segments = json.loads(text)
            want_segments, want_coverage = _python_fold(kept, played, length, coverage_kept)
            assert len(segments) == len(want_segments), (kept, played, length)
            flat = [x for pair in segments for x in pair]
            assert flat == pytest.approx([x for pair in want_segments for x in pair]), (kept, played, length)
            assert coverage == pytest.approx(want_coverage), (kept, played, length)


def test_the_statement_and_the_per_video_service_agree_batch_after_batch(small_course):
    """Random batches (stretches past the clip's end, overlapping, empty, a player that
    reports another length) folded by the statement for one learner and by
    ``progress_video_played`` for another give the same rows."""
    course, items = small_course
    rng = random.Random(7)
    by_statement, by_service = UserFactory(), UserFactory()
    for _ in range(25):
        duration = rng.choice([None, None, 80.0, 120.0])
        segments = []
        for _ in range(rng.randint(1, 8)):
            start = rng.uniform(0, 130)
            segments.append([start, start + rng.choice([0.0, rng.uniform(0, 30)])])
        progress_from_events(learner_id=by_statement.pk, events=[_pause("c9-video", segments, duration)])
        progress_video_played(
            learner_id=by_service.pk, activity=items["video"], segments=segments, duration=duration
        )
        a = ActivityProgress.objects.get(learner=by_statement, activity=items["video"])
        b = ActivityProgress.objects.get(learner=by_service, activity=items["video"])
        assert [x for pair in a.segments for x in pair] == pytest.approx(
            [x for pair in b.segments for x in pair]
        )
        assert a.coverage == pytest.approx(b.coverage) and (a.completed is None) == (b.completed is None)


def test_a_batch_is_folded_by_one_statement_and_marks_the_learner_stale(
    small_course, django_assert_num_queries
):
    course, items = small_course
    learner = UserFactory()
    before = learner_generation(learner.pk)
    events = [_pause("c9-video", [[0, 30]]), _pause("c9-video", [[20, 60]]), _pause("c9-video2", [[0, 95]]),
              _pause("c9-reading", [[0, 10]]),  # not a video: ignored
              {"verb": "video.played", "activity": "c9-video", "payload": {"position": 0}}]  # fmt: skip
    with django_assert_num_queries(1):
        assert progress_from_events(learner_id=learner.pk, events=events) == 2
    rows = {r.activity.slug: r for r in ActivityProgress.objects.filter(learner=learner)}
    assert set(rows) == {"c9-video", "c9-video2"}
    assert rows["c9-video"].segments == [[0, 60]] and rows["c9-video"].coverage == pytest.approx(0.6)
    assert rows["c9-video"].completed is None and rows["c9-video"].course == course
    assert rows["c9-video2"].coverage == pytest.approx(0.95) and rows["c9-video2"].completed is not None
    assert learner_generation(learner.pk) != before  # the next steps computed before are stale


def test_folding_the_same_events_twice_counts_nothing_twice(small_course):
    course, items = small_course
    learner = UserFactory()
    events = [_pause("c9-video", [[0, 50]]), _pause("c9-video", [[40, 95]], duration=100)]
    progress_from_events(learner_id=learner.pk, events=events)
    first = ActivityProgress.objects.get(learner=learner, activity=items["video"])
    assert first.coverage == pytest.approx(0.95) and first.completed is not None
    progress_from_events(learner_id=learner.pk, events=events)  # a retried task, a re-sent batch
    progress_from_events(learner_id=learner.pk, events=events[:1])
    again = ActivityProgress.objects.get(learner=learner, activity=items["video"])
    assert (again.segments, again.coverage, again.completed) == (
        first.segments,
        first.coverage,
        first.completed,
    )


def test_the_statement_keeps_what_the_other_services_wrote(small_course):
    """A row started by opening the page (or scored) keeps its fields; segments already
    kept by the Python service merge with the new ones."""
    course, items = small_course
    learner = UserFactory()
    enrollment_create(user=learner, course=course)
    progress_video_played(learner_id=learner.pk, activity=items["video"], segments=[[0, 40]])
    started = ActivityProgress.objects.get(learner=learner, activity=items["video"]).started
    progress_from_events(learner_id=learner.pk, events=[_pause("c9-video", [[30, 70]], duration=80)])
    row = ActivityProgress.objects.get(learner=learner, activity=items["video"])
    # The player reported an 80 s media: coverage is measured against it, as in Python.
    assert row.segments == [[0, 70]] and row.coverage == pytest.approx(70 / 80) and row.started == started
    assert row.completed is None


def test_malformed_segments_are_left_out_not_a_failed_statement():
    played = videos_played([
        {"verb": "video.paused", "activity": "v", "payload": {"segments": [[0, 5], [True, 3], ["1", 2], [1], [2, 4]]}},
        {"verb": "video.completed", "activity": "v", "payload": {"segments": [[6, float("nan")]], "duration": "9"}},
        {"verb": "video.paused", "activity": "w", "payload": {"segments": []}},
    ])  # fmt: skip
    assert played == {"v": ([[0, 5], [2, 4]], None)}


def test_the_consumer_task_run_twice_folds_once(small_course):
    course, items = small_course
    learner = UserFactory()
    events = [_pause("c9-video", [[0, 45]]), _pause("c9-video", [[45, 92]])]
    stored = events_ingest(learner_id=learner.pk, events=events)
    assert len(stored.accepted) == 2
    times = sorted(e["time"] for e in events)
    # Twice, as a redelivered message (acks_late) or a retry would run it.
    assert events_fold.apply(args=(learner.pk, stored.accepted, times[0], times[-1])).get() == 1
    assert events_fold.apply(args=(learner.pk, stored.accepted, times[0], times[-1])).get() == 1
    row = ActivityProgress.objects.get(learner=learner, activity=items["video"])
    assert row.segments == [[0, 92]] and row.coverage == pytest.approx(0.92) and row.completed is not None
    # Events erased in between (the learner's data rights): nothing to fold, no error.
    assert events_fold.apply(args=(learner.pk, [str(uuid.uuid4())], times[0], times[-1])).get() == 0


SQLITE_SCRIPT = """
import json, uuid, django
django.setup()
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.progress.models import ActivityProgress
assert connection.vendor == "sqlite"
course = Course.objects.create(slug="c9", title="Nine")
week = Week.objects.create(course=course, slug="c9-w1", position=1, title="W")
Activity.objects.create(course=course, week=week, slug="c9-video", position=1, kind="video", title="V",
                        minutes=2, duration_seconds=100)
client = Client()
client.force_login(User.objects.create(username="embedded"))
def pause(segments):
    return {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.paused",
            "activity": "c9-video", "payload": {"position": 1, "segments": segments}}
batch = [pause([[0, 50]]), pause([[40, 95]])]
for body in (batch, batch):  # the second time: all duplicates
    response = client.post("/api/events", json.dumps({"events": body}), content_type="application/json")
    assert response.status_code == 200, response.content
row = ActivityProgress.objects.get(activity__slug="c9-video")
print(json.dumps([row.segments, round(row.coverage, 3), row.completed is not None]))
"""


def test_make_run_on_sqlite_folds_progress_in_the_request(tmp_path):
    """``make run`` (SQLite, no Redis): the same request folds progress in Python, with
    the same rules, before it answers; no worker is needed to see a video watched."""
    root = Path(__file__).resolve().parents[4]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env.update(CAIRN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="lms.settings",
               PYTHONPATH=f"{root / 'platform'}:{root}")  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [[[0.0, 95.0]], 0.95, True]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_one_learner_both_count(small_course):
    """Two requests of the same learner folding at once (two tabs): the second waits on
    the first's row (or its insert) and folds into what the first committed."""
    course, items = small_course
    learner = UserFactory()
    done = []

    def second() -> None:
        try:
            progress_from_events(learner_id=learner.pk, events=[_pause("c9-video", [[50, 60]])])
            done.append(True)
        finally:
            connections.close_all()

    with transaction.atomic():
        progress_from_events(learner_id=learner.pk, events=[_pause("c9-video", [[0, 10]])])
        thread = threading.Thread(target=second)
        thread.start()  # blocks on the uncommitted insert until this transaction ends
    thread.join(timeout=60)
    assert done == [True]
    row = ActivityProgress.objects.get(learner=learner, activity=items["video"])
    assert row.segments == [[0, 10], [50, 60]] and row.coverage == pytest.approx(0.2)
