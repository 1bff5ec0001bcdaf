"""Personal data in events (issue 17, finding 9): each payload the finding names, sent
through the real POST /api/events, is stored without the e-mail or the name; and the
same payloads in rows stored *before* the scrubber (written straight to the store) leave
every pseudonymized analysts' export (Parquet, CSV, edX, xAPI) without them."""

from __future__ import annotations

import gzip
import json
import uuid

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from analytics.exports import export_job_create
from analytics.tasks import export_run_task
from lms.tracking import partitions
from lms.tracking.models import Event
from lms.tracking.scrub import EMAIL_REMOVED, payload_scrub, text_scrub
from lms.tracking.store import Row, rows_store
from tests.factories import UserFactory, analyst_user

pytestmark = pytest.mark.django_db

EMAIL = "ada.lovelace@example.org"
NAME = "Ada Lovelace"
# Every payload of finding 9 (the ``session`` one is a field of the event, below).
HOSTILE = {
    "email after a number": {"answer": [3, EMAIL]},
    "email in a nested list": {"answer": [[1, 2], ["x", [EMAIL]]]},
    "percent-encoded email": {"answer": "ada.lovelace%40example.org"},
    "encoded plus and at": {"answer": "ada%2Blove%40example.org"},
    "double-encoded email": {"answer": "ada.lovelace%2540example.org"},
    "query string": {"answer": "/course?email=ada.lovelace%40example.org&name=Ada+Lovelace&page=2"},
    "form body": {"answer": "full_name=Ada%20Lovelace&e-mail=ada.lovelace@example.org"},
    "nested name": {"answer": {"profile": {"name": NAME, "kept": 1}}},
    "capitalised name": {"Name": NAME, "answer": {"Full_Name": NAME, "E-Mail": EMAIL}},
    "name in a list of objects": {"answer": [1, {"displayName": NAME}]},
    "email as a key": {"answer": {EMAIL: True}},
}
SESSION = "ada.lovelace@example.org"
LEAKS = (EMAIL, NAME, "Ada+Lovelace", "Ada%20Lovelace", "ada.lovelace%40", "%2540", "ada%2Blove")


def leaks(text: str) -> list[str]:
    return [leak for leak in LEAKS if leak.lower() in text.lower()]


@pytest.fixture
def learner():
    return UserFactory(username="ada")


def event(payload: dict, **fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "time": timezone.now().isoformat(),
        "verb": "video.played",
        "payload": {"position": 3, **payload},
        **fields,
    }


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_each_payload_is_stored_without_the_personal_data(client, learner, case):
    client.force_login(learner)
    body = {"events": [event(HOSTILE[case], session=SESSION)]}
    response = client.post("/api/events", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    assert len(response.json()["accepted"]) == 1
    stored = Event.objects.get(learner=learner)
    assert not leaks(json.dumps(stored.payload)), stored.payload
    assert not leaks(stored.session_id) and stored.session_id == EMAIL_REMOVED
    assert stored.payload["position"] == 3  # the event itself is kept


def test_what_is_not_personal_is_kept():
    payload = {
        "position": 3,
        "segments": [[0, 1.5], [2, 4]],
        "answer": [1, "two", [3, "four"]],
        "path": "/courses/x/?page=2&sort=name",
        "note": "100% done; a+b=c",
        "profile": {"kept": 1},
    }
    assert payload_scrub(payload) == payload
    assert text_scrub("mail me at ada@example.org, please") == f"mail me at {EMAIL_REMOVED}, please"


def test_graded_tests_keep_their_names_and_nothing_else_does():
    payload = {"score": 1.0, "tests": [{"name": "test_shapes", "passed": True, "email": EMAIL}]}
    assert payload_scrub(payload, verb="lab.graded")["tests"] == [{"name": "test_shapes", "passed": True}]
    assert payload_scrub(payload, verb="video.played")["tests"] == [{"passed": True}]


def test_the_walk_is_bounded_in_depth():
    deep: list = [EMAIL]
    for _ in range(100):
        deep = [deep]
    cleaned = json.dumps(payload_scrub({"deep": deep}))
    assert EMAIL not in cleaned and "nested too deeply" in cleaned


def test_a_long_string_without_an_address_is_scanned_in_linear_time():
    import time

    started = time.perf_counter()
    for text in ("a" * 4000 + "@x", "%" + "a" * 4095, "a%" * 2048, "email=" + "a" * 4090):
        text_scrub(text)
    assert time.perf_counter() - started < 0.5


@pytest.fixture
def old_rows(learner):
    """The hostile payloads stored as they were before the scrubber (straight to the store)."""
    now = timezone.now()
    partitions.partitions_ensure([partitions.month_start(now)])
    rows = [
        Row(
            learner.pk,
            now,
            uuid.uuid4(),
            now,
            SESSION,
            None,
            None,
            "video.played",
            {"position": 3, **p},
            "client",
        )
        for p in HOSTILE.values()
    ]
    rows_store(rows)
    assert any(leaks(json.dumps(e.payload)) for e in Event.objects.filter(learner=learner))
    return rows


@pytest.mark.parametrize("format", ["parquet", "csv", "edx", "xapi"])
def test_pseudonymized_exports_of_old_rows_carry_no_personal_data(settings, tmp_path, old_rows, format):
    settings.DATA_DIR = tmp_path
    job = export_job_create(user=analyst_user(), format=format, pseudonymize=True)
    assert export_run_task(job.pk) == f"export #{job.pk}: done"
    job.refresh_from_db()
    if format == "parquet":
        table = pq.read_table(job.path)
        text = json.dumps(table.to_pylist(), default=str)
        assert table.num_rows == len(old_rows)
    elif format == "csv":
        text = open(job.path, encoding="utf-8").read()
    else:
        with gzip.open(job.path, "rt", encoding="utf-8") as lines:
            text = lines.read()
        assert len(text.splitlines()) == len(old_rows)
    assert not leaks(text), leaks(text)
    assert EMAIL_REMOVED in text  # replaced, not silently dropped with the event


def test_the_analysts_python_api_reads_old_rows_scrubbed(old_rows):
    from analytics import api

    frame = api.events()
    assert len(frame) == len(old_rows)
    text = frame[["payload", "session_id"]].to_json()
    assert not leaks(text.replace("\\/", "/")), leaks(text)
    assert set(frame["session_id"]) == {EMAIL_REMOVED}
