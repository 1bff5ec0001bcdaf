"""Rate limits on log-in, sign-up, event ingestion and lab submissions: 429 with
Retry-After and a clear message (a page for forms, JSON for the APIs)."""

import uuid

import pytest
from django.core.cache import cache
from django.utils import timezone

from lms.core.ratelimit import parse_rate
from lms.courses.models import Activity, Enrollment
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.RATE_LIMITS = {
        "login-ip": "5/m",
        "login-username": "3/15m",
        "signup-ip": "2/h",
        "events-user": "2/m",
        "lab-submissions-user": "2/m",
        "lab-submissions-ip": "100/m",
    }
    cache.clear()
    yield
    cache.clear()


def test_rates_parse_and_a_bad_one_is_refused():
    assert parse_rate("30/m") == (30, 60)
    assert parse_rate("10/15m") == (10, 900)
    assert parse_rate("100 / h") == (100, 3600)
    with pytest.raises(ValueError, match="30/m"):
        parse_rate("thirty per minute")


def _assert_page_429(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert response["Content-Type"].startswith("text/html")
    assert b"Too many requests" in response.content


def test_login_is_limited_per_username_then_per_ip(client):
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "Alice", "password": "guess"}).status_code == 200
    _assert_page_429(client.post("/accounts/login/", {"username": "alice ", "password": "guess"}))
    # Other usernames from the same address still get through, up to the address's limit.
    assert client.post("/accounts/login/", {"username": "bob", "password": "guess"}).status_code == 200
    _assert_page_429(client.post("/accounts/login/", {"username": "carol", "password": "guess"}))
    assert client.get("/accounts/login/").status_code == 200  # the form itself is never limited


def test_login_limit_counts_each_address_apart(client):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "", "password": "x"}, REMOTE_ADDR="10.0.0.1")
    _assert_page_429(client.post("/accounts/login/", {"username": ""}, REMOTE_ADDR="10.0.0.1"))
    assert client.post("/accounts/login/", {"username": ""}, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_behind_a_proxy_the_forwarded_address_counts(client, settings):
    settings.RATE_LIMIT_IP_HEADER = "X-Forwarded-For"
    for _ in range(5):
        client.post("/accounts/login/", {"username": ""}, HTTP_X_FORWARDED_FOR="spoofed, 10.0.0.7")
    _assert_page_429(client.post("/accounts/login/", {"username": ""}, HTTP_X_FORWARDED_FOR="10.0.0.7"))
    assert (
        client.post("/accounts/login/", {"username": ""}, HTTP_X_FORWARDED_FOR="10.0.0.8").status_code == 200
    )


def test_signup_is_limited_per_address(client):
    for _ in range(2):
        assert client.post("/accounts/signup/", {"username": "x"}).status_code == 200  # invalid form
    _assert_page_429(client.post("/accounts/signup/", {"username": "x"}))


def _event() -> dict:
    return {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "navigation.page_viewed",
            "payload": {"path": "/"}}  # fmt: skip


def test_event_batches_are_limited_per_learner_with_json(client):
    user = UserFactory()
    client.force_login(user)
    for _ in range(2):
        response = client.post("/api/events", {"events": [_event()]}, content_type="application/json")
        assert response.status_code == 200
    response = client.post("/api/events", {"events": [_event()]}, content_type="application/json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.json()["error"]
    client.force_login(UserFactory())  # another learner is counted apart
    response = client.post("/api/events", {"events": [_event()]}, content_type="application/json")
    assert response.status_code == 200


def test_lab_submissions_are_limited_per_learner_with_json(client, settings):
    settings.LAB_SUBMISSIONS_PER_MINUTE = 100  # the database-side limit is not the one tested here
    lab = ActivityFactory(slug="rl-lab", kind=Activity.Kind.LAB, lab_path="x")
    other = ActivityFactory(slug="rl-lab-2", kind=Activity.Kind.LAB, lab_path="x", week=lab.week)
    user = UserFactory()
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.AUDIT)
    client.force_login(user)
    for one in (lab, other):  # one pending submission per lab: two labs
        response = client.post(f"/api/labs/{one.slug}/submissions", {"code": "x = 1", "mode": "run"},
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 202, response.content
    response = client.post(f"/api/labs/{lab.slug}/submissions", {"code": "x = 1", "mode": "run"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 429
    assert response.json()["error"].startswith("Too many requests")
    assert int(response["Retry-After"]) >= 1
