"""A bounded schemathesis run over every operation of /api/schema/, in process (WSGI), as
a signed-in learner enrolled in a course with a lab: no request may end in a 5xx, and
status codes, content types and bodies must be the ones the schema declares.

Fixed seed, ``EXAMPLES`` cases per operation: about a minute on the CI machine.
``POST /api/events`` also gets the hostile bodies of issue 17 as explicit examples
(``HOSTILE``): NUL bytes, lone surrogates, NaN and Infinity, times outside the client
window, 500 past months, a 900 KB string, nesting beyond the depth bound; each must be
answered within the schema (200 with per-event errors), and each must have run.
``pytest tests/platform/test_api_fuzz.py -s`` prints how many cases ran.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import RequestFactory
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms.courses.models import Activity, Enrollment
from lms.labs.models import Submission
from tests.factories import ActivityFactory, UserFactory

EXAMPLES = 150
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FIXTURES = Path(__file__).parent / "lms" / "labs" / "fixtures"
LAB, SUBMISSION = "fuzz-lab", "9b2f7d3c-52d4-4b8e-9d0a-6f1e2a3b4c5d"
CASES = {"total": 0, "server_errors": 0}
APP = get_wsgi_application()


def _event(name: str, **fields) -> dict:
    """A valid browser event; ``session`` names the example it belongs to."""
    now = dt.datetime.now(dt.UTC)
    return {"id": str(uuid.uuid4()), "time": now.isoformat(), "verb": "video.played",
            "session": f"hostile-{name}", "payload": {"position": 1.5}, **fields}  # fmt: skip


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _hostile() -> dict[str, list]:
    """Example name -> its events: one valid event, then the hostile ones."""
    bad = {
        "nul": [{"payload": {"position": 1, "note": "a\x00b"}}, {"payload": {"position": 1, "k\x00": 1}}],
        "surrogate": [{"payload": {"position": 1, "note": "\udcff"}}, {"payload": {"position": 1, "l": ["\ud800"]}}],
        "non-finite": [{"payload": {"position": float("nan")}}, {"payload": {"position": 1, "x": float("inf")}}],
        "time-window": [{"time": "1970-01-31T23:30:00-05:00"}, {"time": "0001-01-01T00:00:00+05:00"}],
        "months": [{"time": f"{1984 - i // 12:04d}-{12 - i % 12:02d}-15T12:00:00Z"} for i in range(499)],
        "long-string": [{"payload": {"position": 1, "note": "x" * (900 * 1024)}}],
        "deep": [{"payload": {"position": 1, "d": _nested(200)}}],
        "nested-body": [],  # sent as the text of RAW_BODIES (a Python value this deep cannot be serialized)
    }  # fmt: skip
    return {
        name: [_event(name)] + [_event(name, **fields) for fields in events] for name, events in bad.items()
    }


HOSTILE = _hostile()
# Bodies that requests cannot serialize from a value: NaN and Infinity as JSON spells them
# (Python's json does), and 100,000 levels of nesting (a 400, not a RecursionError).
RAW_BODIES = {
    "non-finite": lambda body: json.dumps(body).encode(),
    "nested-body": lambda body: b'{"events": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
}


def _pinned(document: dict) -> dict:
    """The schema with the lab's slug and a submission's id offered among the path values
    (most cases then reach the views' logic instead of a 404)."""
    document = copy.deepcopy(document)
    values = {"activity": LAB, "submission_id": SUBMISSION}
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["schema"] = {"type": "string", "enum": [values[parameter["name"]]]}
    body = document["paths"]["/api/events"]["post"]["requestBody"]["content"]["application/json"]
    body["examples"] = {name: {"value": {"events": events}} for name, events in HOSTILE.items()}
    return document


def _api_schema():
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)  # what /api/schema/ serves
    loaded = schemathesis.openapi.from_dict(_pinned(document))
    loaded.app = APP
    return loaded


schema = _api_schema()


@pytest.fixture
def learner(db, settings):
    settings.CONTENT_ROOT = FIXTURES
    settings.LAB_SUBMISSIONS_PER_MINUTE = 10_000
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lab-submissions-user": "10000/m",
                            "lab-submissions-ip": "10000/m", "events-user": "10000/m"}  # fmt: skip
    lab = ActivityFactory(slug=LAB, kind=Activity.Kind.LAB, lab_path="matrix-lab", week__course__slug="cf")
    user = UserFactory(username="fuzzer")
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.VERIFIED)
    Submission.objects.create(pk=SUBMISSION, learner=user, activity=lab, mode="run", code="x = 1", seed=1)
    return user


@pytest.fixture
def in_test_transaction():
    """Keep the test's database connection across the WSGI requests (Django's handler
    closes "old" connections around each request, as the test client stops it doing)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(learner, client, in_test_transaction):
    client.force_login(learner)
    token = get_token(RequestFactory().get("/"))
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return {"cookies": cookies, "headers": {"X-CSRFToken": token}}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    hostile = len(CASES.get("hostile_seen", ()))
    print(f"\nschemathesis: {CASES['total']} cases ({hostile} hostile /api/events examples), "
          f"{CASES['server_errors']} server errors")  # fmt: skip
    if CASES.get("events"):  # the /api/events operation ran: so did every hostile example
        missing = set(HOSTILE) - CASES.get("hostile_seen", set())
        assert not missing, f"hostile examples not run: {sorted(missing)}"


@schema.parametrize()
@seed(20260501)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=False, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_within_its_schema_and_never_with_a_server_error(case, credentials):
    CASES["total"] += 1
    if case.operation.path == "/api/events":
        CASES["events"] = CASES.get("events", 0) + 1
        events = case.body.get("events") if isinstance(case.body, dict) else None
        first = events[0] if isinstance(events, list) and events and isinstance(events[0], dict) else {}
        if str(first.get("session", "")).startswith("hostile-"):
            name = first["session"].removeprefix("hostile-")
            CASES.setdefault("hostile_seen", set()).add(name)
            if name in RAW_BODIES:
                case.body = RAW_BODIES[name](case.body)
    response = case.call(cookies=credentials["cookies"], headers=credentials["headers"])
    if response.status_code >= 500:
        CASES["server_errors"] += 1
    case.validate_response(response, checks=CHECKS)
