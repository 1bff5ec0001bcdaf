"""The bulk table import (issue 19, part 4): a learner's rows far apart in a file are
in order all the same, a refused row keeps its place in the learner's sequence, the
parallel path stores what the sequential one does (bad rows told by line, idempotent),
and payload objects shared by rows are checked once without letting a check that
depends on the learner slip."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from lms.privacy.models import ErasedLearner
from lms.privacy.selectors import erased_key
from lms.tracking.interop import events_import
from lms.tracking.models import Event
from lms.tracking.services import PayloadMemo, events_ingest_many
from tests.factories import UserFactory
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


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
