"""The bulk table import (issue 19, part 4): a learner's rows far apart in a file are
in order all the same, a refused row keeps its place in the learner's sequence, the
parallel path stores what the sequential one does (bad rows told by line and counted by
reason, idempotent), payload objects shared by rows are checked once without letting a
check that depends on the learner slip, and the columns path (binary COPY,
``events_ingest_columns``) stores exactly what the row path does."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pytest

from lms.privacy.models import ErasedLearner
from lms.privacy.selectors import erased_key
from lms.tracking.columns import NO_TIME, EventColumns, events_ingest_columns
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import stable_id, stable_ids
from lms.tracking.models import Event
from lms.tracking.services import PayloadMemo, events_ingest_many
from lms.tracking.store import micros
from tests.factories import ActivityFactory, UserFactory
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def course_with_activity():
    activity = ActivityFactory(kind="quiz")
    return activity.course, activity


def csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


def sequences() -> dict[str, list[tuple[int, str]]]:
    """learner -> [(minutes after EPOCH, question)] in order of time."""
    out: dict[str, list[tuple[int, str]]] = {}
    for e in Event.objects.select_related("learner").order_by("learner__username", "time"):
        minutes = int((e.time - EPOCH).total_seconds() // 60)
        out.setdefault(e.learner.username, []).append((minutes, e.payload["questions"][0]["question"]))
    return out


def snapshot() -> list[tuple]:
    return sorted(
        (str(e.event_id), e.learner_id, e.time, e.verb, e.course_id, e.activity_id, repr(e.payload))
        for e in Event.objects.all()
    )


def test_a_learners_rows_in_different_chunks_are_in_order_of_order(tmp_path):
    # s1's rows are at the file's two ends, in reverse order; chunks of 2 rows split them
    rows = ["learner,order,question,correct", "s1,30,q3,1", "s1,20,q2,0"]
    rows += [f"s2,{i},p{i},1" for i in range(1, 6)]
    rows += ["s1,10,q1,1", "s1,25,q25,0"]
    path = csv(tmp_path / "split.csv", "\n".join(rows))
    summary = run("--format", "table", str(path), "--chunk-size", "2")
    assert "events stored:       9" in summary and "bad lines:           0" in summary
    got = sequences()
    assert got["s1"] == [(0, "q1"), (1, "q2"), (2, "q25"), (3, "q3")]
    assert got["s2"] == [(i - 1, f"p{i}") for i in range(1, 6)]

    # one chunk or many: the same events (same ids and times: nothing new)
    again = run("--format", "table", str(path), "--chunk-size", "1000")
    assert "events stored:       0" in again and "duplicates:          9" in again


def test_a_refused_row_keeps_its_place_so_fixing_it_adds_only_itself(tmp_path):
    bad = csv(tmp_path / "t.csv", "learner,order,question,correct\ns1,1,q1,1\ns1,2,q2,maybe\ns1,3,q3,0\n")
    summary = run("--format", "table", str(bad))
    assert "events stored:       2" in summary and "t.csv:3: correct 'maybe' is not 1/0" in summary
    assert sequences()["s1"] == [(0, "q1"), (2, "q3")]  # q3 is third in order: minute 2
    fixed = csv(tmp_path / "t.csv", "learner,order,question,correct\ns1,1,q1,1\ns1,2,q2,1\ns1,3,q3,0\n")
    again = run("--format", "table", str(fixed))
    assert "events stored:       1" in again and "duplicates:          2" in again
    assert sequences()["s1"] == [(0, "q1"), (1, "q2"), (2, "q3")]


def _table(tmp_path: Path) -> Path:
    rows = ["learner,order,time,skill,question,correct"]
    for i in range(40):  # every other row has no time: a synthetic one, by order
        time = f"2024-01-01T00:{i:02d}:00Z" if i % 2 == 0 else ""
        rows.append(f"s{i % 7},{100 - i},{time},skill {i % 3},q{i % 5},{i % 2}")
    rows.append("s1,1,,skill 1,q1,maybe")  # bad: correct (line 42)
    rows.append(",2,,skill 1,q1,1")  # bad: no learner (line 43)
    rows.append("s2,3,2999-01-01T00:00:00Z,skill 1,q1,1")  # invalid: in the future (line 44)
    rows += rows[1:11:2]  # five timed rows again: duplicates, maybe in another worker
    return csv(tmp_path / "kt.csv", "\n".join(rows))


@pytest.mark.django_db(transaction=True)
def test_parallel_table_import_stores_what_the_sequential_one_does(tmp_path):
    path = _table(tmp_path)
    summary = run("--format", "table", str(path), "--workers", "2", "--chunk-size", "4")
    assert "48 lines read" in summary
    assert "events stored:       40" in summary and "duplicates:          5" in summary
    assert "bad lines:           2" in summary and "invalid events:      1" in summary
    assert f"{path}:42: correct 'maybe' is not 1/0" in summary and f"{path}:43: no learner" in summary
    assert f"{path}:44: time: time is in the future" in summary  # refused by validation, told by line
    assert "learners created:    7" in summary and "activities created:  3" in summary
    parallel = snapshot()
    assert len(parallel) == 40

    Event.objects.all().delete()
    report = events_import(format="table", paths=[path], chunk_size=4)
    assert (report.stored, report.duplicates, report.invalid, report.learners_created) == (40, 5, 1, 0)
    assert snapshot() == parallel

    again = events_import(format="table", paths=[path], workers=2, chunk_size=4)
    assert (again.stored, again.duplicates, again.bad, again.invalid) == (0, 45, 2, 1)
    assert snapshot() == parallel


def test_parallel_table_import_refuses_to_run_inside_a_transaction(tmp_path):
    with pytest.raises(ValueError, match="cannot run inside a transaction"):
        events_import(format="table", paths=[_table(tmp_path)], workers=2)
    assert not Event.objects.exists()


def test_erased_learners_are_skipped_in_a_table_of_many_learners(tmp_path):
    # more learners in a chunk than erased ones: the erased list is read whole
    ErasedLearner.objects.create(key=erased_key("s7"))
    rows = ["learner,order,question,correct"] + [f"s{i},1,q1,1" for i in range(150)]
    summary = run("--format", "table", str(csv(tmp_path / "many.csv", "\n".join(rows))))
    assert "events stored:       149" in summary and "learner erased on request" in summary
    assert not Event.objects.filter(learner__username="s7").exists()


def test_a_shared_payload_is_checked_for_each_learner_when_it_names_someone():
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    shared = {"path": "/a", "username": "ada"}  # one object in both events

    def raw() -> dict:
        return {
            "id": str(uuid.uuid4()),
            "time": "2025-01-01T00:00:00+00:00",
            "verb": "navigation.page_viewed",
        }

    memo = PayloadMemo()
    result = events_ingest_many(
        items=[(ada.pk, {**raw(), "payload": shared}), (bob.pk, {**raw(), "payload": shared})],
        source="table",
        identities={ada.pk: "ada"},
        memo=memo,
    )
    assert result.stored_count == 1 and [(e.index, e.field) for e in result.errors] == [
        (1, "payload.username")
    ]
    assert Event.objects.get().payload == {"path": "/a"}  # the learner's own name is dropped

    # an invalid shared payload: each event refused at its own index, in this call and the next
    broken = {"path": 7}
    for _ in range(2):
        result = events_ingest_many(
            items=[(ada.pk, {**raw(), "payload": broken}), (bob.pk, {**raw(), "payload": broken})],
            source="table",
            memo=memo,
        )
        assert [e.index for e in result.errors] == [0, 1] and result.stored_count == 0


# columns: the binary COPY path (events_ingest_columns) ------------------------------------
def _columns(learner_ids, times, templates, ids=None):
    ids = ids or [uuid.uuid4() for _ in learner_ids]
    return EventColumns(
        learner_ids=np.array(learner_ids, np.int64),
        times=np.array(times, np.int64),
        event_ids=b"".join(i.bytes for i in ids),
        templates=templates,
    ), ids


def test_columns_store_what_the_row_path_stores(course_with_activity):
    """The same events through events_ingest_many and events_ingest_columns: the same
    rows (time, course, activity, verb, scrubbed payload), and again nothing new."""
    course, activity = course_with_activity
    ada = UserFactory(username="ada")
    payload = {"question": "q1", "answer": "mail ada@example.org", "concepts": ["c"], "email": "x@y.z"}
    template = {
        "verb": "quiz.answered",
        "session": "",
        "course": course.slug,
        "activity": activity.slug,
        "payload": payload,
    }
    moments = [dt.datetime(2024, 3, 1, 10, m, 30, 123456, tzinfo=dt.UTC) for m in range(3)]
    columns, ids = _columns([ada.pk] * 3, [micros(m) for m in moments], [template] * 3)
    memo = PayloadMemo()
    result = events_ingest_columns(columns=columns, source="table", memo=memo)
    assert (result.stored_count, result.duplicate_count, result.errors) == (3, 0, [])
    by_columns = snapshot()
    again = events_ingest_columns(columns=columns, source="table", memo=memo)
    assert (again.stored_count, again.duplicate_count) == (0, 3) and snapshot() == by_columns

    Event.objects.all().delete()
    items = [
        (ada.pk, {**template, "id": str(i), "time": m.isoformat()}) for i, m in zip(ids, moments, strict=True)
    ]
    assert events_ingest_many(items=items, source="table").stored_count == 3
    by_rows = snapshot()
    assert [r[1:] for r in by_columns] == [r[1:] for r in by_rows] and by_columns == by_rows
    stored = Event.objects.first()
    assert "email" not in stored.payload and "ada@example.org" not in stored.payload["answer"]  # scrubbed
    assert {e.time for e in Event.objects.all()} == set(moments)  # to the microsecond


def test_columns_refuse_bad_events_at_their_positions(course_with_activity):
    course, activity = course_with_activity
    ada = UserFactory(username="ada")
    good = {"verb": "navigation.page_viewed", "session": "", "course": course.slug, "payload": {"path": "/a"}}
    unknown_verb = {**good, "verb": "page.teleported"}
    bad_payload = {**good, "payload": {"path": 7}}
    unknown_course = {**good, "course": "no-such-course"}
    future = micros(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    now = micros(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    columns, _ = _columns(
        [ada.pk] * 6,
        [now, now + 1, now + 2, now + 3, future, NO_TIME],
        [good, unknown_verb, bad_payload, unknown_course, good, good],
    )
    result = events_ingest_columns(columns=columns, source="table")
    assert result.stored_count == 1
    got = [(e.index, e.field) for e in result.errors]
    assert got == [(1, "verb"), (2, "payload.path"), (3, "course"), (4, "time"), (5, "time")]
    assert "time is in the future" in result.errors[3].message
    assert result.errors[4].message.startswith("time must be an ISO 8601 timestamp")
    with pytest.raises(ValueError, match="not browser events"):
        events_ingest_columns(columns=columns, source=Event.Source.CLIENT)


def test_a_template_naming_someone_is_checked_event_by_event():
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    template = {"verb": "navigation.page_viewed", "payload": {"path": "/a", "user_id": ada.pk}}
    t = micros(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    columns, _ = _columns([ada.pk, bob.pk], [t, t], [template, template])
    result = events_ingest_columns(columns=columns, source="table")
    assert result.stored_count == 1 and [(e.index, e.field) for e in result.errors] == [
        (1, "payload.user_id")
    ]
    assert Event.objects.get().learner_id == ada.pk


def test_table_event_ids_are_the_row_paths_uuid5():
    texts = ["table|c|learner=s1\x1forder=1", "table|é|x", ""]
    assert stable_ids(texts) == b"".join(uuid.UUID(stable_id(t)).bytes for t in texts)


def test_bad_rows_are_counted_by_reason_and_told_by_line(tmp_path):
    rows = ["learner,order,time,question,correct"]
    rows += [f"s{i % 3},{i},,q{i},1" for i in range(10)]
    rows += ["s1,11,,q1,maybe", "s1,12,,q2,perhaps", ",13,,q3,1", "s2,x,,q4,1", "s2,15,not a date,q5,1"]
    rows += ["s2,16,2024-01-01T10:00:00+02:00,q6,0", "s2,17,1704103200,q7,0", "s2,18,1704103200000,q8,0"]
    summary = run("--format", "table", str(csv(tmp_path / "r.csv", "\n".join(rows))))
    assert "events stored:       13" in summary and "bad lines:           5" in summary
    assert "2  correct is not 1/0, true/false or a fraction" in summary
    assert "1  no learner" in summary and "1  order is not a number" in summary
    assert "1  time is not a date" in summary
    for line, why in [
        (12, "correct 'maybe'"),
        (13, "correct 'perhaps'"),
        (14, "no learner"),
        (15, "order is not"),
    ]:
        assert f"r.csv:{line}: {why}" in summary
    assert "r.csv:16: time 'not a date' is not a date" in summary
    times = sorted(e.time for e in Event.objects.filter(learner__username="s2", time__year=2024))
    assert times == [dt.datetime(2024, 1, 1, 8, 0, tzinfo=dt.UTC), dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC),
                     dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)]  # fmt: skip


def test_an_import_with_more_rows_than_a_chunk_and_a_time_column_is_idempotent(tmp_path):
    rows = ["user_id,timestamp,skill,problem_id,correct"]
    rows += [
        f"u{i % 13},2024-02-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,s{i % 4},p{i % 17},{i % 2}"
        for i in range(300)
    ]
    path = csv(tmp_path / "t.csv", "\n".join(rows))
    first = events_import(format="table", paths=[path], chunk_size=64)
    assert (first.stored, first.bad, first.invalid) == (len({r for r in rows[1:]}), 0, 0)
    assert first.stored + first.duplicates == 300
    before = snapshot()
    again = events_import(format="table", paths=[path], chunk_size=1000)  # other chunks: the same ids
    assert (again.stored, again.duplicates) == (0, 300) and snapshot() == before
